"""Accessibility (axe-core, WCAG 2.1 A/AA) on every page and every state the scripts
draw; phone-width layout; screenshots of the main pages at phone and desktop width.

axe-core comes from the PyPI package axe-playwright-python (its bundled axe.min.js),
injected into the page: nothing is fetched from a CDN. axe reads computed colours, so it
runs only on a still page: contexts prefer reduced motion (no CSS transitions) and
``settle`` waits for what still moves; a button caught mid-fade has a contrast of its own.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    ContextFactory,
    Site,
    screenshot,
    send_anonymous_report,
    settle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

PAGES = [
    "",
    "report/",
    "status/",
    "channels/",
    "scope/",
    "process/",
    "rewards/",
    "confidentiality/",
    "quiz/",
    "posters/",
    "policies/",
    "faq/",
]
ALL_PAGES = PAGES + [f"en/{p}" for p in PAGES]
WCAG_21_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def axe_violations(page: Page) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT)
    settle(page)
    result: dict[str, Any] = page.evaluate("opts => axe.run(document, opts)", WCAG_21_AA)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(
            n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
            for n in v["nodes"][:5]
        )
        for v in result["violations"]
    ]


@pytest.mark.parametrize("path", ALL_PAGES)
def test_every_page_passes_axe_and_fits_a_phone(site: Site, page: Page, path: str) -> None:
    page.goto(f"{site.url}/{path}")
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"/{path} is {width}px wide at {PHONE['width']}px"
    assert axe_violations(page) == []
    assert page.errors == []  # type: ignore[attr-defined]


def test_axe_on_the_states_scripts_draw(site: Site, page: Page) -> None:
    # report form: errors shown in the page
    page.goto(f"{site.url}/report/")
    page.click("#report-form button[type=submit]")
    expect(page.locator(".jubao-errors")).to_be_visible()
    assert axe_violations(page) == []
    # the receipt
    receipt = send_anonymous_report(page, "violation")
    assert axe_violations(page) == []
    # the status answer with its addition form
    page.goto(f"{site.url}/status/")
    page.fill("#f-receipt", receipt)
    page.click("#status-form button[type=submit]")
    expect(page.locator("#supplement-form")).to_be_visible()
    assert axe_violations(page) == []
    # a wrong receipt
    page.fill("#f-receipt", "0000-0000-0000-0000-0000-0000")
    page.click("#status-form button[type=submit]")
    expect(page.locator("#status-form .jubao-errors")).to_be_visible()
    assert axe_violations(page) == []
    # calculator result and a scored quiz
    page.goto(f"{site.url}/rewards/")
    expect(page.locator("#reward-calculator.is-ready")).to_be_attached()
    page.fill("#c-fine_total_yuan", "120000")
    page.click("#reward-calculator button[type=submit]")
    expect(page.locator("#reward-result")).to_be_visible()
    assert axe_violations(page) == []
    page.goto(f"{site.url}/en/quiz/")
    page.click("#quiz button[type=submit]")
    expect(page.locator("#quiz-score")).not_to_be_empty()
    assert axe_violations(page) == []


def test_no_javascript_answer_pages_are_accessible(
    site: Site, page: Page, new_context: ContextFactory
) -> None:
    """The function's HTML answers (receipt, errors, status), checked by axe.

    Scripts cannot run in a page with JavaScript disabled (axe included), so each answer
    is taken from the no-JS browser and checked in a page that runs scripts."""
    nojs = new_context(java_script_enabled=False).new_page()
    answers = []
    nojs.goto(f"{site.url}/status/")
    nojs.fill("#f-receipt", "1234")
    nojs.click("#status-form button[type=submit]")
    expect(nojs.locator(".errors")).to_be_visible()
    answers.append(nojs.content())
    nojs.goto(f"{site.url}/report/")
    nojs.check('input[name="kind"][value="hazard"]')
    nojs.select_option("#f-region", "340100")
    nojs.select_option("#f-industry", "fire")
    nojs.fill("#f-unit_name", "x")  # too short: the form comes back with errors
    nojs.fill("#f-description", "安全出口被锁闭，消防通道堆满杂物。")
    nojs.check("#f-anonymous")
    nojs.click("#report-form button[type=submit]")
    expect(nojs.locator(".errors")).to_be_visible()
    answers.append(nojs.content())
    nojs.fill("#f-unit_name", "某商场")
    nojs.click("#report-form button[type=submit]")
    expect(nojs.locator("#receipt")).to_be_visible()
    answers.append(nojs.content())
    for html in answers:
        page.set_content(html)
        assert axe_violations(page) == []


MAIN = [
    "",
    "report/",
    "status/",
    "channels/",
    "scope/",
    "process/",
    "rewards/",
    "confidentiality/",
    "quiz/",
    "posters/",
    "faq/",
    "en/",
    "en/report/",
    "en/process/",
]


@pytest.mark.parametrize("path", MAIN)
def test_screenshots_at_phone_and_desktop_width(
    site: Site, new_context: ContextFactory, path: str
) -> None:
    name = path.strip("/").replace("/", "-") or "home"
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page = new_context(viewport=viewport).new_page()
        page.goto(f"{site.url}/{path}")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        # the page heading and the call to report are on screen without scrolling
        heading = page.locator("article h1").first.bounding_box()
        assert heading is not None and heading["y"] < viewport["height"]
        assert screenshot(page, f"{name}-{label}").stat().st_size > 5000
        page.close()
