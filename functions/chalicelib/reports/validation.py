"""From a request body to a model, or to refusals with stable field codes.

``parse`` validates a body against a model (with the office as context: regions and
industries are configured); ``field_errors`` turns pydantic's errors into our codes,
never echoing the input; ``canonical`` is the one byte form of a body (hashed for
idempotency, sealed as content). The reward calculator's CLI uses the same codes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..config.office import OfficeConfig
from ..errors import ApiError, FieldError

# pydantic error types -> our field codes
_ERROR_CODES = {
    "missing": "required",
    "string_too_short": "too_short",
    "string_too_long": "too_long",
    "too_short": "too_short",
    "too_long": "too_long",
    "enum": "invalid_choice",
    "literal_error": "invalid_choice",
    "extra_forbidden": "unknown_field",
    "string_pattern_mismatch": "invalid_format",
    "date_from_datetime_parsing": "invalid_date",
    "date_from_datetime_inexact": "invalid_date",
    "date_parsing": "invalid_date",
    "date_type": "invalid_date",
    "greater_than_equal": "out_of_range",
    "less_than_equal": "out_of_range",
    "greater_than": "out_of_range",
    "less_than": "out_of_range",
}
_OUR_CODES = {
    "unknown_region",
    "unknown_industry",
    "control_characters",
    "markup",
    "invalid_phone",
    "invalid_email",
    "invalid_date",
    "employee_needs_contact",
    "contact_needed",
}


_LOC_PART = re.compile(r"[a-z_][a-z0-9_]{0,40}", re.ASCII)


def _loc_part(part: str | int) -> str:
    text = str(part)
    return text if isinstance(part, int) or _LOC_PART.fullmatch(text) else "_"


def field_error(err: ErrorDetails) -> FieldError:
    """One pydantic error as a stable field code (never echoing the input)."""
    kind = err["type"]
    code = kind if kind in _OUR_CODES else _ERROR_CODES.get(kind)
    if code is None:
        code = "invalid_type" if kind.endswith("_type") or "parsing" in kind else "invalid_format"
    # a location names our fields; an unknown key the client chose is not echoed
    loc = ".".join(_loc_part(part) for part in err["loc"]) or "body"
    return FieldError(loc, code)


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Translate pydantic's errors to stable field codes (never echoing the input)."""
    return [field_error(err) for err in exc.errors(include_input=False, include_url=False)]


def parse[M: BaseModel](model: type[M], payload: Any, office: OfficeConfig) -> M:
    if not isinstance(payload, dict):
        raise ApiError("invalid_body")
    try:
        return model.model_validate(payload, context={"office": office})
    except ValidationError as exc:
        raise ApiError("validation_failed", field_errors(exc)) from None


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
