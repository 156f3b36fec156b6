"""Hostile and broken input: each case ends with findings (or an input error: exit 2, one
line) in under 5 s and 300 MB of peak RSS, measured in a child process, without a traceback
and without a network connection."""

from __future__ import annotations

import base64
import copy
import gzip
import io
import os
import random
import zipfile
import zlib
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import RESULTS, RSS_LIMIT_MB, TIME_LIMIT
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from lxml import etree

from pes_v2.testing import DgfipSigner, FlowSpec, build_flow
from pes_v2.testing.signing import test_pki

PES_NS = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
DS = "http://www.w3.org/2000/09/xmldsig#"
DECL = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n'
OPEN = (
    f'<n:PES_Aller xmlns:n="{PES_NS}"><Enveloppe><Parametres><Version V="2"/>'
    '<TypFic V="PESALR2"/><NomFic V="x.xml"/></Parametres><Emetteur><Sigle V="M"/>'
    '<Adresse V="A"/></Emetteur></Enveloppe><EnTetePES><DteStr V="2026-01-01"/>'
    '<IdPost V="034000"/><IdColl V="21340172201787"/><CodCol V="001"/><CodBud V="01"/>'
    "</EnTetePES>"
).encode()
CLOSE = b"</n:PES_Aller>\n"
MIB = 1 << 20

Writer = Callable[[Path, int], None]


def _write(path: Path, *parts: bytes | Callable[[io.BufferedWriter], None]) -> None:
    with path.open("wb") as out:
        for part in parts:
            if callable(part):
                part(out)
            else:
                out.write(part)


def _repeat(block: bytes, times: int) -> Callable[[io.BufferedWriter], None]:
    def write(out: io.BufferedWriter) -> None:
        for _ in range(times):
            out.write(block)

    return write


def _doctype(subset: str) -> bytes:
    return DECL + f"<!DOCTYPE n:PES_Aller [{subset}]>".encode() + OPEN


def _flow(seed: int = 7, **spec: Any) -> bytes:
    return build_flow(FlowSpec(seed=seed, **{"depense": 1, "pieces": 2, "lines": 1, **spec}))


# ------------------------------------------------------------------ signatures


def _signed_flow() -> tuple[bytes, Any]:
    pki = test_pki()
    data = _flow(signed=True, signer=DgfipSigner.for_pki(pki))
    return data, pki


def _edit_signature(data: bytes, edit: Callable[[Any], None]) -> bytes:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    root = etree.fromstring(data, parser)
    signature = root.find(f".//{{{DS}}}Signature")
    edit(signature)
    return etree.tostring(root, encoding="ISO-8859-1", xml_declaration=True)


def _certificate(public_key: Any, pki: Any, extension: bytes | None = None) -> bytes:
    now = datetime(2024, 1, 1, tzinfo=timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(pki.signer.cert.subject)
        .issuer_name(pki.root.cert.subject)
        .public_key(public_key)
        .serial_number(4242)
        .not_valid_before(now.replace(year=2020))
        .not_valid_after(now.replace(year=2040))
    )
    if extension is not None:
        oid = x509.ObjectIdentifier("1.3.6.1.4.1.99999.1")
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, extension), False)
    return builder.sign(pki.root.key, hashes.SHA256()).public_bytes(Encoding.DER)


def _with_certificate(der: bytes) -> Writer:
    def write(path: Path, _port: int) -> None:
        data, _pki = _signed_flow()

        def edit(signature: Any) -> None:
            signature.find(f".//{{{DS}}}X509Certificate").text = base64.b64encode(der).decode()

        path.write_bytes(_edit_signature(data, edit))

    return write


def _big_modulus(bits: int, seed: int) -> int:
    rng = random.Random(seed)
    return rng.getrandbits(bits) | (1 << (bits - 1)) | 1


def sig_rsa_16384(path: Path, port: int) -> None:
    _data, pki = _signed_flow()
    key = rsa.RSAPublicNumbers(65537, _big_modulus(16384, 1)).public_key()
    _with_certificate(_certificate(key, pki))(path, port)


def sig_exponent_1(path: Path, port: int) -> None:
    _data, pki = _signed_flow()
    key = rsa.RSAPublicNumbers(3, _big_modulus(2048, 2)).public_key()
    der = _certificate(key, pki)
    spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert spki.endswith(b"\x02\x01\x03") and der.count(spki) == 1
    _with_certificate(der.replace(spki, spki[:-3] + b"\x02\x01\x01"))(path, port)


def sig_certificate_10mb(path: Path, port: int) -> None:
    _data, pki = _signed_flow()
    key = pki.signer.cert.public_key()
    _with_certificate(_certificate(key, pki, extension=b"\x00" * (10 * MIB)))(path, port)


