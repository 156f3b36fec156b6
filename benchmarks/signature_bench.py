"""Signature verification cost: pes-v2 against ``xmlsec1 --verify`` on the same signatures.

Builds a flow of N signed bordereaux (default 1,000) with the test PKI, then times:

- pes-v2: the whole validation (embedded XSD + every rule) minus the same validation with
  the signature rules' work skipped (``rules=False`` timing is not enough, since other
  rules also cost), measured as: validate(signed) - validate(same flow, unsigned);
- xmlsec1: one process verifying the N signatures, each as a standalone document holding
  the signed Bordereau (``xmlsec1 --verify`` accepts many files per run), so that process
  start-up is paid once.

Usage: ``python benchmarks/signature_bench.py [N]``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

import pes_v2
from pes_v2.signatures import algorithms as A
from pes_v2.signatures import verify_bytes
from pes_v2.testing import FlowSpec, build_flow
from pes_v2.testing.signing import DgfipSigner, test_pki


def _timed(func: object, *args: object) -> float:
    start = time.perf_counter()
    func(*args)  # type: ignore[operator]
    return time.perf_counter() - start


def _validate(data: bytes) -> None:
    pes_v2.validate(data, schemas="embedded")


def main(count: int = 1000) -> None:
    pki = test_pki()
    signer = DgfipSigner.for_pki(pki)
    base = {"seed": 1, "depense": count, "pieces": 2, "lines": 2}
    signed = build_flow(FlowSpec(**base, signed=True, signer=signer))  # type: ignore[arg-type]
    unsigned = build_flow(FlowSpec(**base))  # type: ignore[arg-type]
    print(f"flow: {count} signed bordereaux, {len(signed) / 1e6:.1f} MB")
    t_signed = min(_timed(_validate, signed) for _ in range(3))
    t_unsigned = min(_timed(_validate, unsigned) for _ in range(3))
    t_pes = t_signed - t_unsigned
    t_dom = min(_timed(verify_bytes, signed) for _ in range(3))
    print(f"pes-v2 validate signed:   {t_signed:.2f} s")
    print(f"pes-v2 validate unsigned: {t_unsigned:.2f} s")
    print(f"pes-v2 signature cost:    {t_pes:.2f} s ({1000 * t_pes / count:.2f} ms/signature)")
    print(f"pes-v2 DOM verify_bytes:  {t_dom:.2f} s")
    xmlsec1 = shutil.which("xmlsec1")
    if xmlsec1 is None:
        print("xmlsec1 not installed: no comparison")
        return
    root = etree.fromstring(signed, etree.XMLParser(huge_tree=True))
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, bord in enumerate(root.iter("Bordereau")):
            path = Path(tmp) / f"b{i:05d}.xml"
            path.write_bytes(etree.tostring(bord, encoding="ISO-8859-1"))
            paths.append(str(path))
        trusted = Path(tmp) / "root.pem"
        trusted.write_bytes(pki.root.cert_pem())
        cmd = [xmlsec1, "--verify", "--trusted-pem", str(trusted), "--id-attr:Id", "Bordereau"]
        cmd += ["--id-attr:Id", f"{A.XADES_111}:SignedProperties", *paths]
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, check=False)
        t_x = time.perf_counter() - start
        ok = done.stderr.count(b"\nOK") + done.stderr.startswith(b"OK")
        print(f"xmlsec1 --verify ({ok}/{count} OK): {t_x:.2f} s")
    print(f"ratio pes-v2 signature cost / xmlsec1: {t_pes / t_x:.2f}x")
    print(f"ratio pes-v2 DOM verify / xmlsec1:     {t_dom / t_x:.2f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
