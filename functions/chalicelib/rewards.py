"""Reward rules: what a verified report earns, and why, under a named rule set.

The amounts, caps, conditions and every sentence a reporter or an officer reads are data
(``rulesets/*.toml``), each rule naming its source with a certainty tag, because the
regulations behind them are only partly confirmed: where a figure was not found the rule
set says so, and the calculator answers "not determinable" instead of inventing one.

This module is the authority: it validates the data, evaluates a case, and exports the
same data as JSON for the site's ``reward-engine.js``, which interprets it with the same
algorithm (the tests check that both agree exactly). Arithmetic is exact (fractions), and
the input bounds below keep every intermediate value an integer below 2**53, so the
JavaScript twin computes the same numbers with plain doubles.

The algorithm, in both languages:

1. eligibility conditions in order; the first one not met means nothing is paid;
2. the kind's formula gives an amount (or a range for officers to decide within), or says
   why no amount can be determined;
3. employee uplift, the maximum single reward, rounding to whole yuan (rounding mode per
   rule set), then an equal split of a joint report, each share rounded down.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .models import KIND_LABELS, ReportKind

RULESETS_DIR = Path(__file__).parent / "rulesets"
ENGINE_FILE = "_engine.toml"
FORMAT_VERSION = 1

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
Outcome = Literal["paid", "not_paid", "not_determinable"]
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

_NAME = r"^[a-z0-9][a-z0-9-]{0,63}$"
_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
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


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- rule data


class Citation(_Frozen):
    """Where a rule comes from, and how sure we are of it."""

    document: str
    document_en: str = ""
    article: str = ""
    certainty: Certainty
    source: str = ""
    note_zh: str = ""
    note_en: str = ""


Citations = tuple[Citation, ...]


class FieldTest(_Frozen):
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


class Eligibility(_Frozen):
    """A condition of any reward; ``id`` is the reason code when it is not met."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    all: tuple[FieldTest, ...] = ()
    any: tuple[FieldTest, ...] = ()
    reason_zh: str
    reason_en: str
    citations: Citations


class Rounding(_Frozen):
    mode: RoundingMode = "half_up"
    citations: Citations


class JointSplit(_Frozen):
    citations: Citations


class _Formula(_Frozen):
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


class Tier(_Frozen):
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


class EmployeeUplift(_Frozen):
    """A raise for employees reporting their own employer (应急〔2020〕69号: set locally)."""

    percent: int = Field(default=0, ge=0, le=MAX_UPLIFT_PERCENT)
    cap_yuan: YuanAmount | None = None
    when: tuple[FieldTest, ...] = ()
    text_zh: str
    text_en: str
    not_applied_zh: str
    not_applied_en: str
    citations: Citations


class RuleSet(_Frozen):
    """One named, cited set of reward rules."""

    name: str = Field(pattern=_NAME)
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


class GradeInfo(_Frozen):
    zh: str
    en: str
    min_deaths: int = Field(ge=0)
    order: int = Field(ge=1)


class Label(_Frozen):
    zh: str
    en: str


class Message(_Frozen):
    zh: str
    en: str
    separator_zh: str = ""
    separator_en: str = ""


class EngineData(_Frozen):
    grades: dict[Grade, GradeInfo]
    rounding_modes: dict[RoundingMode, Label]
    sources: dict[str, Citation]
    messages: dict[str, Message]

    @model_validator(mode="after")
    def _complete(self) -> EngineData:
        missing = REQUIRED_MESSAGES - set(self.messages)
        if missing:
            raise ValueError(f"messages missing: {sorted(missing)}")
        return self


# --------------------------------------------------------------------------- loading


