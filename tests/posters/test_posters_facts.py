"""Posters and the brochure print the office's rules, worded by certainty (issue 11).

Paper cannot be corrected once pinned up, so what it states must hold whichever reward
measure applies to the accepting unit (the 2017 Anhui measure yields to city rules such as
Hefei's 合应急〔2020〕33号) and must promise no time limit the office has not confirmed.
Checked on the wording (every string of ``content.toml`` as filled), on what each poster
edition draws, and on the brochure's printed text (poppler).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chalicelib.config.office import OfficeConfig
from posters import booklet, brochure
from posters.content import Content, all_strings, load_content
from posters.defaults import EDITIONS
from posters.layout import Designer, Variant
from tests.posters.pdf_text import text_lines
from tests.posters.poster_helpers import Renderer

CERTAINTY_TAG = re.compile(r"[［\[]\s*(C|S|U|CONFIG|NOT_FOUND)\s*[］\]]")
RESEARCH_NOTES = ("未找到", "未经核实", "不完整", "回忆", "was not found", "incomplete")
# printed as settled although which measure applies is undetermined
UNSETTLED_AMOUNTS = ("最高奖励30万元", "最高奖励", "每查实一名死亡人员奖励", "3万至6万元")


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def poster_strings(office: OfficeConfig, content: Content) -> dict[str, str]:
    designer = Designer(office, content)
    return {
        f"{lang}-{size}": " ".join(
            designer.template(Variant(lang, size, office.office.short_name)).strings
        )
        for lang, size in EDITIONS
    }


def brochure_text(
    office: OfficeConfig, content: Content, renderer: Renderer, tmp: Path, lang: str
) -> str:
    pdf = tmp / f"brochure-{lang}.pdf"
    url = f"{office.site.report_url}?src=340000-r.AAAAAAAAAAA"
    brochure.render(office, content, lang, url, pdf, booklet.Plan(1.0, ()))  # type: ignore[arg-type]
    return "\n".join(line.text for line in text_lines(pdf, renderer.env))


def _confirmed(office: OfficeConfig) -> OfficeConfig:
    deadlines = office.rules.deadlines.model_copy(update={"acceptance_days_confirmed": True})
    return office.model_copy(
        update={"rules": office.rules.model_copy(update={"deadlines": deadlines})}
    )


def test_the_wording_carries_no_certainty_tag_or_research_note(content: Content) -> None:
    for text in all_strings(content):
        assert not CERTAINTY_TAG.search(text), text
        assert not any(note in text for note in RESEARCH_NOTES), text


def test_posters_print_no_unsettled_amount(office: OfficeConfig, content: Content) -> None:
    for edition, text in poster_strings(office, content).items():
        squeezed = _squeezed(text)
        for amount in UNSETTLED_AMOUNTS:
            assert amount not in squeezed, (edition, amount)
        assert "up to 300,000" not in text and "per concealed death" not in text, edition
    reward = content.reward
    assert reward.highlight.zh == "核查属实 依规奖励"
    assert "受理举报的部门" in reward.points[0].zh
    assert "难以给予奖励" in reward.points[1].zh


def test_the_brochure_states_rules_by_certainty(content: Content) -> None:
    details = " ".join(d.zh for d in content.reward.details)
    details_en = " ".join(d.en for d in content.reward.details)
    # the national amounts only as the national measure's, local rules taking precedence
    assert "国家《安全生产领域举报奖励办法》规定" in details
    assert "另有规定的，按其规定执行" in details and "those apply" in details_en
    assert "每查实一名死亡人员" not in details
    # joint rewards "可以平均分配"; no certain first-reporter rule; anonymous "难以给予"
    assert "奖金可以平均分配" in details and not re.search(r"(?<!可以)平均分配", details)
    assert "由最先受理的部门对最先举报的实名举报人" not in details
    assert "难以给予奖励" in details and "不予奖励" not in details
    assert "may be split equally" in details_en and "can hardly be rewarded" in details_en


def test_process_promises_only_what_the_office_confirms(
    office: OfficeConfig, content: Content
) -> None:
    d = office.rules.deadlines
    assert not d.acceptance_days_confirmed
    steps = {step.step.zh: step.text for step in content.process}
    assert f"{d.acceptance_days}日内" not in steps["受理"].zh
    assert f"{d.acceptance_days} days" not in steps["受理"].en
    assert steps["受理"].zh.startswith("收到举报后，受理单位决定是否受理")
    assert f"参考时限为受理后{d.verification_days}日内" in steps["核查"].zh
    assert "以受理单位告知为准" in steps["核查"].zh
    assert f"参考时限{d.feedback_days}日内" in steps["反馈"].zh
    assert f"{d.reward_claim_days}日内" not in steps["奖励"].zh
    assert "按通知写明的期限和地点" in steps["奖励"].zh
    confirmed = {s.step.zh: s.text for s in load_content(_confirmed(office)).process}
    assert confirmed["受理"].zh.startswith(f"收到举报后{d.acceptance_days}日内")
    assert confirmed["受理"].en.startswith(f"Within {d.acceptance_days} days of receipt")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_printed_brochure_says_the_same(
    office: OfficeConfig, content: Content, renderer: Renderer, tmp_path: Path, lang: str
) -> None:
    text = brochure_text(office, content, renderer, tmp_path, lang)
    squeezed = _squeezed(text)
    d = office.rules.deadlines
    assert not CERTAINTY_TAG.search(text)
    if lang == "zh":
        for gone in (
            "最高奖励30万元",
            "每查实一名死亡人员奖励",
            f"收到举报后{d.acceptance_days}日内",
            f"{d.reward_claim_days}日内凭有效身份证件",
            "由最先受理的部门对最先举报的实名举报人",
        ):
            assert gone not in squeezed, gone
        for kept in ("核查属实依规奖励", "奖金可以平均分配", "难以给予奖励", "参考时限"):
            assert kept in squeezed, kept
    else:
        assert f"within {d.acceptance_days} days" not in text.lower()
        assert "up to 300,000" not in text and "Reference period" in text
