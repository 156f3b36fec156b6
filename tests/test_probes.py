"""The compiled probes give what libxml2's XPath gives, expression by expression."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from pes_v2 import probes
from pes_v2.rules import bank, depense, pj, recette, tiers, totals, uniqueness

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REFERENCE = etree.XPath  # what every compiled probe must agree with


def _require_native() -> None:
    if probes._native is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI: the compiled probes (pes_v2._probes) were not built", pytrace=False)
        pytest.skip("pes_v2._probes is not built here (no C compiler at install time)")


def _rule_probes() -> tuple[list[str], list[probes.GroupProbe]]:
    """The expression of every XPath probe the rules' modules hold, and their grouped
    probes (compiled ones only: without the extension they are lxml's XPath already)."""
    found: set[str] = set()
    groups: list[probes.GroupProbe] = []
    for module in (bank, depense, pj, recette, tiers, totals, uniqueness):
        for value in vars(module).values():
            candidates = value.values() if isinstance(value, dict) else (value,)
            for candidate in candidates:
                if isinstance(candidate, probes.GroupProbe):
                    groups.append(candidate)
                elif isinstance(candidate, probes.Probe | etree.XPath):
                    found.add(candidate.path)
    return sorted(found), groups


RULE_EXPRESSIONS, RULE_GROUPS = _rule_probes()


def _compiled(expression: str) -> probes.Probe:
    kind, plan = probes.translate(expression)
    assert probes._native is not None
    return probes.Probe(expression, getattr(probes._native, kind), plan)


def _same(expression: str, contexts: list[etree._Element]) -> None:
    compiled = _compiled(expression)
    reference = REFERENCE(expression, smart_strings=False)
    for context in contexts:
        try:
            expected = reference(context)
        except ValueError:  # lxml's XPath takes elements only, not comments
            with pytest.raises(ValueError):
                compiled(context)
            continue
        got = compiled(context)
        assert got == expected and type(got) is type(expected), (expression, context)


def _records(path: Path) -> list[etree._Element]:
    """The bordereaux, pieces and PJ of a flow (none when it does not parse: some fixtures
    and corpus files are broken on purpose)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except (etree.XMLSyntaxError, OSError):
        return []
    return list(root.iter("Bordereau", "PJ", "Piece"))


def test_the_rules_hottest_probes_are_compiled() -> None:
    """Every rule probe with a plain path, a count or a boolean lies in the subset; those
    left to lxml are the unions, the descendant axis and the paths to elements."""
    _require_native()
    left = []
    for expression in RULE_EXPRESSIONS:
        try:
            probes.translate(expression)
        except probes.Unsupported:
            left.append(expression)
    assert RULE_EXPRESSIONS and len(left) < len(RULE_EXPRESSIONS) / 3
    for expression in left:
        assert "|" in expression or "//" in expression or "@" not in expression.split("/")[-1]


def _records_under(folder: Path) -> list[etree._Element]:
    return [record for path in sorted(folder.rglob("*.xml")) for record in _records(path)]


def _compiled_rule_expressions() -> Iterator[str]:
    for expression in RULE_EXPRESSIONS:
        try:
            probes.translate(expression)
        except probes.Unsupported:
            continue
        yield expression


def test_rule_probes_agree_with_xpath_on_every_fixture() -> None:
    """The fixtures hold a flow per mutation: each rule's probe meets the case it is for."""
    _require_native()
    contexts = _records_under(FIXTURES)
    assert len(contexts) > 100
    for expression in _compiled_rule_expressions():
        _same(expression, contexts)


def _same_groups(head: str, tails: tuple[str, ...], contexts: list[etree._Element]) -> None:
    compiled = probes.grouped(head, *tails)
    assert isinstance(compiled, probes.GroupProbe)
    heads = REFERENCE(head)
    below = [REFERENCE(tail, smart_strings=False) for tail in tails]
    for context in contexts:
        try:
            expected = [tuple(t(node) for t in below) for node in heads(context)]
        except ValueError:  # not an element
            with pytest.raises(ValueError):
                compiled(context)
            continue
        assert compiled(context) == expected, (head, tails, context)


def test_rule_groups_agree_with_xpath_on_every_fixture() -> None:
    _require_native()
    assert RULE_GROUPS
    contexts = _records_under(FIXTURES)
    for group in RULE_GROUPS:
        _same_groups(group.head, group.tails, contexts)


def test_rule_probes_agree_with_xpath_on_the_corpus(shared_reference: Path) -> None:
    _require_native()
    contexts = _records_under(shared_reference / "corpus")
    assert contexts
    for expression in _compiled_rule_expressions():
        _same(expression, contexts)
    for group in RULE_GROUPS:
        _same_groups(group.head, group.tails, contexts)


# Random trees over a small vocabulary, and random expressions of the subset over it.

NAMES = ("a", "b", "c")
VALUES = ("", "01", "1", "x", " 01", "é")


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> etree._Element:
    """An element with random children, attributes, text, comments and namespaces."""
    name = draw(st.sampled_from(NAMES))
    element = etree.Element(draw(st.sampled_from((name, name, name, f"{{urn:x}}{name}"))))
    for attribute, weight in (("V", 3), ("W", 1), ("{urn:x}V", 1)):
        if draw(st.integers(0, 3)) < weight:
            element.set(attribute, draw(st.sampled_from(VALUES)))
    if depth < 4:
        for _ in range(draw(st.integers(0, 5 - depth))):
            kind = draw(st.integers(0, 9))
            if kind == 0:
                element.append(etree.Comment("c"))
            elif kind == 1:
                element.append(etree.ProcessingInstruction("p", "q"))
            else:
                element.append(draw(trees(depth + 1)))
    element.text = draw(st.sampled_from((None, "t", "01")))
    return element


def _steps(with_predicates: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    step = st.tuples(
        st.sampled_from(NAMES),
        st.lists(st.one_of(st.just("[1]"), with_predicates.map(lambda p: f"[{p}]")), max_size=2),
    ).map(lambda t: t[0] + "".join(t[1]))
    return st.lists(step, min_size=1, max_size=3).map("/".join)


def _expressions() -> tuple[st.SearchStrategy[str], st.SearchStrategy[str]]:
    """(boolean expressions, paths ending with an attribute) of the subset."""

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        paths = _steps(inner)
        attributes = st.one_of(
            st.sampled_from(("@V", "@W")),
            st.tuples(paths, st.sampled_from(("@V", "@W"))).map("/".join),
        )
        literal = st.sampled_from(VALUES).map(lambda v: f"'{v}'")
        operator = st.sampled_from(("=", "!="))
        descendants = st.tuples(paths, st.sampled_from(NAMES), st.none() | paths).map(
            lambda t: f"{t[0]}//{t[1]}" + (f"/{t[2]}" if t[2] else "")
        )
        return st.one_of(
            paths,
            descendants,
            st.tuples(descendants, st.sampled_from(("@V", "@W")), operator, literal).map(
                lambda t: f"{t[0]}/{t[1]} {t[2]} {t[3]}"
            ),
            inner.map(lambda e: f"not({e})"),
            inner.map(lambda e: f"boolean({e})"),
            inner.map(lambda e: f"({e})"),
            st.tuples(inner, st.sampled_from(("and", "or")), inner).map(" ".join),
            st.tuples(attributes, operator, literal).map(" ".join),
            st.tuples(literal, operator, attributes).map(" ".join),
            st.tuples(inner, operator, inner).map(lambda t: f"boolean({t[0]}) {t[1]} ({t[2]})"),
        )

    booleans = st.recursive(_steps(st.nothing()), extend, max_leaves=6)
    attribute_paths = st.tuples(_steps(booleans), st.sampled_from(("@V", "@W"))).map("/".join)
    return booleans, attribute_paths


BOOLEANS, ATTRIBUTE_PATHS = _expressions()
TOP_LEVEL = st.one_of(
    BOOLEANS.map(lambda e: f"boolean({e})"),
    _steps(BOOLEANS).map(lambda p: f"count({p})"),
    ATTRIBUTE_PATHS.map(lambda p: f"count({p})"),
    ATTRIBUTE_PATHS,
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(), expression=TOP_LEVEL)
def test_random_expressions_agree_with_xpath(tree: etree._Element, expression: str) -> None:
    _require_native()
    contexts = [tree, *tree.iter()]  # elements, comments and processing instructions
    _same(expression, contexts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    tree=trees(),
    head=_steps(BOOLEANS),
    tails=st.lists(ATTRIBUTE_PATHS | st.sampled_from(("@V", "@W")), min_size=1, max_size=3),
)
def test_random_groups_agree_with_xpath(tree: etree._Element, head: str, tails: list[str]) -> None:
    _require_native()
    _same_groups(head, tuple(tails), [tree, *tree.iter()])


def test_groups_without_the_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turned off, a grouped probe is lxml's XPath, head then tails."""
    monkeypatch.setenv("PES_V2_NATIVE_PROBES", "0")
    tree = etree.fromstring('<r><a><b V="1"/><b V="2"/></a><a/><a><b/><b V="3"/></a></r>')
    plain = probes.grouped("a", "b/@V", "@V")
    assert not isinstance(plain, probes.Probe)
    assert plain(tree) == [(["1", "2"], []), ([], []), (["3"], [])]


@pytest.mark.parametrize(
    "expression",
    [
        "a | b",
        "a//b",
        "a//b/@V",
        "count(a//b)",
        "boolean(a//b[1])",
        "boolean(a//@V)",
        "boolean(//a)",
        ".//@V",
        "x:a",
        "a/@V/b",
        "@V[1]",
        "a[2]",
        "a[position() = 1]",
        "a = b",
        "boolean(a = b)",
        "boolean(a = 1)",
        "boolean(a = 'x')",
        "boolean('x')",
        "count(a) = 1",
        "child::a",
        "a/*",
        "a",
        "string(a/@V)",
        "boolean(a[1.0])",
        "boolean(a[@V = 'x']",
        "",
    ],
)
def test_outside_the_subset(expression: str) -> None:
    """Outside the subset: refused by the translation, and answered by lxml's XPath."""
    with pytest.raises(probes.Unsupported):
        probes.translate(expression)
    if expression in ("boolean(a[@V = 'x']", "", "x:a"):
        return  # not XPath at all: lxml refuses it too
    tree = etree.fromstring('<r><a V="x"><b/></a><b V="y"/></r>')
    got = probes.probe(expression, smart_strings=False)
    assert isinstance(got, etree.XPath)
    assert got(tree) == REFERENCE(expression, smart_strings=False)(tree)


def test_values_keep_lxml_smart_strings_unless_asked() -> None:
    """A path to values with smart strings stays lxml's: its strings know their parent."""
    _require_native()
    assert isinstance(probes.probe("a/@V"), etree.XPath)
    assert isinstance(probes.probe("a/@V", smart_strings=False), probes.Probe)
    assert isinstance(probes.probe("boolean(a)"), probes.Probe)


def test_other_contexts_fall_back_to_xpath() -> None:
    """A document, or anything but an element, is answered by lxml's XPath."""
    _require_native()
    tree = etree.ElementTree(etree.fromstring('<a V="1"><b V="2"/></a>'))
    probe = probes.probe("b/@V", smart_strings=False)
    assert isinstance(probe, probes.Probe)
    assert probe(tree) == REFERENCE("b/@V", smart_strings=False)(tree) == ["2"]
    with pytest.raises(TypeError):
        REFERENCE("b/@V")("<a/>")
    with pytest.raises(TypeError):
        probe("<a/>")


def test_turned_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PES_V2_NATIVE_PROBES", "0")
    assert not probes.native_available()
    assert isinstance(probes.probe("boolean(a)"), etree.XPath)


def test_values_of_attributes_with_character_references() -> None:
    _require_native()
    tree = etree.fromstring('<r><a V="&#233;&amp;&lt;x&#10;"/><a V=""/><a/></r>')
    _same("a/@V", [tree])
    assert _compiled("a/@V")(tree) == ["é&<x\n", ""]


@pytest.mark.parametrize(
    "expression", ["a/@V", "boolean(a[@V = '1x2'])", "boolean(a[@V = 'x'])", "count(a/@V)"]
)
def test_attributes_holding_entity_references(expression: str) -> None:
    """An attribute whose value holds an entity reference (a DTD, which flows may not have,
    but a caller's tree may) is not plain text: lxml's XPath answers, whatever it says."""
    _require_native()
    parser = etree.XMLParser(resolve_entities=False, load_dtd=True, no_network=True)
    tree = etree.fromstring(
        b'<!DOCTYPE r [<!ENTITY e "x">]><r><a V="1&e;2"/><a V="&e;"/><a V="y"/></r>', parser
    )
    _same(expression, [tree])


def test_a_plan_beyond_the_compiled_limits_is_answered_by_xpath() -> None:
    """The extension does not trust its plan: more predicates on a step than it holds
    raises, and the probe asks lxml's XPath instead."""
    _require_native()
    tree = etree.fromstring('<r><a V="1"><b/></a><a V="2"/></r>')
    _kind, plan = probes.translate("a[b]/@V")
    name, attribute, predicates, descendant = plan[0]
    crowded = ((name, attribute, predicates * 9, descendant), *plan[1:])
    assert probes._native is not None
    with pytest.raises(ValueError):
        probes._native.values(tree, crowded)
    expression = "a" + "[b]" * 9 + "/@V"
    with pytest.raises(probes.Unsupported):
        probes.translate(expression)
    assert probes.Probe(expression, probes._native.values, crowded)(tree) == ["1"]
