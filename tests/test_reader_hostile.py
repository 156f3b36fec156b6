"""Hostile and broken input: a finding (or exit 2), fast, no traceback, no network."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pes_v2

PES_NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
HEADER = f"""<n:PES_Aller xmlns:n="{PES_NS}"><Enveloppe><Parametres><Version V="2"/>
<TypFic V="PESALR2"/><NomFic V="x.xml"/></Parametres><Emetteur><Sigle V="M"/>
<Adresse V="A"/></Emetteur></Enveloppe><EnTetePES><DteStr V="2026-01-01"/>
<IdPost V="034000"/><IdColl V="21340172201787"/><CodCol V="001"/><CodBud V="01"/>
</EnTetePES>"""


def _cases(port: int) -> dict[str, tuple[bytes, set[str]]]:
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    rng = random.Random(20261122)
    return {
        "internal-entity": (
            f'<!DOCTYPE n:PES_Aller [<!ENTITY e "x">]>{HEADER}&e;</n:PES_Aller>'.encode(),
            {"PES-XML-004"},
        ),
        "external-entity-file": (
            f'<!DOCTYPE n:PES_Aller [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            f"{HEADER}&e;</n:PES_Aller>".encode(),
            {"PES-XML-004"},
        ),
        "external-entity-url": (
            f'<!DOCTYPE n:PES_Aller [<!ENTITY e SYSTEM "http://127.0.0.1:{port}/e">]>'
            f"{HEADER}&e;</n:PES_Aller>".encode(),
            {"PES-XML-004"},
        ),
        "billion-laughs": (
            (
                f'<?xml version="1.0"?><!DOCTYPE n:PES_Aller [{laughs}]>{HEADER}&l9;</n:PES_Aller>'
            ).encode(),
            {"PES-XML-004"},
        ),
        "external-dtd-url": (
            f'<?xml version="1.0"?>\n<!-- a comment first -->\n<!DOCTYPE n:PES_Aller SYSTEM '
            f'"http://127.0.0.1:{port}/pes.dtd">{HEADER}</n:PES_Aller>'.encode(),
            {"PES-XML-004"},
        ),
        "doctype-after-bom": (
            b"\xef\xbb\xbf<!DOCTYPE a [<!ENTITY e 'x'>]>" + HEADER.encode() + b"</n:PES_Aller>",
            {"PES-XML-004"},
        ),
        "deep-nesting": (
            (HEADER + "<a>" * 100_000 + "</a>" * 100_000 + "</n:PES_Aller>").encode(),
            {"PES-XML-005"},
        ),
        "truncated": ((HEADER + "<PES_DepenseAller><Bord").encode(), {"PES-XML-001"}),
        "random-bytes": (bytes(rng.randrange(256) for _ in range(4096)), {"PES-XML-001"}),
        "utf16": (
            ('<?xml version="1.0" encoding="UTF-16"?>' + HEADER + "</n:PES_Aller>").encode(
                "utf-16"
            ),
            {"PES-ENC-001"},
        ),
        "utf16-no-bom": (
            ('<?xml version="1.0" encoding="UTF-16"?>' + HEADER + "</n:PES_Aller>").encode(
                "utf-16-le"
            ),
            {"PES-ENC-001"},
        ),
        "empty": (b"", {"PES-XML-002"}),
        "whitespace-only": (b" \n\t\n", {"PES-XML-002"}),
        "trailing-garbage": ((HEADER + "</n:PES_Aller><junk/>").encode(), {"PES-XML-001"}),
    }


CASE_NAMES = sorted(_cases(0))


@pytest.mark.parametrize("name", CASE_NAMES)
def test_hostile_input_gives_a_finding_fast_and_offline(
    name: str, listener: tuple[int, list[str]]
) -> None:
    port, connections = listener
    data, expected = _cases(port)[name]
    started = time.perf_counter()
    report = pes_v2.validate(data, schemas="embedded")
    elapsed = time.perf_counter() - started
    assert not report.valid
    assert expected <= set(report.rule_ids()), report.findings
    assert elapsed < 2.0
    assert connections == []


@pytest.mark.parametrize("name", CASE_NAMES)
def test_hostile_input_on_the_command_line(
    name: str, listener: tuple[int, list[str]], tmp_path: Path
) -> None:
    port, connections = listener
    data, expected = _cases(port)[name]
    path = tmp_path / f"{name}.xml"
    path.write_bytes(data)
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pes_v2.cli",
            "validate",
            "--schemas",
            "embedded",
            "--format",
            "json",
            str(path),
        ],
        capture_output=True,
        timeout=30,
        env={**os.environ, "PES_V2_DATA_DIR": str(tmp_path)},
        cwd=tmp_path,  # the installed package, not the source tree
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 1, done.stderr
    assert b"Traceback" not in done.stderr + done.stdout
    (entry,) = json.loads(done.stdout)["files"]
    assert expected <= {finding["rule"] for finding in entry["findings"]}
    assert elapsed < 5.0  # includes interpreter start-up
    assert connections == []
    assert path.read_bytes() == data


@pytest.mark.parametrize(
    "place",
    [
        ("name", "<PES_DepenseAller>", "<" + "x" * 60_000 + "/><PES_DepenseAller>"),
        ("value", '<IdPost V="034000"/>', '<IdPost V="' + "1" * 100_000 + '"/>'),
        ("attribute", '<IdPost V="034000"/>', '<IdPost V="034000" ' + "a" * 60_000 + '="1"/>'),
    ],
    ids=lambda place: place[0],
)
def test_overlong_names_and_values_make_short_messages(
    place: tuple[str, str, str], tmp_path: Path
) -> None:
    """A hostile name or value tens of thousands of characters long is quoted shortened in
    messages and details (``pes_v2.findings.MESSAGE_PART_LIMIT``, ``DETAIL_LIMIT``), and a
    human report shows a shortened XPath; the JSON report keeps the XPath whole, it locates
    the element."""
    kind, old, new = place
    flow = HEADER + "<PES_DepenseAller><EnTeteDepense/></PES_DepenseAller></n:PES_Aller>"
    data = flow.replace(old, new, 1).encode()
    report = pes_v2.validate(data, schemas="embedded")
    xsd = [f for f in report.findings if f.rule.startswith("PES-XSD")]
    assert xsd, [f.rule for f in report.findings]
    for finding in report.findings:
        assert len(finding.message) <= 1_000, finding.rule
        assert finding.detail is None or len(finding.detail) <= 2_000, finding.rule
    path = tmp_path / "long.xml"
    path.write_bytes(data)
    for command in (["validate", "--format", "text"], ["validate", "--format", "html"], ["info"]):
        done = subprocess.run(
            [sys.executable, "-m", "pes_v2.cli", *command, "--schemas", "embedded", str(path)],
            capture_output=True,
            timeout=60,
            cwd=tmp_path,  # the installed package, not the source tree
        )
        assert done.returncode == (0 if command == ["info"] else 1), done.stderr
        assert len(done.stdout) < 20_000, (command, len(done.stdout))
    if kind == "name":  # the JSON report's XPath is whole
        assert any(len(f.xpath or "") > 60_000 for f in xsd)


def test_unreadable_paths_exit_2_with_one_line(tmp_path: Path) -> None:
    cases = [str(tmp_path / "missing.xml")]
    locked = tmp_path / "locked.xml"
    locked.write_bytes(b"<a/>")
    locked.chmod(0)
    if os.geteuid() != 0:  # root reads anything: the permission case needs a normal user
        cases.append(str(locked))
    for path in cases:
        done = subprocess.run(
            [sys.executable, "-m", "pes_v2.cli", "validate", path],
            capture_output=True,
            timeout=30,
            cwd=tmp_path,
        )
        assert done.returncode == 2
        lines = done.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("pes-v2 : erreur :")


def test_a_directory_given_to_the_api_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(pes_v2.InputError):
        pes_v2.validate(tmp_path)


def test_ten_megabyte_text_node_is_read(tmp_path: Path) -> None:
    body = "A" * (10 * 1024 * 1024)
    data = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        + HEADER
        + f"<PES_PJ><Fichier>{body}</Fichier></PES_PJ></n:PES_Aller>"
    ).encode()
    report = pes_v2.validate(data, schemas="embedded")
    reader_rules = {r for r in report.rule_ids() if r.startswith(("PES-XML", "PES-ENC"))}
    assert reader_rules == set()
    assert report.flow.domains == ("pj",)


@pytest.mark.parametrize("kept", [True, False], ids=["tree-kept", "records-released"])
@pytest.mark.parametrize("max_depth", [2, 3, 4, 10, 17, 18, 19, 20, 40, 256])
def test_the_depth_limit_is_exact_at_every_record_depth(
    max_depth: int, kept: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nesting is refused exactly past ``max_depth`` (the root at depth 1), whatever the
    record the deep element is in (the probes look a few levels down first), in a small
    flow kept whole for its tree's validation (containers probed child by child) as in one
    whose records are released."""
    from pes_v2.bundles import SchemaBundle
    from pes_v2.limits import DEFAULT_LIMITS

    embedded = SchemaBundle.embedded()
    if kept:
        embedded.schema_for(f"{{{PES_NS}}}PES_Aller")  # at hand: small flows are kept
    else:
        monkeypatch.setattr(SchemaBundle, "tree_schema_for", lambda self, root: None)
    limits = DEFAULT_LIMITS.with_(max_depth=max_depth)
    places = {  # where the nest goes, and the depth of the element it goes in
        "header": (b"<IdPost V=", 2),  # in EnTetePES, a record at depth 2
        "bordereau": (b"</Bordereau>", 3),  # in a Bordereau, a record at depth 3
        "unknown-2": (b"<PES_DepenseAller>", 1),  # as the root's child (a record's place)
        "unknown-3": (b"<Bordereau>", 2),  # as a bordereau's sibling
    }
    body = (
        f"{HEADER}<PES_DepenseAller><EnTeteDepense/><Bordereau><BlocBordereau/>"
        "</Bordereau></PES_DepenseAller></n:PES_Aller>"
    ).encode()
    for name, (before, parent_depth) in places.items():
        for extra in {1, 2, max_depth - parent_depth, max_depth - parent_depth + 1}:
            if extra < 1:
                continue
            nest = b"<x>" * extra + b"</x>" * extra
            data = body.replace(before, nest + before, 1)
            deepest = max(parent_depth + extra, 4)  # Parametres/Version: depth 4
            found = {
                f.rule for f in pes_v2.validate(data, schemas="embedded", limits=limits).findings
            }
            assert ("PES-XML-005" in found) == (deepest > max_depth), (name, extra, found)
