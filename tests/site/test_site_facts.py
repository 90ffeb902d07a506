"""Public pages state the office's rules, worded by certainty (issue 11).

The regulations research (shared/reference/regulations.md and regulations-2026-12.md) tags
every fact [C]/[S]/[U]; the tags and the research notes stay in the configuration, the
rule-set data and the developers' docs. These tests read the built site as a citizen does
(the visible text of every page, and the quiz data the quiz page shows) and check that no
tag or note reached it, that each wording the review found is gone, and that its
replacement is there.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from chalicelib.config.office import OfficeConfig, load_office
from chalicelib.public import pages
from chalicelib.reports.models import DeadlineInfo, ReceiptResponse, StatusResponse
from tests.site.htmlscan import html_files, scan

OFFICE = load_office()

CERTAINTY_TAG = re.compile(r"[［\[]\s*(C|S|U|CONFIG|NOT_FOUND)\s*[］\]]")
RESEARCH_NOTES = (
    "检索到的文本中未找到",
    "为回忆内容",
    "标准未找到",
    "不计算金额",
    "规则集不完整",
    "本规则集",
    "未经核实",
    "未找到",
    "未能核实",
    "was not found",
    "were not found",
    "is incomplete",
    "partial)",
    "recalled",
    "a summing not verified",
)
# the rewards page on a phone: its text (headings, rules, calculator labels), in characters
REWARDS_TEXT_BUDGET = {"rewards": 1_600, "en/rewards": 3_800}


class _Visible(HTMLParser):
    """Every text node a reader can see (no scripts or styles), the whole page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible(path: Path) -> str:
    parser = _Visible()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(" ".join(parser.parts).split())


def text_of(site: Path, url: str) -> str:
    return visible(site / url / "index.html" if url else site / "index.html")


def main_text(site: Path, url: str) -> str:
    page = scan(site / url / "index.html")
    return " ".join(" ".join(page.text).split())


def quiz_strings(site: Path) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads((site / "assets" / "quiz.json").read_text(encoding="utf-8")))
    return found


def public_texts(site: Path) -> dict[str, str]:
    texts = {str(p.relative_to(site)): visible(p) for p in html_files(site)}
    texts["assets/quiz.json"] = " ".join(quiz_strings(site))
    return texts


# ------------------------------------------------------------------ no tags, no notes


def test_no_public_page_carries_a_certainty_tag_or_a_research_note(site: Path) -> None:
    texts = public_texts(site)
    assert len(texts) > 20
    for where, text in texts.items():
        tag = CERTAINTY_TAG.search(text)
        assert tag is None, f"{where}: {tag.group(0) if tag else ''}"
        for note in RESEARCH_NOTES:
            assert note not in text, f"{where}: {note!r}"


PUBLIC_SUFFIXES = (".html", ".json", ".js")
# the research's own words, in whatever file the site publishes (the JSON keeps no notes)
# ("partial)" is a phrase of the visible text; in a script it is code: rule_set_partial)
RESEARCH_NOTES_IN_FILES = (
    *(n for n in RESEARCH_NOTES if n != "partial)"),
    "检索到的文本",
    "汇编网站",
    "aggregator",
)


def test_no_built_file_carries_a_certainty_tag_or_a_research_note(site: Path) -> None:
    """Every html, json and js file of the built site, as bytes on the wire: the data the
    calculator loads too (``assets/reward-rules.json`` has plain citations only)."""
    files = [p for p in site.rglob("*") if p.suffix in PUBLIC_SUFFIXES and p.is_file()]
    assert any(p.name == "reward-rules.json" for p in files)
    assert len(files) > 30
    for path in files:
        if "javascripts" in path.parts and "inline" not in path.parts:
            continue  # Material's own bundles (minified vendor code, no text of ours)
        text = path.read_text(encoding="utf-8")
        where = str(path.relative_to(site))
        tag = CERTAINTY_TAG.search(text)
        assert tag is None, f"{where}: {tag.group(0) if tag else ''}"
        assert '"certainty"' not in text, where
        for note in RESEARCH_NOTES_IN_FILES:
            assert note not in text, f"{where}: {note!r}"


def test_the_published_rules_cite_documents_and_articles_only(site: Path) -> None:
    data = json.loads((site / "assets" / "reward-rules.json").read_text(encoding="utf-8"))
    citations: list[dict[str, object]] = []

    def walk(node: object, key: str = "") -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)
        elif isinstance(node, list):
            if key.endswith("citations"):
                citations.extend(node)
            else:
                for item in node:
                    walk(item)

    walk(data)
    assert len(citations) > 10
    assert {frozenset(c) for c in citations} == {frozenset({"document", "document_en", "article"})}
    assert any(c["article"] for c in citations)


