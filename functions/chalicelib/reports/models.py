"""Pydantic models of everything that crosses the public API.

The models bound every length and format, reject unknown fields, and refuse control
characters and HTML markup in free text, so the rest of the code handles only clean,
bounded data. Membership checks that need the office configuration (region, industry)
read it from the validation context.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ..config.office import OfficeConfig

_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?]|javascript\s*:|\bon[a-z]+\s*=", re.IGNORECASE)
# ASCII digits only: \d would accept every script's digits. Fullwidth digits (a Chinese
# input method's) are NFKC-normalised to ASCII before matching, so they still work.
_PHONE = re.compile(
    r"(?:\+?86[- ]?)?(?:1[3-9][0-9]{9}|0[0-9]{2,3}[- ]?[0-9]{7,8}(?:[- ]?[0-9]{1,6})?)", re.ASCII
)
_EMAIL = re.compile(r"[^@\s<>]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}")
TAG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,47}\.[A-Za-z0-9_-]{8,16}$"
_TAG = re.compile(TAG_PATTERN.removeprefix("^").removesuffix("$"), re.ASCII)

# Characters refused in free text, by Unicode general category rather than a hand list
# (a list always misses one: U+2060, U+FEFF, U+061C, the tag characters U+E0000-E007F):
#   Cc controls (except tab, newline, carriage return), Cf format characters (zero-width
#   and bidi marks, joiners, soft hyphen, tags), Cs lone surrogates (JSON's ``\ud800``),
#   Co private use, and Cn unassigned code points and noncharacters.
# Two deliberate exceptions, both for emoji, which are ordinary symbols (So) here:
#   * U+200D ZERO WIDTH JOINER between two emoji (👨‍👩‍👧, 🧑‍🚒): it can only join
#     pictographs there, not hide letters. Anywhere else it is refused.
#   * Cn inside the emoji blocks U+1F000-U+1FAFF: emoji newer than this Python's
#     Unicode database arrive as "unassigned" from up-to-date phones.
# Emoji tag sequences (the subdivision flags 🏴 + U+E0067 ...) are refused: tag
# characters spell invisible ASCII, exactly the hiding this rule is about.
# Line and paragraph separators (Zl U+2028, Zp U+2029) are line breaks: refused in
# single-line fields, turned into newlines in multi-line text.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_ALLOWED_CONTROLS = frozenset("\t\n\r")
_ZWJ = "\u200d"
_EMOJI_CN = range(0x1F000, 0x1FB00)
_EMOJI_NEIGHBOURS = frozenset({"So", "Sk", "Mn"})  # pictographs, skin tones, U+FE0F


def _emoji_joiner(value: str, index: int) -> bool:
    """Whether the ZWJ at ``index`` joins two emoji (a ZWJ sequence)."""
    if index == 0 or index + 1 >= len(value):
        return False
    before, after = value[index - 1], value[index + 1]
    return (
        unicodedata.category(before) in _EMOJI_NEIGHBOURS
        and unicodedata.category(after) == "So"
        and ord(before) > 0x7F
    )


def invisible_at(value: str, *, multiline: bool) -> int | None:
    """The index of the first character refused in free text, or None if all are fine."""
    if value.isprintable():  # fast path: no Cc, Cf, Cs, Co, Cn, Zl, Zp (nor Zs but space)
        return None
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES:
            if char in _ALLOWED_CONTROLS and (multiline or char == "\t"):
                continue
            if char == _ZWJ and _emoji_joiner(value, index):
                continue
            if category == "Cn" and ord(char) in _EMOJI_CN:
                continue
            return index
        if category in ("Zl", "Zp") and not multiline:
            return index
    return None


def _clean(value: str, *, multiline: bool) -> str:
    value = value.strip()
    if invisible_at(value, multiline=multiline) is not None:
        raise PydanticCustomError("control_characters", "control characters are not allowed")
    if _MARKUP.search(value):
        raise PydanticCustomError("markup", "HTML markup is not allowed")
    return value


def _line(value: str) -> str:
    return _clean(value, multiline=False)


def _text(value: str) -> str:
    value = _clean(value, multiline=True).replace("\r\n", "\n")
    return value.replace("\u2028", "\n").replace("\u2029", "\n\n")


def _phone(value: str) -> str:
    value = unicodedata.normalize("NFKC", value)  # fullwidth digits from a Chinese IME
    if not _PHONE.fullmatch(value):
        raise PydanticCustomError("invalid_phone", "malformed phone number")
    return value


def _email(value: str) -> str:
    value = unicodedata.normalize("NFKC", value)  # ＠ and fullwidth letters
    if not _EMAIL.fullmatch(value):
        raise PydanticCustomError("invalid_email", "malformed email address")
    return value


Line = Annotated[str, AfterValidator(_line)]
Text = Annotated[str, AfterValidator(_text)]


class ReportKind(StrEnum):
    hazard = "hazard"  # 重大事故隐患
    violation = "violation"  # 安全生产非法违法行为
    concealed_accident = "concealed_accident"  # 瞒报、谎报事故


KIND_LABELS: dict[ReportKind, tuple[str, str]] = {
    ReportKind.hazard: ("重大事故隐患", "Major accident hazard"),
    ReportKind.violation: ("安全生产非法违法行为", "Illegal act against safety rules"),
    ReportKind.concealed_accident: (
        "瞒报、谎报生产安全事故",
        "Concealed or falsely reported accident",
    ),
}


# defer_build: a model's validator is built on first use, not at import, which keeps the
# Lambda cold start short (a status look-up never builds the submission model)
class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, frozen=True, defer_build=True
    )


class _Out(BaseModel):
    model_config = ConfigDict(defer_build=True)


class GeoPoint(_Strict):
    """A point the reporter chose to give (WGS-84); never taken from photo metadata."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class Reporter(_Strict):
    """Who reports. Absent means anonymous. Sealed to the custodian only."""

    name: Annotated[Line, StringConstraints(max_length=50)] | None = None
    phone: Annotated[Line, StringConstraints(max_length=24), AfterValidator(_phone)] | None = None
    email: Annotated[Line, StringConstraints(max_length=254), AfterValidator(_email)] | None = None
    employee: bool = False  # works for the reported unit (应急〔2020〕69号)

    @field_validator("name", "phone", "email", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _contact(self) -> Reporter:
        if self.employee and not (self.name and (self.phone or self.email)):
            raise PydanticCustomError("employee_needs_contact", "employee reports are real-name")
        if not (self.name or self.phone or self.email):
            raise PydanticCustomError("contact_needed", "give a name or a contact")
        return self


def _context_office(info: ValidationInfo) -> OfficeConfig | None:
    context = info.context or {}
    office = context.get("office")
    return office if isinstance(office, OfficeConfig) else None


def _known_region(value: str, info: ValidationInfo) -> str:
    office = _context_office(info)
    if office is not None and value not in office.regions_by_code:
        raise PydanticCustomError("unknown_region", "unknown region code")
    return value


# a configured region's code (GB/T 2260); membership is checked against the office
# configuration passed in the validation context
RegionCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$"), AfterValidator(_known_region)]


class ReportSubmission(_Strict):
    """``POST /api/reports``: one report of a hazard, a violation or a concealed accident."""

    kind: ReportKind
    region: RegionCode
    industry: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
    unit_name: Annotated[Line, StringConstraints(min_length=2, max_length=200)]
    description: Annotated[Text, StringConstraints(min_length=10, max_length=5000)]
    address: Annotated[Line, StringConstraints(max_length=300)] | None = None
    location: GeoPoint | None = None
    occurred_at: date | None = None
    reporter: Reporter | None = None
    source: str | None = Field(
        default=None,
        description="The poster tag from the QR link (`?src=`). A tag that is damaged "
        "(cut short, altered, not a tag at all) or does not verify is ignored: the report "
        "is received without it, never refused for it.",
    )
    attachments: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{26}$")]], Field(max_length=20)
    ] = []
    # honeypot: hidden from people, filled by naive bots; must stay empty
    website: Annotated[str, StringConstraints(max_length=200)] = ""

    @field_validator("source", mode="before")
    @classmethod
    def _damaged_tag_is_none(cls, value: Any) -> Any:
        """A poster tag is a hint the reporter never typed and cannot fix: anything not of
        a tag's shape is dropped here, a well-shaped forgery later (``tags.verify``)."""
        return value if isinstance(value, str) and _TAG.fullmatch(value) else None

    @field_validator("address", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("industry")
    @classmethod
    def _known_industry(cls, value: str, info: ValidationInfo) -> str:
        office = _context_office(info)
        if office is not None and value not in office.industries_by_code:
            raise PydanticCustomError("unknown_industry", "unknown industry")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _not_future(cls, value: date | None) -> date | None:
        # a day of slack for time zones: China is UTC+8
        if value is not None and value > (datetime.now(UTC) + timedelta(days=1)).date():
            raise PydanticCustomError("invalid_date", "date in the future")
        return value

    def sealed_content(self) -> dict[str, Any]:
        """What is sealed to the handling office (everything except the reporter)."""
        return self.model_dump(mode="json", exclude={"reporter", "website", "attachments"})


class StatusQuery(_Strict):
    """``POST /api/status``: the receipt travels in the body, never in a URL."""

    receipt: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class Supplement(_Strict):
    """``POST /api/reports/supplement``: more information from the receipt holder."""

    receipt: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    text: Annotated[Text, StringConstraints(min_length=2, max_length=5000)]
    attachments: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9]{26}$")]], Field(max_length=20)
    ] = []


