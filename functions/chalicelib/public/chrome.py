"""What every public page carries around its content: the hotline bar and the footer.

One module for both kinds of public page, so their words and markup cannot drift apart:
the site's pages (the MkDocs hook hands this HTML to ``site/overrides``) and the function's
own answer pages (``pages._page``: the receipt after a plain form post, the status page,
the form again with errors), which a citizen without JavaScript lands on right after
reporting. Why each part:

* the 12350 hotline is what a citizen most needs, on a phone, from any page: a large
  tap-to-call button (``tel:``) and the number from outside the province beside it, both
  from the office configuration (``channels``: the hotline and its ``alternates``);
* a government site states at its foot who runs it, how to reach them, its ICP filing
  number and its website code (``site.footer``). What the office has not set yet is
  marked "待配置 / to be configured" in development; in production it is left out (a
  production site build refuses while any is empty, ``config.publishable``; the running
  function refuses nothing, so its pages simply promise nothing unset);
* the elderly-friendly mode's switch (长者模式) sits in the bar, hidden: the site's
  ``assets/js/elder.js`` shows and wires it, and without JavaScript it could do nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from ..config.office import OfficeConfig
from ..i18n import Lang, pick

ICP_SEARCH = "https://beian.miit.gov.cn/"  # where anyone checks an ICP filing (MIIT)
ELDER_SCRIPT = "/assets/js/elder.js"  # the site's script, same origin as the API's pages

# (Chinese, English) for every word of the bar and the footer
TEXT: dict[str, tuple[str, str]] = {
    "call": ("拨打 {number} 举报电话", "Call the {number} hotline"),
    "elder": ("长者模式", "Large text"),
    "elder_title": ("大字体、高对比度", "Larger text, higher contrast"),
    "sponsor": ("主办单位", "Run by"),
    "contact": ("联系方式", "Contact"),
    "icp": ("ICP备案号", "ICP filing"),
    "site_code": ("网站标识码", "Website code"),
    "to_be_configured": ("待配置", "to be configured"),
    "colon": ("：", ": "),
}


def t(key: str, lang: Lang) -> str:
    zh, en = TEXT[key]
    return pick(lang, zh, en)


def tel(number: str) -> str:
    """A number as a ``tel:`` URL (visual separators dropped)."""
    return "tel:" + re.sub(r"[^0-9+]", "", number)


def hotline_bar_html(office: OfficeConfig, lang: Lang, inner_class: str = "") -> str:
    """The bar at the top of every page: the hotline to tap, the other numbers to tap,
    and the elderly mode's switch (``hidden`` until ``elder.js`` wires it).

    ``inner_class`` adds the page layout's own class to the inner box (the site's
    ``md-grid``, which centres it as Material's content)."""
    channel = office.hotline
    before, _, after = t("call", lang).partition("{number}")
    alternates = "".join(
        f'<span class="jubao-bar__alt">{escape(pick(lang, d.label, d.label_en))}'
        f'{t("colon", lang)}<a href="{tel(d.value)}">{escape(d.value)}</a></span>'
        for d in channel.alternates
    )
    inner = " ".join(["jubao-bar__inner", *inner_class.split()])
    return (
        f'<div class="jubao-bar" data-jubao-bar><div class="{escape(inner)}">'
        f'<a class="jubao-bar__call" href="{tel(channel.value)}">'
        '<span class="jubao-bar__icon" aria-hidden="true">☎</span>'
        f"<span>{escape(before)}<strong>{escape(channel.value)}</strong>{escape(after)}</span></a>"
        f"{alternates}"
        '<button type="button" class="jubao-elder-toggle" id="jubao-elder-toggle"'
        f' aria-pressed="false" title="{escape(t("elder_title", lang))}" hidden>'
        f"{escape(t('elder', lang))}</button>"
        "</div></div>"
    )


@dataclass(frozen=True)
class FooterItem:
    """One line of the footer in one language; ``missing`` while the office has not set it."""

    name: str
    label: str
    value: str
    href: str
    missing: bool


def footer_items(office: OfficeConfig, lang: Lang, development: bool) -> list[FooterItem]:
    """The footer's lines: 主办单位, contact, ICP filing, website code (``site.footer``).

    The one rule for what is not set yet: a value is missing while its Chinese text is
    empty; a development page shows it as "待配置 / to be configured", a production page
    leaves the line out (never developer text, never an invented value)."""
    f = office.site.footer
    fields = [
        ("sponsor", f.sponsor, f.sponsor_en, ""),
        ("contact", f.contact, f.contact_en, ""),
        ("icp", f.icp, f.icp, ICP_SEARCH),
        ("site_code", f.site_code, f.site_code, ""),
    ]
    items = []
    for name, zh, en, href in fields:
        missing = not zh.strip()
        if missing and not development:
            continue
        value = t("to_be_configured", lang) if missing else pick(lang, zh, en or zh)
        items.append(FooterItem(name, t(name, lang), value, "" if missing else href, missing))
    return items


def footer_html(office: OfficeConfig, lang: Lang, development: bool) -> str:
    """The footer's lines as a list (empty when there is nothing to state)."""
    lines = []
    for item in footer_items(office, lang, development):
        value = escape(item.value)
        if item.href:
            value = f'<a href="{escape(item.href)}" rel="noopener">{value}</a>'
        missing = " is-missing" if item.missing else ""
        lines.append(
            f'<li class="jubao-footer__{item.name}{missing}">'
            f"{escape(item.label)}{t('colon', lang)}{value}</li>"
        )
    return f'<ul class="jubao-footer">{"".join(lines)}</ul>' if lines else ""
