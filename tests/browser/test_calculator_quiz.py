"""The reward calculator gives the core's answers; the quiz scores; in both languages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from chalicelib.rewards import engine
from chalicelib.rewards.case import RewardCase
from tests.browser.conftest import ContextFactory, Site, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

BASE: dict[str, Any] = {
    "verified": True,
    "real_name": True,
    "has_contact": True,
    "reporter_is_employee": False,
    "already_handled_by_regulator": False,
    "report_order": 1,
    "joint_reporters": 1,
}
CASES: list[tuple[str | None, dict[str, Any]]] = [
    (None, {"kind": "hazard", "fine_total_yuan": "100000"}),
    (None, {"kind": "violation", "fine_total_yuan": "0"}),
    (None, {"kind": "hazard", "fine_total_yuan": "5000000"}),
    (None, {"kind": "hazard", "fine_total_yuan": "33333.33", "joint_reporters": 3}),
    (None, {"kind": "concealed_accident", "accident_grade": "larger", "concealed_deaths": 4}),
    (
        None,
        {"kind": "hazard", "fine_total_yuan": "80000", "real_name": False, "has_contact": False},
    ),
    (None, {"kind": "violation", "fine_total_yuan": "80000", "report_order": 2}),
    ("anhui-2017", {"kind": "hazard", "accident_grade": "especially_major"}),
    ("anhui-2017", {"kind": "hazard", "accident_grade": "major"}),
    (
        "national-2018-employee-uplift-20",
        {"kind": "violation", "fine_total_yuan": "200000", "reporter_is_employee": True},
    ),
]


def fill_case(page: Page, rule_set: str | None, case: dict[str, Any]) -> None:
    form = page.locator("#reward-calculator")
    if rule_set:
        form.locator("#c-rule_set").select_option(rule_set)
    form.locator(f'input[name="kind"][value="{case["kind"]}"]').check()
    for name in ("verified", "has_contact", "reporter_is_employee", "already_handled_by_regulator"):
        form.locator(f"#c-{name}").set_checked(bool(case[name]))
    form.locator(f'input[name="real_name"][value="{1 if case["real_name"] else 0}"]').check()
    form.locator("#c-report_order").fill(str(case["report_order"]))
    form.locator("#c-joint_reporters").fill(str(case["joint_reporters"]))
    if "fine_total_yuan" in case:
        form.locator("#c-fine_total_yuan").fill(case["fine_total_yuan"])
    if "accident_grade" in case:
        form.locator("#c-accident_grade").select_option(case["accident_grade"])
    if "concealed_deaths" in case:
        form.locator("#c-concealed_deaths").fill(str(case["concealed_deaths"]))
    form.locator("button[type=submit]").click()


@pytest.mark.parametrize(("rule_set", "facts"), CASES)
def test_calculator_gives_the_rule_answer(
    site: Site, page: Page, rule_set: str | None, facts: dict[str, Any]
) -> None:
    case = {**BASE, **facts}
    expected = engine.evaluate(RewardCase(**case), rule_set)
    page.goto(f"{site.url}/rewards/")
    expect(page.locator("#reward-calculator.is-ready")).to_be_attached()
    fill_case(page, rule_set, case)
    result = page.locator("#reward-result")
    expect(result).to_be_visible()
    expect(result.locator(".jubao-calc__summary")).to_have_text(expected.basis.summary_zh)
    amount = result.locator(".jubao-calc__amount").inner_text()
    if expected.outcome == "paid":
        assert expected.reward_yuan is not None
        assert f"{expected.reward_yuan:,}" in amount
        if expected.reward_max_yuan not in (None, expected.reward_yuan):
            assert f"{expected.reward_max_yuan:,}" in amount
        if expected.per_reporter_yuan != expected.reward_yuan:
            expect(result).to_contain_text(f"每人 {expected.per_reporter_yuan:,}")
    else:
        headline = {"not_paid": "估算：无奖励", "not_determinable": "无法确定金额"}
        assert amount == headline[expected.outcome]
    assert page.errors == []  # type: ignore[attr-defined]


def test_calculator_in_english(site: Site, page: Page) -> None:
    case = {**BASE, "kind": "concealed_accident", "accident_grade": "major", "concealed_deaths": 12}
    expected = engine.evaluate(RewardCase(**case))
    page.goto(f"{site.url}/en/rewards/")
    expect(page.locator("#reward-calculator.is-ready")).to_be_attached()
    fill_case(page, None, case)
    result = page.locator("#reward-result")
    expect(result.locator(".jubao-calc__summary")).to_have_text(expected.basis.summary_en)
    amount = result.locator(".jubao-calc__amount")
    expect(amount).to_contain_text(f"{expected.reward_yuan:,} yuan")
    screenshot(page, "calculator-en-phone")


def test_calculator_explains_an_impossible_case(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/rewards/")
    expect(page.locator("#reward-calculator.is-ready")).to_be_attached()
    case = {
        **BASE,
        "kind": "concealed_accident",
        "accident_grade": "general",
        "concealed_deaths": 12,
    }  # 12 deaths cannot be a "general" accident
    fill_case(page, None, case)
    expect(page.locator("#reward-result")).to_contain_text("无法计算")


def _quiz(site: Site) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((site.site_dir / "assets" / "quiz.json").read_text())
    return data


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_quiz_scores(site: Site, page: Page, lang: str) -> None:
    quiz = _quiz(site)
    questions = quiz["questions"]
    page.goto(f"{site.url}/{'' if lang == 'zh' else 'en/'}quiz/")
    for q in questions:
        page.check(f'input[name="q-{q["id"]}"][value="{q["correct"]}"]')
    page.click("#quiz button[type=submit]")
    score = page.locator("#quiz-score")
    n = len(questions)
    expected = f"您答对了 {n} / {n} 题。" if lang == "zh" else f"You got {n} of {n} right."
    expect(score).to_contain_text(expected)
    expect(score).to_be_focused()

    page.click("#quiz button[type=reset]")
    expect(score).to_be_empty()
    first = questions[0]
    wrong = (first["correct"] + 1) % len(first["choices"])
    for q in questions:
        page.check(f'input[name="q-{q["id"]}"][value="{q["correct"]}"]')
    page.check(f'input[name="q-{first["id"]}"][value="{wrong}"]')
    page.click("#quiz button[type=submit]")
    m = n - 1
    expected = f"您答对了 {m} / {n} 题。" if lang == "zh" else f"You got {m} of {n} right."
    expect(score).to_contain_text(expected)
    item = page.locator(f'li[data-question="{first["id"]}"]')
    expect(item).to_have_class("jubao-quiz__q is-wrong")
    expect(item.locator("details")).to_have_attribute("open", "")
    if lang == "zh":
        screenshot(page, "quiz-zh-phone")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_blank_or_partial_quiz_names_the_open_questions_and_reveals_nothing(
    site: Site, page: Page, lang: str
) -> None:
    quiz = _quiz(site)
    questions = quiz["questions"]
    page.goto(f"{site.url}/{'' if lang == 'zh' else 'en/'}quiz/")
    score = page.locator("#quiz-score")
    page.click("#quiz button[type=submit]")  # nothing answered
    n = len(questions)
    numbers = ("、" if lang == "zh" else ", ").join(str(i) for i in range(1, n + 1))
    expected = (
        f"还有 {n} 题未作答（第 {numbers} 题）"
        if lang == "zh"
        else f"{n} questions are not answered yet ({numbers})"
    )
    expect(score).to_contain_text(expected)
    expect(score).to_be_focused()
    for details in page.locator("details.jubao-quiz__explain").all():
        expect(details).to_be_hidden()  # no answer is shown
    expect(page.locator(".jubao-quiz__q.is-wrong")).to_have_count(0)
    expect(page.locator(".jubao-quiz__q.is-blank")).to_have_count(n)

    for q in questions[:-1]:  # all but the last
        page.check(f'input[name="q-{q["id"]}"][value="{q["correct"]}"]')
    page.click("#quiz button[type=submit]")
    expected = (
        f"还有 1 题未作答（第 {n} 题）" if lang == "zh" else f"Question {n} is not answered yet"
    )
    expect(score).to_contain_text(expected)
    expect(page.locator(".jubao-quiz__q.is-blank")).to_have_count(1)
    for details in page.locator("details.jubao-quiz__explain").all():
        expect(details).to_be_hidden()
    last = questions[-1]
    page.check(f'input[name="q-{last["id"]}"][value="{last["correct"]}"]')
    page.click("#quiz button[type=submit]")
    expect(score).to_contain_text(
        f"您答对了 {n} / {n} 题。" if lang == "zh" else f"You got {n} of {n} right."
    )
    expect(page.locator(".jubao-quiz__q.is-blank")).to_have_count(0)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_a_claim_route_the_quiz_speaks_of_no_prize(
    site: Site, page: Page, lang: str
) -> None:
    """The shipped configuration sets no quiz.claim: a pass is a pass, not a prize."""
    quiz = _quiz(site)
    page.goto(f"{site.url}/{'' if lang == 'zh' else 'en/'}quiz/")
    for q in quiz["questions"]:
        page.check(f'input[name="q-{q["id"]}"][value="{q["correct"]}"]')
    page.click("#quiz button[type=submit]")
    score = page.locator("#quiz-score")
    expect(score).to_contain_text("合格线" if lang == "zh" else "pass mark")
    text = score.inner_text()
    assert "获奖" not in text and "prize" not in text.lower()
    assert page.locator("#quiz-claim").count() == 0


def test_without_javascript_the_quiz_reads_and_offers_no_dead_buttons(
    site: Site, new_context: ContextFactory
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{site.url}/quiz/")
    expect(page.locator("#quiz button[type=submit]")).to_be_hidden()
    expect(page.locator("#quiz noscript, #quiz .jubao-note").first).to_be_attached()
    first = page.locator("details.jubao-quiz__explain").first
    expect(first).to_be_visible()  # each answer can be opened by hand
    first.locator("summary").click()
    expect(first).to_have_attribute("open", "")


def test_with_a_claim_route_a_pass_says_how_to_claim(site: Site, page: Page) -> None:
    """An office that runs a prize sets quiz.claim: the page (the quiz block as the site
    renders it for that configuration) says "获奖" and how to claim, and only on a pass."""
    from chalicelib.config.office import QuizPrize, load_office
    from jubao_site import quiz as quiz_block

    office = load_office()
    claim = "截图本页成绩，到所在街道安全生产宣传点领取纪念品。"
    offered = office.model_copy(update={"quiz": QuizPrize(claim=claim)})
    form = quiz_block.render(offered, "zh", lambda path: path)

    def with_claim(route: Route) -> None:
        response = route.fetch()
        body = re.sub(r'<form class="jubao-quiz".*?</form>', lambda _: form, response.text(),
                      count=1, flags=re.S)  # fmt: skip
        route.fulfill(response=response, body=body)

    page.route(f"{site.url}/quiz/", with_claim)
    page.goto(f"{site.url}/quiz/")
    questions = _quiz(site)["questions"]
    claim_box = page.locator("#quiz-claim")
    expect(claim_box).to_be_hidden()
    for q in questions:  # below the pass mark: all wrong
        page.check(f'input[name="q-{q["id"]}"][value="{(q["correct"] + 1) % len(q["choices"])}"]')
    page.click("#quiz button[type=submit]")
    expect(page.locator("#quiz-score")).to_contain_text("您答对了 0 /")
    expect(claim_box).to_be_hidden()
    for q in questions:
        page.check(f'input[name="q-{q["id"]}"][value="{q["correct"]}"]')
    page.click("#quiz button[type=submit]")
    expect(page.locator("#quiz-score")).to_contain_text("恭喜，达到获奖标准！")
    expect(claim_box).to_be_visible()
    expect(claim_box).to_contain_text(claim)
    page.click("#quiz button[type=reset]")
    expect(claim_box).to_be_hidden()
