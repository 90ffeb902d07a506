"""The shape of the reward rules: rule sets and the engine data they share.

Why a module of its own: a rule-set file is data written by hand from partly confirmed
regulations, so its structure is a contract that must be checked before anything is
computed from it. These pydantic models are that contract (and the JavaScript twin reads
the same structure from the export). The input bounds live here too, in one place, because
together they are the argument that every intermediate value stays an exact integer below
2**53 in both languages.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    model_validator,
)

from ..i18n import Text
from ..reports.models import ReportKind

# Input bounds. They are far beyond real cases and keep the JavaScript twin exact.
MAX_FINE_YUAN = 1_000_000_000
MAX_RULE_AMOUNT_YUAN = 10_000_000
MAX_UPLIFT_PERCENT = 100
MAX_REPORT_ORDER = 1_000_000
MAX_JOINT_REPORTERS = 1_000
MAX_CONCEALED_DEATHS = 10_000

Grade = Literal["general", "larger", "major", "especially_major"]
Certainty = Literal["C", "S", "U", "NOT_FOUND", "CONFIG"]
RoundingMode = Literal["half_up", "down", "up"]
CaseField = Literal[
    "kind",
    "verified",
    "real_name",
    "has_contact",
    "reporter_is_employee",
    "report_order",
    "joint_reporters",
    "already_handled_by_regulator",
    "accident_grade",
    "concealed_deaths",
]

NAME = r"^[a-z0-9][a-z0-9-]{0,63}$"
YuanAmount = Annotated[int, Field(ge=0, le=MAX_RULE_AMOUNT_YUAN)]

# Messages of the engine's own steps that _engine.toml must define.
REQUIRED_MESSAGES = frozenset(
    {
        "citation",
        "citations",
        "summary",
        "range",
        "floor",
        "cap",
        "zero_fine_floor",
        "zero_fine_none",
        "no_deaths",
        "tier_not_found",
        "no_grade",
        "no_uplift",
        "uplift_cap",
        "max_single",
        "rounding",
        "split",
        "officers_decide",
    }
)


class RuleSetError(ValueError):
    """An unknown rule set name or a malformed rule-set file (bilingual message)."""


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- rule data


class Citation(Frozen):
    """Where a rule comes from, and how sure we are of it."""

    document: str
    document_en: str = ""
    article: str = ""
    certainty: Certainty
    source: str = ""
    note_zh: str = ""
    note_en: str = ""


Citations = tuple[Citation, ...]


class FieldTest(Frozen):
    """One test on a case fact: ``{field, op, value}``."""

    field: CaseField
    op: Literal["eq", "ne", "le", "ge", "in"]
    value: StrictBool | StrictInt | str | tuple[str, ...] | None

    @model_validator(mode="after")
    def _typed(self) -> FieldTest:
        if self.op in ("le", "ge") and (
            isinstance(self.value, bool) or not isinstance(self.value, int)
        ):
            raise ValueError("le/ge compare integers")
        if (self.op == "in") != isinstance(self.value, tuple):
            raise ValueError("'in' and only 'in' takes a list")
        return self


class Eligibility(Frozen):
    """A condition of any reward; ``id`` is the reason code when it is not met."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    all: tuple[FieldTest, ...] = ()
    any: tuple[FieldTest, ...] = ()
    reason_zh: str
    reason_en: str
    citations: Citations


class Rounding(Frozen):
    mode: RoundingMode = "half_up"
    citations: Citations


class JointSplit(Frozen):
    citations: Citations


class _Formula(Frozen):
    text_zh: str
    text_en: str
    citations: Citations


class PercentOfFine(_Formula):
    """A share of the total administrative fine, between a floor and a cap."""

    formula: Literal["percent_of_fine"]
    rate_basis_points: int = Field(ge=1, le=10_000)
    floor_yuan: YuanAmount
    cap_yuan: YuanAmount
    zero_fine_policy: Literal["floor", "none"] = "floor"
    zero_fine_citations: Citations = ()

    @model_validator(mode="after")
    def _ordered(self) -> PercentOfFine:
        if self.floor_yuan > self.cap_yuan:
            raise ValueError("floor above cap")
        return self