# ------------------------------------------------------------------ the review's findings


def test_no_acceptance_limit_is_promised_unless_the_office_confirms_it(site: Path) -> None:
    d = OFFICE.rules.deadlines
    assert not d.acceptance_days_confirmed  # the shipped configuration does not confirm it
    for where, text in public_texts(site).items():
        assert f"受理（{d.acceptance_days} 日内）" not in text, where
        assert f"{d.acceptance_days} 日内作出" not in text, where
        assert f"收到后 {d.acceptance_days} 日内" not in text, where
        assert f"within {d.acceptance_days} days of receipt" not in text, where
        assert f"Acceptance (within {d.acceptance_days} days)" not in text, where
    assert "各环节的时限以受理单位告知为准" in text_of(site, "")
    assert "tells you its time limits" in text_of(site, "en")


def test_the_receipt_wrappers_tell_the_script_not_to_show_a_due_date(site: Path) -> None:
    for url in ("report", "en/report", "status", "en/status"):
        html = (site / url / "index.html").read_text(encoding="utf-8")
        assert 'data-acceptance-due="hidden"' in html, url


def test_reference_periods_are_not_stated_as_fact(site: Path) -> None:
    d = OFFICE.rules.deadlines
    process, process_en = text_of(site, "process"), text_of(site, "en/process")
    for old in ("时限按自然日", "次日起算"):
        assert old not in process
    assert "calendar days" not in process_en and "day after" not in process_en
    assert f"参考时限：受理后 {d.verification_days} 日内" in process
    assert f"参考时限：核查结束后 {d.feedback_days} 日内" in process
    assert "具体时限以受理单位告知为准" in process
    assert f"reference period: within {d.verification_days} days of acceptance" in process_en
    faq = text_of(site, "faq")
    assert f"核查的参考时限为受理后 {d.verification_days} 日" in faq
    assert "具体时限以受理单位告知为准" in faq
    # the claim period ([S], an aggregator only) is left to the reward notice
    for where, text in public_texts(site).items():
        assert f"{d.reward_claim_days} 日内凭有效身份证件" not in text, where
        assert f"{d.reward_claim_days} 日内领取" not in text, where
        assert f"claim within {d.reward_claim_days} days" not in text, where
        assert f"claim it within {d.reward_claim_days} days" not in text, where
    assert "请按通知写明的期限和地点" in text_of(site, "rewards")


def test_false_reports_wording_follows_the_source(site: Path) -> None:
    zh, en = text_of(site, "confidentiality"), text_of(site, "en/confidentiality")
    assert "不属实，也不会追究举报人的责任" not in zh
    assert "对举报内容的真实性负责" in zh and "依法承担法律责任" in zh
    assert "never punished" not in en and "responsible for what they report" in en


def test_joint_first_reporter_and_anonymous_rewards_follow_the_sources(site: Path) -> None:
    for where, text in public_texts(site).items():
        # joint rewards: "可以平均分配" (may be split), never "平均分配" as a rule
        assert not re.search(r"(?<!可以)平均分配", text), where
        assert "split equally:" not in text, where
        # anonymous without contact: "难以给予", never "不予奖励"
        assert not re.search(r"匿名[^。]*不予奖励", text), where
        # first reporter: not stated as a certain rule
        assert "奖励最先被受理的举报人" not in text, where
        assert "first accepted report is rewarded" not in text, where
        # the fine base "unit plus individuals" is unconfirmed: not the page's rule
        assert "对单位及有关人员的罚款之和" not in text, where
        assert "罚款合计" not in text, where
    rewards, faq = text_of(site, "rewards"), text_of(site, "faq")
    assert "奖金可以平均分配" in rewards and "难以给予奖励" in rewards
    assert "难以给予奖励" in faq and "约定密码" in faq  # the agreed-code precedent
    assert "agreed password" in text_of(site, "en/faq")


def test_employee_uplift_and_caps_are_attributed_correctly(site: Path) -> None:
    for where, text in public_texts(site).items():
        # 应急〔2020〕69号 第四条 is about real names, never the uplift
        assert not re.search(r"69号\s*第四条[^。；]*上浮", text), where
        assert not re.search(r"上浮[^。；]*69号\s*第四条", text), where
        # the 500,000 cap is Rizhao's only
        assert not re.search(r"龙岩[^。；]*50\s*万", text), where


