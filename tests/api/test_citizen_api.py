"""What a citizen meets at the API (issue 11), over HTTP against real `jubao serve` processes:
a damaged poster tag never blocks a report, refusals over the upload limits name them, the
answer pages of a development build carry the sample banner, times on them are Beijing
time, and acceptance_due is absent while the office has not promised it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest

from chalicelib import crypto, tags
from chalicelib.config.publishable import SAMPLE_BANNER
from tests.conftest import LiveServer, start_server, stored_source
from tests.test_attachments import photo

from .client import NO_RATE_LIMITS, REPORT, multipart, post_json, receipt_on_page, request

MAX_BYTES = 3 * 1024  # small limits, so tests can cross them cheaply
MAX_FILES = 2
FORM = {
    "lang": "zh",
    "kind": "hazard",
    "region": "340104",
    "industry": "fire",
    "unit_name": "合肥某商场",
    "description": "消防通道被货物堵塞，安全出口上锁，灭火器过期。",
    "anonymous": "1",
    "website": "",
}
URLENCODED = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("citizen") / "data"
    env = dict(
        NO_RATE_LIMITS,
        JUBAO_MAX_ATTACHMENT_BYTES=str(MAX_BYTES),
        JUBAO_MAX_ATTACHMENTS=str(MAX_FILES),
    )
    live = start_server(data, env=env)
    yield live
    live.stop()


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("citizen-production") / "data"
    live = start_server(data, env=dict(NO_RATE_LIMITS, JUBAO_BUILD="production"))
    yield live
    live.stop()


def genuine(data_dir: Path, slug: str = "340104-c0012") -> str:
    key = crypto.b64d((data_dir / "keys" / "tag.key").read_text(encoding="ascii").strip())
    return tags.sign(slug, key)


def damaged_tags(tag: str) -> list[object]:
    """Every way a QR link's tag arrives damaged: cut at each length, each character of its
    signature altered, and things that are no tag at all."""
    cut = [tag[:n] for n in range(len(tag))]
    slug, _, mac = tag.partition(".")
    altered = [
        f"{slug}.{mac[:i]}{'A' if mac[i] != 'A' else 'B'}{mac[i + 1 :]}" for i in range(len(mac))
    ]
    garbage: list[object] = [
        tag + "x",
        tag + "%",
        tag.upper(),
        " " + tag,
        tag + "\n",
        "340104-c0012.",
        ".AAAAAAAAAA",
        "‮340104-c0012.AAAAAAAAAA",
        "３４０１０４-c0012.AAAAAAAAAA",
        "x" * 5000,
        "<script>alert(1)</script>",
        12345,
        None,
        True,
        ["340104-c0012.AAAAAAAAAA"],
        {"tag": tag},
    ]
    return cut + altered + garbage


def test_a_damaged_tag_never_blocks_a_json_report(server: LiveServer) -> None:
    tag = genuine(server.data_dir)
    for i, bad in enumerate(damaged_tags(tag)):
        body = dict(REPORT, description=f"{REPORT['description']}（第 {i} 次）", source=bad)
        reply = post_json(f"{server.url}/api/reports", body)
        assert reply.status == 201, (bad, reply.text)
        assert reply.json["source_issuer"] is None, bad
        assert stored_source(server.data_dir, reply.json["report_number"]) is None, bad
    # the genuine tag still counts
    good = post_json(f"{server.url}/api/reports", dict(REPORT, source=tag, unit_name="真标识"))
    assert good.status == 201 and good.json["source_issuer"] == "合肥市蜀山区"
    assert stored_source(server.data_dir, good.json["report_number"]) == "340104-c0012"


def test_a_damaged_tag_never_blocks_a_form_report(server: LiveServer) -> None:
    """In the hidden field (the page script copied it) or the Referer (no script)."""
    tag = genuine(server.data_dir)
    for i, bad in enumerate(t for t in damaged_tags(tag) if isinstance(t, str)):
        form = dict(FORM, description=f"{FORM['description']}（表单 {i}）")
        if i % 2:
            form["source"] = bad
            headers = URLENCODED
        else:
            query = urlencode({"src": bad})
            headers = dict(URLENCODED, Referer=f"{server.url}/report/?{query}")
        reply = request("POST", f"{server.url}/api/form/report", urlencode(form).encode(), headers)
        assert reply.status == 201, (bad, reply.text[-400:])
        assert "举报回执" in reply.text and "格式不正确" not in reply.text
        number = re.search(r"<dd>(\d{8})</dd>", reply.text)
        assert number is not None
        assert stored_source(server.data_dir, number.group(1)) is None, bad


def test_the_schema_says_a_bad_tag_is_ignored_and_acceptance_due_optional(
    server: LiveServer,
) -> None:
    doc = request("GET", f"{server.url}/api/openapi.json").json
    schemas = doc["components"]["schemas"]
    source = schemas["ReportSubmission"]["properties"]["source"]
    assert "pattern" not in str(source) and "ignored" in source["description"]
    for name, holder in (("ReceiptResponse", "ReceiptResponse"), ("DeadlineInfo", "DeadlineInfo")):
        assert "acceptance_due" not in schemas[holder].get("required", []), name
        assert "Optional" in schemas[holder]["properties"]["acceptance_due"]["description"]
    received = schemas["ReceiptResponse"]["properties"]["received_at"]["description"]
    assert "ISO 8601" in received and "UTC" in received


def test_acceptance_due_is_absent_from_every_json_answer(server: LiveServer) -> None:
    reply = post_json(f"{server.url}/api/reports", dict(REPORT, unit_name="期限测试单位"))
    assert reply.status == 201 and "acceptance_due" not in reply.json
    receipt = reply.json["receipt"]
    status = post_json(f"{server.url}/api/status", {"receipt": receipt})
    assert "acceptance_due" not in status.json["deadlines"]
    added = post_json(
        f"{server.url}/api/reports/supplement", {"receipt": receipt, "text": "补充一句。"}
    )
    assert added.status == 201 and "acceptance_due" not in added.json["deadlines"]
    # the JSON keeps UTC (ISO 8601 with its offset)
    assert reply.json["received_at"].endswith("Z")


def test_the_upload_limits_are_stated_and_named_when_crossed(server: LiveServer) -> None:
    # the ticket: one file over the size
    big = post_json(
        f"{server.url}/api/attachments",
        {"region": "340104", "content_type": "image/jpeg", "size": MAX_BYTES + 1},
    )
    assert big.status == 413
    assert "每个文件不能超过 3 KB" in big.json["error"]["message_zh"]
    assert "3 KB at most" in big.json["error"]["message_en"]

    # the form without JavaScript: too many files, then one too large
    fields = dict(FORM, description="通道堵塞，附照片三张，超过数量上限。")
    files = [("files", f"p{i}.jpg", "image/jpeg", photo()) for i in range(MAX_FILES + 1)]
    body, ctype = multipart(fields, files)
    many = request("POST", f"{server.url}/api/form/report", body, {"Content-Type": ctype})
    assert many.status == 422, many.text[-300:]
    assert f"最多 {MAX_FILES} 个文件" in many.text
    assert 'data-field="files"' in many.text and 'class="field has-error" data-field="files"' in (
        many.text
    )
    large = ("files", "big.jpg", "image/jpeg", photo() + b"\0" * MAX_BYTES)
    body, ctype = multipart(dict(fields, description="通道堵塞，附一张很大的照片。"), [large])
    too_big = request("POST", f"{server.url}/api/form/report", body, {"Content-Type": ctype})
    assert too_big.status == 413
    assert "每个文件不能超过 3 KB" in too_big.text and "格式不正确" not in too_big.text

    # stated before the file field, with the same numbers
    form = re.search(r'data-field="files">(.*?)</div>', too_big.text, re.DOTALL)
    assert form is not None
    markup = form.group(1)
    assert markup.index("最多 2 个文件，每个不超过 3 KB") < markup.index("<input")
    assert f'data-max-bytes="{MAX_BYTES}"' in form.group(1)


def test_a_refused_form_keeps_the_values_and_says_the_files_were_not_kept(
    server: LiveServer,
) -> None:
    fields = dict(FORM, description="太短", address="蜀山区某路 8 号")
    body, ctype = multipart(fields, [("files", "p.jpg", "image/jpeg", photo())])
    reply = request("POST", f"{server.url}/api/form/report", body, {"Content-Type": ctype})
    assert reply.status == 422
    page = reply.text
    assert "您选择的文件没有保存，请重新选择。" in page
    summary = page.split('class="errors"', 1)[1].split("</div>", 1)[0]
    assert "您选择的文件没有保存" in summary  # in the summary, and on the field
    files = re.search(r'data-field="files">(.*?)</div>', page, re.DOTALL)
    assert files is not None and "您选择的文件没有保存" in files.group(1)
    assert 'value="蜀山区某路 8 号"' in page and 'value="合肥某商场"' in page
    assert ">太短</textarea>" in page


def test_answer_pages_carry_the_sample_banner_in_development_only(
    server: LiveServer, production: LiveServer
) -> None:
    banner = f'<strong lang="zh">{SAMPLE_BANNER.zh}</strong>'
    for live, shown in ((server, True), (production, False)):
        form = dict(FORM, description=f"横幅测试：{'开发' if shown else '生产'}构建的回执页。")
        receipt = request(
            "POST", f"{live.url}/api/form/report", urlencode(form).encode(), URLENCODED
        )
        refused = request(
            "POST",
            f"{live.url}/api/form/report",
            urlencode(dict(form, description="短")).encode(),
            URLENCODED,
        )
        status = request(
            "POST",
            f"{live.url}/api/form/status",
            urlencode({"receipt": receipt_on_page(receipt.text)}).encode(),
            URLENCODED,
        )
        wrong = request(
            "POST", f"{live.url}/api/form/status", urlencode({"receipt": "x"}).encode(), URLENCODED
        )
        for page in (receipt, refused, status, wrong):
            assert (banner in page.text) is shown, (live.url, page.status)
            assert (SAMPLE_BANNER.en in page.text) is shown


def test_a_plain_form_posts_receipt_has_the_hotline_bar_and_the_footer(
    server: LiveServer, production: LiveServer
) -> None:
    """What every site page carries, on the page a citizen without JavaScript sees right
    after reporting: the hotline to tap, 0551-12350, the footer, the elderly mode."""
    words = (("zh", "拨打 ", "待配置"), ("en", "Call the ", "to be configured"))
    for live, development in ((server, True), (production, False)):
        for lang, call, missing in words:
            form = dict(FORM, lang=lang, description=f"页面测试：回执页的举报电话（{lang}）。")
            reply = request(
                "POST", f"{live.url}/api/form/report", urlencode(form).encode(), URLENCODED
            )
            assert reply.status == 201, reply.text[-400:]
            page = reply.text
            assert re.search(
                rf'<a class="jubao-bar__call" href="tel:12350">.*?{call}<strong>12350</strong>',
                page,
            )
            assert '<a href="tel:055112350">0551-12350</a>' in page
            assert 'id="jubao-elder-toggle"' in page
            assert '<script src="/assets/js/elder.js"></script></head>' in page
            csp = reply.headers["content-security-policy"]
            assert "script-src 'self';" in csp and "unsafe-inline" not in csp.split("style")[0]
            footer = page.split("<footer>", 1)[1]
            assert footer.count(missing) == (4 if development else 0), (live.url, lang)
            assert ('class="jubao-footer"' in footer) is development


def test_answer_pages_show_beijing_time_and_whole_receipt_groups(server: LiveServer) -> None:
    before = datetime.now(UTC)
    form = dict(FORM, description="时间测试：回执页应显示北京时间。")
    reply = request("POST", f"{server.url}/api/form/report", urlencode(form).encode(), URLENCODED)
    after = datetime.now(UTC)
    shown = re.search(r"<dd>(\d{4}-\d\d-\d\d \d\d:\d\d)（北京时间）</dd>", reply.text)
    assert shown is not None, reply.text[-800:]
    beijing = datetime.strptime(shown.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC) - timedelta(
        hours=8
    )
    assert before.replace(second=0, microsecond=0) <= beijing <= after
    assert "UTC" not in reply.text
    # six groups, each an unbreakable element; the line may break only after a hyphen
    code = re.search(r'id="receipt"[^>]*>(.*?)</p>', reply.text).group(1)  # type: ignore[union-attr]
    assert len(re.findall(r'<span class="receipt-group">[0-9A-Z]{4}</span>', code)) == 6
    assert code.count("-<wbr>") == 5
    assert ".receipt-group{white-space:nowrap}" in reply.text

    status = request(
        "POST",
        f"{server.url}/api/form/status",
        urlencode({"receipt": receipt_on_page(reply.text), "lang": "en"}).encode(),
        URLENCODED,
    )
    assert re.search(r"<dd>\d{4}-\d\d-\d\d \d\d:\d\d \(Beijing time\)</dd>", status.text)
