"""Write the curated generated fixtures and their manifest entries.

Usage: ``python -m pes_v2.testing.fixtures FIXTURES_DIR``. Writes ``valid/gen-*.xml`` and
``invalid/<domain>/gen-<mutation>.xml`` and updates ``manifest.json`` in place: entries
whose path starts with ``valid/gen-`` or ``invalid/*/gen-`` are replaced, others kept.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .. import rules
from .builder import FlowSpec, build_flow
from .mutations import MUTATIONS, MutationResult, mutate

rules.load()
DECLARED = {rule.id for rule in rules.all_rules()}
get_rule = rules.get

__all__ = ["VALID", "write_fixtures"]

VALID: dict[str, tuple[FlowSpec, str]] = {
    "gen-depense.xml": (
        FlowSpec(seed=1, depense=2, pieces=3, lines=2),
        "Generated dépense flow: 2 bordereaux, 3 mandats of 2 lines each.",
    ),
    "gen-recette.xml": (
        FlowSpec(seed=2, depense=0, recette=2, pieces=2, lines=2),
        "Generated recette flow: 2 bordereaux, 2 titres of 2 lines each.",
    ),
    "gen-mixed-pj.xml": (
        FlowSpec(seed=3, depense=2, recette=2, pieces=2, lines=2, pj=3, pj_size=1500),
        "Generated mixed flow: dépense, recette and 3 gzip+base64 PJ referenced by PJRef.",
    ),
}
MUTATION_BASE = FlowSpec(seed=4, depense=2, recette=1, pieces=2, lines=2, pj=2, pj_size=1200)
"""The flow the mutation fixtures start from."""
RICH_BASE = FlowSpec(seed=13, depense=1, recette=3, pieces=3, lines=2, pj=4, pj_size=600)
"""The flow of the mutations that find no target in :data:`MUTATION_BASE` (e.g. a natural
person's Civilite)."""

_DOMAINS = {
    "xsd": "xsd",
    "bic": "bank",
    "iban": "bank",
    "siret": "header",
    "header": "header",
    "totals": "totals",
    "ids": "ids",
    "pj": "pj",
    "lint": "lint",
}


def _is_ours(path: str) -> bool:
    parts = path.split("/")
    return parts[-1].startswith("gen-") and parts[0] in ("valid", "invalid")


def write_fixtures(root: Path) -> list[dict[str, Any]]:
    """Write every generated fixture under ``root`` and merge them into its manifest."""
    entries: list[dict[str, Any]] = []
    (root / "valid").mkdir(parents=True, exist_ok=True)
    for name, (spec, description) in VALID.items():
        (root / "valid" / name).write_bytes(build_flow(spec))
        entries.append({"path": f"valid/{name}", "description": description, "rules": []})
    bases = (build_flow(MUTATION_BASE), build_flow(RICH_BASE))
    for name, mutation in MUTATIONS.items():
        res = _first_applicable(bases, name)
        domain = _DOMAINS.get(name.split(".")[0], name.split(".")[0])
        rel = f"invalid/{domain}/gen-{name}.xml"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(res.data)
        entry: dict[str, Any] = {
            "path": rel,
            "description": f"{name}: {mutation.description} Fault at {res.xpath}.",
            "rules": [mutation.rule, *mutation.also],
        }
        if res.context is not None:
            entry["context"] = dict(res.context)  # Hélios-side facts the rule needs
        if mutation.rule in DECLARED and "default" not in get_rule(mutation.rule).profiles:
            entry["profile"] = "strict"  # vendor lint: reported by --profile strict only
        entries.append(entry)
    manifest_path = root / "manifest.json"
    manifest: dict[str, Any] = (
        json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {}
    )
    manifest.setdefault("format", "pes-v2/fixtures")
    manifest.setdefault("version", 1)
    kept = [e for e in manifest.get("files", []) if not _is_ours(e["path"])]
    manifest["files"] = kept + entries
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return entries


def _first_applicable(bases: tuple[bytes, ...], name: str) -> MutationResult:
    for base in bases[:-1]:
        try:
            return mutate(base, name, seed=0)
        except ValueError:
            continue
    return mutate(bases[-1], name, seed=0)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m pes_v2.testing.fixtures FIXTURES_DIR", file=sys.stderr)
        return 2
    entries = write_fixtures(Path(args[0]))
    print(f"{len(entries)} generated fixtures written under {args[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
