"""The outline the API's receive path decides on is the full reading with long strings left out.

Receiving a 60 MB submission must not cost twice its size: ``load_json_object(outline=True)``
checks UTF-8 a megabyte at a time and parses the text with every string longer than
``OUTLINE_STRING_BYTES`` read as ``""``. Its verdict (refused or not, and the code) and its
structure must be those of the full reading for any JSON.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.capture.json_decode import _UTF8_PIECE, OUTLINE_STRING_BYTES, load_json_object
from reports.capture.limits import CaptureLimits

LIMITS = CaptureLimits()
LONG = OUTLINE_STRING_BYTES + 10

strings = st.one_of(
    st.text(max_size=20),
    st.builds(lambda n, c: c * n, st.integers(LONG, LONG + 50), st.sampled_from(["A", "é", "/"])),
)
values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), strings),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _outlined(node: Any) -> Any:
    if isinstance(node, str):
        return "" if len(json.dumps(node, ensure_ascii=False).encode()) > OUTLINE_STRING_BYTES else node
    if isinstance(node, list):
        return [_outlined(v) for v in node]
    if isinstance(node, dict):
        return {k: _outlined(v) for k, v in node.items()}
    return node


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=8), values, max_size=5))
def test_the_outline_is_the_full_reading_with_long_strings_left_out(document: dict[str, Any]) -> None:
    raw = json.dumps(document, ensure_ascii=False).encode()
    full, problem = load_json_object(raw, LIMITS)
    outline, outline_problem = load_json_object(raw, LIMITS, outline=True)
    assert problem is None and outline_problem is None
    assert outline == _outlined(full)


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=64), st.integers(0, 3))
def test_the_outline_refuses_what_the_full_reading_refuses_with_the_same_code(
    junk: bytes, where: int
) -> None:
    raw = [b'{"a": "', junk, b'", "b": 1}'][: where + 1]
    data = b"".join(raw)
    _, problem = load_json_object(data, LIMITS)
    _, outline_problem = load_json_object(data, LIMITS, outline=True)
    assert (problem is None) == (outline_problem is None)
    if problem is not None and outline_problem is not None:
        assert (problem.code, problem.params) == (outline_problem.code, outline_problem.params)


def test_a_character_cut_between_two_pieces_is_utf8_and_a_bad_byte_is_named_where_it_is() -> None:
    pad = b'{"a": "' + b"x" * (_UTF8_PIECE - 8)
    cut = pad + "é€".encode() + b'"}'  # the euro sign straddles the first megabyte's end
    assert load_json_object(cut, LIMITS, outline=True) == ({"a": ""}, None)
    assert load_json_object(cut, LIMITS)[1] is None
    bad = pad + b"\xe2\x82" + b'x"}'
    full, outline = load_json_object(bad, LIMITS)[1], load_json_object(bad, LIMITS, outline=True)[1]
    assert full is not None and outline is not None
    assert outline.params == full.params  # the same offset
