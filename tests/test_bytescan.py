"""The compiled byte scanner (``pes_v2._bytescan``) answers as the bytes methods do."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pes_v2 import bytescan

# Few distinct bytes, so that counts and occurrences are many; lengths around the eight
# bytes the counter takes at a time.
DATA = st.binary(max_size=80).map(lambda raw: bytes(b % 4 + 0x3A for b in raw)) | st.binary(
    max_size=300
)
INDEX = st.integers(min_value=-400, max_value=400)


def _native() -> object:
    if bytescan._native is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI: the byte scanner (pes_v2._bytescan) was not built", pytrace=False)
        pytest.skip("pes_v2._bytescan is not built here (no C compiler at install time)")
    return bytescan._native


@settings(max_examples=400, deadline=None)
@given(DATA, st.integers(min_value=0, max_value=255), INDEX, INDEX)
def test_count_is_bytes_count(data: bytes, byte: int, start: int, end: int) -> None:
    native = _native()
    expected = data.count(bytes([byte]), start, end)
    assert native.count(data, byte, start, end) == expected  # type: ignore[attr-defined]
    assert native.count(bytearray(data), byte, start, end) == expected  # type: ignore[attr-defined]
    assert native.count(data, byte) == data.count(bytes([byte]))  # type: ignore[attr-defined]


@settings(max_examples=400, deadline=None)
@given(DATA, st.binary(max_size=4) | st.sampled_from([b":", b";<", b"<:;"]), INDEX, INDEX)
def test_find_is_bytes_find(data: bytes, needle: bytes, start: int, end: int) -> None:
    native = _native()
    expected = data.find(needle, start, end)
    assert native.find(data, needle, start, end) == expected  # type: ignore[attr-defined]
    assert native.find(bytearray(data), needle, start, end) == expected  # type: ignore[attr-defined]
    assert native.find(data, needle) == data.find(needle)  # type: ignore[attr-defined]


def test_large_buffers_are_scanned_whole() -> None:
    native = _native()
    data = bytearray(b"ab\n<" * (1 << 19))  # 2 MiB: scanned with other threads let run
    data[-5:] = b"<Sig>"
    assert native.count(data, 0x0A) == data.count(b"\n")  # type: ignore[attr-defined]
    assert native.find(data, b"<Sig>") == len(data) - 5  # type: ignore[attr-defined]
    assert native.find(data, b"<Sig>", 0, len(data) - 1) == -1  # type: ignore[attr-defined]


def test_a_byte_out_of_range_is_refused() -> None:
    native = _native()
    with pytest.raises(ValueError):
        native.count(b"abc", 256)  # type: ignore[attr-defined]


def test_the_fallback_answers_the_same() -> None:
    data = b"<a>\n<b>x</b>\n</a>"
    assert bytescan._bytes_count(data, 0x0A) == 2
    assert bytescan._bytes_count(bytearray(data), 0x3C, 1, 9) == 2
    assert bytescan._bytes_find(data, b"</b>") == 8
    assert bytescan._bytes_find(bytearray(data), b"<", 1, 3) == -1


def test_the_environment_switch_turns_the_scanner_off() -> None:
    code = "from pes_v2 import bytescan; print(bytescan.native_available())"
    env = {**os.environ, "PES_V2_NATIVE_SCAN": "0"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "False"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40) | DATA, min_size=1, max_size=4))
def test_latin1_to_utf8_is_decode_then_encode(parts: list[bytes]) -> None:
    native = _native()
    expected = b"".join(parts).decode("latin-1").encode("utf-8")
    assert native.latin1_to_utf8(*parts) == expected  # type: ignore[attr-defined]
    views = [bytearray(parts[0]), *(memoryview(part) for part in parts[1:])]
    assert native.latin1_to_utf8(*views) == expected  # type: ignore[attr-defined]
    assert bytescan._bytes_latin1_to_utf8(*parts) == expected


def test_latin1_to_utf8_of_large_buffers_and_bad_arguments() -> None:
    native = _native()
    data = bytes(range(256)) * (1 << 13)  # 2 MiB: converted with other threads let run
    assert native.latin1_to_utf8(data, b"\xe9") == (data + b"\xe9").decode("latin-1").encode()  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        native.latin1_to_utf8()  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        native.latin1_to_utf8(b"a", b"b", b"c", b"d", b"e")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        native.latin1_to_utf8(b"a", "text")  # type: ignore[attr-defined]
