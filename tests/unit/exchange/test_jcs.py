"""The codec's canonical JSON is RFC 8785's, byte for byte: its json.dumps fast path against the
rfc8785 library on generated values, and the cases the fast path hands to the library."""

from __future__ import annotations

import enum
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from jinbao.exchange.codec import _plain, jcs

# Text with what JSON escapes (control characters, quote, backslash), what it must not
# (DEL, U+2028, non-ASCII, astral characters), and lone surrogates (which JCS refuses).
TEXT = st.text(
    st.one_of(
        st.characters(min_codepoint=0, max_codepoint=0x7F),
        st.sampled_from(['"', "\\", "\x7f", "\u2028", "\u2029", "中", "é", "\U0001f600", "\ud800"]),
        st.characters(),
    ),
    max_size=12,
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.integers(),  # beyond 2^53 as well: both refuse those
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
KEYS = st.one_of(st.text(st.characters(max_codepoint=0x7F), max_size=6), TEXT)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(KEYS, inner, max_size=4),
    ),
    max_leaves=20,
)


def library(value: Any) -> bytes | type[Exception]:
    """The bytes, or the kind of error (CanonicalizationError; UnicodeEncodeError for a lone
    surrogate in a key, which the library does not wrap)."""
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as error:
        return type(error)


def ours(value: Any) -> bytes | type[Exception]:
    try:
        return jcs(value)
    except (rfc8785.CanonicalizationError, UnicodeEncodeError) as error:
        return type(error)


@settings(max_examples=2000, deadline=None)
@given(VALUES)
def test_jcs_writes_and_refuses_what_rfc8785_does(value: Any) -> None:
    assert ours(value) == library(value)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.text(st.characters(max_codepoint=0x7F), max_size=6), TEXT, max_size=6))
def test_plain_documents_take_the_fast_path(value: dict[str, str]) -> None:
    """Objects of ASCII keys and text (what documents are) are never handed to the library:
    else the fast path would be tested above without being the one that runs."""
    assert _plain(value)


class Colour(enum.Enum):
    RED = "red"


class Size(enum.IntEnum):
    BIG = 3


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1.5},  # floats: ECMAScript's form
        {"a": 2**53},  # beyond a double's integers: refused
        {"键": 1, "b": 2},  # non-ASCII keys: sorted by UTF-16 code units
        {"\U0001f600": 1, "\uff61": 2},  # where UTF-16 order and code point order differ
        {1: "a"},  # not a string key: refused
        {"a": Size.BIG},  # subclasses
        [Colour.RED],  # not JSON at all: refused
        {"a": "\ud800"},  # a lone surrogate: refused
        {"\ud800": 1},  # in a key as well
    ],
)
def test_values_the_fast_path_leaves_to_the_library(value: Any) -> None:
    assert not _plain(value) or value == {"a": "\ud800"}
    assert ours(value) == library(value)
