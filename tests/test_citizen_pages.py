"""The citizen's side of the form, in process (issue 11): refusals naming their limits, the
limits as the settings set them, damaged tags dropped by the model, Beijing time and whole
receipt groups on the answer pages, acceptance due dates only as the office's commitment,
the emergency note and 举报须知 before the form, and one sample-banner rule."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from chalicelib.config.office import OfficeConfig, load_office
from chalicelib.config.publishable import SAMPLE_BANNER, banner_for
from chalicelib.config.settings import Settings
from chalicelib.errors import ApiError, catalogue_messages
from chalicelib.public import pages
from chalicelib.reports import attachments
from chalicelib.reports.attachments import UploadLimits, size_text
from chalicelib.reports.models import (
    DeadlineInfo,
    ReceiptResponse,
    ReportSubmission,
    StatusResponse,
)

OFFICE = load_office()
LATE_EVENING = datetime(2026, 12, 1, 21, 35, tzinfo=UTC)  # 05:35 next morning in Anhui
RECEIPT = "1234-5678-ABCD-EFGH-JKLM-NPQR"


def promising(office: OfficeConfig) -> OfficeConfig:
    deadlines = office.rules.deadlines.model_copy(update={"acceptance_days_confirmed": True})
    rules = office.rules.model_copy(update={"deadlines": deadlines})
    return office.model_copy(update={"rules": rules})


def receipt(**changes: object) -> ReceiptResponse:
    values: dict[str, object] = {
        "receipt": RECEIPT,
        "report_number": "12345678",
        "received_at": LATE_EVENING,
        "status": "received",
        "status_label": "已接收，等待受理",
        "status_label_en": "Received, awaiting acceptance",
        "acceptance_due": date(2026, 12, 9),
        "handling_unit": "合肥市蜀山区安委会办公室",
    }
    values.update(changes)
    return ReceiptResponse.model_validate(values)


# ---- refusals name their limits -------------------------------------------------------------


def test_a_refusal_over_a_limit_names_it_and_cannot_be_made_without_it() -> None:
    error = ApiError("too_many_attachments", headers={"Retry-After": "1"}, limits={"max_files": 3})
    zh, en = error.messages()
    assert zh == "附件数量超过上限：最多 3 个文件。" and en.endswith("3 files at most.")
    body = error.as_dict()["error"]
    assert body["message"] == f"{zh} / {en}"
    with pytest.raises(KeyError, match=r"too_many_attachments needs \['max_files'\]"):
        ApiError("too_many_attachments")
    with pytest.raises(KeyError, match="max_size"):
        ApiError("attachment_too_large", limits={"max_files": 1})
    pinned = error.on_field("attachments")
    assert (pinned.code, pinned.status, pinned.limits) == (error.code, 422, {"max_files": 3})
    assert pinned.headers == {"Retry-After": "1"}
    (field,) = pinned.as_dict()["error"]["fields"]
    assert field == {
        "field": "attachments",
        "code": "too_many_attachments",
        "message_zh": zh,
        "message_en": en,
    }
    # codes without limits read as before
    assert catalogue_messages("receipt_invalid")[0].startswith("回执码不正确")


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (20 * 1024 * 1024, "20 MB"),
        (20 * 1024 * 1024 + 1, "20 MB"),
        (3 * 1024 * 1024 // 2, "1 MB"),  # 1.5 MB: a 1.4 MB file passes, so "1 MB" is safe
        (1024 * 1024 - 1, "1023 KB"),
        (3 * 1024, "3 KB"),
        (1024, "1 KB"),
    ],
)
def test_sizes_read_as_people_read_them_never_rounded_up(size: int, text: str) -> None:
    assert size_text(size) == text


def test_the_form_files_are_refused_with_the_configured_numbers() -> None:
    settings = Settings(max_attachment_bytes=5 * 1024 * 1024)
    with pytest.raises(ApiError) as refused:
        attachments._check_declared("image/jpeg", 5 * 1024 * 1024 + 1, settings)
    assert refused.value.messages()[0] == "附件过大：每个文件不能超过 5 MB。"
    assert refused.value.status == 413


# ---- the limits, stated before the file field, from the settings ------------------------------


def test_the_form_states_the_limits_of_its_settings_before_the_file_field() -> None:
    limits = UploadLimits.of(Settings(max_attachment_bytes=8 * 1024 * 1024, max_attachments=3))
    for lang, said in (
        ("zh", "最多 3 个文件，每个不超过 8 MB，格式：JPEG、PNG、WebP、MP4、MOV、PDF。"),
        ("en", "Up to 3 files of 8 MB each at most, as JPEG, PNG, WebP, MP4, MOV, PDF."),
    ):
        html = pages.report_form_html(OFFICE, lang, limits=limits)  # type: ignore[arg-type]
        field = html.split('data-field="files">', 1)[1].split("</div>", 1)[0]
        assert said in field
        assert field.index(said) < field.index("<input")
        assert 'data-max-bytes="8388608" data-max-size="8 MB" data-max-files="3"' in field
        accept = re.search(r'accept="([^"]+)"', field)
        assert accept is not None and set(accept.group(1).split(",")) == attachments.ALLOWED
        supplement = pages.supplement_form_html(lang, RECEIPT, limits=limits)  # type: ignore[arg-type]
        assert said in supplement
    default = pages.report_form_html(OFFICE)
    assert "最多 5 个文件，每个不超过 20 MB" in default  # Settings' own defaults


# ---- a damaged tag is no error --------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    ["", "340104-c0012.", "340104-c0012.Ab", "x" * 500, "340104-C0012.AAAAAAAAAA", 7, None, []],
)
def test_the_model_drops_a_damaged_tag(source: object) -> None:
    body = {
        "kind": "hazard",
        "region": "340104",
        "industry": "fire",
        "unit_name": "某商场",
        "description": "安全出口被锁闭，消防通道堵塞。",
        "source": source,
    }
    assert ReportSubmission.model_validate(body, context={"office": OFFICE}).source is None


def test_the_model_keeps_a_tag_of_the_right_shape_for_the_intake_to_verify() -> None:
    body = {
        "kind": "hazard",
        "region": "340104",
        "industry": "fire",
        "unit_name": "某商场",
        "description": "安全出口被锁闭，消防通道堵塞。",
        "source": "340104-c0012.AAAAAAAAAA",
    }
    model = ReportSubmission.model_validate(body, context={"office": OFFICE})
    assert model.source == "340104-c0012.AAAAAAAAAA"


# ---- times and the receipt on the answer pages ----------------------------------------------


def test_times_are_beijing_time() -> None:
    assert pages.beijing_time(LATE_EVENING, "zh") == "2026-12-02 05:35（北京时间）"
    assert pages.beijing_time(LATE_EVENING, "en") == "2026-12-02 05:35 (Beijing time)"
    html = pages.receipt_page(OFFICE, "zh", receipt())
    assert "<dd>2026-12-02 05:35（北京时间）</dd>" in html and "UTC" not in html
    status = StatusResponse(
        report_number="12345678",
        status="received",
        status_label="已接收，等待受理",
        status_label_en="Received, awaiting acceptance",
        received_at=LATE_EVENING,
        kind="hazard",  # type: ignore[arg-type]
        region="340104",
        deadlines=DeadlineInfo(),
        feedback=[{"at": LATE_EVENING, "text": "已受理。"}],  # type: ignore[list-item]
        supplements=0,
    )
    page = pages.status_page(OFFICE, "en", status)
    assert "<dd>2026-12-02 05:35 (Beijing time)</dd>" in page
    assert "<time>2026-12-02</time>" in page  # feedback dated by the day in China


def test_the_receipt_code_breaks_only_between_groups() -> None:
    html = pages.receipt_html(RECEIPT)
    assert re.sub(r"<[^>]+>", "", html) == RECEIPT  # copies as printed
    groups = re.findall(r'<span class="receipt-group">([^<]+)</span>', html)
    assert "-".join(groups) == RECEIPT
    assert html.count("-<wbr>") == 5
    page = pages.receipt_page(OFFICE, "zh", receipt())
    assert html in page and "break-all" not in page
    assert "@media print{header,.noprint{display:none}.receipt-group{white-space:nowrap}}" in page


def test_acceptance_due_is_shown_only_as_the_offices_commitment() -> None:
    assert not pages.acceptance_promised(OFFICE)
    assert "受理期限" not in pages.receipt_page(OFFICE, "zh", receipt())
    assert "受理期限" not in pages.receipt_page(
        promising(OFFICE), "zh", receipt(acceptance_due=None)
    )
    promised = pages.receipt_page(promising(OFFICE), "zh", receipt())
    assert "<dt>受理期限</dt><dd>2026-12-09</dd>" in promised
    # absent from the JSON when the intake leaves it out, never null
    assert "acceptance_due" not in receipt(acceptance_due=None).model_dump(mode="json")
    assert "acceptance_due" not in DeadlineInfo().model_dump(mode="json")


# ---- before the form ------------------------------------------------------------------------


def test_the_emergency_note_and_the_notice_come_before_the_form() -> None:
    for lang, emergency, title in (
        ("zh", "请先拨打 119 或 110", "举报须知"),
        ("en", "call 119 or 110 first", "Before you report"),
    ):
        notice = pages.report_notice_html(OFFICE, lang)  # type: ignore[arg-type]
        assert emergency in notice and title in notice
        items = re.findall(r"<li>(.*?)</li>", notice)
        assert len(items) == 4
        identity = pages.t("identity_note", lang)  # type: ignore[arg-type]
        assert identity in items[3]  # the one sentence on identities, not a second wording
    zh = pages.report_notice_html(OFFICE, "zh")
    for text in ("重大事故隐患", "安全生产非法违法行为", "瞒报、谎报生产安全事故"):
        assert text in zh
    # how reporting online works is the office's own note on its online channel
    (online,) = [c for c in OFFICE.channels if c.kind == "online"]
    assert f"<li>{online.note}</li>" in zh
    assert f"<li>{online.note_en}</li>" in pages.report_notice_html(OFFICE, "en")
    # an office without one: the platform's own words
    channels = [c.model_copy(update={"note": "", "note_en": ""}) for c in OFFICE.channels]
    plain = pages.report_notice_html(OFFICE.model_copy(update={"channels": channels}), "zh")
    assert "<li>提交后会得到回执码，凭回执码查询办理进度、补充材料。可以匿名举报。</li>" in plain


# ---- one banner rule --------------------------------------------------------------------------


def test_the_banner_rule_is_the_builds_for_pages_and_answer_pages() -> None:
    assert banner_for(Settings()) == SAMPLE_BANNER
    assert banner_for(Settings(build="production")) is None
    marked = pages.receipt_page(OFFICE, "zh", receipt(), banner_for(Settings()))
    assert f'<strong lang="zh">{SAMPLE_BANNER.zh}</strong>' in marked
    assert marked.index(SAMPLE_BANNER.zh) < marked.index("<header>")
    plain = pages.receipt_page(OFFICE, "zh", receipt(), banner_for(Settings(build="production")))
    assert SAMPLE_BANNER.zh not in plain and SAMPLE_BANNER.en not in plain


def test_the_site_asks_the_same_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    from jubao_site import publication  # the site hooks' package (installed)

    monkeypatch.delenv("JUBAO_BUILD", raising=False)
    assert publication.sample_banner() == SAMPLE_BANNER.model_dump()