@lru_cache(maxsize=1)
def engine_data() -> EngineData:
    with (RULESETS_DIR / ENGINE_FILE).open("rb") as fh:
        return EngineData.model_validate(tomllib.load(fh))


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; anything else (lists included) is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _resolve_citations(node: Any, sources: dict[str, Citation], where: str) -> Any:
    """Replace every ``*citations = ["id", ...]`` list by the cited sources."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key.endswith("citations") and isinstance(value, list):
                unknown = [ref for ref in value if ref not in sources]
                if unknown:
                    raise RuleSetError(f"{where}: unknown source ids {unknown}")
                out[key] = [sources[ref].model_dump() for ref in value]
            else:
                out[key] = _resolve_citations(value, sources, where)
        return out
    if isinstance(node, list):
        return [_resolve_citations(item, sources, where) for item in node]
    return node


def _raw_rule_set(name: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    if name in seen:
        raise RuleSetError(f"rule set {name!r} extends itself")
    path = RULESETS_DIR / f"{name}.toml"
    if not re.match(_NAME, name) or not path.is_file():
        raise RuleSetError(f"未知的奖励规则集：{name} / Unknown reward rule set: {name}")
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    merged = _merge(_raw_rule_set(str(parent), (*seen, name)), data)
    # a child that maps kinds anew drops the parent's now unused formulas
    used = set(merged.get("kinds", {}).values())
    merged["formulas"] = {k: v for k, v in merged.get("formulas", {}).items() if k in used}
    return merged


@lru_cache(maxsize=32)
def load_rule_set(name: str) -> RuleSet:
    """The validated rule set ``rulesets/<name>.toml`` (``extends`` resolved)."""
    raw = _resolve_citations(_raw_rule_set(name), engine_data().sources, name)
    rule_set = RuleSet.model_validate(raw)
    if rule_set.name != name:
        raise RuleSetError(f"{name}.toml declares name {rule_set.name!r}")
    return rule_set


def rule_set_names() -> list[str]:
    return sorted(p.stem for p in RULESETS_DIR.glob("*.toml") if not p.stem.startswith("_"))


def rule_sets() -> dict[str, RuleSet]:
    """Every shipped rule set by name."""
    return {name: load_rule_set(name) for name in rule_set_names()}


def default_rule_set_name() -> str:
    """The office's configured rule set (``[rules] reward_rule_set`` of the office file)."""
    from .settings import get_office  # lazily: only the default needs the office

    return get_office().rules.reward_rule_set


# --------------------------------------------------------------------------- the case


def _bilingual_error(kind: str, zh: str, en: str) -> PydanticCustomError:
    return PydanticCustomError(kind, f"{zh} / {en}")


