"""HTML blocks built from the office configuration and dropped into pages at build time.

A page asks for a block with a marker comment on its own line, ``<!-- jubao:channels -->``;
the hook replaces it with the HTML below. Everything taken from the configuration is
escaped. Links are made relative by the caller's ``link`` function, so the built site
works under any path and a link checker can follow every link offline.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from html import escape
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from chalicelib.cases import status as report_status
from chalicelib.config.office import Channel, OfficeConfig

from . import chrome, facts
from .facts import Lang, pick

PROCESS_FILE = Path(__file__).resolve().parents[2] / "content" / "process.toml"

MARKER = re.compile(r"(?:<p>)?<!--\s*jubao:([a-z_-]+)\s*-->(?:</p>)?")

Link = Callable[[str], str]
"""Maps a site path of the current language ("report/") to a URL relative to the page."""


class UnknownBlock(KeyError):
    """A page asks for a block that does not exist."""


# ---- channels -------------------------------------------------------------------------

_CHANNEL_ICONS = {
    "hotline": "☎",
    "online": "⌨",
    "letter": "✉",
    "email": "@",
    "visit": "⌂",
    "national": "⇗",
    "wechat": "◎",
}


def _channel_value(channel: Channel, lang: Lang, link: Link) -> str:
    value = escape(channel.value)
    if channel.kind == "hotline":
        return f'<a class="jubao-channel__value" href="tel:{value}">{value}</a>'
    if channel.kind == "online":
        text = pick(lang, "打开举报表单", "Open the report form")
        return f'<a class="jubao-channel__value" href="{link(channel.value)}">{text}</a>'
    if channel.kind == "email":
        return f'<a class="jubao-channel__value" href="mailto:{value}">{value}</a>'
    if channel.kind == "national" and channel.value.startswith("https://"):
        return f'<a class="jubao-channel__value" href="{value}" rel="noopener">{value}</a>'
    return f'<span class="jubao-channel__value">{value}</span>'


def channels(office: OfficeConfig, lang: Lang, link: Link) -> str:
    items = []
    for channel in office.channels:
        label = escape(pick(lang, channel.label, channel.label_en))
        # "省外拨打 0551-12350": the numbers of the note as tel: links
        note = chrome.link_numbers(escape(pick(lang, channel.note, channel.note_en)), office)
        icon = _CHANNEL_ICONS.get(channel.kind, "•")
        items.append(
            f'<li class="jubao-channel jubao-channel--{channel.kind}">'
            f'<span class="jubao-channel__icon" aria-hidden="true">{icon}</span>'
            f'<div><h3 class="jubao-channel__label">{label}</h3>'
            f"{_channel_value(channel, lang, link)}"
            + (f'<p class="jubao-channel__note">{note}</p>' if note else "")
            + "</div></li>"
        )
    return f'<ul class="jubao-channels">{"".join(items)}</ul>'


def hotline_banner(office: OfficeConfig, lang: Lang, link: Link) -> str:
    hotline = office.hotline
    value = escape(hotline.value)
    return (
        '<div class="jubao-cta">'
        f'<a class="md-button md-button--primary jubao-cta__main" href="{link("report/")}">'
        f"{pick(lang, '我要举报', 'Report now')}</a>"
        f'<a class="md-button jubao-cta__alt" href="{link("status/")}">'
        f"{pick(lang, '查询我的举报', 'Check my report')}</a>"
        f'<p class="jubao-cta__hotline">{pick(lang, "举报电话：", "Hotline: ")}'
        f'<a href="tel:{value}"><strong>{value}</strong></a></p>'
        "</div>"
    )


# ---- scope ----------------------------------------------------------------------------


def industries(office: OfficeConfig, lang: Lang, link: Link) -> str:
    none_found = pick(
        lang,
        "按国家和省有关部门的规定判定（本平台未收录专门的判定标准文件）",
        "Judged under the rules of the national and provincial departments concerned "
        "(no dedicated criteria document is listed here)",
    )
    rows = []
    for industry in office.industries:
        criteria = pick(lang, industry.criteria, industry.criteria_en) or none_found
        rows.append(
            f'<tr><th scope="row">{escape(pick(lang, industry.name, industry.name_en))}</th>'
            f"<td>{escape(criteria)}</td></tr>"
        )
    head = pick(lang, "行业领域", "Industry")
    doc = pick(lang, "重大事故隐患判定标准", "Official major-hazard criteria")
    caption = pick(lang, "重点行业领域及判定标准", "Key industries and their criteria")
    return (
        '<div class="md-typeset__scrollwrap"><div class="md-typeset__table">'
        f"<table><caption>{caption}</caption>"
        f'<thead><tr><th scope="col">{head}</th><th scope="col">{doc}</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></div>"
    )


def regions(office: OfficeConfig, lang: Lang, link: Link) -> str:
    """The regions the platform accepts reports for (the form's region list)."""
    cities = [r for r in office.regions if r.level in ("province", "city")]
    names = "、" if lang == "zh" else ", "
    return (
        '<p class="jubao-regions">'
        + escape(names.join(pick(lang, r.name, r.name_en) for r in cities))
        + "</p>"
    )


# ---- process --------------------------------------------------------------------------


def _step(number: int, title: str, limit: str, text: str) -> str:
    limit_html = f'<p class="jubao-step__limit">{escape(limit)}</p>' if limit else ""
    return (
        f'<li class="jubao-step"><span class="jubao-step__no" aria-hidden="true">{number}</span>'
        f'<div class="jubao-step__body"><h3 class="jubao-step__title">{escape(title)}</h3>'
        f"{limit_html}<p>{escape(text)}</p></div></li>"
    )


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    title: dict[Lang, str]
    limit: dict[Lang, str]
    text: dict[Lang, str]


def process_steps(office: OfficeConfig, lang: Lang) -> list[tuple[str, str, str]]:
    """(title, time limit, explanation) of each step, deadlines from the configuration."""
    raw = tomllib.loads(PROCESS_FILE.read_text(encoding="utf-8"))
    values = facts.facts(office, lang)
    steps = [Step.model_validate(item) for item in raw["steps"]]
    return [
        (
            facts.fill(s.title[lang], values),
            facts.fill(s.limit[lang], values),
            facts.fill(s.text[lang], values),
        )
        for s in steps
    ]


def process(office: OfficeConfig, lang: Lang, link: Link) -> str:
    steps = process_steps(office, lang)
    label = pick(lang, "举报办理流程图", "Flow of a report")
    items = "".join(_step(i + 1, *step) for i, step in enumerate(steps))
    return f'<ol class="jubao-process" aria-label="{label}">{items}</ol>'


def statuses(office: OfficeConfig, lang: Lang, link: Link) -> str:
    """The statuses a reporter may see on the status page (from the core)."""
    rows = "".join(
        f"<li><strong>{escape(text(lang))}</strong></li>" for text in report_status.LABELS.values()
    )
    return f'<ul class="jubao-statuses">{rows}</ul>'


def tag_rule(office: OfficeConfig, lang: Lang, link: Link) -> str:
    """The poster-tag privacy rule, with the office's numbers."""
    p = office.posters
    if lang == "zh":
        items = [
            "海报上的二维码只标明张贴的<strong>地点</strong>（例如某小区、某企业），从不标明任何个人。",
            f"家庭张贴的海报、人数少于 <strong>{p.min_people_per_tag}</strong> 人的地点，"
            "以及没有登记人数的企业，只使用县区一级的标签，同一县区的这类海报共用一个标签，"
            "无法据此找到您家或小单位。",
            "与举报一起保存的海报信息只到本单位选定的精度："
            f"<strong>{escape(facts.GRANULARITY_TEXT[p.tag_granularity][0])}</strong>。",
            "标签带有数字签名，伪造或篡改的二维码贴纸会被系统识别并忽略，不会影响您的举报。",
        ]
    else:
        items = [
            "A poster's QR code names the <strong>place</strong> where it hangs (a community, a "
            "firm), never a person.",
            "Family posters, places with fewer than "
            f"<strong>{p.min_people_per_tag}</strong> people and enterprises whose headcount "
            "is not recorded carry only a county-level tag shared by all such posters of the "
            "county, so it cannot point to your home or a small workplace.",
            "What is kept with a report is only what the office chose: "
            f"<strong>{escape(facts.GRANULARITY_TEXT[p.tag_granularity][1])}</strong>.",
            "Tags are digitally signed: forged or altered QR stickers are recognised and "
            "ignored, and your report is still received.",
        ]
    return '<ul class="jubao-tag-rule">' + "".join(f"<li>{i}</li>" for i in items) + "</ul>"