def test_no_routing_list_names_special_equipment(site: Path) -> None:
    zh, en = text_of(site, "scope"), text_of(site, "en/scope")
    routing = [s for s in re.split(r"[。]", zh) if "转交" in s]
    assert routing and not any("特种设备" in s for s in routing)
    assert "道路交通" in routing[-1] and "渔业船舶" in routing[-1]
    routing_en = [s for s in en.split(". ") if "passed on" in s]
    assert routing_en and not any("special equipment" in s for s in routing_en)


# ------------------------------------------------------------------ the rewards page


def test_rewards_page_names_the_rules_by_accepting_unit(site: Path) -> None:
    zh, en = text_of(site, "rewards"), text_of(site, "en/rewards")
    for number in ("皖政办〔2017〕75号", "合应急〔2020〕33号", "安监总财〔2018〕19号"):
        assert number in zh and number in en
    assert "谁受理、谁奖励" in zh and "从其规定" in zh
    assert "《矿山安全生产举报奖励实施细则》" in zh
    assert "其他市、县受理的举报，按当地的办法执行" in zh
    assert "calculator applies" in en


@pytest.mark.parametrize("url", sorted(REWARDS_TEXT_BUDGET))
def test_rewards_page_is_short_and_says_each_thing_once(site: Path, url: str) -> None:
    text = main_text(site, url)
    assert len(text) <= REWARDS_TEXT_BUDGET[url], len(text)
    html = (site / url / "index.html").read_text(encoding="utf-8")
    assert "jubao-cites" not in html and "jubao-exclusions" not in html  # no repeated tables
    assert html.count('class="jubao-ruleset"') == 1  # only the configured rule set
    sentences = [s.strip() for s in re.split(r"[。；;.]", text) if len(s.strip()) > 12]
    repeated = {s for s in sentences if sentences.count(s) > 1}
    assert not repeated, repeated


def test_rewards_page_states_the_configured_amounts(site: Path) -> None:
    zh = text_of(site, "rewards")
    assert "行政处罚金额的 15%，最低 3,000 元，最高 300,000 元" in zh
    assert "一般 30,000 元" in zh and "特别重大 60,000 元" in zh
    assert "实际金额以受理单位依法作出的决定为准" in zh


# ------------------------------------------------------------------ the receipt pages


def _confirmed(office: OfficeConfig, confirmed: bool) -> OfficeConfig:
    deadlines = office.rules.deadlines.model_copy(update={"acceptance_days_confirmed": confirmed})
    rules = office.rules.model_copy(update={"deadlines": deadlines})
    return office.model_copy(update={"rules": rules})


RECEIPT = ReceiptResponse(
    receipt="ABCD-EFGH-JKMN-PQRS-TVWX-YZ23",
    report_number="12345678",
    received_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
    status="received",
    status_label="已接收，等待受理",
    status_label_en="Received, awaiting acceptance",
    acceptance_due=date(2026, 12, 8),
    handling_unit="合肥市安委会办公室",
)
STATUS = StatusResponse(
    report_number="12345678",
    status="received",
    status_label="已接收，等待受理",
    status_label_en="Received, awaiting acceptance",
    received_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
    kind="hazard",
    region="340100",
    deadlines=DeadlineInfo(acceptance_due=date(2026, 12, 8)),
    feedback=[],
    supplements=0,
)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_receipt_and_status_state_the_due_date_only_when_confirmed(lang: str) -> None:
    label = "受理期限" if lang == "zh" else "Acceptance decision due"
    for confirmed in (False, True):
        office = _confirmed(OFFICE, confirmed)
        for html in (
            pages.receipt_page(office, lang, RECEIPT),  # type: ignore[arg-type]
            pages.status_page(office, lang, STATUS),  # type: ignore[arg-type]
        ):
            assert (label in html) is confirmed
            assert ("2026-12-08" in html) is confirmed
            assert "12345678" in html


# ------------------------------------------------------------------ one answer, everywhere


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_lost_receipt_gets_one_answer_everywhere(site: Path, lang: str) -> None:
    """Not re-issued (nobody can verify a caller is the reporter); report again, referring
    to the earlier report; the hotline takes new information but gives no case details."""
    from jubao_site import facts

    answer = " ".join(facts.facts(OFFICE, lang)["lost_receipt"].split())
    prefix = "" if lang == "zh" else "en/"
    for url in ("faq", "status"):
        assert answer in main_text(site, prefix + url), url
    assert ("无法补发" if lang == "zh" else "cannot be re-issued") in answer
    for where, text in public_texts(site).items():
        # the old advice: call the hotline with the report number to ask
        assert "带着举报编号拨打" not in text and "带举报编号拨打" not in text, where
        assert "with your report number" not in text, where
