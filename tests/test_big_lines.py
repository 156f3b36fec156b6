"""Lines past 65,535: libxml2 keeps an element's line in 16 bits and answers, past it, with
the line a neighbouring text node ends on; ``xmlio.line_in_flow`` gives the element's own."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

import pes_v2
from pes_v2.testing import FlowSpec, build_flow
from pes_v2.testing.signing import DgfipSigner, test_pki
from pes_v2.xmlio import line_in_flow

PADDING = 65_600
"""Newlines before the elements under test: every one of them is past line 65,535."""

Tree = Any
"""(name, text, children): text None, or a string that may hold newlines."""

trees: st.SearchStrategy[Tree] = st.recursive(
    st.tuples(
        st.sampled_from(["a", "b", "Piece", "IBAN"]),
        st.one_of(st.none(), st.sampled_from(["x", "two\nlines", "\n three\n lines \n"])),
        st.just(()),
    ),
    lambda children: st.tuples(
        st.sampled_from(["c", "Bordereau"]), st.none(), st.lists(children, max_size=3)
    ),
    max_leaves=8,
)


def _write(tree: Tree, indent: int, out: list[str], lines: list[int]) -> None:
    """Pretty-print ``tree`` one element a line (as flows are written), noting the line each
    element's start tag is on."""
    name, text, children = tree
    lines.append(out_line(out))
    pad = " " * indent
    if children:
        out.append(f'{pad}<{name} V="1">\n')
        for child in children:
            _write(child, indent + 2, out, lines)
        out.append(f"{pad}</{name}>\n")
    elif text is not None:
        out.append(f'{pad}<{name} V="1">{text}</{name}>\n')
    else:
        out.append(f'{pad}<{name} V="1"/>\n')


def out_line(out: list[str]) -> int:
    return "".join(out).count("\n") + 1


@settings(max_examples=60, deadline=None)
@given(st.lists(trees, min_size=1, max_size=4))
def test_every_element_past_line_65535_has_its_own_line(forest: list[Tree]) -> None:
    out = ["<root>" + "\n" * PADDING]
    expected: list[int] = []
    for tree in forest:
        _write(tree, 2, out, expected)
    out.append("</root>\n")
    # Read as the reader reads a flow that may hold signatures: whitespace kept.
    parser = etree.XMLPullParser(events=("start",), huge_tree=True, remove_blank_text=False)
    parser.feed("".join(out).encode())
    parser.close()
    elements = [element for _event, element in parser.read_events()][1:]  # not the root
    assert min(expected) > 65_535
    assert [line_in_flow(element, 0) for element in elements] == expected


def test_a_signed_flow_reports_its_lines_past_65535_exactly() -> None:
    signer = DgfipSigner.for_pki(test_pki())
    spec = FlowSpec(seed=2, depense=40, pieces=20, lines=3, signed=True, signer=signer)
    flow = build_flow(spec)
    start = flow.rindex(b'<IBAN V="')
    end = flow.index(b'"', start + len(b'<IBAN V="'))
    broken = flow[:start] + b'<IBAN V="FR7630001007941234567890186' + flow[end:]
    report = pes_v2.validate(broken, schemas="embedded")
    (finding,) = [f for f in report.findings if f.rule == "PES-BNK-001"]
    assert finding.line == broken.count(b"\n", 0, start) + 1 > 65_535
