"""Every page's chrome (issue 11): the hotline to tap, the elderly-friendly mode, the footer.

* the 12350 hotline is a large ``tel:`` button at the top of every page, in both languages,
  with the number from outside the province as a ``tel:`` link beside it; the numbers in
  the pages' text are links too (the site otherwise tells phones not to guess numbers);
* 长者模式: a button with ``aria-pressed`` gives larger text and higher contrast, applied
  before the first paint, kept across pages and visits (localStorage) until switched off;
  the pages still pass axe and fit a 360 px phone in that mode, and print is unaffected;
* the footer names the sponsor, contact, ICP filing and website code from the
  configuration; a development build marks what is not configured yet.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from chalicelib.config.office import load_office
from tests.browser.conftest import PHONE, ContextFactory, Site, screenshot, settle
from tests.browser.test_a11y_layout import ALL_PAGES, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

OFFICE = load_office()
HOTLINE = OFFICE.hotline
ELDER = re.compile(r"(^|\s)jubao-elder(\s|$)")
SAMPLE_PAGES = ["", "report/", "status/", "rewards/", "quiz/", "faq/", "en/", "en/report/"]


def font_size(page: Page, selector: str) -> float:
    return float(page.eval_on_selector(selector, "e => parseFloat(getComputedStyle(e).fontSize)"))


@pytest.mark.parametrize("path", SAMPLE_PAGES)
def test_the_hotline_is_a_large_tap_to_call_button_on_every_page(
    site: Site, page: Page, path: str
) -> None:
    page.goto(f"{site.url}/{path}")
    call = page.locator(".jubao-bar__call")
    expect(call).to_have_attribute("href", f"tel:{HOTLINE.value}")
    expect(call).to_contain_text(HOTLINE.value)
    expect(call).to_contain_text("Call" if path.startswith("en/") else "拨打")
    box = call.bounding_box()
    assert box is not None
    assert box["height"] >= 44 and box["width"] >= 120, box  # a thumb's target
    assert box["y"] + box["height"] <= PHONE["height"] / 2  # on the first screen, at the top
    for dial in HOTLINE.alternates:
        alt = page.locator(".jubao-bar__alt a")
        expect(alt).to_have_attribute("href", "tel:" + dial.value.replace("-", ""))
        expect(alt).to_have_text(dial.value)


def test_the_numbers_in_the_text_are_tel_links(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/")
    article = page.locator("article")
    for number in [HOTLINE.value, *(d.value for d in HOTLINE.alternates)]:
        link = article.locator(f'a[href="tel:{number.replace("-", "")}"]').first
        expect(link).to_have_text(number)
    page.goto(f"{site.url}/quiz/")  # never inside an answer's label: the choice stays a choice
    assert page.locator("label.choice a").count() == 0


def test_elderly_mode_is_kept_across_pages_until_switched_off(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/")
    toggle = page.locator("#jubao-elder-toggle")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-pressed", "false")
    normal = font_size(page, "article p")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.locator("html")).to_have_class(ELDER)
    larger = font_size(page, "article p")
    assert larger >= normal * 1.2, (normal, larger)
    colour = page.eval_on_selector("article p", "e => getComputedStyle(e).color")
    assert colour == "rgb(0, 0, 0)"

    page.locator('article a[href="faq/"]').first.click()  # a link, as a reader goes on
    page.wait_for_url(f"{site.url}/faq/")
    expect(page.locator("html")).to_have_class(ELDER)
    expect(page.locator("#jubao-elder-toggle")).to_have_attribute("aria-pressed", "true")
    page.goto(f"{site.url}/en/faq/")  # the other language
    expect(page.locator("html")).to_have_class(ELDER)
    expect(page.locator("#jubao-elder-toggle")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#jubao-elder-toggle")).to_have_text("Large text")
    assert font_size(page, "article p") >= normal * 1.2

    page.locator("#jubao-elder-toggle").click()
    expect(page.locator("#jubao-elder-toggle")).to_have_attribute("aria-pressed", "false")
    page.goto(f"{site.url}/status/")
    expect(page.locator("#jubao-elder-toggle")).to_have_attribute("aria-pressed", "false")
    assert "jubao-elder" not in (page.locator("html").get_attribute("class") or "")
    assert font_size(page, "article p") == pytest.approx(normal)


def test_elderly_mode_is_applied_before_the_first_paint(site: Site, page: Page) -> None:
    """The class is on <html> before the body is parsed: the page never jumps."""
    page.goto(f"{site.url}/")
    page.evaluate("localStorage.setItem('jubao-elder', 'on')")
    page.add_init_script(
        "document.addEventListener('readystatechange', () => {"
        " if (document.readyState === 'interactive' && !window.__elderAtParse)"
        " window.__elderAtParse = document.documentElement.className; });"
    )
    page.goto(f"{site.url}/faq/")
    assert "jubao-elder" in page.evaluate("window.__elderAtParse")
    head_scripts = page.eval_on_selector_all(
        "head script[src]", "els => els.map(e => [e.src, e.defer, e.async])"
    )
    elder = [s for s in head_scripts if s[0].endswith("/assets/js/elder.js")]
    assert elder and elder[0][1:] == [False, False]


@pytest.mark.parametrize("path", ALL_PAGES)
def test_elderly_mode_passes_axe_and_fits_a_phone(site: Site, page: Page, path: str) -> None:
    page.goto(f"{site.url}/")
    page.evaluate("localStorage.setItem('jubao-elder', 'on')")
    page.goto(f"{site.url}/{path}")
    page.wait_for_load_state("networkidle")
    expect(page.locator("html")).to_have_class(ELDER)
    settle(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"/{path} is {width}px wide in elderly mode"
    assert axe_violations(page) == []
    assert page.errors == []  # type: ignore[attr-defined]
    if path == "":
        screenshot(page, "home-elder-phone")


def test_print_is_not_affected_by_elderly_mode(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/faq/")
    page.emulate_media(media="print")
    printed = font_size(page, "article p")
    expect(page.locator(".jubao-bar")).to_be_hidden()
    page.emulate_media(media="screen")
    page.locator("#jubao-elder-toggle").click()
    page.emulate_media(media="print")
    assert font_size(page, "article p") == pytest.approx(printed)
    expect(page.locator(".jubao-bar")).to_be_hidden()


def test_without_javascript_the_switch_is_not_offered(
    site: Site, new_context: ContextFactory
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{site.url}/")
    expect(page.locator("#jubao-elder-toggle")).to_be_hidden()
    expect(page.locator(".jubao-bar__call")).to_be_visible()


@pytest.mark.parametrize(("path", "lang"), [("", "zh"), ("en/", "en")])
def test_the_development_footer_names_what_is_not_configured(
    site: Site, page: Page, path: str, lang: str
) -> None:
    page.goto(f"{site.url}/{path}")
    footer = page.locator(".md-footer-meta")
    labels = (
        ["主办单位：", "联系方式：", "ICP备案号：", "网站标识码："]
        if lang == "zh"
        else ["Run by: ", "Contact: ", "ICP filing: ", "Website code: "]
    )
    missing = "待配置" if lang == "zh" else "to be configured"
    items = footer.locator("ul.jubao-footer li")
    expect(items).to_have_count(4)
    for i, label in enumerate(labels):
        expect(items.nth(i)).to_have_text(label + missing)
