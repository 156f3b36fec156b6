"""What a validation loads: heavy modules only when the flow needs them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from pes_v2.testing import FlowSpec, build_flow


def test_unsigned_flow_loads_only_the_modules_it_needs(tmp_path: Path) -> None:
    # Signature verification (cryptography), process pools (multiprocessing), URL handling
    # (urllib.request), zipped bundles (zipfile), importlib.resources (which loads zipfile,
    # tempfile and shutil) and the reports are imported on first use: a flow without
    # signatures, validated alone, starts faster without them.
    flow = tmp_path / "flow.xml"
    flow.write_bytes(build_flow(FlowSpec(seed=1, depense=1)))
    script = textwrap.dedent(
        """
        import sys
        import pes_v2
        report = pes_v2.validate(sys.argv[1], schemas="embedded")
        assert not [f for f in report.findings if f.severity.value == "error"], report.findings
        heavy = (
            "cryptography",
            "multiprocessing",
            "urllib.request",
            "zipfile",
            "tempfile",
            "importlib.resources",
            "pes_v2.reporting",
            "pes_v2.ack",
        )
        print(",".join(m for m in heavy if m in sys.modules))
        """
    )
    done = subprocess.run(  # from tmp_path: "-c" puts the working directory on sys.path
        [sys.executable, "-c", script, str(flow)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_the_command_line_loads_the_generator_only_for_generate(tmp_path: Path) -> None:
    # ``generate`` needs the test helpers and cryptography's X.509 module, the HTML report
    # its writer, the PES_ACQUIT commands the ACK module: the others do not pay for them.
    flow = tmp_path / "flow.xml"
    flow.write_bytes(build_flow(FlowSpec(seed=1, depense=1)))
    script = textwrap.dedent(
        """
        import sys
        from pes_v2.cli.main import cli
        try:
            cli.main(sys.argv[1:], standalone_mode=False)
        finally:
            heavy = (
                "cryptography",
                "pes_v2.testing",
                "pes_v2.cli.generate",
                "pes_v2.ack",
                "pes_v2.reporting.html",
            )
            print("loaded:" + ",".join(m for m in heavy if m in sys.modules))
        """
    )

    def loaded(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, *args],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
        )
        marked = [line for line in done.stdout.splitlines() if line.startswith("loaded:")]
        assert marked, done.stderr
        return marked[-1].removeprefix("loaded:")

    assert loaded("validate", "--schemas", "embedded", str(flow)) == ""
    assert loaded("info", str(flow)) == ""
    # Each report format and ``ack`` load what they need, and only they do.
    assert loaded("validate", "--schemas", "embedded", "--format", "html", str(flow)) == (
        "pes_v2.reporting.html"
    )
    acquit = tmp_path / "flow.acquit.xml"
    as_acquit = ("--format", "acquit", "-o", str(acquit))
    assert loaded("validate", "--schemas", "embedded", *as_acquit, str(flow)) == "pes_v2.ack"
    assert loaded("ack", "--schemas", "embedded", str(acquit)) == "pes_v2.ack"
    assert loaded("generate", "--seed", "1", "--out", str(tmp_path / "out.xml")) == (
        "cryptography,pes_v2.testing,pes_v2.cli.generate"
    )
    assert (tmp_path / "out.xml").stat().st_size > 1000
