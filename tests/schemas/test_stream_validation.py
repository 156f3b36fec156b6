"""libxml2's stream validator driven beside the main read (``pes_v2.xsd_stream``).

The reader validates through it whenever it is available, and through lxml's plugged
validator otherwise; both must report the same findings at the same places.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest

import pes_v2
from pes_v2 import xsd_stream
from pes_v2.limits import DEFAULT_LIMITS
from pes_v2.testing import MUTATIONS, FlowSpec, build_flow, mutate

BASE = build_flow(FlowSpec(seed=5, depense=2, recette=1, pieces=3, lines=2, pj=2))
XSD_MUTATIONS = sorted(name for name, m in MUTATIONS.items() if m.kind == "xsd")


def _located(report: pes_v2.Report) -> list[tuple[str, int | None, str | None, str]]:
    return [(f.rule, f.line, f.xpath, f.message) for f in report.findings]


def _without_stream_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xsd_stream, "_LIB", None)


def test_stream_validator_is_available_here() -> None:
    # lxml's extension module exports libxml2's symbols; if a new lxml stops doing so, the
    # reader silently falls back to the slower path: this test makes that visible.
    assert xsd_stream.available()


@pytest.mark.parametrize("schemas", ["embedded", "official"])
@pytest.mark.parametrize("name", XSD_MUTATIONS)
def test_same_findings_as_lxml_validation(
    name: str, schemas: str, official_v530: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = mutate(BASE, name, seed=1).data
    chosen: Any = "embedded" if schemas == "embedded" else official_v530
    streamed = pes_v2.validate(data, schemas=chosen)
    _without_stream_validator(monkeypatch)
    plugged = pes_v2.validate(data, schemas=chosen)
    assert _located(streamed) == _located(plugged)
    assert any(f.rule.startswith("PES-XSD-") for f in streamed.findings)


def test_errors_keep_their_line_when_the_flow_cannot_be_read_twice() -> None:
    result = mutate(BASE, "xsd.bad_date", seed=0)

    class OneWay(io.RawIOBase):
        """A pipe: readable once, not seekable."""

        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    report = pes_v2.validate(io.BufferedReader(OneWay(result.data)), schemas="embedded")
    (finding,) = [f for f in report.findings if f.rule.startswith("PES-XSD-")]
    located = pes_v2.validate(result.data, schemas="embedded")
    (expected,) = [f for f in located.findings if f.rule.startswith("PES-XSD-")]
    assert finding.line == expected.line is not None
    assert finding.xpath is None  # no second read to pin the element


def test_text_nodes_beyond_ten_megabytes_are_validated() -> None:
    # libxml2 refuses text nodes over 10 MB unless told the input may be huge.
    data = build_flow(FlowSpec(seed=2, depense=1, pieces=1, lines=1, pj=1, pj_size=9_000_000))
    assert len(data) > 12_000_000
    report = pes_v2.validate(data, schemas="embedded")
    assert not [f for f in report.findings if f.rule.startswith(("PES-XSD", "PES-XML"))]


def test_errors_beyond_the_limit_are_counted() -> None:
    data = BASE.replace(b'<IdPce V="', b'<IdPce V="x')
    errors = BASE.count(b'<IdPce V="')
    assert errors > 8
    limits = DEFAULT_LIMITS.with_(max_schema_errors=5)
    report = pes_v2.validate(data, schemas="embedded", limits=limits, lang="en")
    listed = [f for f in report.findings if f.value and f.value.startswith("x")]
    assert len(listed) == 5 and all(f.line and f.xpath for f in listed)
    (dropped,) = [f for f in report.findings if "not listed" in f.message]
    assert f"{errors - 5} more schema errors" in dropped.message


def test_validator_thread_ends_when_reading_stops_early() -> None:
    before = threading.active_count()
    data = mutate(BASE, "xsd.bad_date", seed=0).data
    findings = pes_v2.iter_findings(data, schemas="embedded")
    next(findings)
    findings.close()  # type: ignore[attr-defined]
    assert not [t for t in threading.enumerate() if t.name == "pes-v2-xsd"]
    assert threading.active_count() == before


def test_not_well_formed_flow_with_schema_errors_before_the_break() -> None:
    data = mutate(BASE, "xsd.bad_date", seed=0).data
    broken = data[: len(data) * 2 // 3]
    streamed = pes_v2.validate(broken, schemas="embedded")
    rules = [f.rule for f in streamed.findings]
    assert "PES-XML-001" in rules
    assert any(rule.startswith("PES-XSD-") for rule in rules)


def test_reader_validates_through_the_stream_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    from pes_v2 import xmlio

    started: list[object] = []

    class Spy(xsd_stream.StreamValidation):
        def __init__(self, *args: Any) -> None:
            started.append(self)
            super().__init__(*args)

    monkeypatch.setattr(xmlio, "StreamValidation", Spy)
    report = pes_v2.validate(mutate(BASE, "xsd.too_long", seed=0).data, schemas="embedded")
    assert len(started) == 1
    assert any(f.rule.startswith("PES-XSD-") for f in report.findings)


def test_flow_of_several_batches_is_validated_beside_the_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pes_v2 import xmlio

    large = build_flow(FlowSpec(seed=8, depense=1, recette=1, pieces=5, target_bytes=3_500_000))
    data = large
    for name in ("xsd.bad_date", "xsd.too_long", "xsd.missing_required"):
        data = mutate(data, name, seed=7).data  # errors spread over the batches
    started: list[xsd_stream.StreamValidation] = []

    class Spy(xsd_stream.StreamValidation):
        def __init__(self, *args: Any) -> None:
            started.append(self)
            super().__init__(*args)

    monkeypatch.setattr(xmlio, "StreamValidation", Spy)
    streamed = pes_v2.validate(data, schemas="embedded")
    assert started and started[0]._thread is not None  # a thread ran beside the read
    monkeypatch.setattr(xsd_stream, "_LIB", None)
    plugged = pes_v2.validate(data, schemas="embedded")
    assert _located(streamed) == _located(plugged)
    assert len([f for f in streamed.findings if f.rule.startswith("PES-XSD-")]) >= 3


def _embedded_stream_schema() -> xsd_stream.NativeSchema:
    bundle = pes_v2.bundles.resolve_bundle("embedded")
    (root,) = [root for root in bundle.roots if root.endswith("}PES_Aller")]
    schema = bundle.native_schema_for(root)
    assert schema is not None
    return schema


def test_batches_go_through_a_few_reused_buffers() -> None:
    # Each batch is copied into one of a few buffers the two threads pass back and forth,
    # never a new block per megabyte: memory stays bounded and no big block allocated by
    # one thread is freed by the other.
    data = build_flow(FlowSpec(seed=3, depense=2, recette=1, pieces=6, target_bytes=9_000_000))
    validation = xsd_stream.StreamValidation(_embedded_stream_schema(), 10)
    step = 1 << 16
    for offset in range(0, len(data), step):
        validation.feed(data[offset : offset + step], 1)
    validation.finish()
    assert validation.count == 0
    assert 1 < validation._buffers <= xsd_stream._QUEUE_BATCHES + 1


def test_chunks_larger_than_a_batch_are_validated_whole() -> None:
    flow = build_flow(FlowSpec(seed=4, depense=1, pieces=5, target_bytes=5_000_000))
    data = mutate(flow, "xsd.bad_date", seed=2).data
    validation = xsd_stream.StreamValidation(_embedded_stream_schema(), 10)
    half = len(data) // 2  # two chunks of 2.5 MB: each more than a buffer holds
    validation.feed(data[:half], 1)
    validation.feed(data[half:], 1 + data[:half].count(b"\n"))
    validation.finish()
    (error,) = validation.errors
    report = pes_v2.validate(data, schemas="embedded")
    (expected,) = [f for f in report.findings if f.rule.startswith("PES-XSD")]
    assert validation.count == 1 and error.line == expected.line is not None


def test_a_large_flow_starts_its_thread_at_the_first_chunk() -> None:
    """Told the flow spans several batches, the validator starts with the first chunk, the
    batches then doubling up to a megabyte; same outcome as batches of a megabyte."""
    flow = build_flow(FlowSpec(seed=6, depense=1, recette=1, pieces=5, target_bytes=3_000_000))
    data = mutate(flow, "xsd.bad_date", seed=3).data
    step = 1 << 16
    outcomes = []
    for size in (len(data), None):
        validation = xsd_stream.StreamValidation(_embedded_stream_schema(), 10, size)
        sizes: list[int] = []
        take = validation._take

        def spy(buffer: bytearray, take: Any = take, sizes: list[int] = sizes) -> Any:
            batch = take(buffer)
            sizes.append(batch[2])
            return batch

        validation._take = spy  # type: ignore[method-assign]
        lines = 1
        for offset in range(0, len(data), step):
            chunk = data[offset : offset + step]
            validation.feed(chunk, lines)
            lines += chunk.count(b"\n")
            if offset == 0:
                assert (validation._thread is not None) is (size is not None)
        validation.finish()
        outcomes.append([(e.message, e.line) for e in validation.errors])
        if size is None:
            assert sizes[0] >= xsd_stream._BATCH_BYTES
        else:
            expected = [xsd_stream._FIRST_BATCH_BYTES << n for n in range(5)]
            assert sizes[:5] == [min(s, xsd_stream._BATCH_BYTES) for s in expected]
    assert outcomes[0] == outcomes[1] and len(outcomes[0]) == 1


def test_an_iso_8859_1_flow_is_validated_in_utf_8_with_the_same_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Handed over in UTF-8 (libxml2 told to ignore the declared ISO-8859-1), a flow gives
    the errors it gives as it is: same messages, values with accents included, same lines."""
    from pes_v2 import bytescan

    flow = build_flow(FlowSpec(seed=9, depense=1, recette=1, pieces=4, target_bytes=2_500_000))
    assert flow.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    data = flow.replace(b'<TypBord V="01"/>', b'<TypBord V="\xe9t\xe9"/>', 1)
    data = mutate(data, "xsd.too_long", seed=4).data
    step = 1 << 16
    outcomes = []
    for native in dict.fromkeys((bytescan.native_available(), False)):
        monkeypatch.setattr(bytescan, "native_available", lambda native=native: native)
        for latin1 in (True, False):
            validation = xsd_stream.StreamValidation(
                _embedded_stream_schema(), 10, len(data), latin1
            )
            assert validation._utf8 is (latin1 and native)
            lines = 1
            for offset in range(0, len(data), step):
                chunk = data[offset : offset + step]
                validation.feed(chunk, lines)
                lines += chunk.count(b"\n")
            validation.finish()
            outcomes.append([(e.message, e.line, e.type_name) for e in validation.errors])
    assert all(outcome == outcomes[0] for outcome in outcomes) and len(outcomes[0]) >= 2
    assert any("'été'" in message for message, _line, _type in outcomes[0])