class RewardCase(_Frozen):
    """The facts of one verified (or not) report that a reward depends on.

    ``has_contact`` says whether the reporter left valid contact details; when it is not
    given it follows ``real_name`` (a real-name report is taken to carry contact details,
    an anonymous one not). ``accident_grade`` is the FINAL grade of a concealed accident,
    or for a hazard/violation the grade of the accident the report avoided (only rule sets
    with graded tiers, such as ``anhui-2017``, use it). ``fine_total_yuan`` is the sum of
    the fines on the unit and on the persons concerned, in yuan with at most 2 decimals.
    """

    kind: ReportKind
    verified: StrictBool
    real_name: StrictBool
    has_contact: StrictBool | None = None
    reporter_is_employee: StrictBool = False
    report_order: StrictInt = Field(default=1, ge=1, le=MAX_REPORT_ORDER)
    joint_reporters: StrictInt = Field(default=1, ge=1, le=MAX_JOINT_REPORTERS)
    already_handled_by_regulator: StrictBool = False
    fine_total_yuan: Decimal = Decimal(0)
    accident_grade: Grade | None = None
    concealed_deaths: StrictInt = Field(default=0, ge=0, le=MAX_CONCEALED_DEATHS)
    rule_set: Annotated[str, Field(pattern=_NAME)] | None = None

    @field_validator("fine_total_yuan", mode="before")
    @classmethod
    def _fine(cls, value: Any) -> Decimal:
        """Exact yuan and fen: a plain decimal number, never a float's binary noise."""
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise _bilingual_error("amount_type", "罚款金额须为数字", "the fine must be a number")
        if isinstance(value, float):
            text = repr(value)
        elif isinstance(value, Decimal):
            text = format(value, "f")
        else:
            text = str(value)
        if not _AMOUNT.fullmatch(text):
            raise _bilingual_error(
                "amount_format",
                "罚款金额须为不小于 0 的十进制数",
                "the fine must be a non-negative decimal number",
            )
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the pattern already checked
            raise _bilingual_error("amount_format", "罚款金额格式错误", "malformed fine") from exc
        if (amount * 100) % 1 != 0:
            raise _bilingual_error(
                "amount_fen", "罚款金额最多精确到分", "the fine has at most 2 decimals (fen)"
            )
        if amount > MAX_FINE_YUAN:
            raise _bilingual_error(
                "amount_range",
                f"罚款金额不得超过 {MAX_FINE_YUAN} 元",
                f"the fine may not exceed {MAX_FINE_YUAN} yuan",
            )
        return amount

    @model_validator(mode="after")
    def _consistent(self) -> RewardCase:
        concealed = self.kind is ReportKind.concealed_accident
        if concealed and self.accident_grade is None:
            raise _bilingual_error(
                "grade_required",
                "瞒报、谎报事故须给出最终确认的事故等级",
                "a concealed accident needs its final accident grade",
            )
        if not concealed and self.concealed_deaths:
            raise _bilingual_error(
                "deaths_not_applicable",
                "瞒报死亡人数只适用于瞒报、谎报事故",
                "concealed deaths apply only to a concealed accident",
            )
        if concealed and self.accident_grade is not None:
            grades = engine_data().grades
            implied = max(
                (g for g in grades.values() if g.min_deaths <= self.concealed_deaths),
                key=lambda g: g.order,
            )
            if implied.order > grades[self.accident_grade].order:
                raise _bilingual_error(
                    "grade_below_deaths",
                    f"查实死亡人数对应的事故等级至少为{implied.zh}事故",
                    f"the verified deaths make it at least a grade '{implied.en}' accident",
                )
        return self

    def facts(self) -> dict[str, Any]:
        """The values eligibility tests read (``has_contact`` resolved)."""
        return {
            "kind": self.kind.value,
            "verified": self.verified,
            "real_name": self.real_name,
            "has_contact": self.real_name if self.has_contact is None else self.has_contact,
            "reporter_is_employee": self.reporter_is_employee,
            "report_order": self.report_order,
            "joint_reporters": self.joint_reporters,
            "already_handled_by_regulator": self.already_handled_by_regulator,
            "accident_grade": self.accident_grade,
            "concealed_deaths": self.concealed_deaths,
        }


# --------------------------------------------------------------------------- the result


class Step(_Frozen):
    """One rule applied, in words, with its sources."""

    rule: str
    text_zh: str
    text_en: str
    citations: Citations


class Basis(_Frozen):
    rule_set: str
    rule_set_title_zh: str
    rule_set_title_en: str
    rule_set_partial: bool
    outcome: Outcome
    rule: str
    reason: str | None
    summary_zh: str
    summary_en: str
    steps: tuple[Step, ...]


class RewardResult(_Frozen):
    """What is paid (whole yuan), or why nothing is, or why no sum can be given.

    ``reward_yuan`` is None when not determinable; for a range it is the lower bound and
    ``reward_max_yuan`` the upper one (officers decide within). ``per_reporter_yuan`` is
    each equal share of a joint report (the whole reward for a single reporter).
    """

    outcome: Outcome
    paid: bool
    reward_yuan: int | None
    reward_max_yuan: int | None
    per_reporter_yuan: int | None
    per_reporter_max_yuan: int | None
    officers_decide: bool
    basis: Basis