def _references(count: int) -> Writer:
    def write(path: Path, _port: int) -> None:
        data, _pki = _signed_flow()

        def edit(signature: Any) -> None:
            signed_info = signature.find(f"{{{DS}}}SignedInfo")
            reference = signed_info.find(f"{{{DS}}}Reference")
            for _ in range(count):
                signed_info.append(copy.deepcopy(reference))

        path.write_bytes(_edit_signature(data, edit))

    return write


sig_100k_references = _references(100_000)
sig_1000_references = _references(1000)


# ------------------------------------------------------------------ PJ


def _pj_flow(fichier: Callable[[io.BufferedWriter], None]) -> Callable[[Path], None]:
    head, _sep, _tail = _flow(pj=1, pj_size=100).partition(b"<Fichier")
    assert _sep

    def write(path: Path) -> None:
        with path.open("wb") as out:
            out.write(head + b'<Fichier MIMEType="application/pdf">')
            fichier(out)
            out.write(b"</Fichier></Contenu></PJ></PES_PJ>" + CLOSE)

    return write


def pj_base64_bad_padding(path: Path, _port: int) -> None:
    line = base64.b64encode(os.urandom(57 * 1000)) + b"\n"  # 76 000 characters

    def fichier(out: io.BufferedWriter) -> None:
        for _ in range(650):  # ~50 MB of base64
            out.write(line)
        out.write(b"QUJD=A==")

    _pj_flow(fichier)(path)


