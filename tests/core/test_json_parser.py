"""The API's JSON parser bounds nesting before the json module recurses: depth counted in
linear time, brackets inside strings (escaped quotes and backslashes included) ignored."""

from __future__ import annotations

import io
import json

import pytest
from rest_framework.exceptions import ParseError

from core.api.parsers import MAX_DEPTH, JSONParser, nesting_depth


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ('{"a": 1}', 1),
        ("[]", 1),
        ("1", 0),
        ('{"a": "[[[{{{", "b": [[1]]}', 3),
        ('{"a": "\\"[[[", "b": []}', 2),  # an escaped quote does not end the string
        ('["\\\\", [[]]]', 3),  # an escaped backslash before the closing quote
        ('{"x": "\\\\\\"[[[["}', 1),
        ('"[[[["', 0),
        ("[" * 5000 + "]" * 5000, 5000),
        ('{"名称": "长沙[律所]", "列表": [["甲"]]}', 3),
    ],
)
def test_nesting_depth_counts_brackets_outside_strings(text, depth):
    assert nesting_depth(text) == depth


def parse(body: str):
    return JSONParser().parse(io.BytesIO(body.encode()), "application/json", {})


def test_a_body_at_the_limit_parses_and_one_level_deeper_is_refused():
    at_limit = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert json.dumps(parse(at_limit)) == at_limit
    with pytest.raises(ParseError) as refused:
        parse("[" + at_limit + "]")
    assert str(MAX_DEPTH) in str(refused.value.detail)


@pytest.mark.parametrize("body", ["[NaN]", '{"a": Infinity}', "{", '"\\x"', "[1,]"])
def test_what_drf_refuses_stays_refused(body):
    with pytest.raises(ParseError):
        parse(body)
