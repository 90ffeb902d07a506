"""What every page carries around its content: the hotline bar and the footer.

Both come from the office configuration and are handed to the template
(``overrides/main.html``, ``overrides/partials/copyright.html``) through ``config.extra``,
in both languages; the template picks the page's. Why here and not in the pages:

* the 12350 hotline is what a citizen most needs, on a phone, from any page: a large
  tap-to-call button (``tel:``) and the number from outside the province beside it. The
  site sets ``format-detection: telephone=no`` so that phones do not turn report numbers
  into links; explicit ``tel:`` links still work;
* a government site states at its foot who runs it, how to reach them, its ICP filing
  number and its website code (``site.footer``). A development build shows what is still
  empty as "待配置 / to be configured"; a production build refuses to build until all are
  set (``chalicelib.config.publishable``), so a public page never shows that text.

The elderly-friendly mode's switch sits in the same bar (``assets/js/elder.js``).
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from chalicelib.config.office import OfficeConfig

ICP_SEARCH = "https://beian.miit.gov.cn/"  # where anyone checks an ICP filing (MIIT)
TO_BE_CONFIGURED = {"zh": "待配置", "en": "to be configured"}


def tel(number: str) -> str:
    """A number as a ``tel:`` URL (visual separators dropped)."""
    return "tel:" + re.sub(r"[^0-9+]", "", number)


def hotline(office: OfficeConfig) -> dict[str, Any]:
    """The hotline bar's data: the number, its ``tel:`` URL and the other numbers."""
    channel = office.hotline
    return {
        "value": channel.value,
        "tel": tel(channel.value),
        "label": {"zh": channel.label, "en": channel.label_en},
        "alternates": [
            {"value": d.value, "tel": tel(d.value), "label": {"zh": d.label, "en": d.label_en}}
            for d in channel.alternates
        ],
    }


def footer(office: OfficeConfig) -> list[dict[str, Any]]:
    """The footer's lines: label, value and link per language; empty values marked."""
    f = office.site.footer

    def item(
        name: str, label_zh: str, label_en: str, zh: str, en: str, href: str = ""
    ) -> dict[str, Any]:
        missing = not zh.strip()
        return {
            "name": name,
            "label": {"zh": label_zh, "en": label_en},
            "value": {
                "zh": TO_BE_CONFIGURED["zh"] if missing else zh,
                "en": TO_BE_CONFIGURED["en"] if missing else (en or zh),
            },
            "href": "" if missing else href,
            "missing": missing,
        }

    return [
        item("sponsor", "主办单位", "Run by", f.sponsor, f.sponsor_en),
        item("contact", "联系方式", "Contact", f.contact, f.contact_en),
        item("icp", "ICP备案号", "ICP filing", f.icp, f.icp, ICP_SEARCH),
        item("site_code", "网站标识码", "Website code", f.site_code, f.site_code),
    ]


# ---- tel: links in the pages' text --------------------------------------------------------

# never inside these: a link in a link, a label (the quiz's answer choices), headings
_NO_LINKS = frozenset(
    {"a", "label", "button", "option", "select", "textarea", "script", "style", "title",
     "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "summary", "legend", "svg"}
)  # fmt: skip
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*?(/?)>|<!--.*?-->", re.DOTALL)
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "source", "col"})


def link_numbers(html: str, office: OfficeConfig) -> str:
    """Every hotline number in the text of ``html`` as a ``tel:`` link.

    The hook applies it to a page's own text before the blocks go in (their markup is
    their owner's: the core's forms must stay the core's); a block may apply it itself.

    The page's text states "省外拨打 0551-12350"; on a phone that should be one tap. Text
    inside links, labels, buttons, headings and code stays as it is. Longer numbers are
    matched first, so "0551-12350" is one link, not "0551-" and a link.
    """
    channel = office.hotline
    numbers = sorted({channel.value, *(d.value for d in channel.alternates)}, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![0-9A-Za-z-])(" + "|".join(re.escape(n) for n in numbers) + r")(?![0-9A-Za-z-])"
    )
    out: list[str] = []
    stack: list[str] = []
    done = 0

    def text(segment: str) -> str:
        if any(tag in _NO_LINKS for tag in stack):
            return segment
        return pattern.sub(lambda m: f'<a href="{tel(m[1])}">{escape(m[1])}</a>', segment)

    for match in _TAG.finditer(html):
        out.append(text(html[done : match.start()]))
        out.append(match.group(0))
        done = match.end()
        name = (match.group(2) or "").lower()
        if not name or name in _VOID or match.group(3):
            continue
        if match.group(1):
            if name in stack:
                while stack and stack.pop() != name:
                    pass
        else:
            stack.append(name)
    out.append(text(html[done:]))
    return "".join(out)
