"""The region preselected from the poster tag of the QR link (forms.js, prefillRegion).

A genuine county poster opens the form with its county chosen; a damaged or foreign tag
leaves the choice empty and never stands in the way of a report; without JavaScript
nothing changes.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ContextFactory, Site, send_anonymous_report
from tests.browser.test_report_flow import genuine_tag, stored

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

COUNTY = "341021-v0003"  # a village in 歙县, Huangshan: a county without a unit of its own


def test_a_county_poster_preselects_its_county(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/report/?src={genuine_tag(site, COUNTY)}")
    expect(page.locator("#f-region")).to_have_value("341021")
    expect(page.locator("#f-region option:checked")).to_have_text("黄山市歙县")
    expect(page.locator("#poster-notice")).to_have_text("本海报由黄山市歙县发布。")
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_english_form_preselects_it_too(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/en/report/?src={genuine_tag(site, '340711-r')}")
    expect(page.locator("#f-region")).to_have_value("340711")
    expect(page.locator("#f-region option:checked")).to_have_text("Jiao District, Tongling")


@pytest.mark.parametrize(
    "src",
    [
        "garbage",
        "341021-v0003.AAA",  # cut short on a phone screen
        "341021-v0003",  # the signature lost
        "999999-c0001.AAAAAAAAAAA",  # a code the list does not offer
        "341021-v0003.AAAAAAAAAAA%0A",  # a trailing newline
        "%EF%BC%93%EF%BC%94" + "1021-v0003.AAAAAAAAAAA",  # full-width digits
        "x" * 500,
    ],
)
def test_a_damaged_tag_leaves_the_region_empty_and_the_report_goes_through(
    site: Site, page: Page, src: str
) -> None:
    page.goto(f"{site.url}/report/?src={src}")
    page.wait_for_load_state("load")
    expect(page.locator("#f-region")).to_have_value("")
    receipt = send_anonymous_report(page)  # chooses 合肥市 itself
    assert receipt
    number = page.locator("#receipt dd").first.inner_text()
    record = stored(site, number)
    assert record is not None and record.region == "340100" and record.source is None
    assert page.errors == []  # type: ignore[attr-defined]


def test_without_javascript_nothing_is_preselected(site: Site, new_context: ContextFactory) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{site.url}/report/?src={genuine_tag(site, COUNTY)}")
    expect(page.locator("#f-region")).to_have_value("")
