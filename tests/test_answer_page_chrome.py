"""The function's own answer pages carry what every site page carries (issue 11): the 12350
hotline as a large tap-to-call button with 0551-12350 beside it, the footer of a government
site from ``site.footer``, and the elderly mode's switch with the site's ``elder.js``.

A citizen without JavaScript lands on these pages right after reporting (the receipt), when
looking a report up (the status page, its add-information form) and when the form comes
back with errors. The words and the markup are the site's (``chalicelib.public.chrome``):
tests/site/test_site_chrome.py reads the same bar and footer on every built page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup, Tag

from chalicelib.config.office import OfficeConfig, SiteFooter, load_office
from chalicelib.config.publishable import SAMPLE_BANNER
from chalicelib.i18n import Lang, Text
from chalicelib.public import chrome, pages
from chalicelib.reports.models import DeadlineInfo, ReceiptResponse, StatusResponse
from chalicelib.web.http_policy import Kind, headers_for
from tests.office_files import FILLED_FOOTER

OFFICE = load_office()
FILLED = OFFICE.model_copy(
    update={"site": OFFICE.site.model_copy(update={"footer": SiteFooter(**FILLED_FOOTER)})}
)
AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
RECEIPT = "1234-5678-ABCD-EFGH-JKLM-NPQR"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
LABELS = {
    "zh": ["主办单位：", "联系方式：", "ICP备案号：", "网站标识码："],
    "en": ["Run by: ", "Contact: ", "ICP filing: ", "Website code: "],
}


def _receipt() -> ReceiptResponse:
    return ReceiptResponse(
        receipt=RECEIPT,
        report_number="12345678",
        received_at=AT,
        status="received",
        status_label="已接收，等待受理",
        status_label_en="Received, awaiting acceptance",
        handling_unit="合肥市蜀山区安委会办公室",
    )


def _status() -> StatusResponse:
    return StatusResponse(
        report_number="12345678",
        status="received",
        status_label="已接收，等待受理",
        status_label_en="Received, awaiting acceptance",
        received_at=AT,
        kind="hazard",  # type: ignore[arg-type]
        region="340104",
        deadlines=DeadlineInfo(),
        feedback=[],
        supplements=0,
    )


Render = Callable[[OfficeConfig, Lang, Text | None], str]

# every whole page the function answers with
PAGES: dict[str, Render] = {
    "receipt": lambda office, lang, banner: pages.receipt_page(office, lang, _receipt(), banner),
    "refused form": lambda office, lang, banner: pages.report_error_page(
        office, lang, {"description": "短"}, {"description": "太短"}, ["太短"], banner=banner
    ),
    "status": lambda office, lang, banner: pages.status_page(
        office, lang, _status(), receipt=RECEIPT, banner=banner
    ),
    "added information": lambda office, lang, banner: pages.status_page(
        office, lang, _status(), receipt=RECEIPT, notice="补充材料已收到。", banner=banner
    ),
    "status refused": lambda office, lang, banner: pages.status_error_page(
        office, lang, {"receipt": ""}, "回执码不正确", banner
    ),
}


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _footer_lines(soup: BeautifulSoup) -> list[str]:
    return [" ".join(li.get_text().split()) for li in soup.select("footer ul.jubao-footer li")]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_every_answer_page_has_the_tap_to_call_bar(name: str, lang: Lang) -> None:
    soup = _soup(PAGES[name](OFFICE, lang, SAMPLE_BANNER))
    call = soup.select_one("header .jubao-bar a.jubao-bar__call")
    assert isinstance(call, Tag), name
    assert call.get("href") == "tel:12350"
    for hidden in call.select('[aria-hidden="true"]'):
        hidden.extract()  # the icon: not part of the link's name
    text = call.get_text()
    assert text == ("拨打 12350 举报电话" if lang == "zh" else "Call the 12350 hotline")
    alternates = [(a.get("href"), a.get_text()) for a in soup.select(".jubao-bar__alt a")]
    assert alternates == [("tel:055112350", "0551-12350")]
    (alt,) = soup.select(".jubao-bar__alt")
    outside = "省外拨打：0551-12350" if lang == "zh" else "from outside Anhui: 0551-12350"
    assert alt.get_text() == outside
    # the numbers come from the configuration, not from this module
    (dial,) = OFFICE.hotline.alternates
    assert (OFFICE.hotline.value, dial.value) == ("12350", "0551-12350")
    toggle = soup.select_one("button#jubao-elder-toggle")
    assert isinstance(toggle, Tag) and toggle.has_attr("hidden")
    assert toggle.get("aria-pressed") == "false"
    assert toggle.get_text() == ("长者模式" if lang == "zh" else "Large text")
    # the bar comes before the content, where a phone shows it first
    assert str(soup).index("jubao-bar__call") < str(soup).index("<main>")


def test_the_bar_follows_the_configuration() -> None:
    channels = [
        c.model_copy(update={"value": "12345", "alternates": ()}) if c.kind == "hotline" else c
        for c in OFFICE.channels
    ]
    other = OFFICE.model_copy(update={"channels": channels})
    soup = _soup(pages.receipt_page(other, "zh", _receipt()))
    call = soup.select_one("a.jubao-bar__call")
    assert call is not None and call.get("href") == "tel:12345" and "12345" in call.get_text()
    assert soup.select(".jubao-bar__alt") == []
    assert "12350" not in soup.select_one("header").get_text()  # type: ignore[union-attr]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_development_pages_mark_the_empty_footer_as_the_site_does(name: str, lang: Lang) -> None:
    soup = _soup(PAGES[name](OFFICE, lang, SAMPLE_BANNER))
    missing = "待配置" if lang == "zh" else "to be configured"
    assert _footer_lines(soup) == [label + missing for label in LABELS[lang]]
    assert all("is-missing" in (li.get("class") or []) for li in soup.select("footer li"))
    assert soup.select("footer a") == []  # nothing to look up yet
    owner = soup.select_one("footer p")
    assert owner is not None
    assert owner.get_text() == (OFFICE.office.name if lang == "zh" else OFFICE.office.name_en)


@pytest.mark.parametrize("name", list(PAGES))
def test_production_pages_leave_out_what_is_not_set(name: str) -> None:
    for lang in ("zh", "en"):
        html = PAGES[name](OFFICE, lang, None)
        assert "待配置" not in html and "to be configured" not in html
        soup = _soup(html)
        assert soup.select("footer ul") == [] and soup.select_one("footer p") is not None
    part = OFFICE.model_copy(
        update={
            "site": OFFICE.site.model_copy(update={"footer": SiteFooter(icp="皖ICP备12345678号")})
        }
    )
    assert _footer_lines(_soup(PAGES[name](part, "zh", None))) == ["ICP备案号：皖ICP备12345678号"]


@pytest.mark.parametrize("banner", [SAMPLE_BANNER, None])
def test_a_filled_footer_states_the_configured_values(banner: Text | None) -> None:
    zh = _soup(pages.receipt_page(FILLED, "zh", _receipt(), banner))
    assert _footer_lines(zh) == [
        f"主办单位：{FILLED_FOOTER['sponsor']}",
        f"联系方式：{FILLED_FOOTER['contact']}",
        f"ICP备案号：{FILLED_FOOTER['icp']}",
        f"网站标识码：{FILLED_FOOTER['site_code']}",
    ]
    icp = zh.select_one("footer li.jubao-footer__icp a")
    assert icp is not None and icp.get("href") == "https://beian.miit.gov.cn/"
    assert not zh.select("footer .is-missing")
    en = _soup(pages.status_page(FILLED, "en", _status(), banner=banner))
    assert _footer_lines(en) == [
        f"Run by: {FILLED_FOOTER['sponsor_en']}",
        f"Contact: {FILLED_FOOTER['contact_en']}",
        f"ICP filing: {FILLED_FOOTER['icp']}",  # the number as filed
        f"Website code: {FILLED_FOOTER['site_code']}",
    ]


def test_footer_values_are_escaped() -> None:
    hostile = SiteFooter(sponsor="<script>x</script>", contact='"><img src=x>')
    office = OFFICE.model_copy(update={"site": OFFICE.site.model_copy(update={"footer": hostile})})
    html = pages.receipt_page(office, "zh", _receipt())
    assert "<script>x" not in html and "<img" not in html
    assert "主办单位：&lt;script&gt;x&lt;/script&gt;" in html


@pytest.mark.parametrize("name", list(PAGES))
def test_english_pages_have_the_bar_and_footer_in_english(name: str) -> None:
    soup = _soup(PAGES[name](OFFICE, "en", SAMPLE_BANNER))
    assert soup.html is not None and soup.html.get("lang") == "en"
    for part in ("header", "footer"):
        element = soup.select_one(part)
        assert element is not None
        assert not CJK.search(element.get_text()), (part, element.get_text())
    toggle = soup.select_one("#jubao-elder-toggle")
    assert toggle is not None and toggle.get("title") == "Larger text, higher contrast"


@pytest.mark.parametrize("name", list(PAGES))
def test_the_one_script_is_the_sites_elderly_mode_under_the_pages_policy(name: str) -> None:
    soup = _soup(PAGES[name](OFFICE, "zh", SAMPLE_BANNER))
    scripts = soup.select("script")
    assert [s.get("src") for s in scripts] == ["/assets/js/elder.js"]
    (script,) = scripts
    assert script.parent is soup.head and script.string is None  # external, no inline code
    assert not script.has_attr("defer") and not script.has_attr("async")  # before the paint
    assert not soup.select("[onclick], [onload]")
    policy = dict(
        part.strip().split(" ", 1)
        for part in headers_for(Kind.form_page)["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"  # the site's policy: our origin, never inline
    assert policy["default-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    # the switch's styles are the page's own (its CSS is inline): screen only
    assert "@media screen{html.jubao-elder{font-size:125%}" in str(soup)


def test_the_site_renders_the_same_bar_and_footer() -> None:
    from jubao_site import chrome as site_chrome  # the site hooks' package (installed)

    for lang in ("zh", "en"):
        answer = _soup(pages.receipt_page(OFFICE, lang, _receipt(), SAMPLE_BANNER))
        site_bar = _soup(site_chrome.hotline_bar(OFFICE)[lang])
        assert site_bar.get_text() == answer.select_one(".jubao-bar").get_text()  # type: ignore[union-attr]
        site_footer = _soup(site_chrome.footer(OFFICE, development=True)[lang])
        assert str(site_footer) == str(answer.select_one("footer ul"))
    assert chrome.tel("0551-12350") == "tel:055112350"
