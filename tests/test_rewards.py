"""The reward rules: worked cases from the regulations, configuration options, and
properties (floor, cap, monotonicity, joint split, exclusions) over generated cases.

Expected amounts come from the regulations research (shared/reference/regulations.md),
worked by hand from the published formulas, not copied from the module's output.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.config.settings import from_env, office_for
from chalicelib.rewards import loader, schema
from chalicelib.rewards.case import RewardCase
from chalicelib.rewards.engine import RewardResult, evaluate
from chalicelib.rewards.export import export_rule_sets
from chalicelib.rewards.loader import load_rule_set, rule_sets
from chalicelib.rewards.schema import PercentOfFine, RuleSet, RuleSetError

NATIONAL = "national-2018"
UPLIFT = "national-2018-employee-uplift-20"
ANHUI = "anhui-2017"
GRADES = ("general", "larger", "major", "especially_major")
# 《生产安全事故报告和调查处理条例》第三条: least deaths of each grade
GRADE_MIN_DEATHS = {"general": 0, "larger": 3, "major": 10, "especially_major": 30}
CJK = re.compile(r"[\u4e00-\u9fff]")


def case(**fields: Any) -> RewardCase:
    base: dict[str, Any] = {"kind": "hazard", "verified": True, "real_name": True}
    base.update(fields)
    return RewardCase.model_validate(base)


def run(rule_set: str | RuleSet = NATIONAL, **fields: Any) -> RewardResult:
    return evaluate(case(**fields), rule_set)


def with_fine_rule(rule_set: RuleSet, **changes: Any) -> RuleSet:
    formulas = dict(rule_set.formulas)
    formula = formulas["fine_percent"]
    assert isinstance(formula, PercentOfFine)
    formulas["fine_percent"] = formula.model_copy(update=changes)
    return rule_set.model_copy(update={"formulas": formulas})


# ------------------------------------------------------------------ worked examples


def test_zhumadian_four_concealed_deaths_at_larger_grade_pay_160000() -> None:
    # regulations.md §1.4: 驻马店 mine roof fall, 4 concealed deaths, 较大 → 160,000 yuan
    result = run(kind="concealed_accident", accident_grade="larger", concealed_deaths=4)
    assert result.paid and result.outcome == "paid"
    assert result.reward_yuan == 160_000 == result.per_reporter_yuan
    assert result.basis.rule == "formulas.concealed_per_death"
    assert "40,000" in result.basis.summary_zh and "较大" in result.basis.summary_zh


@pytest.mark.parametrize(
    ("fine", "expected"),
    [
        (10_000, 3_000),  # 15% = 1,500 < floor 3,000 (云南: 达不到3000元的按3000元奖励)
        (3_000_000, 300_000),  # 15% = 450,000 > cap 300,000
        (100_000, 15_000),  # 15% of 100,000
        (20_000, 3_000),  # exactly the floor
        (2_000_000, 300_000),  # exactly the cap
    ],
)
def test_fifteen_percent_with_floor_and_cap(fine: int, expected: int) -> None:
    for kind in ("hazard", "violation"):
        result = run(kind=kind, fine_total_yuan=fine)
        assert result.paid and result.reward_yuan == expected


def test_floor_and_cap_steps_say_which_bound_applied() -> None:
    low = run(fine_total_yuan=10_000)
    assert [s.rule for s in low.basis.steps] == [
        "formulas.fine_percent",
        "formulas.fine_percent.floor",
    ]
    high = run(fine_total_yuan=3_000_000)
    assert high.basis.steps[-1].rule == "formulas.fine_percent.cap"
    middle = run(fine_total_yuan=100_000)
    assert [s.rule for s in middle.basis.steps] == ["formulas.fine_percent"]


def test_fines_with_fen_are_exact_and_rounded_half_up_by_default() -> None:
    # 15% × 20,003.00 = 3,000.45 → 3,000 ; 15% × 20,003.34 = 3,000.501 → 3,001
    assert run(fine_total_yuan="20003").reward_yuan == 3_000
    assert run(fine_total_yuan="20003.34").reward_yuan == 3_001
    # 15% × 20,003.30 = 3,000.495 → 3,000 (a float would be tempted to say 3,000.5)
    assert run(fine_total_yuan="20003.30").reward_yuan == 3_000
    # 15% × 20,010 = 3,001.5 → half up → 3,002
    result = run(fine_total_yuan=20_010)
    assert result.reward_yuan == 3_002
    rounding = result.basis.steps[-1]
    assert rounding.rule == "rounding" and "3,001.5" in rounding.text_zh
    assert [c.certainty for c in rounding.citations] == ["CONFIG"]


@pytest.mark.parametrize(("mode", "expected"), [("half_up", 3_002), ("down", 3_001), ("up", 3_002)])
def test_rounding_mode_is_rule_set_configuration(mode: str, expected: int) -> None:
    national = load_rule_set(NATIONAL)
    changed = national.model_copy(
        update={"rounding": national.rounding.model_copy(update={"mode": mode})}
    )
    assert evaluate(case(fine_total_yuan=20_010), changed).reward_yuan == expected
    # 15% × 20,003.34 = 3,000.501
    assert evaluate(case(fine_total_yuan="20003.34"), changed).reward_yuan == (
        3_000 if mode == "down" else 3_001
    )


def test_zero_fine_pays_the_floor_by_default_and_says_it_is_configuration() -> None:
    result = run(fine_total_yuan=0)
    assert result.paid and result.reward_yuan == 3_000
    step = result.basis.steps[0]
    assert step.rule == "formulas.fine_percent.zero_fine"
    assert "CONFIG" in {c.certainty for c in step.citations}


def test_zero_fine_policy_none_pays_nothing() -> None:
    strict = with_fine_rule(load_rule_set(NATIONAL), zero_fine_policy="none")
    result = evaluate(case(fine_total_yuan=0), strict)
    assert (result.outcome, result.paid, result.reward_yuan) == ("not_paid", False, 0)
    assert result.basis.reason == "zero_fine"
    # a fine of one fen is a fine: the floor applies
    assert evaluate(case(fine_total_yuan="0.01"), strict).reward_yuan == 3_000


@pytest.mark.parametrize(
    ("grade", "per_death"),
    [("general", 30_000), ("larger", 40_000), ("major", 50_000), ("especially_major", 60_000)],
)
def test_concealed_accident_per_death_by_final_grade(grade: str, per_death: int) -> None:
    deaths = max(1, GRADE_MIN_DEATHS[grade])
    result = run(kind="concealed_accident", accident_grade=grade, concealed_deaths=deaths)
    assert result.reward_yuan == min(deaths * per_death, 300_000)


def test_concealed_accident_cap_300000() -> None:
    # 6 × 60,000 = 360,000 > 300,000
    result = run(kind="concealed_accident", accident_grade="especially_major", concealed_deaths=6)
    assert result.reward_yuan == 300_000
    assert result.basis.steps[-1].rule == "formulas.concealed_per_death.cap"


def test_concealed_accident_without_verified_deaths_is_not_determinable() -> None:
    result = run(kind="concealed_accident", accident_grade="general", concealed_deaths=0)
    assert result.outcome == "not_determinable" and not result.paid
    assert result.reward_yuan is None and result.per_reporter_yuan is None
    assert result.basis.reason == "no_deaths"


# ------------------------------------------------------------------ who is not paid


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"verified": False}, "unverified"),
        ({"already_handled_by_regulator": True}, "already_handled"),
        ({"report_order": 2}, "not_first_reporter"),
        ({"real_name": False}, "anonymous_without_contact"),
        ({"real_name": False, "has_contact": False}, "anonymous_without_contact"),
        ({"real_name": True, "has_contact": False}, "no_valid_contact"),
    ],
)
def test_exclusions(fields: dict[str, Any], reason: str) -> None:
    for name in rule_sets():
        result = run(name, fine_total_yuan=100_000, accident_grade="especially_major", **fields)
        assert (result.outcome, result.paid, result.reward_yuan) == ("not_paid", False, 0)
        assert result.per_reporter_yuan == 0
        assert result.basis.reason == reason
        assert result.basis.rule == f"eligibility.{reason}"
        (step,) = result.basis.steps
        assert step.citations and CJK.search(step.text_zh)


def test_unverified_is_the_first_reason_given() -> None:
    result = run(verified=False, real_name=False, report_order=3, already_handled_by_regulator=True)
    assert result.basis.reason == "unverified"


def test_anonymous_reporter_who_left_contact_details_is_paid() -> None:
    result = run(real_name=False, has_contact=True, fine_total_yuan=100_000)
    assert result.paid and result.reward_yuan == 15_000


def test_first_reporter_cites_2012_wording_and_2018_uncertainty() -> None:
    result = run(report_order=2)
    tags = {(c.document, c.article, c.certainty) for c in result.basis.steps[0].citations}
    assert ("安监总财〔2012〕63号", "第十三条", "C") in tags
    assert ("安监总财〔2018〕19号", "", "U") in tags


# ------------------------------------------------------------------ joint reports


def test_joint_report_split_equally_rounded_down() -> None:
    result = run(fine_total_yuan=100_000, joint_reporters=7)  # 15,000 / 7 = 2,142.857…
    assert result.reward_yuan == 15_000 and result.per_reporter_yuan == 2_142
    split = result.basis.steps[-1]
    assert split.rule == "joint_split" and "2,142" in split.text_zh
    certainties = {c.certainty for c in split.citations}
    assert {"C", "U", "CONFIG"} <= certainties


# ------------------------------------------------------------------ employee uplift


def test_national_default_has_no_uplift_and_says_why() -> None:
    result = run(reporter_is_employee=True, fine_total_yuan=100_000)
    assert result.reward_yuan == 15_000
    assert result.basis.steps[-1].rule == "employee_uplift.none"
    assert "CONFIG" in {c.certainty for c in result.basis.steps[-1].citations}


def test_uplift_example_adds_twenty_percent_for_named_employees() -> None:
    result = run(UPLIFT, reporter_is_employee=True, fine_total_yuan=100_000)
    assert result.reward_yuan == 18_000  # 15,000 × 1.2
    step = next(s for s in result.basis.steps if s.rule == "employee_uplift")
    assert {c.document for c in step.citations} >= {"日照市从业人员举报奖励规定（地方做法示例）"}
    assert all(c.certainty in ("C", "S") for c in step.citations)
    # the floor is raised too: 3,000 × 1.2
    assert run(UPLIFT, reporter_is_employee=True, fine_total_yuan=0).reward_yuan == 3_600


def test_uplift_conditions_come_from_the_rule_set() -> None:
    # not an employee, or an anonymous employee, or a concealed accident: no uplift
    assert run(UPLIFT, fine_total_yuan=100_000).reward_yuan == 15_000
    anonymous = run(
        UPLIFT,
        reporter_is_employee=True,
        real_name=False,
        has_contact=True,
        fine_total_yuan=100_000,
    )
    assert anonymous.reward_yuan == 15_000
    assert anonymous.basis.steps[-1].rule == "employee_uplift.not_applied"
    concealed = run(
        UPLIFT,
        kind="concealed_accident",
        reporter_is_employee=True,
        accident_grade="larger",
        concealed_deaths=4,
    )
    assert concealed.reward_yuan == 160_000


def test_uplift_cap() -> None:
    base = load_rule_set(UPLIFT)
    tight = base.model_copy(
        update={"employee_uplift": base.employee_uplift.model_copy(update={"cap_yuan": 320_000})}
    )
    result = evaluate(case(reporter_is_employee=True, fine_total_yuan=3_000_000), tight)
    assert result.reward_yuan == 320_000  # 300,000 × 1.2 = 360,000 > 320,000
    assert result.basis.steps[-1].rule == "employee_uplift.cap"


# ------------------------------------------------------------------ Anhui 2017 (partial)


def test_anhui_concealed_50000_per_death() -> None:
    result = run(ANHUI, kind="concealed_accident", accident_grade="larger", concealed_deaths=4)
    assert result.reward_yuan == 200_000  # 4 × 50,000
    assert result.basis.rule_set_partial is True


def test_anhui_concealed_cap_500000() -> None:
    result = run(ANHUI, kind="concealed_accident", accident_grade="major", concealed_deaths=11)
    assert result.reward_yuan == 500_000  # 11 × 50,000 = 550,000 > 500,000


def test_anhui_avoided_especially_major_accident_is_a_range_officers_decide() -> None:
    result = run(ANHUI, accident_grade="especially_major", joint_reporters=2)
    assert result.paid and result.officers_decide
    assert (result.reward_yuan, result.reward_max_yuan) == (100_000, 300_000)
    assert (result.per_reporter_yuan, result.per_reporter_max_yuan) == (50_000, 150_000)
    assert any(s.rule == "officers_decide" for s in result.basis.steps)
    assert "100,000–300,000" in result.basis.summary_zh


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "hazard"},  # ordinary hazard: no avoided accident
        {"kind": "hazard", "accident_grade": "major"},
        {"kind": "violation", "accident_grade": "larger"},
        {"kind": "hazard", "accident_grade": "general"},
        {"kind": "concealed_accident", "accident_grade": "general", "concealed_deaths": 2},
    ],
)
def test_anhui_unpublished_tiers_are_not_determinable(fields: dict[str, Any]) -> None:
    result = run(ANHUI, fine_total_yuan=1_000_000, **fields)
    assert result.outcome == "not_determinable" and not result.paid
    assert result.reward_yuan is None
    assert result.basis.reason == "tier_not_found"
    assert "NOT_FOUND" in {c.certainty for s in result.basis.steps for c in s.citations}
    # the certainty stays in the citations; the public text says what the calculator does
    assert "计算器未收录" in result.basis.summary_zh and "不作推算" in result.basis.summary_zh
    assert "holds no amount" in result.basis.summary_en


def test_anhui_eligibility_says_national_rules_are_borrowed() -> None:
    result = run(ANHUI, verified=False)
    assert "CONFIG" in {c.certainty for c in result.basis.steps[0].citations}


# ------------------------------------------------------------------ the case model


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "concealed_accident", "concealed_deaths": 1},  # no grade
        {"kind": "hazard", "concealed_deaths": 1},  # deaths only for concealed accidents
        {"kind": "concealed_accident", "accident_grade": "general", "concealed_deaths": 3},
        {"kind": "concealed_accident", "accident_grade": "major", "concealed_deaths": 30},
        {"fine_total_yuan": "1.005"},
        {"fine_total_yuan": "-1"},
        {"fine_total_yuan": "1e3"},
        {"fine_total_yuan": True},
        {"fine_total_yuan": schema.MAX_FINE_YUAN + 1},
        {"verified": "true"},
        {"report_order": 0},
        {"joint_reporters": 0},
        {"accident_grade": "huge"},
        {"kind": "rumour"},
        {"rule_set": "../etc/passwd"},
        {"unexpected": 1},
    ],
)
def test_invalid_cases_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        case(**fields)


def test_case_errors_of_our_own_are_bilingual() -> None:
    with pytest.raises(ValidationError) as info:
        case(kind="concealed_accident", accident_grade="general", concealed_deaths=3)
    message = info.value.errors()[0]["msg"]
    assert CJK.search(message) and "larger" in message


def test_fine_accepts_numbers_and_strings_alike() -> None:
    assert case(fine_total_yuan=0.1).fine_total_yuan == Decimal("0.1")
    assert case(fine_total_yuan="12345.60").fine_total_yuan == Decimal("12345.6")
    assert case(fine_total_yuan=Decimal("7")).fine_total_yuan == 7


def test_has_contact_follows_real_name_when_not_given() -> None:
    assert case(real_name=True).facts()["has_contact"] is True
    assert case(real_name=False).facts()["has_contact"] is False
    assert case(real_name=False, has_contact=True).facts()["has_contact"] is True


# ------------------------------------------------------------------ rule sets


def test_shipped_rule_sets() -> None:
    sets = rule_sets()
    assert {NATIONAL, UPLIFT, ANHUI} <= set(sets)
    assert sets[ANHUI].partial and not sets[NATIONAL].partial
    assert sets[NATIONAL].employee_uplift.percent == 0
    assert sets[UPLIFT].employee_uplift.percent == 20


def test_unknown_rule_set() -> None:
    with pytest.raises(RuleSetError) as info:
        load_rule_set("no-such-rules")
    assert CJK.search(str(info.value)) and "Unknown" in str(info.value)
    with pytest.raises(RuleSetError):
        run("no-such-rules")


def test_rule_set_precedence_argument_then_case_then_office_default() -> None:
    office_default = office_for(from_env()).rules.reward_rule_set
    assert loader.default_rule_set_name() == office_default
    c = case(kind="concealed_accident", accident_grade="larger", concealed_deaths=4, rule_set=ANHUI)
    assert evaluate(c).basis.rule_set == ANHUI
    assert evaluate(c, NATIONAL).basis.rule_set == NATIONAL
    plain = case(fine_total_yuan=1)
    assert evaluate(plain).basis.rule_set == office_default


def test_every_citation_is_tagged_and_every_step_cited() -> None:
    for rule_set in rule_sets().values():
        for formula in rule_set.formulas.values():
            assert formula.citations
        for condition in rule_set.eligibility:
            assert condition.citations
        assert rule_set.rounding.citations and rule_set.joint_split.citations


def test_export_is_json_and_round_trips() -> None:
    exported = json.loads(json.dumps(export_rule_sets()))
    assert exported["default_rule_set"] == office_for(from_env()).rules.reward_rule_set
    for name, data in exported["rule_sets"].items():
        assert RuleSet.model_validate(data) == load_rule_set(name)
    assert set(exported["grades"]) == set(GRADES)
    for grade, least in GRADE_MIN_DEATHS.items():
        assert exported["grades"][grade]["min_deaths"] == least


def test_a_child_rule_set_keeps_only_the_formulas_it_uses() -> None:
    assert set(load_rule_set(ANHUI).formulas) == {"avoided_accident", "concealed_per_death_anhui"}


# ------------------------------------------------------------------ properties


@st.composite
def cases(draw: st.DrawFn, rule_set: str | None = None) -> RewardCase:
    kind = draw(st.sampled_from(["hazard", "violation", "concealed_accident"]))
    fields: dict[str, Any] = {
        "kind": kind,
        "verified": draw(st.booleans()),
        "real_name": draw(st.booleans()),
        "reporter_is_employee": draw(st.booleans()),
        "report_order": draw(st.integers(1, 4)),
        "joint_reporters": draw(st.integers(1, 12)),
        "already_handled_by_regulator": draw(st.booleans()),
        "fine_total_yuan": Decimal(draw(fines_fen())) / 100,
    }
    contact = draw(st.sampled_from([None, True, False]))
    if contact is not None:
        fields["has_contact"] = contact
    if kind == "concealed_accident":
        deaths = draw(st.integers(0, 60))
        least = [g for g in GRADES if GRADE_MIN_DEATHS[g] <= deaths][-1]
        possible = [g for g in GRADES if GRADES.index(g) >= GRADES.index(least)]
        fields["accident_grade"] = draw(st.sampled_from(possible))
        fields["concealed_deaths"] = deaths
    else:
        fields["accident_grade"] = draw(st.sampled_from([None, *GRADES]))
    if rule_set is not None:
        fields["rule_set"] = rule_set
    return RewardCase.model_validate(fields)


def fines_fen() -> st.SearchStrategy[int]:
    # around the floor and the cap, and anywhere up to the limit
    return st.one_of(
        st.integers(0, 5_000_000),
        st.integers(0, 300_000_000),
        st.integers(0, schema.MAX_FINE_YUAN * 100),
        st.sampled_from([0, 1, 2_000_000, 2_000_001, 200_000_000, 199_999_999]),
    )


RULE_SETS = st.sampled_from([NATIONAL, UPLIFT, ANHUI])


def _bounds(rule_set: RuleSet, c: RewardCase) -> tuple[int, int]:
    """Least and most a paid case may get under the rule set's own data."""
    formula = rule_set.formulas[rule_set.kinds[c.kind]]
    uplift = rule_set.employee_uplift
    factor = Decimal(100 + uplift.percent) / 100
    if isinstance(formula, PercentOfFine):
        least, most = formula.floor_yuan, formula.cap_yuan
    elif isinstance(formula, schema.PerDeathByGrade):
        least, most = min(formula.per_death_yuan.values()), formula.cap_yuan
    else:
        least = min(t.min_yuan for t in formula.tiers.values())
        most = max(t.max_yuan for t in formula.tiers.values())
    most_raised = int(most * factor)
    if uplift.cap_yuan is not None:
        most_raised = min(most_raised, max(uplift.cap_yuan, most))
    if rule_set.max_single_reward_yuan is not None:
        most_raised = min(most_raised, rule_set.max_single_reward_yuan)
        least = min(least, rule_set.max_single_reward_yuan)
    return least, most_raised


