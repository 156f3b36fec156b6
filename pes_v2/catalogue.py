"""The rule catalogue as text, JSON or Markdown (docs/rules.md is generated from it)."""

from __future__ import annotations

import json

from .rules import all_rules, load

FORMATS = ("text", "json", "md")

_HEADER = """# Rule catalogue

Generated from the rule registry by `pes-v2 rules --format md`; do not edit by hand (a test
fails when this file is stale). Ids are stable: once released, an id never changes meaning.

- **Severity**: only `error` makes a flow invalid.
- **ACK**: the `NumAnoAck` code Hélios would answer with.
- **Rejects**: what Hélios rejects — the whole flow (`flux`), that bordereau, that PJ, or nothing.
- **Profiles**: `default` runs everywhere; `strict` adds vendor-lint warnings.
- **Context**: the key of the context file (`--context`) giving the Hélios-side facts the rule
  needs; without it the rule is reported once as not checked.

| Id | Title | Severity | Scope | ACK | Rejects | Profiles | Context | Source |
|---|---|---|---|---|---|---|---|---|
"""


def render_catalogue(fmt: str = "text", lang: str = "fr") -> str:
    """Every rule, sorted by id, in ``fmt`` (``text``, ``json`` or ``md``)."""
    load()
    rules = list(all_rules())
    if fmt == "json":
        entries = [
            {**r.as_dict(), "message": {"fr": r.message_fr, "en": r.message_en}} for r in rules
        ]
        data = {"format": "pes-v2/rules", "version": 1, "rules": entries}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if fmt == "md":
        rows = [
            f"| `{r.id}` | {r.title_en} — *{r.title_fr}* | {r.severity.value} | {r.scope.value} "
            f"| {r.ack or '—'} | {r.rejects} | {', '.join(r.profiles)} "
            f"| {', '.join(f'`{key}`' for key in r.context_keys)} | {r.source} |"
            for r in rules
        ]
        return _HEADER + "\n".join(rows) + "\n"
    width = max(len(r.id) for r in rules)
    return "".join(
        f"{r.id:<{width}}  {r.severity.value:<7}  {r.scope.value:<9}  {r.ack or '-':<34}  "
        f"{r.title(lang)}\n"
        for r in rules
    )
