"""The rules' XPath probes, evaluated by compiled code when the expression allows it.

The business rules ask each bordereau a few dozen precompiled XPath questions ("every IBAN
value", "is there a natural person without a first name"). libxml2 answers each through its
general XPath machinery, node-sets and all, which costs ≈ 20–100 µs a probe on a bordereau
of 60 lines, while reading the nodes concerned costs a few microseconds.

:func:`probe` reads the expression; when it lies in the subset below, the probe is
evaluated by the small C extension ``pes_v2._probes`` (built at install time) walking the
libxml2 tree behind the lxml element directly. Otherwise, when the extension is missing,
or with ``PES_V2_NATIVE_PROBES=0`` in the environment, lxml's ``etree.XPath`` answers, as
it would have anyway. Both give the same result; the tests compare them on generated trees.

The subset (enough for every probe of the rules):

- a relative path of child steps by name (no namespace), each with predicates, and
  optionally a last ``@name`` step; inside ``boolean()`` and predicates, also ``a//b``
  (descendants by name, without predicates);
- predicates: ``[1]``, and boolean expressions made of paths (true when they reach a
  node), ``not()``, ``boolean()``, ``and``, ``or``, parentheses, ``path = 'literal'`` and
  ``path != 'literal'`` where the path ends with an attribute, and ``=`` / ``!=`` between
  two booleans;
- at the top: ``boolean(expression)``, ``count(path)``, or a path ending with an attribute
  step (its values as plain strings: ``smart_strings=False``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

from lxml import etree

_native: ModuleType | None
try:
    from . import _probes as _native
except ImportError:  # built without a C compiler: lxml's XPath answers every probe
    _native = None

FIRST, EXISTS, EQUALS, SAME, AND, OR, NOT = range(7)
"""Predicate kinds, as ``_probes.c`` knows them."""
_MAX_PREDICATES = 8
"""Predicates one step may carry in a plan (``MAX_PREDICATES`` in ``_probes.c``)."""

_TOKEN = re.compile(
    r"\s*(?:(?P<literal>'[^']*'|\"[^\"]*\")|(?P<number>\d+(?:\.\d*)?|\.\d+)"
    r"|(?P<name>[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?)"
    r"|(?P<symbol>!=|//|::|\.\.|[/@\[\]()=|.*,<>+\-$]))"
)


class Unsupported(Exception):
    """The expression lies outside the compiled subset."""


def native_available() -> bool:
    """Whether the compiled evaluator is built and not turned off."""
    return _native is not None and os.environ.get("PES_V2_NATIVE_PROBES") != "0"


class Probe:
    """A precompiled probe: called with an lxml element, it returns what
    ``etree.XPath(expression)`` returns (with ``smart_strings=False`` for values)."""

    __slots__ = ("_fallback", "_native", "_plan", "_slow", "path")

    def __init__(
        self,
        path: str,
        native: Callable[[Any, Any], Any],
        plan: Any,
        fallback: Callable[[], Callable[[Any], Any]] | None = None,
    ) -> None:
        self.path = path
        self._native = native
        self._plan = plan
        self._fallback = fallback or (lambda: etree.XPath(path, regexp=False, smart_strings=False))
        self._slow: Callable[[Any], Any] | None = None

    def __call__(self, element: Any) -> Any:
        try:
            return self._native(element, self._plan)
        except (TypeError, ValueError):
            # Not an lxml element, or a value that is not plain text: libxml2's XPath.
            if self._slow is None:
                self._slow = self._fallback()
            return self._slow(element)

    def __repr__(self) -> str:
        return f"Probe({self.path!r})"


def probe(expression: str, smart_strings: bool = True) -> Callable[[Any], Any]:
    """``expression`` precompiled: a compiled :class:`Probe` when it lies in the subset and
    the extension is available, else ``etree.XPath`` (without EXSLT regular expressions)."""
    if native_available():
        try:
            kind, plan = translate(expression)
        except Unsupported:
            pass
        else:
            if kind != "values" or not smart_strings:
                assert _native is not None
                return Probe(expression, getattr(_native, kind), plan)
    xpath: Callable[[Any], Any] = etree.XPath(expression, regexp=False, smart_strings=smart_strings)
    return xpath


class GroupProbe(Probe):
    """A compiled :func:`grouped` probe."""

    __slots__ = ("head", "tails")

    def __init__(self, head: str, tails: tuple[str, ...], plan: Any, fallback: Any) -> None:
        assert _native is not None
        super().__init__(f"{head} → {' ; '.join(tails)}", _native.groups, plan, fallback)
        self.head = head
        self.tails = tails


def grouped(head: str, *tails: str) -> Callable[[Any], list[tuple[list[str], ...]]]:
    """For each element ``head`` reaches, the values of each of ``tails`` below it, as
    ``[tuple(XPath(tail)(node) for tail in tails) for node in XPath(head)(element)]``
    (plain strings) gives; ``head`` leads to elements, each tail to an attribute."""

    def slow() -> Callable[[Any], list[tuple[list[str], ...]]]:
        heads = etree.XPath(head, regexp=False)
        below = [etree.XPath(tail, regexp=False, smart_strings=False) for tail in tails]
        return lambda element: [tuple(t(node) for t in below) for node in heads(element)]

    if native_available():
        try:
            plan = (translate_path(head, attribute=False), tuple(translate_path(t) for t in tails))
        except Unsupported:
            pass
        else:
            return GroupProbe(head, tails, plan, slow)
    return slow()


def translate_path(expression: str, attribute: bool = True) -> tuple[Any, ...]:
    """The plan of a path ending with an attribute step (or, with ``attribute=False``, with
    an element step); raises :class:`Unsupported` outside the subset."""
    parser = _Parser(expression)
    plan = parser.path(descendants=False)
    parser.end()
    if plan[-1][1] != attribute:
        raise Unsupported("a path to elements" if attribute else "a path to attributes")
    return plan


def translate(expression: str) -> tuple[str, Any]:
    """The plan of ``expression`` and the evaluator it needs (``values``, ``count`` or
    ``holds``); raises :class:`Unsupported` outside the subset."""
    parser = _Parser(expression)
    if parser.at_call("boolean"):
        parser.take("boolean")
        parser.take("(")
        kind, plan = "holds", _as_boolean(parser.expression())
        parser.take(")")
    elif parser.at_call("count"):
        parser.take("count")
        parser.take("(")
        kind, plan = "count", parser.path(descendants=False)
        parser.take(")")
    else:
        plan = parser.path(descendants=False)
        if not plan[-1][1]:
            raise Unsupported("a path to elements (lxml builds their proxies)")
        kind = "values"
    parser.end()
    return kind, plan


class _Parser:
    """Recursive descent over the tokens of one expression."""

    def __init__(self, expression: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(expression):
            if expression[position:].strip() == "":
                break
            found = _TOKEN.match(expression, position)
            if found is None or found.lastgroup is None:
                raise Unsupported(f"unexpected text at {position}")
            self.tokens.append((found.lastgroup, found.group(found.lastgroup)))
            position = found.end()
        self.index = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        at = self.index + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def at(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token[1] == text

    def at_call(self, name: str) -> bool:
        following = self.peek(1)
        return self.at(name) and following is not None and following[1] == "("

    def take(self, text: str) -> None:
        if not self.at(text):
            raise Unsupported(f"expected {text!r}")
        self.index += 1

    def end(self) -> None:
        if self.peek() is not None:
            raise Unsupported("unexpected text after the expression")

    def expression(self) -> tuple[str, Any]:
        """An or-expression, as a typed operand."""
        return self._chain("or", OR, self.conjunction)

    def conjunction(self) -> tuple[str, Any]:
        return self._chain("and", AND, self.equality)

    def _chain(
        self, keyword: str, kind: int, operand: Callable[[], tuple[str, Any]]
    ) -> tuple[str, Any]:
        """Operands joined by ``keyword`` (``or``, ``and``), from the left."""
        left = operand()
        while self.at(keyword):
            self.take(keyword)
            left = ("boolean", (kind, _as_boolean(left), _as_boolean(operand())))
        return left

    def equality(self) -> tuple[str, Any]:
        left = self.operand()
        if not (self.at("=") or self.at("!=")):
            return left
        negated = self.at("!=")
        self.index += 1
        right = self.operand()
        if left[0] == "literal":
            left, right = right, left
        if right[0] == "literal":
            if left[0] != "path" or not left[1][-1][1]:
                raise Unsupported("only attribute values are compared with a literal")
            literal = right[1].encode("utf-8")
            return ("boolean", (EQUALS, left[1], literal, negated))
        if "number" in (left[0], right[0]) or left[0] == right[0] == "path":
            raise Unsupported("numbers and node-sets are compared by value")
        return ("boolean", (SAME, _as_boolean(left), _as_boolean(right), negated))

    def operand(self) -> tuple[str, Any]:
        token = self.peek()
        if token is None:
            raise Unsupported("the expression ends too early")
        kind, text = token
        if kind == "literal":
            self.index += 1
            return ("literal", text[1:-1])
        if kind == "number":
            self.index += 1
            return ("number", text)
        if text == "(":
            self.take("(")
            inner = self.expression()
            self.take(")")
            return inner
        if self.at_call("not") or self.at_call("boolean"):
            self.index += 1
            self.take("(")
            inner = _as_boolean(self.expression())
            self.take(")")
            return ("boolean", (NOT, inner) if text == "not" else inner)
        return ("path", self.path())

    def path(self, descendants: bool = True) -> tuple[Any, ...]:
        """A relative path; ``//`` only where ``descendants`` allows it: where reaching a
        node twice, or out of document order, cannot change the result."""
        steps = [self.step(descendant=False)]
        while self.at("/") or self.at("//"):
            descendant = self.at("//")
            if steps[-1][1]:
                raise Unsupported("a step after an attribute")
            if descendant and not descendants:
                raise Unsupported("a descendant step where nodes are counted or listed")
            self.index += 1
            steps.append(self.step(descendant))
        return tuple(steps)

    def step(self, descendant: bool) -> tuple[bytes, bool, tuple[Any, ...], bool]:
        attribute = self.at("@")
        if attribute:
            self.take("@")
        token = self.peek()
        if token is None or token[0] != "name" or ":" in token[1]:
            raise Unsupported("a name test without a prefix is expected")
        following = self.peek(1)
        if following is not None and following[1] in ("(", "::"):
            raise Unsupported("a function or an axis")
        self.index += 1
        name = token[1].encode("utf-8")
        predicates: list[Any] = []
        while self.at("["):
            if attribute:
                raise Unsupported("a predicate on an attribute")
            self.take("[")
            if self.peek() == ("number", "1") and self.peek(1) == ("symbol", "]"):
                self.index += 1
                predicates.append((FIRST,))
            else:
                predicates.append(_as_boolean(self.expression()))
            self.take("]")
        if len(predicates) > _MAX_PREDICATES:
            raise Unsupported("too many predicates on one step")
        if descendant and (attribute or predicates):
            raise Unsupported("an attribute or a predicate after //")
        return (name, attribute, tuple(predicates), descendant)


def _as_boolean(operand: tuple[str, Any]) -> Any:
    """The operand as a predicate (a path is true when it reaches a node)."""
    kind, value = operand
    if kind == "boolean":
        return value
    if kind == "path":
        return (EXISTS, value)
    raise Unsupported(f"a {kind} used as a boolean")