@settings(max_examples=400, deadline=None)
@given(rule_set_name=RULE_SETS, c=cases())
def test_paid_amounts_stay_within_floor_and_cap(rule_set_name: str, c: RewardCase) -> None:
    rule_set = load_rule_set(rule_set_name)
    result = evaluate(c, rule_set)
    if not result.paid:
        assert result.reward_yuan in (0, None)
        return
    least, most = _bounds(rule_set, c)
    assert result.reward_yuan is not None
    assert least <= result.reward_yuan <= most
    if result.reward_max_yuan is not None:
        assert result.reward_yuan <= result.reward_max_yuan <= most


@settings(max_examples=300, deadline=None)
@given(rule_set_name=RULE_SETS, c=cases(), a=fines_fen(), b=fines_fen())
def test_monotonic_in_the_fine(rule_set_name: str, c: RewardCase, a: int, b: int) -> None:
    low, high = sorted((a, b))
    first = evaluate(c.model_copy(update={"fine_total_yuan": Decimal(low) / 100}), rule_set_name)
    second = evaluate(c.model_copy(update={"fine_total_yuan": Decimal(high) / 100}), rule_set_name)
    assert first.outcome == second.outcome or first.reward_yuan == 0
    if first.reward_yuan is not None and second.reward_yuan is not None:
        assert first.reward_yuan <= second.reward_yuan
        assert (first.per_reporter_yuan or 0) <= (second.per_reporter_yuan or 0)


