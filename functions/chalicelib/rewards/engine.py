"""The engine: one rule set applied to one case, every step in words and cited.

Why a module of its own: this is the algorithm that ``reward-engine.js`` repeats line for
line, so it is kept apart from the data it reads and the models it is given. Arithmetic is
exact (``Fraction``); the answer, ``RewardResult``, carries the amount (or why there is
none) and its basis in Chinese and English, with the sources of each step.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, Literal, NamedTuple

from ..reports.models import KIND_LABELS
from .case import RewardCase
from .loader import default_rule_set_name, engine_data, load_rule_set
from .schema import (
    ByAvoidedGrade,
    Citations,
    EngineData,
    FieldTest,
    Frozen,
    PercentOfFine,
    PerDeathByGrade,
    RoundingMode,
    RuleSet,
)

Outcome = Literal["paid", "not_paid", "not_determinable"]
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


# --------------------------------------------------------------------------- the result


class Step(Frozen):
    """One rule applied, in words, with its sources."""

    rule: str
    text_zh: str
    text_en: str
    citations: Citations


class Basis(Frozen):
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


class RewardResult(Frozen):
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
        previous: tuple[tuple[str, str, str], ...] = ()
        for step in self.steps:
            text = step.text_zh if lang == "zh" else step.text_en
            # compared as the reader sees them (the site's data has only these fields)
            named = tuple((c.document, c.document_en, c.article) for c in step.citations)
            if step.citations and named != previous:
                rendered = []
                for c in step.citations:
                    document = c.document if lang == "zh" else (c.document_en or c.document)
                    article = c.article if lang == "zh" or not c.article else f" {c.article}"
                    values = {"document": document, "article": article}
                    text_of = _render(cite.zh if lang == "zh" else cite.en, values)
                    if text_of not in rendered:  # two sources of one document: named once
                        rendered.append(text_of)
                separator = cites.separator_zh if lang == "zh" else cites.separator_en
                template = cites.zh if lang == "zh" else cites.en
                text += _render(template, {"list": separator.join(rendered)})
            previous = named
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
