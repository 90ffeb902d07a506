"""HTML for people without JavaScript: the report and status forms, and the pages the
function answers plain form posts with.

The site embeds ``report_form_html`` and ``status_form_html`` at build time (a MkDocs
hook), and the function re-renders the very same markup with the reporter's values and
the errors to fix, so there is one form, not two copies that drift. Everything
interpolated is escaped; pages load nothing from elsewhere. Every page is text that
encodes as UTF-8: a lone surrogate (which no input path should let through) is
replaced, so a page can always be sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from ..config.office import Industry, OfficeConfig, Region
from ..i18n import Lang
from ..reports.models import KIND_LABELS, ReceiptResponse, ReportKind, StatusResponse

# (Chinese, English) for every label of the forms and pages
TEXT: dict[str, tuple[str, str]] = {
    "kind": ("举报类型", "What are you reporting?"),
    "region": ("发生地区", "Where is it?"),
    "region_pick": ("请选择地区", "Choose a region"),
    "region_city_level": ("（市本级/不确定区县）", " (city level, or not sure which county)"),
    "industry": ("所属行业", "Industry"),
    "industry_pick": ("请选择行业", "Choose an industry"),
    "unit_name": ("被举报单位名称", "Name of the unit reported"),
    "address": ("详细地址（选填）", "Address (optional)"),
    "occurred_at": ("发现或发生日期（选填）", "Date seen or happened (optional)"),
    "description": ("具体情况", "What did you see?"),
    "description_hint": (
        "请写明时间、地点、具体情况和相关证据（10–5000 字）。",
        "Say when, where, what, and what evidence there is (10-5000 characters).",
    ),
    "files": ("证据材料（选填，照片、视频或 PDF）", "Evidence (optional: photos, videos or PDF)"),
    "files_hint": (
        "照片中的拍摄设备、GPS 位置等信息会被自动删除。",
        "Camera and GPS details are removed from photos automatically.",
    ),
    "who": ("举报人信息", "About you"),
    "anonymous": ("匿名举报（不留姓名和联系方式）", "Report anonymously (no name, no contact)"),
    "anonymous_warning": (
        "匿名且未留联系方式的举报，即使查证属实也难以发放奖励。",
        "Anonymous reports without contact details cannot normally be rewarded.",
    ),
    "reporter_name": ("姓名", "Name"),
    "reporter_phone": ("联系电话", "Phone"),
    "reporter_email": ("电子邮箱（选填）", "Email (optional)"),
    "reporter_employee": (
        "我是被举报单位的从业人员（须实名）",
        "I work for the unit I am reporting (name required)",
    ),
    "identity_note": (
        "您的身份信息单独加密，只有指定的保管人员可以查看，未经您同意不会泄露。",
        "Your identity is encrypted separately; only the designated custodian can read it.",
    ),
    "website": ("请勿填写此项", "Leave this empty"),
    "submit": ("提交举报", "Submit report"),
    "receipt": ("回执码", "Receipt code"),
    "receipt_hint": (
        "24 位数字和字母，提交举报时获得。",
        "24 digits and letters, given when you reported.",
    ),
    "lookup": ("查询", "Look up"),
    "fix_errors": ("请修改以下内容后重新提交：", "Please correct the following and submit again:"),
    "thanks": ("举报已收到，感谢您！", "Your report has been received. Thank you!"),
    "keep_receipt": (
        "请抄写或打印并妥善保管下面的回执码。凭回执码可以查询办理进度、补充材料。"
        "回执码只显示这一次，丢失后无法找回。",
        "Copy or print this receipt code and keep it safe. With it you can follow the case "
        "and add information. It is shown only once and cannot be recovered.",
    ),
    "report_number": ("举报编号", "Report number"),
    "received_at": ("接收时间", "Received"),
    "acceptance_due": ("受理期限", "Acceptance decision due"),
    "verification_due": ("核查期限", "Verification due"),
    "handling_unit": ("办理单位", "Handled by"),
    "source_issuer": ("本海报发布单位", "Poster issued by"),
    "status": ("办理状态", "Status"),
    "feedback": ("办理反馈", "Feedback"),
    "no_feedback": ("暂无反馈。", "No feedback yet."),
    "print": (
        "可使用浏览器的“打印”功能打印本页留存。",
        "Use your browser's Print command to keep a paper copy.",
    ),
    "back": ("返回网站", "Back to the site"),
    "status_title": ("举报查询", "Check a report"),
    "receipt_title": ("举报回执", "Report receipt"),
    "error_title": ("请修改举报内容", "Please correct your report"),
    "supplement_title": ("补充材料", "Add information"),
    "text": ("补充内容", "What would you like to add?"),
    "supplement_submit": ("提交补充材料", "Send"),
    "supplement_received": ("补充材料已收到。", "Your additional information has been received."),
    "files_not_kept": (
        "您选择的文件未保存，请重新选择。",
        "Your files were not kept; choose them again.",
    ),
}


def acceptance_promised(office: OfficeConfig) -> bool:
    """Whether pages may state an acceptance due date: only when the office confirmed the
    acceptance limit as its own commitment (no regulation found sets one)."""
    return office.rules.deadlines.acceptance_days_confirmed


def t(key: str, lang: Lang) -> str:
    zh, en = TEXT[key]
    return zh if lang == "zh" else en


def _name(obj: Region | Industry, lang: Lang) -> str:
    return obj.name if lang == "zh" else obj.name_en


def _field(
    name: str, inner: str, lang: Lang, errors: Mapping[str, str], hint: str | None = None
) -> str:
    error = errors.get(name)
    parts = [f'<div class="field{" has-error" if error else ""}" data-field="{name}">', inner]
    if hint:
        parts.append(f'<p class="field-hint" id="{name}-hint">{escape(t(hint, lang))}</p>')
    if error:
        parts.append(f'<p class="field-error" id="{name}-error" role="alert">{escape(error)}</p>')
    else:
        parts.append(f'<p class="field-error" id="{name}-error" hidden></p>')
    parts.append("</div>")
    return "".join(parts)


def _describedby(name: str, hint: bool) -> str:
    ids = ([f"{name}-hint"] if hint else []) + [f"{name}-error"]
    return f' aria-describedby="{" ".join(ids)}"'


def _text_input(
    name: str,
    lang: Lang,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    kind: str = "text",
    required: bool = False,
    maxlength: int = 200,
    hint: str | None = None,
    autocomplete: str = "off",
) -> str:
    req = " required" if required else ""
    invalid = ' aria-invalid="true"' if name in errors else ""
    inner = (
        f'<label for="f-{name}">{escape(t(name, lang))}</label>'
        f'<input type="{kind}" id="f-{name}" name="{name}" value="{escape(values.get(name, ""))}"'
        f' maxlength="{maxlength}" autocomplete="{autocomplete}"{req}{invalid}'
        f"{_describedby(name, hint is not None)}>"
    )
    return _field(name, inner, lang, errors, hint)


def _region_select(
    office: OfficeConfig, lang: Lang, values: Mapping[str, str], errors: Mapping[str, str]
) -> str:
    """The region list: the province, then one ``<optgroup>`` per city with its counties.

    With a hundred county-level divisions a flat list is hard to scan; grouped, the city
    itself heads its group (市本级, or for a reporter who does not know the county) and its
    counties follow. Native ``<optgroup>`` keeps it accessible; the options keep the full
    names (合肥市瑶海区), so the closed list and a screen reader never show a bare 郊区.
    """
    chosen = values.get("region", "")

    def option(region: Region, label: str) -> str:
        selected = " selected" if region.code == chosen else ""
        return f'<option value="{region.code}"{selected}>{escape(label)}</option>'

    cities = {r.code for r in office.regions if r.level == "city"}
    counties: dict[str, list[Region]] = {}
    for region in office.regions:
        if region.level == "county" and region.parent in cities:
            counties.setdefault(region.parent, []).append(region)
    grouped = {c.code for below in counties.values() for c in below}
    options = [f'<option value="">{escape(t("region_pick", lang))}</option>']
    for region in office.regions:
        if region.code in grouped:
            continue  # listed in its city's group
        below = counties.get(region.code, [])
        if not below:
            options.append(option(region, _name(region, lang)))
            continue
        options.append(f'<optgroup label="{escape(_name(region, lang))}">')
        options.append(option(region, _name(region, lang) + t("region_city_level", lang)))
        options.extend(option(c, _name(c, lang)) for c in below)
        options.append("</optgroup>")
    invalid = ' aria-invalid="true"' if "region" in errors else ""
    inner = (
        f'<label for="f-region">{escape(t("region", lang))}</label>'
        f'<select id="f-region" name="region" required{invalid}{_describedby("region", False)}>'
        + "".join(options)
        + "</select>"
    )
    return _field("region", inner, lang, errors)


def _industry_select(
    office: OfficeConfig, lang: Lang, values: Mapping[str, str], errors: Mapping[str, str]
) -> str:
    chosen = values.get("industry", "")
    options = [f'<option value="">{escape(t("industry_pick", lang))}</option>']
    for industry in office.industries:
        selected = " selected" if industry.code == chosen else ""
        options.append(
            f'<option value="{industry.code}"{selected}>{escape(_name(industry, lang))}</option>'
        )
    invalid = ' aria-invalid="true"' if "industry" in errors else ""
    inner = (
        f'<label for="f-industry">{escape(t("industry", lang))}</label>'
        f'<select id="f-industry" name="industry" required{invalid}'
        f"{_describedby('industry', False)}>" + "".join(options) + "</select>"
    )
    return _field("industry", inner, lang, errors)


def _kind_radios(lang: Lang, values: Mapping[str, str], errors: Mapping[str, str]) -> str:
    chosen = values.get("kind", "")
    radios = []
    for kind in ReportKind:
        zh, en = KIND_LABELS[kind]
        checked = " checked" if kind.value == chosen else ""
        radios.append(
            f'<label class="choice"><input type="radio" id="f-kind-{kind.value}" name="kind"'
            f' value="{kind.value}" required{checked}> {escape(zh if lang == "zh" else en)}</label>'
        )
    inner = (
        f'<fieldset aria-describedby="kind-error"><legend>{escape(t("kind", lang))}</legend>'
        + "".join(radios)
        + "</fieldset>"
    )
    return _field("kind", inner, lang, errors)


def _checkbox(name: str, lang: Lang, values: Mapping[str, str], errors: Mapping[str, str]) -> str:
    checked = " checked" if values.get(name) in ("1", "on", "true") else ""
    inner = (
        f'<label class="choice" for="f-{name}"><input type="checkbox" id="f-{name}" name="{name}"'
        f' value="1"{checked}> {escape(t(name, lang))}</label>'
    )
    return _field(name, inner, lang, errors)


def report_form_html(
    office: OfficeConfig,
    lang: Lang = "zh",
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    """The report form, optionally filled with ``values`` and marked with ``errors``."""
    v = values or {}
    e = errors or {}
    description_invalid = ' aria-invalid="true"' if "description" in e else ""
    description = _field(
        "description",
        f'<label for="f-description">{escape(t("description", lang))}</label>'
        f'<textarea id="f-description" name="description" rows="8" minlength="10"'
        f' maxlength="5000" required{description_invalid}{_describedby("description", True)}>'
        f"{escape(v.get('description', ''))}</textarea>",
        lang,
        e,
        "description_hint",
    )
    files = _field(
        "files",
        f'<label for="f-files">{escape(t("files", lang))}</label>'
        '<input type="file" id="f-files" name="files" multiple'
        ' accept="image/jpeg,image/png,image/webp,video/mp4,video/quicktime,application/pdf"'
        f"{_describedby('files', True)}>",
        lang,
        e,
        "files_hint",
    )
    honeypot = (
        '<div class="hp" aria-hidden="true">'
        f'<label for="f-website">{escape(t("website", lang))}</label>'
        '<input type="text" id="f-website" name="website" value="" tabindex="-1"'
        ' autocomplete="off"></div>'
    )
    who = (
        f'<fieldset class="reporter"><legend>{escape(t("who", lang))}</legend>'
        f'<p class="note">{escape(t("identity_note", lang))}</p>'
        + _checkbox("anonymous", lang, v, e)
        + f'<p class="warning" id="anonymous-warning">{escape(t("anonymous_warning", lang))}</p>'
        + _text_input("reporter_name", lang, v, e, maxlength=50, autocomplete="name")
        + _text_input("reporter_phone", lang, v, e, kind="tel", maxlength=24, autocomplete="tel")
        + _text_input(
            "reporter_email", lang, v, e, kind="email", maxlength=254, autocomplete="email"
        )
        + _checkbox("reporter_employee", lang, v, e)
        + "</fieldset>"
    )
    return "".join(
        [
            '<form id="report-form" class="jubao-form" action="/api/form/report" method="post"'
            ' enctype="multipart/form-data">',
            f'<input type="hidden" name="lang" value="{lang}">',
            f'<input type="hidden" name="source" value="{escape(v.get("source", ""))}">',
            _kind_radios(lang, v, e),
            _region_select(office, lang, v, e),
            _industry_select(office, lang, v, e),
            _text_input(
                "unit_name", lang, v, e, required=True, maxlength=200, autocomplete="organization"
            ),
            _text_input("address", lang, v, e, maxlength=300),
            _text_input("occurred_at", lang, v, e, kind="date", maxlength=10),
            description,
            files,
            who,
            honeypot,
            f'<button type="submit" class="md-button md-button--primary">'
            f"{escape(t('submit', lang))}</button>",
            "</form>",
        ]
    )


def status_form_html(
    office: OfficeConfig,
    lang: Lang = "zh",
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    """The receipt look-up form (POST, so the receipt never appears in a URL)."""
    v = values or {}
    e = errors or {}
    return (
        '<form id="status-form" class="jubao-form" action="/api/form/status" method="post">'
        f'<input type="hidden" name="lang" value="{lang}">'
        + _text_input("receipt", lang, v, e, required=True, maxlength=64, hint="receipt_hint")
        + f'<button type="submit" class="md-button md-button--primary">'
        f"{escape(t('lookup', lang))}</button></form>"
    )


# ---- whole pages the function answers with -----------------------------------------------

_CSS = """
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",
sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.6}
header{background:#b71c1c;color:#fff;padding:.75rem 1rem}header a{color:#fff}
main{max-width:44rem;margin:0 auto;padding:1rem}
.receipt{font:700 1.6rem/1.4 ui-monospace,monospace;letter-spacing:.05em;border:3px dashed #b71c1c;
padding:1rem;text-align:center;word-break:break-all;background:#fff8e1}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}
.field{margin:0 0 1rem}.field label,legend{display:block;font-weight:600}
input[type=text],input[type=tel],input[type=email],input[type=date],select,textarea{width:100%;
box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #555;border-radius:4px}
.has-error input,.has-error select,.has-error textarea{border:2px solid #b00020}
.field-error{color:#b00020;font-weight:600;margin:.25rem 0 0}
.field-hint{color:#444;margin:.25rem 0 0}
.errors{border:2px solid #b00020;padding:.5rem 1rem;background:#fdecea}
.warning{color:#7a4d00}.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
button{background:#b71c1c;color:#fff;border:0;border-radius:4px;padding:.6rem 1.4rem;font:inherit}
@media print{header,.noprint{display:none}}
"""


def _page(office: OfficeConfig, lang: Lang, title: str, body: str) -> str:
    home = "/" if lang == "zh" else "/en/"
    platform = office.office.platform_name if lang == "zh" else office.office.platform_name_en
    html_lang = "zh-CN" if lang == "zh" else "en"
    page = (
        f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)} · {escape(platform)}</title><style>{_CSS}</style></head>"
        f'<body><header><a href="{home}">{escape(platform)}</a></header>'
        f"<main><h1>{escape(title)}</h1>{body}"
        f'<p class="noprint"><a href="{home}">{escape(t("back", lang))}</a></p></main>'
        "</body></html>"
    )
    return sendable(page)


def sendable(text: str) -> str:
    """``text`` as it can be encoded in UTF-8: lone surrogates become U+FFFD."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _files_notice(lang: Lang) -> str:
    """Without JavaScript a browser cannot keep chosen files across a page: say so."""
    return f'<p class="warning" role="alert">{escape(t("files_not_kept", lang))}</p>'


def receipt_page(office: OfficeConfig, lang: Lang, receipt: ReceiptResponse) -> str:
    rows = [
        ("report_number", receipt.report_number),
        ("received_at", receipt.received_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("status", receipt.status_label if lang == "zh" else receipt.status_label_en),
    ]
    if acceptance_promised(office):
        rows.append(("acceptance_due", receipt.acceptance_due.isoformat()))
    rows.append(("handling_unit", receipt.handling_unit))
    if receipt.source_issuer:
        rows.append(("source_issuer", receipt.source_issuer))
    details = "".join(f"<dt>{escape(t(k, lang))}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    body = (
        f'<p role="status"><strong>{escape(t("thanks", lang))}</strong></p>'
        f"<p>{escape(t('keep_receipt', lang))}</p>"
        f'<p class="receipt" id="receipt" aria-label="{escape(t("receipt", lang))}">'
        f"{escape(receipt.receipt)}</p><dl>{details}</dl>"
        f'<p class="noprint">{escape(t("print", lang))}</p>'
    )
    return _page(office, lang, t("receipt_title", lang), body)


def _error_summary(lang: Lang, messages: list[str]) -> str:
    items = "".join(f"<li>{escape(m)}</li>" for m in messages)
    return (
        f'<div class="errors" role="alert"><p>{escape(t("fix_errors", lang))}</p>'
        f"<ul>{items}</ul></div>"
    )


def report_error_page(
    office: OfficeConfig,
    lang: Lang,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    summary: list[str],
    files_lost: bool = False,
) -> str:
    body = _error_summary(lang, summary) + (_files_notice(lang) if files_lost else "")
    body += report_form_html(office, lang, values, errors)
    return _page(office, lang, t("error_title", lang), body)


def supplement_form_html(lang: Lang, receipt: str, errors: Mapping[str, str] | None = None) -> str:
    """Add information to a report (no JavaScript). The receipt rides in a hidden field of
    the holder's own page, never in a URL."""
    e = errors or {}
    invalid = ' aria-invalid="true"' if "text" in e else ""
    text = _field(
        "text",
        f'<label for="f-text">{escape(t("text", lang))}</label>'
        f'<textarea id="f-text" name="text" rows="5" minlength="2" maxlength="5000" required'
        f"{invalid}{_describedby('text', False)}></textarea>",
        lang,
        e,
    )
    files = _field(
        "files",
        f'<label for="f-files">{escape(t("files", lang))}</label>'
        '<input type="file" id="f-files" name="files" multiple'
        ' accept="image/jpeg,image/png,image/webp,video/mp4,video/quicktime,application/pdf"'
        f"{_describedby('files', True)}>",
        lang,
        e,
        "files_hint",
    )
    return (
        '<form id="supplement-form" class="jubao-form" action="/api/form/supplement"'
        ' method="post" enctype="multipart/form-data">'
        f'<input type="hidden" name="lang" value="{lang}">'
        f'<input type="hidden" name="receipt" value="{escape(receipt)}">'
        + text
        + files
        + f'<button type="submit">{escape(t("supplement_submit", lang))}</button></form>'
    )


def status_page(
    office: OfficeConfig,
    lang: Lang,
    result: StatusResponse,
    receipt: str | None = None,
    notice: str | None = None,
    errors: Mapping[str, str] | None = None,
    files_lost: bool = False,
) -> str:
    rows = [
        ("report_number", result.report_number),
        ("status", result.status_label if lang == "zh" else result.status_label_en),
        ("received_at", result.received_at.strftime("%Y-%m-%d %H:%M UTC")),
    ]
    if acceptance_promised(office):
        rows.append(("acceptance_due", result.deadlines.acceptance_due.isoformat()))
    if result.deadlines.verification_due:
        rows.append(("verification_due", result.deadlines.verification_due.isoformat()))
    details = "".join(f"<dt>{escape(t(k, lang))}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    if result.feedback:
        items = "".join(
            f"<li><time>{item.at.strftime('%Y-%m-%d')}</time> {escape(item.text)}</li>"
            for item in result.feedback
        )
        feedback = f"<ul>{items}</ul>"
    else:
        feedback = f"<p>{escape(t('no_feedback', lang))}</p>"
    body = f"<dl>{details}</dl><h2>{escape(t('feedback', lang))}</h2>{feedback}"
    if notice:
        body = f'<p role="status"><strong>{escape(notice)}</strong></p>' + body
    if receipt:
        body += f"<h2>{escape(t('supplement_title', lang))}</h2>"
        body += _files_notice(lang) if files_lost else ""
        body += supplement_form_html(lang, receipt, errors)
    return _page(office, lang, t("status_title", lang), body)


def status_error_page(
    office: OfficeConfig, lang: Lang, values: Mapping[str, str], message: str
) -> str:
    body = _error_summary(lang, [message]) + status_form_html(
        office, lang, values, {"receipt": message}
    )
    return _page(office, lang, t("status_title", lang), body)
