"""``pes-v2 generate``: flows on stdout or in a file, one-line errors for what it cannot do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import pes_v2
from pes_v2.cli.main import cli


def run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(cli, ["generate", *args])
    return result.exit_code, result.stdout_bytes, result.stderr


def test_a_generated_flow_is_valid_and_the_same_for_the_same_seed(tmp_path: Path) -> None:
    code, data, _ = run("--seed", "3", "--pj", "1")
    assert code == 0 and pes_v2.validate(data, schemas="embedded").valid
    target = tmp_path / "flow.xml"
    assert run("--seed", "3", "--pj", "1", "-o", str(target))[0] == 0
    assert target.read_bytes() == data


def test_a_mutation_says_which_rule_it_breaks() -> None:
    code, data, err = run("--mutate", "iban.bad_checksum")
    assert code == 0 and err.startswith("iban.bad_checksum: PES-BNK-001 at /n:PES_Aller/")
    assert "PES-BNK-001" in {f.rule for f in pes_v2.validate(data, schemas="embedded").findings}


@pytest.mark.parametrize("mutation", [None, "flow.empty"])
def test_an_output_that_cannot_be_written_is_a_one_line_error(
    tmp_path: Path, mutation: str | None
) -> None:
    """A missing folder or a full device raised OSError, a traceback with exit 1."""
    extra = ["--mutate", mutation] if mutation else []
    code, _, err = run(*extra, "-o", str(tmp_path / "missing" / "flow.xml"))
    assert code == 2 and err.startswith("pes-v2 : erreur : ") and "écriture impossible" in err
    assert err.count("\n") == 1
    if os.path.exists("/dev/full"):
        code, _, err = run(*extra, "-o", "/dev/full")
        assert code == 2 and "écriture impossible (No space left on device)" in err


@pytest.mark.parametrize(("option", "value"), [("--target-mb", "inf"), ("--pj-size", "9" * 12)])
def test_sizes_without_bound_are_refused(option: str, value: str) -> None:
    """``--target-mb inf`` raised OverflowError; a 1 TB PJ ran for minutes."""
    code, data, err = run(option, value)
    assert code == 2 and data == b"" and "Invalid value" in err


def test_ctrl_c_exits_130_with_one_line(tmp_path: Path) -> None:
    """Click answered "Aborted!" and exit 1, the code of a flow with an error."""
    import signal
    import subprocess
    import sys
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "pes_v2.cli", "generate", "--target-mb", "200"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=tmp_path,  # not the checkout, whose pes_v2 folder holds no cli package
    )
    time.sleep(2)  # started, and writing
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err == b"pes-v2 : erreur : interrompu\n"
