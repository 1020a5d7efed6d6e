"""The API's JSON parser: DRF's, with the nesting depth bounded before parsing.

Python's json module parses nested arrays and objects recursively: a body nested a few
thousand levels deep (25 KB of `{"a":`) raises RecursionError, which DRF's JSONParser does
not catch (it answers 500), and a body just under the interpreter's limit would recurse
again in every serializer, `deepcopy` and audit that walks it. No resource takes more
than a list of strings, so a body nested deeper than MAX_DEPTH is refused with the usual
400 (ParseError) before the json module sees it.
"""

from __future__ import annotations

from itertools import accumulate
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

#: deepest nesting of arrays and objects a request body may have (the API's bodies: 2)
MAX_DEPTH = 32

# the bytes that are not brackets, which nesting_depth drops (UTF-8 puts every byte of a
# non-ASCII character above 0x7F, so none of them reads as a bracket)
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}

TOO_DEEP = _("JSON: nested more than %(max)d levels deep (arrays and objects).")


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in a JSON text, in linear time, without recursion
    and with string methods only (a malformed text gets a number too; the json module
    then refuses it). Brackets inside strings do not count: escaped backslashes and quotes
    are dropped first, so the quotes left delimit the strings."""
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    outside_strings = "".join(unescaped.split('"')[0::2])
    brackets = outside_strings.encode().translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser (strict: no NaN or Infinity), refusing a body nested deeper than
    MAX_DEPTH with a 400 that names the rule."""

    max_depth = MAX_DEPTH

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        # (fewer brackets than the limit cannot nest deeper: most bodies skip the scan)
        if (
            text.count("[") + text.count("{") > self.max_depth
            and nesting_depth(text) > self.max_depth
        ):
            raise ParseError(TOO_DEEP % {"max": self.max_depth})
        try:
            parse_constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        except RecursionError as exc:  # (not reached below MAX_DEPTH; a last guard)
            raise ParseError(TOO_DEEP % {"max": self.max_depth}) from exc
