"""Browser fixtures: the site built once, `jubao serve` on a free port, Debian's Chromium.

Playwright drives /usr/bin/chromium (never a downloaded browser). Every request a page
makes to anything but the local server is blocked and recorded, so a test fails if the
site tries to reach a CDN, a font service or a tracker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)

from tests.conftest import LiveServer, start_server
from tests.site.sitebuild import ROOT, build_site

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Site:
    url: str
    server: LiveServer
    site_dir: Path
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
    yield Site(server.url, server, build.site)
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


@pytest.fixture
def new_context(browser: Browser, site: Site) -> Iterator[ContextFactory]:
    """Contexts that may only talk to the local server; closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        options.setdefault("viewport", PHONE)
        options.setdefault("locale", "zh-CN")
        context = browser.new_context(**options)
        # CI shares 2 cores between this browser, the server and another test worker
        context.set_default_timeout(30_000)

        def guard(route: Route) -> None:
            url = route.request.url
            if url.startswith(site.url + "/") or url.startswith("data:"):
                route.continue_()
            else:
                site.foreign_requests.append(url)
                route.abort()

        context.route("**/*", guard)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert not site.foreign_requests, f"requests left the site: {site.foreign_requests}"


@pytest.fixture
def page(new_context: ContextFactory) -> Page:
    """A phone-sized page with JavaScript; page errors fail the test."""
    p = new_context().new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.errors = errors  # type: ignore[attr-defined]
    return p


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")  # a sticky header would be drawn mid-page
    page.screenshot(path=str(path), full_page=True)
    return path
