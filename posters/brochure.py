"""The guidance brochure (宣传画册): a few A5 pages for counters, meetings and mailboxes.

It says what the site's guidance pages say, from the same sources: the office
configuration (channels, deadlines, sectors and their criteria) and ``content.toml``. The
cover carries the province's QR code (shared region tag) and the hotline; the inner pages
flow with reportlab's platypus, with the Chinese line-breaking rules of
``posters.textfit`` (``RuledParagraph``); ``posters.booklet`` decides the type scale and
the pages that complete the last folded sheet.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Spacer,
)

from chalicelib.config.office import OfficeConfig
from chalicelib.i18n import Lang

from . import booklet, fonts
from . import brochure_covers as covers
from .brochure_covers import MARGIN_X, PAGE_H, PAGE_W
from .cjkparagraph import RuledParagraph
from .content import Content
from .layout import GREY, INK, RED
from .siteurls import display_url, page_url, status_page

MARGIN_TOP, MARGIN_BOTTOM = 16 * mm, 16 * mm


def _styles(lang: Lang, scale: float = 1.0) -> dict[str, ParagraphStyle]:
    """The paragraph styles, every size and space times ``scale`` (see ``booklet``)."""
    regular, bold = fonts.register_fonts()
    wrap_mode = "CJK" if lang == "zh" else None
    body = ParagraphStyle(
        "body",
        fontName=regular,
        fontSize=9.5 * scale,
        leading=14.5 * scale,
        textColor=INK,
        wordWrap=wrap_mode,
        spaceAfter=3 * scale,
        bulletFontName=regular,
        bulletFontSize=9.5 * scale,
    )
    small = ParagraphStyle(
        "small", parent=body, fontSize=8.5 * scale, leading=12.5 * scale, textColor=GREY
    )
    heading = {"parent": body, "fontName": bold, "keepWithNext": 1}
    return {
        "body": body,
        "small": small,
        "h1": ParagraphStyle(
            "h1",
            **heading,
            fontSize=15 * scale,
            leading=20 * scale,
            textColor=RED,
            spaceBefore=8 * scale,
            spaceAfter=6 * scale,
        ),
        "h2": ParagraphStyle(
            "h2",
            **heading,
            fontSize=10.5 * scale,
            leading=15 * scale,
            textColor=INK,
            spaceBefore=4 * scale,
            spaceAfter=1 * scale,
        ),
        "item": ParagraphStyle("item", parent=body, leftIndent=10, bulletIndent=1),
        "note": ParagraphStyle("note", parent=small, leftIndent=10),
        "lead": ParagraphStyle("lead", parent=body, leftIndent=10, bulletIndent=1, fontName=bold),
    }


def _p(text: str, style: ParagraphStyle, bullet: str | None = None) -> RuledParagraph:
    return RuledParagraph(escape(text), style, bulletText=bullet)


def _bold_lead(
    lead: str, text: str, style: ParagraphStyle, bullet: str | None = None, sep: str = "："
) -> RuledParagraph:
    _, bold = fonts.register_fonts()
    markup = f'<font name="{bold}">{escape(lead)}</font>{escape(sep)}{escape(text)}'
    return RuledParagraph(markup, style, bulletText=bullet)


def story(office: OfficeConfig, content: Content, lang: Lang, scale: float = 1.0) -> list[object]:
    """The inner pages as flowables (the cover is drawn by ``_cover``)."""
    s = _styles(lang, scale)
    b = content.brochure
    zh = lang == "zh"
    sep = "：" if zh else ": "
    flow: list[object] = [PageBreak()]

    flow.append(_p(b.what_title(lang), s["h1"]))
    for kind in content.report_kinds:
        flow.append(KeepTogether([_p(kind.title(lang), s["h2"]), _p(kind.text(lang), s["body"])]))
    flow.append(_p(b.industries_title(lang), s["h1"]))
    flow.append(_p(b.industries_text(lang), s["body"]))
    for industry in office.industries:
        criteria = industry.criteria if zh else industry.criteria_en
        name = industry.name if zh else industry.name_en
        if criteria:
            flow.append(_bold_lead(name, criteria, s["item"], "•", sep))
        else:
            flow.append(_p(name, s["item"], "•"))

    flow.append(_p(b.how_title(lang), s["h1"]))
    for channel in office.channels:
        label = channel.label if zh else channel.label_en
        value = channel.value
        if channel.kind == "online":  # its label says "this site": paper names the address
            label, value = content.poster.online_label(lang), page_url(office, lang, value)
        note = channel.note if zh else channel.note_en
        if value in label:  # "12350 安全生产举报投诉电话" already says it
            items = [_p(label, s["lead"], "•")]
        else:
            items = [_bold_lead(label, value, s["item"], "•", sep)]
        if note:
            items.append(_p(note, s["note"]))
        flow.append(KeepTogether(items))

    flow.append(_p(b.process_title(lang), s["h1"]))
    for number, step in enumerate(content.process, start=1):
        flow.append(_bold_lead(step.step(lang), step.text(lang), s["item"], f"{number}.", sep))

    reward = content.reward
    flow.append(_p(b.rewards_title(lang), s["h1"]))
    flow.append(_p(reward.highlight(lang), s["h2"]))
    for point in (*reward.points, *reward.details):
        flow.append(_p(point(lang), s["item"], "•"))
    flow.append(_p(reward.source(lang), s["small"]))

    conf = content.confidentiality
    flow.append(_p(b.confidentiality_title(lang), s["h1"]))
    flow.append(_p(conf.promise(lang), s["h2"]))
    for point in conf.points:
        flow.append(_p(point(lang), s["item"], "•"))
    flow.append(_p(b.tags_title(lang), s["h2"]))
    flow.append(_p(conf.tag_rule(lang), s["body"]))
    flow.append(Spacer(1, 4 * mm))
    flow.append(_p(b.truth(lang), s["small"]))
    return flow


def _extra_story(
    office: OfficeConfig, content: Content, lang: Lang, pages: tuple[booklet.ExtraPage, ...]
) -> list[object]:
    """The deliberate pages that complete the last sheet (``booklet.extra_pages``)."""
    s = _styles(lang)
    regular, _ = fonts.register_fonts()
    b = content.brochure
    fields = [field(lang) for field in b.notes_fields]
    flow: list[object] = []
    for page in pages:
        if page == "back":
            flow += [NextPageTemplate("back"), PageBreak(), Spacer(1, 1)]
        elif page == "record":
            flow += [
                PageBreak(),
                _p(b.notes_title(lang), s["h1"]),
                _p(b.notes_text(lang), s["body"]),
            ]
            flow += [_p(display_url(status_page(office, lang)), s["h2"]), Spacer(1, 4 * mm)]
            flow.append(booklet.RuledLines(fields, regular, 9, GREY))
        else:
            flow += [PageBreak(), _p(fields[-1], s["h1"]), booklet.RuledLines([], regular, 9, GREY)]
    return flow


class _Doc(BaseDocTemplate):  # type: ignore[misc]  # reportlab has no type hints
    """A document that notes how far down the last page its text reaches."""

    def afterFlowable(self, flowable: Any) -> None:  # noqa: N802  # reportlab's name
        frame = getattr(self, "frame", None)
        if frame is not None:
            self.last_fill = (frame._y2 - frame._y) / frame._height
            self.last_page = self.page


def render(
    office: OfficeConfig,
    content: Content,
    lang: Lang,
    qr_url: str,
    target: Path | io.BytesIO,
    layout: booklet.Plan,
    sample: bool = False,
) -> booklet.Pagination:
    """Set the brochure at ``layout`` into ``target``; says how its pages came out.

    ``sample`` (a development build) puts the sample banner on every page."""
    regular, _ = fonts.register_fonts()
    doc = _Doc(
        str(target) if isinstance(target, Path) else target,
        pagesize=A5,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=content.brochure.title(lang),
        author=office.office.name if lang == "zh" else office.office.name_en,
        creator="jubao posters",
        initialFontName=regular,
        invariant=True,
    )
    frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        PAGE_W - 2 * MARGIN_X,
        PAGE_H - MARGIN_TOP - MARGIN_BOTTOM,
        id="body",
    )

    def banner(canvas: Any, _doc: Any) -> None:
        if sample:
            covers.sample_banner(canvas)

    doc.addPageTemplates(
        [
            PageTemplate(
                "cover",
                [frame],
                onPage=lambda c, _d: covers.cover(c, office, content, lang, qr_url),
                onPageEnd=banner,
            ),
            PageTemplate(
                "inner",
                [frame],
                onPage=lambda c, _d: covers.footer(c, office, lang),
                onPageEnd=banner,
            ),
            PageTemplate(
                "back",
                [frame],
                onPage=lambda c, _d: covers.back(c, office, content, lang, qr_url),
                onPageEnd=banner,
            ),
        ]
    )
    flow = [NextPageTemplate("inner"), *story(office, content, lang, layout.scale)]
    doc.build(flow + _extra_story(office, content, lang, layout.extra))
    fill = doc.last_fill if getattr(doc, "last_page", 0) == doc.page else 0.0
    return booklet.Pagination(pages=doc.page, last_fill=fill)


def build_brochure(
    office: OfficeConfig,
    content: Content,
    lang: Lang,
    qr_url: str,
    target: Path,
    sample: bool = False,
) -> Path:
    """Write the brochure PDF for ``lang``; the cover QR opens ``qr_url``; ``sample`` (a
    development build) bands every page with the sample banner."""
    for text in _all_config_text(office, lang):
        fonts.require_glyphs(text)

    def trial(scale: float) -> booklet.Pagination:
        layout = booklet.Plan(scale, ())
        return render(office, content, lang, qr_url, io.BytesIO(), layout)

    render(office, content, lang, qr_url, target, booklet.plan(trial), sample)
    return target


def _all_config_text(office: OfficeConfig, lang: Lang) -> list[str]:
    zh = lang == "zh"
    texts = [office.office.platform_name if zh else office.office.platform_name_en]
    for industry in office.industries:
        texts += (
            [industry.name, industry.criteria] if zh else [industry.name_en, industry.criteria_en]
        )
    for channel in office.channels:
        texts += [
            channel.label if zh else channel.label_en,
            channel.value,
            channel.note if zh else channel.note_en,
        ]
    return texts