@settings(max_examples=300, deadline=None)
@given(
    rule_set_name=RULE_SETS,
    c=cases(),
    grade=st.sampled_from(GRADES),
    d1=st.integers(1, 200),
    d2=st.integers(1, 200),
)
def test_monotonic_in_deaths(
    rule_set_name: str, c: RewardCase, grade: str, d1: int, d2: int
) -> None:
    low, high = sorted((d1, d2))
    # the grade must admit both counts: at least the grade the larger count implies
    least = [g for g in GRADES if GRADE_MIN_DEATHS[g] <= high][-1]
    if GRADES.index(grade) < GRADES.index(least):
        grade = least
    base = c.model_dump() | {"kind": "concealed_accident", "accident_grade": grade}
    first = evaluate(RewardCase.model_validate(base | {"concealed_deaths": low}), rule_set_name)
    second = evaluate(RewardCase.model_validate(base | {"concealed_deaths": high}), rule_set_name)
    assert first.outcome == second.outcome
    if first.reward_yuan is not None and second.reward_yuan is not None:
        assert first.reward_yuan <= second.reward_yuan


@settings(max_examples=300, deadline=None)
@given(rule_set_name=RULE_SETS, c=cases())
def test_joint_split_is_equal_and_never_exceeds_the_total(
    rule_set_name: str, c: RewardCase
) -> None:
    result = evaluate(c, rule_set_name)
    n = c.joint_reporters
    for total, share in (
        (result.reward_yuan, result.per_reporter_yuan),
        (result.reward_max_yuan, result.per_reporter_max_yuan),
    ):
        if total is None:
            assert share is None
            continue
        assert share is not None
        assert share * n <= total < (share + 1) * n  # equal shares, less than 1 yuan each lost


