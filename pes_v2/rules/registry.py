"""The rule catalogue: one explicit registry of every check pes-v2 can report.

A rule is declared once with :func:`declare` (metadata only, for checks the engine itself
performs, such as reading or XSD validation) or with the :func:`rule` decorator on the
function that implements it.  Ids are stable: once released, an id never changes meaning.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..findings import DETAIL_LIMIT, MESSAGE_PART_LIMIT, Finding, Scope, Severity, truncate

LANGS = ("fr", "en")


@dataclass(frozen=True)
class Rule:
    """Metadata of one rule, as the catalogue shows it."""

    id: str
    title_fr: str
    title_en: str
    message_fr: str
    """French message template (``str.format`` fields filled from the finding's parameters)."""
    message_en: str
    severity: Severity
    scope: Scope
    ack: str | None
    """Hélios ``NumAnoAck`` code predicted, or None when Hélios would not react."""
    rejects: str
    """What Hélios rejects: ``flux``, ``bordereau``, ``pj`` or ``none``."""
    source: str
    profiles: tuple[str, ...] = ("default", "strict")
    on: str | None = None
    """Where the check runs: ``header``, ``bordereau``, ``pj``, ``flow``… (None: engine-run)."""
    context_keys: tuple[str, ...] = ()
    """The context keys (Hélios-side facts, ``--context``) the check needs; without any of
    them it does not run, and says so once."""
    check: Callable[..., Any] | None = None

    @property
    def needs_context(self) -> bool:
        return bool(self.context_keys)

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_fr

    def message(self, lang: str, **params: object) -> str:
        template = self.message_en if lang == "en" else self.message_fr
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            return template

    def finding(
        self,
        lang: str = "fr",
        *,
        line: int | None = None,
        column: int | None = None,
        xpath: str | None = None,
        value: str | None = None,
        bordereau: str | None = None,
        piece: str | None = None,
        ligne: str | None = None,
        detail: str | None = None,
        severity: Severity | None = None,
        **params: object,
    ) -> Finding:
        """Build a finding of this rule; ``params`` fill the message template (each text
        shortened to :data:`MESSAGE_PART_LIMIT` characters)."""
        for name, param in params.items():
            if isinstance(param, str):
                params[name] = truncate(param, MESSAGE_PART_LIMIT)
        return Finding(
            rule=self.id,
            severity=severity or self.severity,
            message=self.message(lang, value=truncate(value, 60), **params),
            scope=self.scope,
            line=line,
            column=column,
            xpath=xpath,
            ack=self.ack,
            value=truncate(value),
            bordereau=bordereau,
            piece=piece,
            ligne=ligne,
            detail=truncate(detail, DETAIL_LIMIT),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": {"fr": self.title_fr, "en": self.title_en},
            "severity": self.severity.value,
            "scope": self.scope.value,
            "ack": self.ack,
            "rejects": self.rejects,
            "source": self.source,
            "profiles": list(self.profiles),
            "on": self.on,
            "needs_context": self.needs_context,
            "context_keys": list(self.context_keys),
        }


_RULES: dict[str, Rule] = {}
_CHECKS: dict[tuple[str, str], tuple[Rule, ...]] = {}
"""``checks_on`` answers, cleared whenever a rule is declared."""


def declare(
    id: str,
    *,
    title: tuple[str, str],
    message: tuple[str, str],
    severity: Severity,
    scope: Scope,
    ack: str | None,
    rejects: str,
    source: str,
    profiles: tuple[str, ...] = ("default", "strict"),
    on: str | None = None,
    context_keys: tuple[str, ...] = (),
    check: Callable[..., Any] | None = None,
) -> Rule:
    """Add a rule to the catalogue; the id must be new."""
    if id in _RULES:
        raise ValueError(f"rule {id} declared twice")
    entry = Rule(
        id=id,
        title_fr=title[0],
        title_en=title[1],
        message_fr=message[0],
        message_en=message[1],
        severity=severity,
        scope=scope,
        ack=ack,
        rejects=rejects,
        source=source,
        profiles=profiles,
        on=on,
        context_keys=context_keys,
        check=check,
    )
    _RULES[id] = entry
    _CHECKS.clear()
    return entry


def rule(id: str, **meta: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register ``func`` as the implementation of rule ``id``."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        func.rule = declare(id, check=func, **meta)  # type: ignore[attr-defined]
        return func

    return register


def checks_on(record: str, profile: str) -> tuple[Rule, ...]:
    """The rules with a check function that run on ``record`` in ``profile``, by id."""
    key = (record, profile)
    checks = _CHECKS.get(key)
    if checks is None:
        checks = _CHECKS[key] = tuple(
            r
            for r in all_rules()
            if r.on == record and r.check is not None and profile in r.profiles
        )
    return checks


def get(rule_id: str) -> Rule:
    """The rule with this id (KeyError when unknown)."""
    return _RULES[rule_id]


def all_rules() -> Iterator[Rule]:
    """Every rule, sorted by id."""
    yield from sorted(_RULES.values(), key=lambda r: r.id)