class UploadRequest(_Strict):
    """``POST /api/attachments``: ask for a place to upload one file of evidence."""

    region: RegionCode
    content_type: Annotated[str, StringConstraints(max_length=100)]
    size: int = Field(ge=1)


# ---- responses -------------------------------------------------------------------------


# present only when the office confirmed its acceptance limit as its own commitment
# (``cases.deadlines.acceptance_promised``); otherwise absent, never null
_ACCEPTANCE_DUE: Any = Field(
    default=None,
    exclude_if=lambda value: value is None,
    description="Optional: the date (in China) by which the office decides whether it "
    "accepts the report. Present only where the office has committed to an acceptance "
    "limit of its own; absent otherwise.",
)
_MOMENT = "ISO 8601 with its offset (UTC, `Z`); pages show it in Beijing time (UTC+8)."


class ReceiptResponse(_Out):
    receipt: str = Field(description="Keep this: 24 characters, shown in groups of four.")
    report_number: str
    received_at: datetime = Field(description=_MOMENT)
    status: str
    status_label: str
    status_label_en: str
    acceptance_due: date | None = _ACCEPTANCE_DUE
    handling_unit: str
    source_issuer: str | None = None


class FeedbackItem(_Out):
    at: datetime = Field(description=_MOMENT)
    text: str


class DeadlineInfo(_Out):
    acceptance_due: date | None = _ACCEPTANCE_DUE
    verification_due: date | None = None


class StatusResponse(_Out):
    report_number: str
    status: str
    status_label: str
    status_label_en: str
    received_at: datetime = Field(description=_MOMENT)
    kind: ReportKind
    region: str
    deadlines: DeadlineInfo
    feedback: list[FeedbackItem]
    supplements: int


class UploadTicket(_Out):
    attachment_id: str
    url: str
    method: str
    fields: dict[str, str]
    max_bytes: int
    expires_at: datetime


class ErrorDetail(_Out):
    field: str
    code: str
    message_zh: str
    message_en: str


class ErrorBody(_Out):
    code: str
    message: str
    message_zh: str
    message_en: str
    fields: list[ErrorDetail] = []


class ErrorResponse(_Out):
    error: ErrorBody


class TagQuery(BaseModel):
    """``POST /api/tags/verify``: is this poster tag genuine?"""

    tag: str


class TagAnswer(BaseModel):
    valid: bool
    issuer: str | None
    issuer_en: str | None
