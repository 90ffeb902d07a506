"""A request body as JSON: strict UTF-8, bounded nesting, text that can be encoded again.

Python's parser is recursive and lenient; this is the one place a body becomes JSON, for
every route, so no route can be reached by a body that crashes or fools the parser.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from ..errors import ApiError

# The deepest legitimate body is two levels (a report's ``reporter`` or ``location``);
# anything much deeper is an attack on the recursive parser (``[[[[...]]]]`` 3,000 deep
# in 6 KB raises RecursionError) or on the validator behind it.
MAX_JSON_DEPTH = 16
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _DEPTH_STEP[_open], _DEPTH_STEP[_close] = 1, -1


def json_depth(raw: bytes) -> int:
    """How deeply ``raw`` nests arrays and objects, without parsing it.

    Strings are cut out first (a bracket inside a string does not nest), then only the
    brackets are kept and their running sum taken: linear, in C, no recursion.
    """
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def load_json(raw: bytes) -> Any:
    """A request body as JSON: strict UTF-8, bounded depth, no lone surrogates.

    The depth is checked before parsing; RecursionError is still caught as a last resort.
    A ``"\\ud800"`` escape is valid JSON grammar but not text: it could never be encoded
    again (stored, sealed or echoed), so it is refused here, once, for every route.
    (``NaN``/``Infinity``, which Python's parser accepts, are left to the models: every
    number field has bounds, which they fail.)
    """
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise ApiError("json_too_deep")
    try:
        value = json.loads(raw.decode("utf-8"))
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # lone surrogates raise
    except RecursionError:
        raise ApiError("json_too_deep") from None
    except ValueError:  # UnicodeError and JSONDecodeError included
        raise ApiError("malformed_json") from None
    return value
