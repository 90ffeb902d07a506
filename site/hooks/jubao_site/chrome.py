"""What every page carries around its content: the hotline bar and the footer.

The words and the markup are the core's (``chalicelib.public.chrome``), which the
function's own answer pages (the receipt after a plain form post, the status page) carry
too; this module renders them for both languages and hands them to the templates
(``overrides/main.html``, ``overrides/partials/copyright.html``) through ``config.extra``,
and the template picks the page's. The site sets ``format-detection: telephone=no`` so
that phones do not turn report numbers into links; the bar's explicit ``tel:`` links, and
the hotline numbers in the pages' own text (``link_numbers``), still work.

A development build marks what the footer still lacks as "待配置 / to be configured"; a
production build refuses to build until all is set (``chalicelib.config.publishable``), so
a public page never shows that text. The elderly-friendly mode's switch sits in the bar
(``assets/js/elder.js``).
"""

from __future__ import annotations

import re
from html import escape

from chalicelib.config.office import OfficeConfig
from chalicelib.i18n import LANGS
from chalicelib.public import chrome as core


def hotline_bar(office: OfficeConfig) -> dict[str, str]:
    """The bar's HTML per language, its inner box centred as Material's content."""
    return {lang: core.hotline_bar_html(office, lang, inner_class="md-grid") for lang in LANGS}


def footer(office: OfficeConfig, development: bool) -> dict[str, str]:
    """The footer's lines per language (``development``: mark what is not set yet)."""
    return {lang: core.footer_html(office, lang, development) for lang in LANGS}


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
        return pattern.sub(lambda m: f'<a href="{core.tel(m[1])}">{escape(m[1])}</a>', segment)

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
