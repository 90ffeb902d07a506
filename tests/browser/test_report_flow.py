"""Reporting in a real browser: from a poster's QR link to a receipt, a status look-up and
an addition; with JavaScript and without; and a retry after a lost answer."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Page, Route, expect

from chalicelib import crypto, tags
from chalicelib.config.office import load_office
from chalicelib.store.sqlite import SqliteStore
from tests.browser.conftest import ContextFactory, Site, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

OFFICE = load_office()
PLACE = "340104-c0012"  # a community in Shushan District, Hefei
RECEIPT = re.compile(r"^\d{4}-\d{4}(-[0-9A-Z]{4}){4}$")


def genuine_tag(site: Site, slug: str = PLACE) -> str:
    key = crypto.b64d((site.data_dir / "keys" / "tag.key").read_text(encoding="ascii").strip())
    return tags.sign(slug, key)


def stored(site: Site, number: str):  # type: ignore[no-untyped-def]
    store = SqliteStore(site.data_dir / "jubao.sqlite3")
    try:
        return store.get_report(number)
    finally:
        store.close()


def photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def fill_report(page: Page, *, name: str = "张三", phone: str = "13812345678") -> None:
    page.check('input[name="kind"][value="hazard"]')
    page.select_option("#f-region", "340104")
    page.select_option("#f-industry", "construction")
    page.fill("#f-unit_name", "某某建筑工程有限公司")
    page.fill("#f-address", "蜀山区某路 1 号工地")
    page.fill("#f-description", "工地深基坑没有支护方案，坑边堆放大量钢材，工人仍在坑底作业。")
    page.fill("#f-reporter_name", name)
    page.fill("#f-reporter_phone", phone)


def test_report_from_a_poster_with_javascript(site: Site, page: Page) -> None:
    tag = genuine_tag(site)
    page.goto(f"{site.url}/report/?src={tag}")
    notice = page.locator("#poster-notice")
    expect(notice).to_have_text("本海报由合肥市蜀山区发布。")
    assert page.locator('#report-form input[name="source"]').input_value() == tag
    screenshot(page, "report-form-zh-phone")

    fill_report(page)
    page.set_input_files(
        "#f-files", files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    page.click("#report-form button[type=submit]")

    code = page.locator("#receipt-code")
    expect(code).to_be_visible(timeout=15000)
    receipt = code.inner_text().strip()
    assert RECEIPT.match(receipt), receipt
    panel = page.locator("#receipt")
    expect(panel).to_be_focused()
    expect(panel).to_contain_text("合肥市蜀山区")  # the poster's issuer, from the server
    number = panel.locator("dd").first.inner_text()
    screenshot(page, "receipt-zh-phone")

    record = stored(site, number)
    assert record is not None
    assert record.source == PLACE  # granularity "place": the slug without its signature
    assert record.region == "340104" and record.kind == "hazard"
    assert len(record.attachments) == 1
    assert record.identity is not None  # a named report: identity sealed to the custodian

    # look it up: the receipt travels in the body, never the address
    page.click("#receipt a.md-button")
    expect(page).to_have_url(f"{site.url}/status/")
    page.fill("#f-receipt", receipt)
    page.click("#status-form button[type=submit]")
    result = page.locator("#status-result")
    expect(result).to_contain_text("已接收，等待受理")
    expect(result).to_contain_text(number)
    assert receipt.replace("-", "") not in page.url.replace("-", "")

    # add information
    page.fill("#s-text", "补充：基坑东侧已有裂缝。")
    page.click("#supplement-form button[type=submit]")
    expect(result).to_contain_text("补充材料已提交。")
    expect(result.locator("dl")).to_contain_text("1")
    screenshot(page, "status-zh-phone")
    assert page.errors == []  # type: ignore[attr-defined]


def test_report_without_javascript(site: Site, new_context: ContextFactory) -> None:
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    tag = genuine_tag(site, "340100-e0007")
    page.goto(f"{site.url}/report/?src={tag}")
    expect(page.locator("#poster-notice")).to_be_hidden()  # needs JS; the tag still travels
    fill_report(page, name="李四", phone="0551-62998731")
    page.check("#f-anonymous")  # anonymous wins: the name typed above is not sent
    page.click("#report-form button[type=submit]")

    expect(page.locator("h1")).to_have_text("举报回执")
    receipt = page.locator("#receipt").inner_text().strip()
    assert RECEIPT.match(receipt), receipt
    number = page.locator("dd").first.inner_text()
    screenshot(page, "receipt-nojs-zh-phone")
    record = stored(site, number)
    assert record is not None
    assert record.source == "340100-e0007"  # carried by the Referer of the form page
    assert record.identity is None  # anonymous

    page.goto(f"{site.url}/status/")
    page.fill("#f-receipt", receipt.lower())  # typed forgivingly
    page.click("#status-form button[type=submit]")
    expect(page.locator("main")).to_contain_text("已接收，等待受理")
    expect(page.locator("main")).to_contain_text(number)


def test_no_javascript_errors_come_back_in_the_same_form(
    site: Site, new_context: ContextFactory
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{site.url}/en/report/")
    page.check('input[name="kind"][value="violation"]')
    page.select_option("#f-region", "340100")
    page.select_option("#f-industry", "fire")
    page.fill("#f-unit_name", "Some firm")
    page.fill("#f-description", "too short")  # 9 characters: under the minimum of 10
    page.fill("#f-reporter_phone", "13812345678")
    page.evaluate("document.querySelector('#f-description').removeAttribute('minlength')")
    page.click("#report-form button[type=submit]")
    expect(page.locator('.field[data-field="description"] .field-error')).to_be_visible()
    assert page.locator("#f-unit_name").input_value() == "Some firm"


def test_checks_before_sending(site: Site, page: Page) -> None:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/api/" in r.url else None)
    page.goto(f"{site.url}/report/")
    page.fill("#f-description", "太短")
    page.click("#report-form button[type=submit]")
    summary = page.locator(".jubao-errors")
    expect(summary).to_be_focused()
    for name in ("kind", "region", "industry", "unit_name", "description", "reporter_name"):
        expect(page.locator(f'.field[data-field="{name}"] .field-error')).to_be_visible()
    screenshot(page, "report-errors-zh-phone")
    assert sent == []


def test_anonymous_is_a_clear_choice(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/report/")
    warning = page.locator("#anonymous-warning")
    page.fill("#f-reporter_phone", "13812345678")
    expect(warning).to_be_hidden()
    page.check("#f-anonymous")
    expect(warning).to_be_visible()
    expect(page.locator("#f-reporter_name")).to_be_hidden()
    expect(page.locator("#f-reporter_phone")).to_be_disabled()


def test_a_lost_answer_is_retried_without_a_second_report(site: Site, page: Page) -> None:
    keys: list[str] = []
    lost = {"done": False}

    def lose_first_answer(route: Route) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if not lost["done"]:
            lost["done"] = True
            route.fetch()  # the server receives and stores the report...
            route.abort("connectionreset")  # ...but the answer never arrives
        else:
            route.continue_()

    before = sum(1 for _ in SqliteStore(site.data_dir / "jubao.sqlite3").iter_reports())
    page.route(f"{site.url}/api/reports", lose_first_answer)
    page.goto(f"{site.url}/report/")
    fill_report(page, name="王五", phone="13900001111")
    page.click("#report-form button[type=submit]")
    expect(page.locator(".jubao-errors")).to_contain_text("网络连接失败")
    page.click("#report-form button[type=submit]")
    expect(page.locator("#receipt-code")).to_be_visible()

    assert len(keys) == 2 and keys[0] == keys[1]
    assert re.fullmatch(r"[0-9a-f-]{36}", keys[0])
    after = sum(1 for _ in SqliteStore(site.data_dir / "jubao.sqlite3").iter_reports())
    assert after == before + 1


def test_english_report_with_a_poster(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/en/report/?src={genuine_tag(site)}")
    expect(page.locator("#poster-notice")).to_have_text(
        "This poster was issued by Shushan District, Hefei."
    )
    fill_report(page, name="Zhang San")
    page.click("#report-form button[type=submit]")
    panel = page.locator("#receipt")
    expect(panel).to_contain_text("Your report has been received. Thank you!")
    expect(panel).to_contain_text("Received, awaiting acceptance")
    screenshot(page, "receipt-en-phone")


def test_a_forged_tag_is_dropped(site: Site, page: Page) -> None:
    forged = genuine_tag(site)[:-3] + "AAA"
    page.goto(f"{site.url}/report/?src={forged}")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#poster-notice")).to_be_hidden()
    assert page.locator('#report-form input[name="source"]').input_value() == ""
