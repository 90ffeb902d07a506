"""The function's own answer pages in Debian's Chromium (issue 11): the receipt a citizen
without JavaScript gets right after reporting shows the 12350 hotline as a large button to
tap and 0551-12350 beside it, the footer of a government site, passes axe and fits a
360 px phone; with JavaScript, the elderly mode chosen on the site holds on these pages
too (the site's elder.js under the answer pages' own policy) and can be switched there.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from chalicelib.config.office import load_office
from tests.browser.conftest import PHONE, ContextFactory, Site, screenshot, settle
from tests.browser.test_a11y_layout import axe_violations
from tests.browser.test_page_chrome import font_size
from tests.browser.test_report_flow import fill_report

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

HOTLINE = load_office().hotline
ELDER = re.compile(r"(^|\s)jubao-elder(\s|$)")
WORDS = {
    "zh": ("举报回执", "拨打", ["主办单位：待配置", "联系方式：待配置"]),
    "en": ("Report receipt", "Call", ["Run by: to be configured", "Contact: to be configured"]),
}


def _fits_the_phone(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide at {PHONE['width']}px"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_javascript_the_receipt_page_has_the_hotline_to_tap(
    site: Site, new_context: ContextFactory, lang: str
) -> None:
    title, call_word, footer_lines = WORDS[lang]
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{site.url}/{'' if lang == 'zh' else 'en/'}report/")
    fill_report(page)
    page.click("#report-form button[type=submit]")
    expect(page.locator("h1")).to_have_text(title)
    assert page.url == f"{site.url}/api/form/report"  # the function's own page

    call = page.locator(".jubao-bar__call")
    expect(call).to_be_visible()
    expect(call).to_have_attribute("href", f"tel:{HOTLINE.value}")
    expect(call).to_contain_text(call_word)
    expect(call).to_contain_text(HOTLINE.value)
    box = call.bounding_box()
    assert box is not None
    assert box["height"] >= 44 and box["width"] >= 120, box  # a thumb's target
    assert box["y"] + box["height"] <= PHONE["height"] / 2  # on the first screen
    (dial,) = HOTLINE.alternates
    alt = page.locator(".jubao-bar__alt a")
    expect(alt).to_have_attribute("href", "tel:" + dial.value.replace("-", ""))
    expect(alt).to_have_text(dial.value)
    expect(page.locator("#jubao-elder-toggle")).to_be_hidden()  # it could do nothing
    lines = page.locator("footer ul.jubao-footer li")
    expect(lines).to_have_count(4)
    for i, line in enumerate(footer_lines):
        expect(lines.nth(i)).to_have_text(line)

    _fits_the_phone(page)
    screenshot(page, f"answer-receipt-nojs-{lang}-phone")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_receipt_page_as_without_javascript_passes_axe(
    site: Site, new_context: ContextFactory, lang: str
) -> None:
    """axe needs timers, which a page without JavaScript never runs: the same page, its
    one script (elder.js) refused, so what axe reads is what a browser without JavaScript
    shows, and the form posted plainly (``submit()`` skips the site script's handler)."""
    page = new_context().new_page()
    page.route("**/assets/js/elder.js", lambda route: route.abort())
    page.goto(f"{site.url}/{'' if lang == 'zh' else 'en/'}report/")
    fill_report(page)
    page.eval_on_selector("#report-form", "f => f.submit()")
    page.wait_for_url(f"{site.url}/api/form/report")
    expect(page.locator("h1")).to_have_text(WORDS[lang][0])
    expect(page.locator(".jubao-bar__call")).to_be_visible()
    expect(page.locator("#jubao-elder-toggle")).to_be_hidden()  # as without JavaScript
    _fits_the_phone(page)
    assert axe_violations(page) == []


def test_the_elderly_mode_holds_on_the_answer_pages_and_switches_there(
    site: Site, page: Page
) -> None:
    page.goto(f"{site.url}/status/")
    normal = font_size(page, "article p")
    page.locator("#jubao-elder-toggle").click()
    expect(page.locator("html")).to_have_class(ELDER)
    # the plain form post a browser without the page script makes (submit() skips the
    # script's handler): the function answers with its own page
    page.fill("#f-receipt", "0000-0000-0000-0000-0000-0000")
    page.eval_on_selector("#status-form", "f => f.submit()")
    page.wait_for_url(f"{site.url}/api/form/status")
    expect(page.locator(".errors")).to_be_visible()

    expect(page.locator("html")).to_have_class(ELDER)
    toggle = page.locator("#jubao-elder-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    larger = font_size(page, "main p")
    assert larger >= normal * 1.2, (normal, larger)
    settle(page)
    _fits_the_phone(page)
    assert axe_violations(page) == []
    screenshot(page, "answer-status-elder-phone")

    toggle.click()  # switched off here, off on the site
    expect(toggle).to_have_attribute("aria-pressed", "false")
    assert not ELDER.search(page.locator("html").get_attribute("class") or "")
    assert page.evaluate("localStorage.getItem('jubao-elder')") is None
    page.goto(f"{site.url}/")
    expect(page.locator("#jubao-elder-toggle")).to_have_attribute("aria-pressed", "false")
    assert page.errors == []  # type: ignore[attr-defined]
