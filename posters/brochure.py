"""The guidance brochure (宣传画册): a few A5 pages for counters, meetings and mailboxes.

It says what the site's guidance pages say, from the same sources: the office
configuration (channels, deadlines, sectors and their criteria) and ``content.toml``. The
cover carries the province's QR code (shared region tag) and the hotline; the inner pages
flow with reportlab's platypus, with Chinese line breaking.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
)

from chalicelib.config.office import OfficeConfig
from chalicelib.i18n import Lang

from . import fonts, qr
from .content import Content
from .layout import DEEP_RED, GREY, INK, RED, WHITE, YELLOW
from .textfit import fit_size, wrap

PAGE_W, PAGE_H = A5
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 14 * mm, 16 * mm, 16 * mm


def _styles(lang: Lang) -> dict[str, ParagraphStyle]:
    regular, bold = fonts.register_fonts()
    wrap_mode = "CJK" if lang == "zh" else None
    body = ParagraphStyle(
        "body",
        fontName=regular,
        fontSize=9.5,
        leading=14.5,
        textColor=INK,
        wordWrap=wrap_mode,
        spaceAfter=3,
        bulletFontName=regular,
        bulletFontSize=9.5,
    )
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=12.5, textColor=GREY),
        "h1": ParagraphStyle(
            "h1",
            parent=body,
            fontName=bold,
            fontSize=15,
            leading=20,
            textColor=RED,
            spaceBefore=8,
            spaceAfter=6,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName=bold,
            fontSize=10.5,
            leading=15,
            textColor=INK,
            spaceBefore=4,
            spaceAfter=1,
        ),
        "item": ParagraphStyle("item", parent=body, leftIndent=10, bulletIndent=1),
    }


def _p(text: str, style: ParagraphStyle, bullet: str | None = None) -> Paragraph:
    return Paragraph(escape(text), style, bulletText=bullet)


def _bold_lead(
    lead: str, text: str, style: ParagraphStyle, bullet: str | None = None, sep: str = "："
) -> Paragraph:
    _, bold = fonts.register_fonts()
    markup = f'<font name="{bold}">{escape(lead)}</font>{escape(sep)}{escape(text)}'
    return Paragraph(markup, style, bulletText=bullet)


def story(office: OfficeConfig, content: Content, lang: Lang) -> list[object]:
    """The inner pages as flowables (the cover is drawn by ``_cover``)."""
    s = _styles(lang)
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
        value = office.site.url(channel.value) if channel.kind == "online" else channel.value
        note = channel.note if zh else channel.note_en
        if value in label:  # "12350 安全生产举报投诉电话" already says it
            items = [
                _p(label, ParagraphStyle("lead", parent=s["item"], fontName=s["h2"].fontName), "•")
            ]
        else:
            items = [_bold_lead(label, value, s["item"], "•", sep)]
        if note:
            items.append(_p(note, ParagraphStyle("note", parent=s["small"], leftIndent=10)))
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


def _cover(canvas: Canvas, office: OfficeConfig, content: Content, lang: Lang, qr_url: str) -> None:
    regular, bold = fonts.register_fonts()
    zh = lang == "zh"
    b, words = content.brochure, content.poster
    canvas.saveState()
    canvas.setFillColor(RED)
    canvas.rect(0, PAGE_H - 92 * mm, PAGE_W, 92 * mm, stroke=0, fill=1)
    canvas.setFillColor(WHITE)
    canvas.setFont(regular, 9)
    canvas.drawString(
        MARGIN_X,
        PAGE_H - 13 * mm,
        office.office.platform_name if zh else office.office.platform_name_en,
    )
    title = b.title(lang)
    size = fit_size(title, bold, 30, PAGE_W / mm - 2 * MARGIN_X / mm)
    canvas.setFont(bold, size)
    canvas.drawString(MARGIN_X, PAGE_H - 36 * mm, title)
    canvas.setFont(regular, 11)
    canvas.drawString(MARGIN_X, PAGE_H - 45 * mm, b.subtitle(lang))
    headline = words.headline(lang).replace("\n", " " if not zh else "　")
    hsize = fit_size(headline, bold, 20, PAGE_W / mm - 2 * MARGIN_X / mm)
    canvas.setFillColor(YELLOW)
    canvas.setFont(bold, hsize)
    canvas.drawString(MARGIN_X, PAGE_H - 66 * mm, headline)
    canvas.setFillColor(WHITE)
    canvas.setFont(bold, 13)
    canvas.drawString(MARGIN_X, PAGE_H - 79 * mm, words.slogan(lang))

    side = 58 * mm
    x, y = MARGIN_X, PAGE_H - 98 * mm - side
    canvas.addLiteral(qr.pdf_operators(qr.encode(qr_url), x, y, side))
    col = x + side + 6 * mm
    canvas.setFillColor(RED)
    canvas.setFont(bold, 17)
    canvas.drawString(col, y + side - 10 * mm, words.scan_title(lang))
    canvas.setFillColor(INK)
    canvas.setFont(regular, 8.5)
    width = (PAGE_W - MARGIN_X - col) / mm
    for i, line in enumerate(wrap(words.scan_text(lang), regular, 8.5, width)[:6]):
        canvas.drawString(col, y + side - 17 * mm - i * 4.2 * mm, line)

    box_y = 22 * mm
    canvas.setFillColor(RED)
    canvas.roundRect(MARGIN_X, box_y, PAGE_W - 2 * MARGIN_X, 25 * mm, 3 * mm, stroke=0, fill=1)
    canvas.setFillColor(WHITE)
    canvas.setFont(regular, 11)
    canvas.drawString(MARGIN_X + 6 * mm, box_y + 16 * mm, words.hotline_title(lang))
    canvas.setFillColor(YELLOW)
    canvas.setFont(bold, 34)
    canvas.drawRightString(PAGE_W - MARGIN_X - 6 * mm, box_y + 8 * mm, office.hotline.value)
    canvas.setFillColor(WHITE)
    canvas.setFont(regular, 7.5)
    note = office.hotline.note if zh else office.hotline.note_en
    for i, line in enumerate(wrap(note, regular, 7.5, 62)[:3]):
        canvas.drawString(MARGIN_X + 6 * mm, box_y + (10 - i * 3.6) * mm, line)
    canvas.setFillColor(GREY)
    canvas.setFont(regular, 8)
    canvas.drawString(MARGIN_X, 12 * mm, content.poster.issued_by(lang))
    canvas.restoreState()


def _page_footer(canvas: Canvas, office: OfficeConfig, lang: Lang) -> None:
    regular, _ = fonts.register_fonts()
    canvas.saveState()
    canvas.setFillColor(DEEP_RED)
    canvas.rect(0, 0, PAGE_W, 3 * mm, stroke=0, fill=1)
    canvas.setFillColor(GREY)
    canvas.setFont(regular, 7.5)
    name = office.office.platform_name if lang == "zh" else office.office.platform_name_en
    canvas.drawString(MARGIN_X, 8 * mm, f"{name} · {office.hotline.value}")
    canvas.drawRightString(PAGE_W - MARGIN_X, 8 * mm, f"{canvas.getPageNumber()}")
    canvas.restoreState()


def build_brochure(
    office: OfficeConfig, content: Content, lang: Lang, qr_url: str, target: Path
) -> Path:
    """Write the brochure PDF for ``lang``; the cover QR opens ``qr_url``."""
    regular, _ = fonts.register_fonts()
    for text in _all_config_text(office, lang):
        fonts.require_glyphs(text)
    doc = BaseDocTemplate(
        str(target),
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
    doc.addPageTemplates(
        [
            PageTemplate(
                "cover", [frame], onPage=lambda c, _d: _cover(c, office, content, lang, qr_url)
            ),
            PageTemplate("inner", [frame], onPage=lambda c, _d: _page_footer(c, office, lang)),
        ]
    )
    doc.build([NextPageTemplate("inner"), *story(office, content, lang)])
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
