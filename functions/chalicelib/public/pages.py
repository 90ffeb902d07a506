"""HTML for people without JavaScript: the report and status forms, and the pages the
function answers plain form posts with.

The site embeds ``report_form_html`` and ``status_form_html`` at build time (a MkDocs
hook), and the function re-renders the very same markup with the reporter's values and
the errors to fix, so there is one form, not two copies that drift. Whole pages carry the
site's hotline bar and footer (``chrome``, the same words and markup). Everything
interpolated is escaped; pages load nothing from elsewhere (only the site's own
``elder.js``, same origin). Every page is text that
encodes as UTF-8: a lone surrogate (which no input path should let through) is
replaced, so a page can always be sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape

from ..cases import deadlines
from ..config.office import Industry, OfficeConfig, Region
from ..config.settings import Settings
from ..i18n import Lang, Text
from ..reports.attachments import UploadLimits
from ..reports.models import KIND_LABELS, ReceiptResponse, ReportKind, StatusResponse
from . import chrome

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
        "最多 {max_files} 个文件，每个不超过 {max_size}，格式：{types}。"
        "照片中的拍摄设备、GPS 位置等信息会被自动删除。",
        "Up to {max_files} files of {max_size} each at most, as {types}. "
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
        "您选择的文件没有保存，请重新选择。",
        "The files you chose were not kept: please choose them again.",
    ),
    "beijing_time": ("北京时间", "Beijing time"),
    "emergency": (
        "情况紧急、可能马上发生事故或已有人员受伤的，请先拨打 119 或 110，再举报。",
        "If an accident may happen at any moment or someone is hurt, call 119 or 110 first, "
        "then report.",
    ),
    "notice_title": ("举报须知", "Before you report"),
    "notice_kinds": ("可以举报：{kinds}。", "You can report: {kinds}."),
    "notice_truth": (
        "请如实反映情况，不要捏造、歪曲事实。",
        "Say what you know to be true; do not invent or distort facts.",
    ),
    "notice_receipt": (
        "提交后会得到回执码，凭回执码查询办理进度、补充材料。",
        "When you submit you get a receipt code to follow the case and add information.",
    ),
    "notice_anonymous": ("可以匿名举报。", "You may report anonymously."),
}


def acceptance_promised(office: OfficeConfig) -> bool:
    """Whether pages may state an acceptance due date (``cases.deadlines``: the one rule
    the API's answers follow too)."""
    return deadlines.acceptance_promised(office.rules.deadlines)


def t(key: str, lang: Lang) -> str:
    zh, en = TEXT[key]
    return zh if lang == "zh" else en


def beijing_time(moment: datetime, lang: Lang) -> str:
    """A moment as people in Anhui read it: Beijing time (UTC+8, no daylight saving),
    said so; the JSON answers keep ISO 8601 in UTC."""
    local = moment.astimezone(deadlines.CHINA).strftime("%Y-%m-%d %H:%M")
    return f"{local}（{t('beijing_time', lang)}）" if lang == "zh" else f"{local} (Beijing time)"


def beijing_date(moment: datetime) -> str:
    return moment.astimezone(deadlines.CHINA).strftime("%Y-%m-%d")


def receipt_html(code: str) -> str:
    """The receipt code, each group kept whole on one line: a line may break only after a
    group's hyphen (``<wbr>``; a hyphen before a digit is no break opportunity otherwise),
    and the text copies as printed."""
    groups = [f'<span class="receipt-group">{escape(g)}</span>' for g in code.split("-")]
    return "-<wbr>".join(groups)


DEFAULT_LIMITS = UploadLimits.of(Settings())


def files_hint(limits: UploadLimits, lang: Lang) -> str:
    """The upload limits, stated before the file field (from the settings)."""
    types = ("、" if lang == "zh" else ", ").join(limits.type_names)
    return t("files_hint", lang).format(
        max_files=limits.max_files, max_size=limits.size_text, types=types
    )


def _files_field(
    lang: Lang, errors: Mapping[str, str], limits: UploadLimits, label: str = "files"
) -> str:
    """The file input, its limits said before it and given to the page script
    (``data-max-*``), its accepted types from the one allowed list."""
    error = errors.get("files")
    invalid = ' aria-invalid="true"' if error else ""
    hint = escape(files_hint(limits, lang))
    inner = (
        f'<label for="f-files">{escape(t(label, lang))}</label>'
        f'<p class="field-hint" id="files-hint">{hint}</p>'
        '<input type="file" id="f-files" name="files" multiple'
        f' accept="{",".join(limits.types)}" data-max-bytes="{limits.max_bytes}"'
        f' data-max-size="{limits.size_text}" data-max-files="{limits.max_files}"'
        f"{invalid}{_describedby('files', True)}>"
    )
    return _field("files", inner, lang, errors)


def report_notice_html(office: OfficeConfig, lang: Lang = "zh") -> str:
    """The emergency note and a short 举报须知, shown before the report form.

    How the online channel works (anonymous or named, the receipt code) is the office's
    own note on that channel where it has one; the kinds and the sealed identity are the
    platform's, said in the words the form uses."""
    kinds = ("；" if lang == "zh" else "; ").join(
        zh if lang == "zh" else en[0].lower() + en[1:] for zh, en in KIND_LABELS.values()
    )
    online = next((c for c in office.channels if c.kind == "online" and c.note), None)
    if online is not None:
        how = online.note if lang == "zh" else (online.note_en or online.note)
    else:
        how = (
            t("notice_receipt", lang) + ("" if lang == "zh" else " ") + t("notice_anonymous", lang)
        )
    items = [
        t("notice_kinds", lang).format(kinds=kinds),
        t("notice_truth", lang),
        how,
        t("identity_note", lang),
    ]
    return (
        f'<p class="jubao-emergency" role="note"><strong>{escape(t("emergency", lang))}'
        "</strong></p>"
        '<section class="jubao-notice" aria-labelledby="report-notice-title">'
        f'<h2 id="report-notice-title">{escape(t("notice_title", lang))}</h2><ul>'
        + "".join(f"<li>{escape(item)}</li>" for item in items)
        + "</ul></section>"
    )


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
    limits: UploadLimits = DEFAULT_LIMITS,
) -> str:
    """The report form, optionally filled with ``values`` and marked with ``errors``;
    ``limits`` as the serving process's settings configure uploads."""
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
    files = _files_field(lang, e, limits)
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
.brand{margin:0;background:#b71c1c;color:#fff;padding:.75rem 1rem}.brand a{color:#fff}
.sample{margin:0;padding:.4rem 1rem;background:#ffe082;color:#1a1a1a;text-align:center}
main{max-width:44rem;margin:0 auto;padding:1rem}
.receipt{font:700 1.6rem/1.4 ui-monospace,monospace;letter-spacing:.05em;border:3px dashed #b71c1c;
padding:1rem;text-align:center;overflow-wrap:normal;word-break:normal;background:#fff8e1}
.receipt-group{white-space:nowrap}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}
dd{margin:0;min-width:0;overflow-wrap:anywhere}
.field{margin:0 0 1rem}.field label,legend{display:block;font-weight:600}
input[type=text],input[type=tel],input[type=email],input[type=date],select,textarea{width:100%;
box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #555;border-radius:4px}
.has-error input,.has-error select,.has-error textarea{border:2px solid #b00020}
.field-error{color:#b00020;font-weight:600;margin:.25rem 0 0}
.field-hint{color:#444;margin:.25rem 0 0}
.errors{border:2px solid #b00020;padding:.5rem 1rem;background:#fdecea}
.notice{border-left:4px solid #2e7d32;background:#e8f5e9;padding:.5rem 1rem}
.warning{color:#7a4d00}.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
button{background:#b71c1c;color:#fff;border:0;border-radius:4px;padding:.6rem 1.4rem;font:inherit}
.jubao-bar{background:#fbe9e7;border-bottom:1px solid #e0b4ae}
.jubao-bar__inner{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem .8rem;max-width:44rem;
margin:0 auto;padding:.4rem 1rem;box-sizing:border-box}
.jubao-bar__call{display:inline-flex;align-items:center;gap:.4rem;min-height:48px;
box-sizing:border-box;padding:.3rem .9rem;border-radius:4px;font-size:1.1rem;font-weight:700;
text-decoration:none;color:#fff;background:#b71c1c}
.jubao-bar__call strong{font-size:1.3em;letter-spacing:.04em}
.jubao-bar__call:hover,.jubao-bar__call:focus{color:#fff;background:#7f0000}
.jubao-bar a:focus-visible,.jubao-elder-toggle:focus-visible{outline:3px solid #0d47a1;
outline-offset:2px}
.jubao-bar__alt{color:#3b0a0a}.jubao-bar__alt a{display:inline-block;min-height:24px;
padding:.1rem 0;color:#7f0000;font-weight:700}
.jubao-elder-toggle{margin-left:auto;min-height:44px;padding:.3rem .8rem;font-weight:700;
color:#1a1a1a;background:#fff;border:2px solid #1a1a1a;cursor:pointer}
.jubao-elder-toggle[aria-pressed=true]{color:#fff;background:#1a1a1a}
.jubao-elder-toggle[hidden]{display:none}
footer{margin-top:2rem;padding:1rem;background:#f5f5f5;border-top:1px solid #ccc;color:#333}
footer>*{max-width:44rem;margin:0 auto}.jubao-footer{list-style:none;padding:0;display:flex;
flex-wrap:wrap;gap:.1rem 1.2rem}.jubao-footer a{color:#333}
@media screen{html.jubao-elder{font-size:125%}html.jubao-elder body,html.jubao-elder footer,
html.jubao-elder footer a,html.jubao-elder .field-hint,html.jubao-elder .warning,
html.jubao-elder .jubao-bar__alt{color:#000}html.jubao-elder main{line-height:1.8}
html.jubao-elder input,html.jubao-elder select,html.jubao-elder textarea{border-color:#000}}
@media print{header,.noprint{display:none}.receipt-group{white-space:nowrap}}
"""


def _banner_html(banner: Text | None) -> str:
    if banner is None:
        return ""
    return (
        f'<p class="sample jubao-sample"><strong lang="zh">{escape(banner.zh)}</strong>'
        f' / <span lang="en">{escape(banner.en)}</span></p>'
    )


def _page(
    office: OfficeConfig, lang: Lang, title: str, body: str, banner: Text | None = None
) -> str:
    """A whole answer page, with what every page of the site carries (``chrome``): the
    hotline bar at the top, the footer of a government site, the elderly mode.

    ``banner`` is the sample banner of a development build (``config.publishable.banner_for``,
    the rule the site's pages follow); a development page also marks what the footer
    still lacks, a production page leaves it out. The one script is the site's
    ``elder.js`` from the same origin (the answer pages' policy allows ``script-src
    'self'``), not deferred, so a stored elderly mode applies before the first paint;
    the page works fully without it. Phones are told not to guess telephone numbers
    (report numbers, receipt codes), as on the site: the bar's ``tel:`` links still work.
    """
    home = "/" if lang == "zh" else "/en/"
    platform = office.office.platform_name if lang == "zh" else office.office.platform_name_en
    owner = office.office.name if lang == "zh" else office.office.name_en
    html_lang = "zh-CN" if lang == "zh" else "en"
    footer = chrome.footer_html(office, lang, development=banner is not None)
    page = (
        f'<!doctype html><html lang="{html_lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        '<meta name="format-detection" content="telephone=no">'
        f"<title>{escape(title)} · {escape(platform)}</title><style>{_CSS}</style>"
        f'<script src="{chrome.ELDER_SCRIPT}"></script></head>'
        f"<body>{_banner_html(banner)}"
        f'<header><p class="brand"><a href="{home}">{escape(platform)}</a></p>'
        f"{chrome.hotline_bar_html(office, lang)}</header>"
        f"<main><h1>{escape(title)}</h1>{body}"
        f'<p class="noprint"><a href="{home}">{escape(t("back", lang))}</a></p></main>'
        f"<footer><p>{escape(owner)}</p>{footer}</footer>"
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


def _with_files_lost(
    lang: Lang, errors: Mapping[str, str], summary: list[str], files_lost: bool
) -> tuple[dict[str, str], list[str]]:
    """Without JavaScript a browser cannot keep chosen files across a page: the file
    field and the summary say so (unless the files themselves are what to fix)."""
    marked = dict(errors)
    if files_lost and "files" not in marked:
        marked["files"] = t("files_not_kept", lang)
        summary = [*summary, t("files_not_kept", lang)]
    return marked, summary


def receipt_page(
    office: OfficeConfig, lang: Lang, receipt: ReceiptResponse, banner: Text | None = None
) -> str:
    rows = [
        ("report_number", escape(receipt.report_number)),
        ("received_at", escape(beijing_time(receipt.received_at, lang))),
        ("status", escape(receipt.status_label if lang == "zh" else receipt.status_label_en)),
    ]
    if acceptance_promised(office) and receipt.acceptance_due is not None:
        rows.append(("acceptance_due", receipt.acceptance_due.isoformat()))
    rows.append(("handling_unit", escape(receipt.handling_unit)))
    if receipt.source_issuer:
        rows.append(("source_issuer", escape(receipt.source_issuer)))
    details = "".join(f"<dt>{escape(t(k, lang))}</dt><dd>{v}</dd>" for k, v in rows)
    body = (
        f'<p role="status"><strong>{escape(t("thanks", lang))}</strong></p>'
        f"<p>{escape(t('keep_receipt', lang))}</p>"
        f'<p class="receipt" id="receipt" aria-label="{escape(t("receipt", lang))}">'
        f"{receipt_html(receipt.receipt)}</p><dl>{details}</dl>"
        f'<p class="noprint">{escape(t("print", lang))}</p>'
    )
    return _page(office, lang, t("receipt_title", lang), body, banner)


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
    limits: UploadLimits = DEFAULT_LIMITS,
    banner: Text | None = None,
) -> str:
    marked, summary = _with_files_lost(lang, errors, summary, files_lost)
    body = _error_summary(lang, summary) + report_form_html(office, lang, values, marked, limits)
    return _page(office, lang, t("error_title", lang), body, banner)


def supplement_form_html(
    lang: Lang,
    receipt: str,
    errors: Mapping[str, str] | None = None,
    limits: UploadLimits = DEFAULT_LIMITS,
) -> str:
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
    files = _files_field(lang, e, limits)
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
    limits: UploadLimits = DEFAULT_LIMITS,
    banner: Text | None = None,
) -> str:
    """A report's status; ``notice`` (an addition received) comes first, where the
    page opens."""
    rows = [
        ("report_number", result.report_number),
        ("status", result.status_label if lang == "zh" else result.status_label_en),
        ("received_at", beijing_time(result.received_at, lang)),
    ]
    due = result.deadlines.acceptance_due
    if acceptance_promised(office) and due is not None:
        rows.append(("acceptance_due", due.isoformat()))
    if result.deadlines.verification_due:
        rows.append(("verification_due", result.deadlines.verification_due.isoformat()))
    details = "".join(f"<dt>{escape(t(k, lang))}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    if result.feedback:
        items = "".join(
            f"<li><time>{beijing_date(item.at)}</time> {escape(item.text)}</li>"
            for item in result.feedback
        )
        feedback = f"<ul>{items}</ul>"
    else:
        feedback = f"<p>{escape(t('no_feedback', lang))}</p>"
    body = f"<dl>{details}</dl><h2>{escape(t('feedback', lang))}</h2>{feedback}"
    if notice:
        body = (
            f'<p class="notice" id="notice" role="status"><strong>{escape(notice)}</strong></p>'
            + body
        )
    if receipt:
        marked, summary = _with_files_lost(lang, errors or {}, [], files_lost)
        body += f"<h2>{escape(t('supplement_title', lang))}</h2>"
        body += _error_summary(lang, summary) if summary else ""
        body += supplement_form_html(lang, receipt, marked, limits)
    return _page(office, lang, t("status_title", lang), body, banner)


def status_error_page(
    office: OfficeConfig,
    lang: Lang,
    values: Mapping[str, str],
    message: str,
    banner: Text | None = None,
) -> str:
    body = _error_summary(lang, [message]) + status_form_html(
        office, lang, values, {"receipt": message}
    )
    return _page(office, lang, t("status_title", lang), body, banner)
