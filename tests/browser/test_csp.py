"""The site works under its Content-Security-Policy (``script-src 'self'``, no inline code).

Every context of the browser tests runs under the policy and fails its test on a
violation (``conftest.new_context``); here every built page in both languages is visited,
the scripts that matter (report form, search and its worker, calculator, quiz) are used,
a planted inline script shows that violations are seen at all, and the real server's
answers are checked for the policy's headers.
"""

from __future__ import annotations

import re
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from chalicelib.web import http_policy
from tests.browser.conftest import DESKTOP, Site, send_anonymous_report, settle
from tests.browser.test_a11y_layout import ALL_PAGES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

# Material's helpers (moved out of the page by the build) and its bundle both ran
MATERIAL_RAN = "typeof __md_get === 'function' && typeof document$ === 'object'"


def goto_under_policy(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.headers.get("content-security-policy") == http_policy.SITE_CSP, url
    page.wait_for_load_state("networkidle")
    settle(page)
    assert page.evaluate(MATERIAL_RAN), url


@pytest.mark.parametrize("path", [*ALL_PAGES, "404.html"])
def test_every_page_runs_under_the_policy(
    site: Site, page: Page, csp_violations: list[str], path: str
) -> None:
    goto_under_policy(page, f"{site.url}/{path}")
    assert csp_violations == []
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_planted_inline_script_is_refused_and_seen(
    site: Site, page: Page, csp_violations: list[str]
) -> None:
    """The guard itself: under the policy inline code does not run, and is reported."""
    goto_under_policy(page, f"{site.url}/")
    page.evaluate("""() => {
        const s = document.createElement("script");
        s.textContent = "window.__planted = true";
        document.body.append(s);
        const b = document.createElement("button");
        b.setAttribute("onclick", "window.__clicked = true");
        b.textContent = "x";
        document.body.append(b);
        b.click();
    }""")
    assert page.evaluate("window.__planted === undefined && window.__clicked === undefined")
    wanted = ("script-src-elem inline", "script-src-attr inline", "page: ")
    for _ in range(100):  # the reports reach Python asynchronously
        if all(any(v.startswith(w) for v in csp_violations) for w in wanted):
            break
        page.wait_for_timeout(100)
    for w in wanted:  # the event listener saw both, and the console reported them
        assert any(v.startswith(w) for v in csp_violations), (w, csp_violations)
    csp_violations.clear()  # expected here; the fixture fails on any left over


def test_the_scripts_work_under_the_policy(
    site: Site, page: Page, csp_violations: list[str]
) -> None:
    # the report form: checks, sending, the receipt, the status look-up
    goto_under_policy(page, f"{site.url}/report/")
    page.click("#report-form button[type=submit]")
    expect(page.locator(".jubao-errors")).to_be_focused()
    receipt = send_anonymous_report(page)
    goto_under_policy(page, f"{site.url}/en/status/")
    page.fill("#f-receipt", receipt)
    page.click("#status-form button[type=submit]")
    expect(page.locator("#status-result")).to_contain_text("Received, awaiting acceptance")
    # the calculator and the quiz
    goto_under_policy(page, f"{site.url}/rewards/")
    expect(page.locator("#reward-calculator.is-ready")).to_be_attached()
    page.fill("#c-fine_total_yuan", "120000")
    page.click("#reward-calculator button[type=submit]")
    expect(page.locator("#reward-result .jubao-calc__amount")).not_to_be_empty()
    goto_under_policy(page, f"{site.url}/quiz/")
    page.click("#quiz button[type=submit]")
    expect(page.locator("#quiz-score")).not_to_be_empty()
    # search: Material's worker builds the index and answers
    page.set_viewport_size(DESKTOP)
    goto_under_policy(page, f"{site.url}/en/")
    page.click(".md-search__input")
    meta = page.locator(".md-search-result__meta")
    expect(meta).not_to_contain_text(re.compile("Initializing"), timeout=45_000)
    page.fill(".md-search__input", "custodian")
    page.locator(".md-search__input").press("End")
    expect(page.locator(".md-search-result__item a").first).to_be_visible()
    assert csp_violations == []
    assert page.errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "cache_control"),
    [
        ("/", "no-cache"),
        ("/report/", "no-store"),
        ("/status/", "no-store"),
        ("/en/report/", "no-store"),
        ("/en/status/", "no-store"),
        ("/en/", "no-cache"),
    ],
)
def test_the_server_sends_the_policy_with_site_pages(
    site: Site, path: str, cache_control: str
) -> None:
    """The real server's headers, not the test route's (see conftest)."""
    with urllib.request.urlopen(site.url + path, timeout=30) as answer:
        headers = answer.headers
    csp = headers.get("Content-Security-Policy") or ""
    assert "frame-ancestors 'none'" in csp, dict(headers)
    assert csp == http_policy.SITE_CSP
    assert headers.get("Cache-Control") == cache_control
    assert headers.get("X-Content-Type-Options") == "nosniff"


def test_the_server_sends_the_policy_with_moved_scripts(site: Site) -> None:
    inline = sorted((site.site_dir / "assets" / "javascripts" / "inline").glob("*.js"))
    assert inline
    path = "/" + inline[0].relative_to(site.site_dir).as_posix()
    with urllib.request.urlopen(site.url + path, timeout=30) as answer:
        headers = answer.headers
    expected = http_policy.headers_for(http_policy.kind_for(path))
    assert headers.get("Content-Security-Policy") == http_policy.SITE_CSP
    assert headers.get("Cache-Control") == expected["Cache-Control"]
    assert (headers.get("Content-Type") or "").startswith(
        ("text/javascript", "application/javascript")
    )
