"""Browser fixtures: the site built once, `jubao serve` on a free port, Debian's Chromium.

Playwright drives /usr/bin/chromium (never a downloaded browser). Every request a page
makes to anything but the local server is blocked and recorded, so a test fails if the
site tries to reach a CDN, a font service or a tracker.

Every page runs under the one security-header policy (``chalicelib.web.http_policy``): as the
server sends it, or, if the server does not send a Content-Security-Policy, added to each
answer by the route that guards the context. A violation of the policy (recorded by an
init script from ``securitypolicyviolation`` events, and from the console of pages and
their workers) fails the test that caused it.

Contexts prefer reduced motion, which turns off Material's CSS transitions: a check that
reads colours or positions (axe, screenshots) must never catch an element mid-transition
(the back-to-top button and the header title fade in as the page scrolls).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)

from chalicelib.web import http_policy
from tests.conftest import LiveServer, start_server
from tests.site.sitebuild import ROOT, build_site

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Site:
    url: str
    server: LiveServer
    site_dir: Path
    server_sends_policy: bool = False
    foreign_requests: list[str] = field(default_factory=list)

    @property
    def data_dir(self) -> Path:
        return self.server.data_dir


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    base = tmp_path_factory.mktemp("browser-site")
    build = build_site(base / "site", {"JUBAO_POSTERS_DIR": str(base / "no-posters")})
    assert build.returncode == 0, build.log
    server = start_server(
        base / "data",
        site_dir=build.site,
        env={"JUBAO_SUBMIT_RATE_PER_MINUTE": "100000", "JUBAO_STATUS_RATE_PER_MINUTE": "100000"},
    )
    with urllib.request.urlopen(f"{server.url}/", timeout=30) as answer:
        sends_policy = answer.headers.get("Content-Security-Policy") is not None
    yield Site(server.url, server, build.site, server_sends_policy=sends_policy)
    server.stop()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


ContextFactory = Callable[..., BrowserContext]


# assertions wait for what the page draws; on a loaded 2-core machine 5 s is too short
expect.set_options(timeout=20_000)


# runs in every document before its own scripts; the binding outlives navigations
RECORD_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__jubaoCspViolation([e.effectiveDirective, e.blockedURI,
    `${e.sourceFile}:${e.lineNumber}`, e.sample].join(" "));
}, true);
"""
CSP_WORDS = ("Content Security Policy", "Content-Security-Policy")


def with_policy(route: Route) -> None:
    """Answer with the server's response plus the policy's headers for its kind."""
    response = route.fetch(max_redirects=0)  # a redirect goes to the browser as it is
    headers = {
        k: v
        for k, v in response.headers.items()
        if k.lower() not in ("content-length", "content-encoding")
    }
    kind = http_policy.kind_for(
        urlsplit(route.request.url).path, response.headers.get("content-type", "")
    )
    headers.update({k.lower(): v for k, v in http_policy.headers_for(kind).items()})
    route.fulfill(response=response, headers=headers)


@pytest.fixture
def csp_violations() -> list[str]:
    """Policy violations seen in this test's contexts (the test fails if any remain)."""
    return []


@pytest.fixture
def new_context(
    browser: Browser, site: Site, csp_violations: list[str]
) -> Iterator[ContextFactory]:
    """Contexts under the site's policy that may only talk to the local server."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options.setdefault("viewport", PHONE)
        options.setdefault("locale", "zh-CN")
        options.setdefault("reduced_motion", "reduce")  # no CSS transitions (Material)
        context = browser.new_context(**options)
        # CI shares 2 cores between this browser, the server and another test worker
        context.set_default_timeout(30_000)

        def guard(route: Route) -> None:
            url = route.request.url
            if url.startswith("data:"):
                route.continue_()
            elif not url.startswith(site.url + "/"):
                site.foreign_requests.append(url)
                route.abort()
            elif site.server_sends_policy:
                route.continue_()
            else:
                with_policy(route)

        def console(where: str) -> Callable[[ConsoleMessage], None]:
            def record(message: ConsoleMessage) -> None:
                if any(word in message.text for word in CSP_WORDS):
                    csp_violations.append(f"{where}: {message.text}")

            return record

        def watch_page(p: Page) -> None:
            p.on("console", console("page"))
            p.on("worker", lambda w: w.on("console", console(f"worker {w.url}")))

        # marked on the object: test modules import this file under another module name
        # than pytest does, so module-level state here would exist twice
        context.jubao_scripts = options.get("java_script_enabled") is not False  # type: ignore[attr-defined]
        context.route("**/*", guard)
        context.expose_function("__jubaoCspViolation", lambda text: csp_violations.append(text))
        context.add_init_script(RECORD_VIOLATIONS)
        context.on("page", watch_page)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not site.foreign_requests, f"requests left the site: {site.foreign_requests}"
    assert not csp_violations, "policy violations:\n" + "\n".join(csp_violations)


@pytest.fixture
def page(new_context: ContextFactory) -> Page:
    """A phone-sized page with JavaScript; page errors fail the test."""
    p = new_context().new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.errors = errors  # type: ignore[attr-defined]
    return p


# resolves once every finite animation or transition has finished and two frames have
# been drawn, so scroll handlers (Material's header and back-to-top button) have run
SETTLE = """async () => {
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
  for (let round = 0; round < 20; round++) {
    await frame();
    await frame();
    const running = document.getAnimations().filter((a) => a.playState === "running" &&
      a.effect && a.effect.getComputedTiming().endTime !== Infinity);
    if (running.length === 0) return;
    await Promise.all(running.map((a) => a.finished.catch(() => null)));
  }
  throw new Error("the page kept starting animations");
}"""


def settle(page: Page) -> None:
    """Wait until the page is still: no transition or animation under way.

    Pages with JavaScript off never run animation-frame callbacks, so SETTLE would wait
    forever (page.evaluate has no timeout); with reduced motion and no scripts nothing on
    them moves, so there is nothing to wait for.
    """
    if getattr(page.context, "jubao_scripts", True):
        page.evaluate(SETTLE)


def send_anonymous_report(page: Page, kind: str = "hazard") -> str:
    """Fill the open report form with a valid anonymous report, send it, and return the
    receipt the page shows."""
    page.check(f'input[name="kind"][value="{kind}"]')
    page.select_option("#f-region", "340100")
    page.select_option("#f-industry", "fire")
    page.fill("#f-unit_name", "某商场")
    page.fill("#f-description", "商场安全出口被锁闭，消防通道堆满杂物。")
    page.check("#f-anonymous")
    page.click("#report-form button[type=submit]")
    code = page.locator("#receipt-code")
    expect(code).to_be_visible()
    return code.inner_text()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # a sticky header would be drawn mid-page
    settle(page)
    page.screenshot(path=str(path), full_page=True)
    return path