def _gzip_bomb(gib: int) -> Callable[[io.BufferedWriter], None]:
    """base64 of a gzip stream of ``gib`` GiB of zeros, written without inflating it: the
    deflate blocks of 1 MiB of zeros after a full flush are all the same bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MIB)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert block == compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)

    def fichier(out: io.BufferedWriter) -> None:
        # 3 * 19 bytes of gzip per 76 characters of base64: encode whole groups.
        stream = first + block * (gib * 1024 - 1)
        for start in range(0, len(stream), 57 * 1024):
            out.write(base64.encodebytes(stream[start : start + 57 * 1024]))

    return fichier


def pj_gzip_bomb_10gb(path: Path, _port: int) -> None:
    _pj_flow(_gzip_bomb(10))(path)


def pj_gzip_bomb_small(path: Path, _port: int) -> None:
    bomb = gzip.compress(bytes(300 * MIB), 9)  # 300 MiB in ~300 KB
    _pj_flow(lambda out: out.write(base64.encodebytes(bomb)))(path)


# ------------------------------------------------------------------ the cases

CASES: dict[str, tuple[Writer, set[str]]] = {
    # Entities and DTDs: refused before parsing.
    "billion-laughs": (
        lambda p, _: _write(
            p,
            _doctype(
                "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10))
            ),
            b"<x>&l9;</x>",
            CLOSE,
        ),
        {"PES-XML-004"},
    ),
    "quadratic-blowup": (
        lambda p, _: _write(
            p,
            _doctype(f'<!ENTITY a "{"x" * 100_000}">'),
            b"<x>" + b"&a;" * 100_000 + b"</x>",
            CLOSE,
        ),
        {"PES-XML-004"},
    ),
    "internal-entity": (
        lambda p, _: _write(p, _doctype('<!ENTITY e "x">'), b"<x>&e;</x>", CLOSE),
        {"PES-XML-004"},
    ),
    "external-entity-file": (
        lambda p, _: _write(
            p, _doctype('<!ENTITY e SYSTEM "file:///etc/passwd">'), b"<x>&e;</x>", CLOSE
        ),
        {"PES-XML-004"},
    ),
    "external-entity-url": (
        lambda p, port: _write(
            p,
            _doctype(f'<!ENTITY e SYSTEM "http://127.0.0.1:{port}/e">'),
            b"<x>&e;</x>",
            CLOSE,
        ),
        {"PES-XML-004"},
    ),
    "parameter-entity": (
        lambda p, port: _write(
            p,
            _doctype(f'<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p.dtd"> %p;'),
            CLOSE,
        ),
        {"PES-XML-004"},
    ),
    "external-dtd-url": (
        lambda p, port: _write(
            p,
            DECL
            + b"<!-- comment first -->\n"
            + f'<!DOCTYPE n:PES_Aller SYSTEM "http://127.0.0.1:{port}/pes.dtd">'.encode()
            + OPEN,
            CLOSE,
        ),
        {"PES-XML-004"},
    ),
    "external-dtd-file": (
        lambda p, _: _write(p, DECL + b'<!DOCTYPE n:PES_Aller SYSTEM "/etc/passwd">' + OPEN, CLOSE),
        {"PES-XML-004"},
    ),
    "xinclude-url": (
        lambda p, port: _write(
            p,
            DECL + OPEN,
            f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
            f'href="http://127.0.0.1:{port}/x.xml"/>'.encode(),
            CLOSE,
        ),
        {"PES-XSD-003"},
    ),
    "xinclude-file": (
        lambda p, _: _write(
            p,
            DECL + OPEN,
            b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd" '
            b'parse="text"/>',
            CLOSE,
        ),
        {"PES-XSD-003"},
    ),
    # Size and shape.
    "deep-1m": (
        lambda p, _: _write(p, DECL + OPEN, b"<a>" * 1_000_000, b"</a>" * 1_000_000, CLOSE),
        {"PES-XML-005"},
    ),
    "attribute-200mb": (
        lambda p, _: _write(
            p,
            DECL + OPEN,
            b'<PES_PJ><EnTetePES_PJ><IdVer V="',
            _repeat(b"A" * MIB, 200),
            b'"/></EnTetePES_PJ></PES_PJ>',
            CLOSE,
        ),
        {"PES-XML-007"},
    ),
    "attribute-200mb-of-gt": (
        lambda p, _: _write(p, DECL + OPEN, b'<Foo V="', _repeat(b">" * MIB, 200), b'"/>', CLOSE),
        {"PES-XML-007"},
    ),
    "text-200mb": (
        lambda p, _: _write(p, DECL + OPEN, b"<Foo>", _repeat(b"A" * MIB, 200), b"</Foo>", CLOSE),
        {"PES-XML-007"},
    ),
    "comment-200mb": (
        lambda p, _: _write(
            p, DECL + OPEN, b"<!--", _repeat(b"<>" * (MIB // 2), 200), b"-->", CLOSE
        ),
        {"PES-XML-007"},
    ),
    "million-attributes": (
        lambda p, _: _write(
            p,
            DECL + OPEN,
            b"<PES_PJ><EnTetePES_PJ ",
            b" ".join(b'a%d="1"' % i for i in range(1_000_000)),
            b"/></PES_PJ>",
            CLOSE,
        ),
        {"PES-XML-007"},
    ),
    "million-siblings": (
        lambda p, _: _write(
            p,
            DECL + OPEN,
            b"<PES_PJ><EnTetePES_PJ>",
            b"<a/>" * 1_000_000,
            b"</EnTetePES_PJ></PES_PJ>",
            CLOSE,
        ),
        {"PES-XML-007"},
    ),
    "million-siblings-at-root": (
        lambda p, _: _write(p, DECL + OPEN, b"<Foo/>" * 1_000_000, CLOSE),
        {"PES-XML-007"},
    ),
    "three-million-siblings": (
        lambda p, _: _write(
            p,
            DECL + OPEN,
            b"<PES_PJ><EnTetePES_PJ>",
            b"<a/>" * 3_000_000,
            b"</EnTetePES_PJ></PES_PJ>",
            CLOSE,
        ),
        {"PES-XML-007"},
    ),
    "long-element-name": (
        lambda p, _: _write(p, DECL + OPEN, b"<" + b"a" * (50 * MIB) + b"/>", CLOSE),
        {"PES-XML-007"},
    ),
    # Characters and encodings.
    "nul-bytes": (
        lambda p, _: _write(p, DECL + OPEN, b"<Foo>\x00\x00</Foo>", CLOSE),
        {"PES-ENC-002"},
    ),
    "control-characters": (
        lambda p, _: _write(p, DECL + OPEN, b'<Foo V="\x01\x1b"/>', CLOSE),
        {"PES-ENC-002"},
    ),
    "only-nul-bytes": (lambda p, _: _write(p, bytes(MIB)), {"PES-XML-002"}),
    "invalid-utf8": (
        lambda p, _: _write(
            p, DECL.replace(b"ISO-8859-1", b"UTF-8") + OPEN, b'<Foo V="\xff\xfe\xc3"/>', CLOSE
        ),
        {"PES-ENC-002"},
    ),
    "latin1-bytes-declared-utf8": (
        lambda p, _: _write(
            p,
            DECL.replace(b"ISO-8859-1", b"UTF-8") + OPEN,
            "<Foo V='Hérault'/>".encode("latin-1"),
            CLOSE,
        ),
        {"PES-ENC-002"},
    ),
    "utf8-bom-declared-latin1": (
        lambda p, _: _write(p, b"\xef\xbb\xbf" + DECL + OPEN, CLOSE),
        {"PES-ENC-002"},
    ),
    **{
        f"{codec}{'' if bom else '-no-bom'}": (
            (
                lambda c, b: (
                    lambda p, _: _write(
                        p,
                        (
                            (
                                ("\ufeff" if b else "")
                                + '<?xml version="1.0"?>'
                                + (OPEN + CLOSE).decode()
                            ).encode(c)
                        ),
                    )
                )
            )(codec, bom),
            {"PES-ENC-001"},
        )
        for codec in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
        for bom in (True, False)
    },
    # Not XML at all.
    "trailing-garbage": (lambda p, _: _write(p, _flow(), b"<junk/>garbage\x00"), {"PES-XML-001"}),
    "gzip-instead-of-xml": (lambda p, _: _write(p, gzip.compress(_flow())), {"PES-XML-001"}),
    "zip-instead-of-xml": (lambda p, _: _write(p, _zip({"flow.xml": _flow()})), {"PES-XML-001"}),
    # Attachments.
    "pj-50mb-base64-bad-padding": (pj_base64_bad_padding, {"PES-PJ-001"}),
    "pj-gzip-bomb-10gb": (pj_gzip_bomb_10gb, {"PES-PJ-004"}),
    "pj-gzip-bomb-300mb": (pj_gzip_bomb_small, {"PES-PJ-004"}),
    # Signatures.
    "signature-100k-references": (sig_100k_references, {"PES-XML-007"}),
    "signature-1000-references": (sig_1000_references, {"PES-SIG-014"}),
    "signature-10mb-certificate": (sig_certificate_10mb, {"PES-SIG-002"}),
    "signature-rsa-16384": (sig_rsa_16384, {"PES-SIG-014"}),
    "signature-exponent-1": (sig_exponent_1, {"PES-SIG-014"}),
}


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _record(name: str, figures: dict[str, Any], outcome: dict[str, Any]) -> None:
    RESULTS[name] = {
        "seconds": outcome["seconds"],
        "peak_mb": figures["peak_mb"],
        "rules": outcome["rules"],
        "error": outcome["error"],
    }


def _check(name: str, figures: dict[str, Any], expected: set[str] | str) -> dict[str, Any]:
    (outcome,) = figures["outcomes"]
    _record(name, figures, outcome)
    if isinstance(expected, str):
        assert outcome["error"] and expected in outcome["error"], outcome
        assert "\n" not in outcome["error"]
    else:
        assert outcome["error"] is None, outcome
        assert not outcome["valid"]
        assert expected <= set(outcome["rules"]), outcome["rules"]
    assert outcome["seconds"] < TIME_LIMIT, outcome
    assert figures["peak_mb"] < RSS_LIMIT_MB, figures
    return outcome


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_case(
    name: str,
    child: Callable[..., dict[str, Any]],
    listener: tuple[int, list[str]],
    hostile_dir: Path,
    tmp_path: Path,
) -> None:
    port, connections = listener
    write, expected = CASES[name]
    path = hostile_dir / f"{name}.xml"
    write(path, port)
    try:
        outcome = _check(name, child([path], tmp_path), expected)
    finally:
        if path.stat().st_size > 20 * MIB:
            path.unlink()  # keep the session's disk use small
    assert connections == []
    assert not any("root:" in value for value in outcome["values"])  # /etc/passwd not read


def _corpus_flow(shared_reference: Path) -> Path:
    corpus = shared_reference / "corpus"
    candidates = sorted(corpus.rglob("*.xml"), key=lambda p: (-p.stat().st_size, p.name))
    for path in candidates:
        head = path.read_bytes()[:4096]
        if b"PES_Aller" in head and path.stat().st_size < 2 * MIB:
            return path
    pytest.fail("the reference corpus holds no PES_Aller under 2 MB")


@pytest.mark.parametrize("origin", ["generated", "corpus"])
def test_truncation_at_every_hundredth(
    origin: str,
    child: Callable[..., dict[str, Any]],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    if origin == "generated":
        data = _flow(seed=11, depense=2, recette=1, pieces=3, lines=2, pj=1, pj_size=5000)
    else:
        data = _corpus_flow(request.getfixturevalue("shared_reference")).read_bytes()
    paths = []
    for hundredth in range(100):
        path = tmp_path / f"cut-{hundredth:02d}.xml"
        path.write_bytes(data[: len(data) * hundredth // 100])
        paths.append(path)
    figures = child(paths, tmp_path, timeout=300)
    slowest = max(outcome["seconds"] for outcome in figures["outcomes"])
    RESULTS[f"truncation-{origin}"] = {
        "seconds": slowest,
        "peak_mb": figures["peak_mb"],
        "cuts": 100,
        "bytes": len(data),
        "rules": sorted(
            {r for o in figures["outcomes"] for r in o["rules"] if r.startswith("PES-XML")}
        ),
        "error": None,
    }
    for hundredth, outcome in enumerate(figures["outcomes"]):
        assert outcome["error"] is None
        assert not outcome["valid"], hundredth
        reader = {"PES-XML-001", "PES-XML-002"} & set(outcome["rules"])
        assert reader, (hundredth, outcome["rules"])
    assert slowest < TIME_LIMIT
    assert figures["peak_mb"] < RSS_LIMIT_MB
