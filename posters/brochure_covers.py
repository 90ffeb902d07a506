"""The brochure's drawn pages: the front cover, the back cover and the inner pages' footer.

Drawn on the canvas rather than flowed, because their places are fixed by the design
(the QR code must have its full size and quiet zone; the hotline box sits at the foot).
"""

from __future__ import annotations

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from chalicelib.config.office import OfficeConfig
from chalicelib.config.publishable import SAMPLE_BANNER_TEXT
from chalicelib.i18n import Lang

from . import fonts, qr
from .content import Content
from .layout import BLACK, DEEP_RED, GREY, INK, RED, WHITE, YELLOW
from .siteurls import display_url
from .textfit import fit_size, wrap

PAGE_W, PAGE_H = A5
MARGIN_X = 14 * mm  # the brochure's side margin, shared with its text frame


def cover(canvas: Canvas, office: OfficeConfig, content: Content, lang: Lang, qr_url: str) -> None:
    """The front page: title, headline, the QR code and the hotline."""
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

    hotline_box(canvas, office, content, lang, 22 * mm)
    canvas.setFillColor(GREY)
    canvas.setFont(regular, 8)
    canvas.drawString(MARGIN_X, 12 * mm, content.poster.issued_by(lang))
    canvas.restoreState()


def hotline_box(
    canvas: Canvas, office: OfficeConfig, content: Content, lang: Lang, box_y: float
) -> None:
    """The red hotline box, its bottom edge at ``box_y``."""
    regular, bold = fonts.register_fonts()
    zh = lang == "zh"
    words = content.poster
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


def back(canvas: Canvas, office: OfficeConfig, content: Content, lang: Lang, qr_url: str) -> None:
    """The back cover, when the last sheet needs one: the QR code, the address, the hotline."""
    regular, bold = fonts.register_fonts()
    words = content.poster
    canvas.saveState()
    canvas.setFillColor(RED)
    canvas.rect(0, PAGE_H - 12 * mm, PAGE_W, 12 * mm, stroke=0, fill=1)
    side = 70 * mm
    x, y = (PAGE_W - side) / 2, PAGE_H - 30 * mm - side
    canvas.addLiteral(qr.pdf_operators(qr.encode(qr_url), x, y, side))
    canvas.setFillColor(RED)
    canvas.setFont(bold, 20)
    canvas.drawCentredString(PAGE_W / 2, y - 12 * mm, words.scan_title(lang))
    address = display_url(qr_url.partition("?")[0])
    canvas.setFillColor(INK)
    canvas.setFont(bold, fit_size(address, bold, 12, PAGE_W / mm - 2 * MARGIN_X / mm))
    canvas.drawCentredString(PAGE_W / 2, y - 21 * mm, address)
    hotline_box(canvas, office, content, lang, 40 * mm)
    canvas.setFillColor(GREY)
    canvas.setFont(regular, 8)
    canvas.drawString(MARGIN_X, 12 * mm, words.issued_by(lang))
    canvas.restoreState()


def sample_banner(canvas: Canvas) -> None:
    """A development brochure says so across the top of every page, in both languages,
    in the margin above the text frame: it must never be handed out as the office's."""
    _, bold = fonts.register_fonts()
    band = 8 * mm
    canvas.saveState()
    canvas.setFillColor(BLACK)
    canvas.rect(0, PAGE_H - band, PAGE_W, band, stroke=0, fill=1)
    canvas.setFillColor(YELLOW)
    canvas.setFont(bold, fit_size(SAMPLE_BANNER_TEXT, bold, 8, PAGE_W / mm - 2 * MARGIN_X / mm))
    canvas.drawCentredString(PAGE_W / 2, PAGE_H - 5.3 * mm, SAMPLE_BANNER_TEXT)
    canvas.restoreState()


def footer(canvas: Canvas, office: OfficeConfig, lang: Lang) -> None:
    """The inner pages' footer: platform, hotline and the page number."""
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