@settings(max_examples=300, deadline=None)
@given(
    rule_set_name=RULE_SETS, c=cases(), which=st.sampled_from(["order", "unverified", "handled"])
)
def test_excluded_reporters_get_nothing(rule_set_name: str, c: RewardCase, which: str) -> None:
    changes: dict[str, dict[str, Any]] = {
        "order": {"report_order": max(2, c.report_order)},
        "unverified": {"verified": False},
        "handled": {"already_handled_by_regulator": True},
    }
    change = changes[which]
    result = evaluate(c.model_copy(update=change), rule_set_name)
    assert (result.outcome, result.paid, result.reward_yuan, result.per_reporter_yuan) == (
        "not_paid",
        False,
        0,
        0,
    )


@settings(max_examples=200, deadline=None)
@given(rule_set_name=RULE_SETS, c=cases())
def test_anonymous_without_contact_gets_nothing(rule_set_name: str, c: RewardCase) -> None:
    anonymous = c.model_copy(update={"real_name": False, "has_contact": False})
    result = evaluate(anonymous, rule_set_name)
    assert not result.paid and result.reward_yuan == 0


@settings(max_examples=300, deadline=None)
@given(rule_set_name=RULE_SETS, c=cases())
def test_basis_is_complete_and_bilingual(rule_set_name: str, c: RewardCase) -> None:
    result = evaluate(c, rule_set_name)
    basis = result.basis
    assert basis.rule_set == rule_set_name and basis.outcome == result.outcome
    assert (basis.reason is None) == result.paid
    assert basis.steps and basis.steps[0].citations
    for step in basis.steps:
        assert CJK.search(step.text_zh) and re.search(r"[a-z]{3}", step.text_en)
        assert "{" not in step.text_zh + step.text_en
        assert step.text_zh in basis.summary_zh and step.text_en in basis.summary_en
        for citation in step.citations:
            assert citation.certainty in ("C", "S", "U", "NOT_FOUND", "CONFIG")


CERTAINTY_TAG = re.compile(r"[［\[](C|S|U|CONFIG|NOT_FOUND)[］\]]")
RESEARCH_NOTES = (
    "未找到",
    "未经核实",
    "不完整",
    "回忆",
    "not found",
    "a summing",
    "incomplete",
    "partial",
)


@settings(max_examples=200, deadline=None)
@given(rule_set_name=RULE_SETS, c=cases())
def test_public_texts_carry_no_certainty_tags_or_research_notes(
    rule_set_name: str, c: RewardCase
) -> None:
    # the calculator shows these on the public page; certainty stays in the citations
    basis = evaluate(c, rule_set_name).basis
    for text in (
        basis.summary_zh,
        basis.summary_en,
        basis.rule_set_title_zh,
        basis.rule_set_title_en,
    ):
        assert not CERTAINTY_TAG.search(text), text
        assert not any(note in text for note in RESEARCH_NOTES), text