# --------------------------------------------------------------------------- evaluation


def _same(actual: Any, expected: Any) -> bool:
    # booleans equal only booleans (as in JavaScript's ===)
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    return bool(actual == expected)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _passes(test: FieldTest, facts: dict[str, Any]) -> bool:
    actual = facts[test.field]
    if test.op == "eq":
        return _same(actual, test.value)
    if test.op == "ne":
        return not _same(actual, test.value)
    if test.op == "in":
        return isinstance(test.value, tuple) and isinstance(actual, str) and actual in test.value
    if not (_is_int(actual) and _is_int(test.value)):
        return False
    return bool(actual <= test.value) if test.op == "le" else bool(actual >= test.value)


def _holds(all_: tuple[FieldTest, ...], any_: tuple[FieldTest, ...], facts: dict[str, Any]) -> bool:
    return all(_passes(t, facts) for t in all_) and (
        not any_ or any(_passes(t, facts) for t in any_)
    )


def format_amount(value: Fraction) -> str:
    """Exact decimal with thousands separators ("1,851.8505"); no float rounding."""
    k = 0
    while (10**k) % value.denominator:
        k += 1
        if k > 12:
            raise ValueError("amount is not a terminating decimal")
    scaled = value.numerator * (10**k // value.denominator)
    whole, fraction = divmod(scaled, 10**k)
    text = f"{whole:,}"
    digits = str(fraction).rjust(k, "0").rstrip("0") if k else ""
    return f"{text}.{digits}" if digits else text


def _render(template: str, values: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return _PLACEHOLDER.sub(substitute, template)


def _round(value: Fraction, mode: RoundingMode) -> int:
    n, d = value.numerator, value.denominator
    if mode == "half_up":
        return (2 * n + d) // (2 * d)
    if mode == "down":
        return n // d
    return -(-n // d)


Amount = tuple[Fraction, Fraction]


class _Stop(NamedTuple):
    """A formula's answer when it gives no amount."""

    outcome: Outcome
    reason: str


class _Evaluation:
    """One run of the algorithm; collects the steps as it goes."""

    def __init__(self, case: RewardCase, rule_set: RuleSet, engine: EngineData) -> None:
        self.case = case
        self.rs = rule_set
        self.engine = engine
        self.facts = case.facts()
        self.steps: list[Step] = []

    # texts ----------------------------------------------------------------------------
    def _step(
        self, rule: str, zh: str, en: str, values: dict[str, tuple[str, str]], citations: Citations
    ) -> None:
        zh_values = {k: v[0] for k, v in values.items()}
        en_values = {k: v[1] for k, v in values.items()}
        self.steps.append(
            Step(
                rule=rule,
                text_zh=_render(zh, zh_values),
                text_en=_render(en, en_values),
                citations=citations,
            )
        )

    def _message(
        self, rule: str, key: str, values: dict[str, tuple[str, str]], citations: Citations
    ) -> None:
        message = self.engine.messages[key]
        self._step(rule, message.zh, message.en, values, citations)

    def _range(self, amount: Amount) -> tuple[str, str]:
        lo, hi = amount
        if lo == hi:
            text = format_amount(lo)
            return text, text
        message = self.engine.messages["range"]
        values = {"min": format_amount(lo), "max": format_amount(hi)}
        return _render(message.zh, values), _render(message.en, values)

    def _grade(self) -> tuple[str, str]:
        grade = self.case.accident_grade
        if grade is None:
            message = self.engine.messages["no_grade"]
            return message.zh, message.en
        info = self.engine.grades[grade]
        return info.zh, info.en

    @staticmethod
    def _same_both(text: str) -> tuple[str, str]:
        return text, text

    # the algorithm ----------------------------------------------------------------------
    def run(self) -> RewardResult:
        for condition in self.rs.eligibility:
            if not _holds(condition.all, condition.any, self.facts):
                self._step(
                    f"eligibility.{condition.id}",
                    condition.reason_zh,
                    condition.reason_en,
                    {},
                    condition.citations + self.rs.eligibility_citations,
                )
                return self._result("not_paid", f"eligibility.{condition.id}", condition.id, None)
        formula_id = self.rs.kinds[self.case.kind]
        formula = self.rs.formulas[formula_id]
        rule = f"formulas.{formula_id}"
        found: Amount | _Stop
        if isinstance(formula, PercentOfFine):
            found = self._percent_of_fine(rule, formula)
        elif isinstance(formula, PerDeathByGrade):
            found = self._per_death(rule, formula)
        else:
            found = self._avoided_grade(rule, formula)
        if isinstance(found, _Stop):
            return self._result(found.outcome, rule, found.reason, None)
        officers_decide = isinstance(formula, ByAvoidedGrade)
        amount = self._uplift(found)
        amount = self._max_single(amount)
        total = self._rounded(amount)
        if officers_decide:
            self._message("officers_decide", "officers_decide", {}, formula.citations)
        return self._result("paid", rule, None, (total, officers_decide))

    def _percent_of_fine(self, rule: str, f: PercentOfFine) -> Amount | _Stop:
        fine = Fraction(self.case.fine_total_yuan)
        floor, cap = Fraction(f.floor_yuan), Fraction(f.cap_yuan)
        if fine == 0:
            if f.zero_fine_policy == "none":
                self._message(f"{rule}.zero_fine", "zero_fine_none", {}, f.zero_fine_citations)
                return _Stop("not_paid", "zero_fine")
            amount = self._same_both(format_amount(floor))
            self._message(
                f"{rule}.zero_fine", "zero_fine_floor", {"amount": amount}, f.zero_fine_citations
            )
            return floor, floor
        raw = fine * Fraction(f.rate_basis_points, 10_000)
        values = {
            "fine": self._same_both(format_amount(fine)),
            "rate": self._same_both(format_amount(Fraction(f.rate_basis_points, 100))),
            "raw": self._same_both(format_amount(raw)),
            "floor": self._same_both(format_amount(floor)),
            "cap": self._same_both(format_amount(cap)),
        }
        self._step(rule, f.text_zh, f.text_en, values, f.citations)
        if raw < floor:
            self._message(f"{rule}.floor", "floor", {"amount": values["floor"]}, f.citations)
            return floor, floor
        if raw > cap:
            self._message(f"{rule}.cap", "cap", {"amount": values["cap"]}, f.citations)
            return cap, cap
        return raw, raw

    def _not_found(self, rule: str, citations: Citations) -> _Stop:
        kind_zh, kind_en = KIND_LABELS[self.case.kind]
        values = {
            "document": self._same_both(self.rs.document),
            "kind_zh": self._same_both(kind_zh),
            "kind_en": self._same_both(kind_en),
            "grade_zh": self._same_both(self._grade()[0]),
            "grade_en": self._same_both(self._grade()[1]),
        }
        self._message(f"{rule}.tier_not_found", "tier_not_found", values, citations)
        return _Stop("not_determinable", "tier_not_found")

    def _per_death(self, rule: str, f: PerDeathByGrade) -> Amount | _Stop:
        deaths = self.case.concealed_deaths
        if deaths == 0:
            self._message(f"{rule}.no_deaths", "no_deaths", {}, f.no_deaths_citations)
            return _Stop("not_determinable", "no_deaths")
        grade = self.case.accident_grade
        if grade is None or grade not in f.per_death_yuan:
            return self._not_found(rule, f.citations + f.not_found_citations)
        per_death = Fraction(f.per_death_yuan[grade])
        raw = per_death * deaths
        cap = Fraction(f.cap_yuan)
        values = {
            "grade_zh": self._same_both(self._grade()[0]),
            "grade_en": self._same_both(self._grade()[1]),
            "deaths": self._same_both(format_amount(Fraction(deaths))),
            "per_death": self._same_both(format_amount(per_death)),
            "raw": self._same_both(format_amount(raw)),
            "cap": self._same_both(format_amount(cap)),
        }
        self._step(rule, f.text_zh, f.text_en, values, f.citations)
        if raw > cap:
            self._message(f"{rule}.cap", "cap", {"amount": values["cap"]}, f.citations)
            return cap, cap
        return raw, raw

    def _avoided_grade(self, rule: str, f: ByAvoidedGrade) -> Amount | _Stop:
        grade = self.case.accident_grade
        if grade is None or grade not in f.tiers:
            return self._not_found(rule, f.citations + f.not_found_citations)
        tier = f.tiers[grade]
        values = {
            "grade_zh": self._same_both(self._grade()[0]),
            "grade_en": self._same_both(self._grade()[1]),
            "min": self._same_both(format_amount(Fraction(tier.min_yuan))),
            "max": self._same_both(format_amount(Fraction(tier.max_yuan))),
        }
        self._step(rule, f.text_zh, f.text_en, values, f.citations)
        return Fraction(tier.min_yuan), Fraction(tier.max_yuan)

    def _uplift(self, amount: Amount) -> Amount:
        uplift = self.rs.employee_uplift
        if not self.case.reporter_is_employee:
            return amount
        if uplift.percent == 0:
            self._message("employee_uplift.none", "no_uplift", {}, uplift.citations)
            return amount
        if not _holds(uplift.when, (), self.facts):
            self._step(
                "employee_uplift.not_applied",
                uplift.not_applied_zh,
                uplift.not_applied_en,
                {},
                uplift.citations,
            )
            return amount
        factor = Fraction(100 + uplift.percent, 100)
        raised = (amount[0] * factor, amount[1] * factor)
        values = {
            "percent": self._same_both(str(uplift.percent)),
            "before": self._range(amount),
            "after": self._range(raised),
        }
        self._step("employee_uplift", uplift.text_zh, uplift.text_en, values, uplift.citations)
        if uplift.cap_yuan is not None and raised[1] > uplift.cap_yuan:
            cap = Fraction(uplift.cap_yuan)
            raised = (min(raised[0], cap), cap)
            self._message(
                "employee_uplift.cap",
                "uplift_cap",
                {"amount": self._range(raised)},
                uplift.citations,
            )
        return raised

    def _max_single(self, amount: Amount) -> Amount:
        limit = self.rs.max_single_reward_yuan
        if limit is None or amount[1] <= limit:
            return amount
        cap = Fraction(limit)
        capped = (min(amount[0], cap), cap)
        self._message(
            "max_single_reward",
            "max_single",
            {"amount": self._range(capped)},
            self.rs.max_single_citations,
        )
        return capped

    def _rounded(self, amount: Amount) -> tuple[int, int]:
        mode = self.rs.rounding.mode
        rounded = (_round(amount[0], mode), _round(amount[1], mode))
        if (Fraction(rounded[0]), Fraction(rounded[1])) != amount:
            label = self.engine.rounding_modes[mode]
            values = {
                "before": self._range(amount),
                "after": self._range((Fraction(rounded[0]), Fraction(rounded[1]))),
                "mode_zh": self._same_both(label.zh),
                "mode_en": self._same_both(label.en),
            }
            self._message("rounding", "rounding", values, self.rs.rounding.citations)
        return rounded

    def _result(
        self,
        outcome: Outcome,
        rule: str,
        reason: str | None,
        paid: tuple[tuple[int, int], bool] | None,
    ) -> RewardResult:
        reward: int | None = 0 if outcome == "not_paid" else None
        reward_max: int | None = None
        share: int | None = reward
        share_max: int | None = None
        officers_decide = False
        if paid is not None:
            (lo, hi), officers_decide = paid
            n = self.case.joint_reporters
            reward, share = lo, lo // n
            if officers_decide:
                reward_max, share_max = hi, hi // n
            if n > 1:
                values = {
                    "reporters": self._same_both(str(n)),
                    "total": self._range((Fraction(lo), Fraction(hi))),
                    "share": self._range((Fraction(lo // n), Fraction(hi // n))),
                }
                self._message("joint_split", "split", values, self.rs.joint_split.citations)
        return RewardResult(
            outcome=outcome,
            paid=outcome == "paid",
            reward_yuan=reward,
            reward_max_yuan=reward_max,
            per_reporter_yuan=share,
            per_reporter_max_yuan=share_max,
            officers_decide=officers_decide,
            basis=Basis(
                rule_set=self.rs.name,
                rule_set_title_zh=self.rs.title_zh,
                rule_set_title_en=self.rs.title_en,
                rule_set_partial=self.rs.partial,
                outcome=outcome,
                rule=rule,
                reason=reason,
                summary_zh=self._summary("zh"),
                summary_en=self._summary("en"),
                steps=tuple(self.steps),
            ),
        )

    def _summary(self, lang: Literal["zh", "en"]) -> str:
        messages = self.engine.messages
        cite, cites, summary = messages["citation"], messages["citations"], messages["summary"]
        parts = []
        previous: Citations = ()
        for step in self.steps:
            text = step.text_zh if lang == "zh" else step.text_en
            if step.citations and step.citations != previous:
                rendered = []
                for c in step.citations:
                    document = c.document if lang == "zh" else (c.document_en or c.document)
                    article = c.article if lang == "zh" or not c.article else f" {c.article}"
                    values = {"document": document, "article": article, "certainty": c.certainty}
                    rendered.append(_render(cite.zh if lang == "zh" else cite.en, values))
                separator = cites.separator_zh if lang == "zh" else cites.separator_en
                template = cites.zh if lang == "zh" else cites.en
                text += _render(template, {"list": separator.join(rendered)})
            previous = step.citations
            parts.append(text)
        separator = summary.separator_zh if lang == "zh" else summary.separator_en
        template = summary.zh if lang == "zh" else summary.en
        return _render(template, {"steps": separator.join(parts)})


def evaluate(case: RewardCase, rule_set: RuleSet | str | None = None) -> RewardResult:
    """The reward for ``case``: under ``rule_set`` if given, else the case's own
    ``rule_set``, else the office's configured default."""
    if isinstance(rule_set, RuleSet):
        chosen = rule_set
    else:
        chosen = load_rule_set(rule_set or case.rule_set or default_rule_set_name())
    return _Evaluation(case, chosen, engine_data()).run()


# --------------------------------------------------------------------------- export


def export_rule_sets(default: str | None = None) -> dict[str, Any]:
    """Everything ``reward-engine.js`` needs, as JSON-able data.

    The site writes this to ``assets/reward-rules.json`` at build time; the script then
    applies exactly the rules this module applies.
    """
    engine = engine_data()
    return {
        "format": FORMAT_VERSION,
        "default_rule_set": default or default_rule_set_name(),
        "limits": {
            "max_fine_yuan": MAX_FINE_YUAN,
            "max_report_order": MAX_REPORT_ORDER,
            "max_joint_reporters": MAX_JOINT_REPORTERS,
            "max_concealed_deaths": MAX_CONCEALED_DEATHS,
        },
        "kinds": {kind.value: {"zh": zh, "en": en} for kind, (zh, en) in KIND_LABELS.items()},
        "grades": {k: v.model_dump(mode="json") for k, v in engine.grades.items()},
        "rounding_modes": {k: v.model_dump(mode="json") for k, v in engine.rounding_modes.items()},
        "messages": {k: v.model_dump(mode="json") for k, v in engine.messages.items()},
        "rule_sets": {name: rs.model_dump(mode="json") for name, rs in rule_sets().items()},
    }