class PerDeathByGrade(_Formula):
    """A sum per verified concealed death, by the accident's final grade, up to a cap."""

    formula: Literal["per_death_by_grade"]
    per_death_yuan: dict[Grade, YuanAmount]
    cap_yuan: YuanAmount
    no_deaths_citations: Citations = ()
    not_found_citations: Citations = ()


class Tier(Frozen):
    min_yuan: YuanAmount
    max_yuan: YuanAmount

    @model_validator(mode="after")
    def _ordered(self) -> Tier:
        if self.min_yuan > self.max_yuan:
            raise ValueError("tier min above max")
        return self


class ByAvoidedGrade(_Formula):
    """A range by the grade of the accident the report avoided; officers pick the sum."""

    formula: Literal["by_avoided_grade"]
    tiers: dict[Grade, Tier]
    not_found_citations: Citations = ()


Formula = Annotated[
    PercentOfFine | PerDeathByGrade | ByAvoidedGrade, Field(discriminator="formula")
]


class EmployeeUplift(Frozen):
    """A raise for employees reporting their own employer (应急〔2020〕69号: set locally)."""

    percent: int = Field(default=0, ge=0, le=MAX_UPLIFT_PERCENT)
    cap_yuan: YuanAmount | None = None
    when: tuple[FieldTest, ...] = ()
    text_zh: str
    text_en: str
    not_applied_zh: str
    not_applied_en: str
    citations: Citations


class RuleSet(Frozen):
    """One named, cited set of reward rules."""

    name: str = Field(pattern=NAME)
    document: str
    title_zh: str
    title_en: str
    partial: bool = False
    note_zh: str
    note_en: str
    kinds: dict[ReportKind, str]
    formulas: dict[str, Formula]
    rounding: Rounding
    joint_split: JointSplit
    eligibility: tuple[Eligibility, ...]
    eligibility_citations: Citations = ()
    employee_uplift: EmployeeUplift
    max_single_reward_yuan: YuanAmount | None = None
    max_single_citations: Citations = ()

    @model_validator(mode="after")
    def _complete(self) -> RuleSet:
        missing = set(ReportKind) - set(self.kinds)
        if missing:
            raise ValueError(f"no formula for kinds {sorted(missing)}")
        for kind, formula_id in self.kinds.items():
            if formula_id not in self.formulas:
                raise ValueError(f"kind {kind} names unknown formula {formula_id!r}")
        return self


class GradeInfo(Text):
    """An accident grade's name, with the deaths it starts at and its rank."""

    min_deaths: int = Field(ge=0)
    order: int = Field(ge=1)


class Message(Text):
    """A message template of the engine, with the separator between listed items."""

    separator_zh: str = ""
    separator_en: str = ""


class Document(Frozen):
    """An official document the public page names, with whose reports it governs.

    ``url`` is the office's link to the official text; empty until the office configures
    one (the page then names the document without a link). ``rule_set`` names the shipped
    rule set that follows it, if any.
    """

    title_zh: str
    title_en: str
    number: str = ""
    issuer_zh: str
    issuer_en: str
    applies_zh: str
    applies_en: str
    url: str = Field(default="", pattern=r"^(https://\S+)?$")
    rule_set: str = ""
    order: int = Field(ge=1)


class EngineData(Frozen):
    grades: dict[Grade, GradeInfo]
    rounding_modes: dict[RoundingMode, Text]
    sources: dict[str, Citation]
    messages: dict[str, Message]
    documents: dict[str, Document] = {}

    @model_validator(mode="after")
    def _complete(self) -> EngineData:
        missing = REQUIRED_MESSAGES - set(self.messages)
        if missing:
            raise ValueError(f"messages missing: {sorted(missing)}")
        return self
