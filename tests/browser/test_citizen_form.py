"""The report form as a citizen meets it (issue 11), in Debian's Chromium: errors that go as
soon as they are fixed, a chosen photo never dropped silently without JavaScript, damaged
poster tags that never block a report, the upload limits, an addition's confirmation in
view, Beijing time whatever the device's zone, and receipt groups that never wrap."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ContextFactory, Site, send_anonymous_report
from tests.browser.test_report_flow import fill_report, genuine_tag, photo
from tests.conftest import stored_source

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]

RECEIPT = re.compile(r"^\d{4}-\d{4}(-[0-9A-Z]{4}){4}$")
SHOWN_TIME = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d)(（北京时间）| \(Beijing time\))")


def field_error(page: Page, name: str) -> Locator:
    return page.locator(f'#report-form .field[data-field="{name}"] .field-error')


def summary_lines(page: Page) -> list[str]:
    return page.locator(".jubao-errors li").all_inner_texts()


def in_view(locator: Locator) -> bool:
    return bool(
        locator.evaluate(
            "(n) => { const r = n.getBoundingClientRect();"
            " return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }"
        )
    )


# ---- 2. errors go as soon as the field is fixed ----------------------------------------------


def test_errors_clear_as_soon_as_each_field_is_fixed(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/report/")
    page.click("#report-form button[type=submit]")
    expect(page.locator(".jubao-errors")).to_be_focused()
    for name in ("kind", "region", "industry", "unit_name", "description", "reporter_name"):
        expect(field_error(page, name)).to_be_visible()
    assert len(summary_lines(page)) == 6

    page.fill("#f-unit_name", "某")  # one character: still too short, the error stays
    expect(field_error(page, "unit_name")).to_be_visible()
    page.fill("#f-unit_name", "某商场")
    expect(field_error(page, "unit_name")).to_be_hidden()
    expect(page.locator('.field[data-field="unit_name"]')).not_to_have_class(
        re.compile("has-error")
    )
    expect(page.locator("#f-unit_name")).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator(".jubao-errors li")).to_have_count(5)
    assert not any("被举报单位" in line for line in summary_lines(page))
    expect(field_error(page, "description")).to_be_visible()  # the others stay

    page.check('input[name="kind"][value="hazard"]')
    page.select_option("#f-region", "340100")
    page.select_option("#f-industry", "fire")
    expect(page.locator(".jubao-errors li")).to_have_count(2)
    page.fill("#f-description", "安全出口被锁闭，消防通道堆满杂物。")
    expect(field_error(page, "description")).to_be_hidden()
    # the contact error sits on the name, but a phone number fixes it too
    page.fill("#f-reporter_phone", "13812345678")
    expect(field_error(page, "reporter_name")).to_be_hidden()
    expect(page.locator(".jubao-errors")).to_have_count(0)  # the summary goes when empty
    assert page.errors == []  # type: ignore[attr-defined]


def test_an_error_the_server_found_goes_once_that_field_is_changed(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/report/")
    fill_report(page, phone="12")  # the page does not check the number's format; the server does
    page.click("#report-form button[type=submit]")
    phone = field_error(page, "reporter_phone")
    expect(phone).to_be_visible()
    expect(phone).to_contain_text("电话号码格式不正确")
    page.fill("#f-description", "工地深基坑没有支护方案，坑边堆放大量钢材，工人仍在坑底作业！")
    expect(phone).to_be_visible()  # typing elsewhere fixes nothing
    page.fill("#f-reporter_phone", "13812345678")
    expect(phone).to_be_hidden()
    expect(page.locator(".jubao-errors li")).to_have_count(0)
    page.click("#report-form button[type=submit]")
    expect(page.locator("#receipt-code")).to_be_visible()


# ---- 3. without JavaScript a chosen photo is never dropped silently -------------------------


def test_without_javascript_a_refused_form_says_the_photo_was_not_kept(
    site: Site, new_context: ContextFactory
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{site.url}/report/")
    fill_report(page)
    page.fill("#f-description", "太短了")
    page.evaluate("document.querySelector('#f-description').removeAttribute('minlength')")
    page.set_input_files(
        "#f-files", files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    page.click("#report-form button[type=submit]")

    expect(page.locator("h1")).to_have_text("请修改举报内容")
    notice = "您选择的文件没有保存，请重新选择。"
    expect(page.locator(".errors")).to_contain_text(notice)
    files = page.locator('.field[data-field="files"]')
    expect(files.locator(".field-error")).to_have_text(notice)
    expect(files.locator(".field-error")).to_be_visible()
    expect(page.locator("#f-files")).to_have_attribute("aria-invalid", "true")
    # everything else is kept
    assert page.locator("#f-unit_name").input_value() == "某某建筑工程有限公司"
    assert page.locator("#f-address").input_value() == "蜀山区某路 1 号工地"
    assert page.locator("#f-reporter_name").input_value() == "张三"
    assert page.locator("#f-region").input_value() == "340104"
    assert page.locator("#f-industry").input_value() == "construction"
    assert page.locator('input[name="kind"][value="hazard"]').is_checked()

    # chosen again, the report goes through with its photo
    page.fill("#f-description", "工地深基坑没有支护方案，坑边堆放大量钢材。")
    page.set_input_files(
        "#f-files", files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    page.click("#report-form button[type=submit]")
    expect(page.locator("h1")).to_have_text("举报回执")


# ---- 4. a damaged poster tag never blocks a report ------------------------------------------


def _damaged(tag: str) -> list[str]:
    slug, _, mac = tag.partition(".")
    return [
        tag[: len(slug) + 4],  # cut inside the signature: not a tag's shape
        tag[:-3],  # cut near the end: still a tag's shape, the signature wrong
        f"{slug}.{'B' if mac[0] == 'A' else 'A'}{mac[1:]}",  # altered
        tag[:9],  # cut inside the place
        "%E4%B8%AD" + tag,  # garbage before it
        "<b>" + tag,
    ]


def test_a_damaged_tag_never_blocks_the_first_submit(site: Site, page: Page) -> None:
    for n, src in enumerate(_damaged(genuine_tag(site))):
        page.goto(f"{site.url}/report/?src={quote(src, safe='%')}")
        page.wait_for_load_state("networkidle")
        expect(page.locator("#poster-notice")).to_be_hidden()
        fill_report(page, name=f"测试{n}")
        page.click("#report-form button[type=submit]")
        code = page.locator("#receipt-code")
        expect(code).to_be_visible()
        expect(page.locator(".jubao-errors")).to_have_count(0)
        number = page.locator("#receipt dd").first.inner_text()
        assert stored_source(site.data_dir, number) is None, src
    assert page.errors == []  # type: ignore[attr-defined]


def test_without_javascript_a_damaged_tag_never_blocks_the_first_submit(
    site: Site, new_context: ContextFactory
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    for src in _damaged(genuine_tag(site))[:3]:
        page.goto(f"{site.url}/report/?src={quote(src, safe='%')}")
        fill_report(page)
        page.check("#f-anonymous")
        page.click("#report-form button[type=submit]")
        expect(page.locator("h1")).to_have_text("举报回执")
        assert "格式不正确" not in page.content()
        assert stored_source(site.data_dir, page.locator("dd").first.inner_text()) is None, src


# ---- 5. the limits, stated and named --------------------------------------------------------


def test_the_upload_limits_are_stated_before_the_field_and_named_when_crossed(
    site: Site, page: Page
) -> None:
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/api/" in r.url else None)
    page.goto(f"{site.url}/report/")
    hint = page.locator("#files-hint")
    expect(hint).to_contain_text("最多 5 个文件，每个不超过 20 MB")
    above = hint.evaluate(
        "(h) => h.getBoundingClientRect().bottom <= "
        "document.querySelector('#f-files').getBoundingClientRect().top"
    )
    assert above, "the limits come before the file field"
    fill_report(page)
    six = [{"name": f"p{i}.jpg", "mimeType": "image/jpeg", "buffer": photo()} for i in range(6)]
    page.set_input_files("#f-files", files=six)
    page.click("#report-form button[type=submit]")
    expect(field_error(page, "files")).to_have_text("最多可以选择 5 个文件")
    assert sent == []  # refused before anything was sent
    page.set_input_files("#f-files", files=six[:2])
    expect(field_error(page, "files")).to_be_hidden()  # and the error goes once fixed


# ---- 6. an addition's confirmation is in view -----------------------------------------------


def test_after_an_addition_the_confirmation_is_in_view(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/report/")
    receipt = send_anonymous_report(page)
    page.goto(f"{site.url}/status/")
    page.fill("#f-receipt", receipt)
    page.click("#status-form button[type=submit]")
    page.fill("#s-text", "补充：东侧安全出口今天仍然锁着。")
    page.locator("#supplement-form button[type=submit]").scroll_into_view_if_needed()
    page.click("#supplement-form button[type=submit]")
    message = page.locator("#status-message")
    expect(message).to_have_text("补充材料已提交。")
    expect(message).to_be_focused()
    page.wait_for_function(
        "() => { const r = document.querySelector('#status-message').getBoundingClientRect();"
        " return r.top >= 0 && r.bottom <= window.innerHeight; }"
    )
    assert in_view(message)


def test_without_javascript_the_confirmation_of_an_addition_opens_the_page(
    site: Site, new_context: ContextFactory
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{site.url}/report/")
    fill_report(page)
    page.check("#f-anonymous")
    page.click("#report-form button[type=submit]")
    receipt = page.locator("#receipt").inner_text().strip()
    page.goto(f"{site.url}/status/")
    page.fill("#f-receipt", receipt)
    page.click("#status-form button[type=submit]")
    page.fill("#f-text", "补充：基坑东侧已有裂缝。")
    page.click("#supplement-form button[type=submit]")
    notice = page.locator("#notice")
    expect(notice).to_have_text("补充材料已收到。")
    first = page.locator("main > :not(h1)").first
    assert first.get_attribute("id") == "notice"  # the first thing under the title
    assert in_view(notice)


# ---- 7. Beijing time, whatever the device's time zone ---------------------------------------


def _beijing(shown: str) -> int:
    """Minutes since midnight of a time shown as "YYYY-MM-DD HH:MM"."""
    hours, minutes = shown[-5:].split(":")
    return int(hours) * 60 + int(minutes)


@pytest.mark.parametrize("zone", ["America/New_York", "Asia/Shanghai"])
def test_times_are_beijing_time_on_the_receipt_and_the_status_page(
    site: Site, new_context: ContextFactory, zone: str
) -> None:
    page = new_context(timezone_id=zone).new_page()
    page.goto(f"{site.url}/report/")
    receipt = send_anonymous_report(page)
    expected = page.evaluate(
        "() => { const d = new Date(Date.now() + 8 * 3600e3);"
        " return d.getUTCHours() * 60 + d.getUTCMinutes(); }"
    )
    shown = SHOWN_TIME.search(page.locator("#receipt").inner_text())
    assert shown is not None and shown.group(2) == "（北京时间）"
    assert abs(_beijing(shown.group(1)) - expected) % (24 * 60) <= 2

    page.goto(f"{site.url}/en/status/")
    page.fill("#f-receipt", receipt)
    page.click("#status-form button[type=submit]")
    result = page.locator("#status-result")
    expect(result).to_contain_text("(Beijing time)")
    on_status = SHOWN_TIME.search(result.inner_text())
    assert on_status is not None and on_status.group(1) == shown.group(1)

    nojs = new_context(java_script_enabled=False, timezone_id=zone).new_page()
    nojs.goto(f"{site.url}/status/")
    nojs.fill("#f-receipt", receipt)
    nojs.click("#status-form button[type=submit]")
    plain = SHOWN_TIME.search(nojs.locator("main").inner_text())
    assert plain is not None and plain.group(1) == shown.group(1)


# ---- 8. a receipt group never wraps ---------------------------------------------------------

ONE_LINE_EACH = """(code) => Array.from(code.querySelectorAll('.receipt-group')).map((g) => {
  const rects = Array.from(g.getClientRects());
  return rects.length === 1 && Math.round(rects[0].height) <= Math.ceil(
    parseFloat(getComputedStyle(g).lineHeight) || rects[0].height);
})"""
LINES = """(code) => new Set(Array.from(code.querySelectorAll('.receipt-group'))
  .map((g) => Math.round(g.getBoundingClientRect().top))).size"""


def _groups_whole(code: Locator) -> int:
    whole = code.evaluate(ONE_LINE_EACH)
    assert len(whole) == 6 and all(whole), whole
    lines: int = code.evaluate(LINES)
    return lines


@pytest.mark.parametrize("media", ["screen", "print"])
def test_a_receipt_group_never_wraps(site: Site, new_context: ContextFactory, media: str) -> None:
    narrow = {"width": 280, "height": 700}
    page = new_context(viewport=narrow).new_page()
    page.goto(f"{site.url}/report/")
    send_anonymous_report(page)
    code = page.locator("#receipt-code")
    page.add_style_tag(content="#receipt-code { font-size: 2rem !important; }")  # larger text
    page.emulate_media(media=media)  # type: ignore[arg-type]
    assert RECEIPT.match(code.inner_text().strip())
    assert _groups_whole(code) > 1  # it had to wrap: only ever between groups

    nojs = new_context(viewport=narrow, java_script_enabled=False).new_page()
    nojs.goto(f"{site.url}/report/")
    fill_report(nojs)
    nojs.check("#f-anonymous")
    nojs.click("#report-form button[type=submit]")
    plain = nojs.locator("#receipt")
    nojs.emulate_media(media=media)  # type: ignore[arg-type]
    assert RECEIPT.match(plain.inner_text().strip())
    assert _groups_whole(plain) > 1
