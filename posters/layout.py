"""The poster page: a red/white public-service design with a large vector QR code.

The design is laid out once per *variant* (language, paper size, issuing region) into a
list of drawing operations (``Template``); each personalised poster then replays that
list and adds only what differs: the QR code, the place and the poster code. That keeps
text measuring and line breaking out of the per-poster cost, which is what lets a batch
of a thousand posters run in seconds.

Geometry: everything is laid out in millimetres on an A4 portrait page, measured from the
top-left corner of the trimmed page; A3 is the same design scaled by sqrt(2) (A-series
pages are similar rectangles), so type and QR modules grow with the paper. Each PDF page
has a 3 mm bleed on every side (MediaBox), with TrimBox and BleedBox set for print shops;
text stays at least 12 mm inside the trim, clear of office printers' unprintable edges.
Colours are CMYK; the QR is 100 % K on a white quiet zone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from reportlab.lib.colors import CMYKColor
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from chalicelib.config.office import OfficeConfig, Region
from chalicelib.config.publishable import SAMPLE_BANNER_TEXT
from chalicelib.i18n import Lang, pick

from . import fonts, qr
from .content import Content
from .siteurls import display_url, page_url
from .textfit import fit_size, has_wide, width_mm, wrap

PaperSize = Literal["a4", "a3"]
SIZES: tuple[PaperSize, ...] = ("a4", "a3")

A4_WIDTH, A4_HEIGHT = 210.0, 297.0
PAPER_MM: dict[PaperSize, tuple[float, float]] = {"a4": (210.0, 297.0), "a3": (297.0, 420.0)}
BLEED_MM = 3.0
MARGIN = 12.0  # safe area inside the trim, on the A4 design
QR_TOP, QR_SIDE = 136.0, 100.0  # QR square including its quiet zone, A4 design

RED = CMYKColor(0, 0.96, 0.92, 0.02)
DEEP_RED = CMYKColor(0.1, 1, 1, 0.32)
YELLOW = CMYKColor(0, 0.1, 0.92, 0)
INK = CMYKColor(0, 0, 0, 0.92)
GREY = CMYKColor(0, 0, 0, 0.62)
PALE = CMYKColor(0, 0.07, 0.06, 0)
WHITE = CMYKColor(0, 0, 0, 0)
BLACK = CMYKColor(0, 0, 0, 1)

Align = Literal["left", "centre", "right"]


@dataclass(frozen=True)
class TextOp:
    x: float
    y: float  # baseline, mm from the top
    text: str
    font: str
    size: float  # points
    colour: CMYKColor
    align: Align = "left"


@dataclass(frozen=True)
class RectOp:
    x: float
    y: float  # top edge, mm from the top
    w: float
    h: float
    colour: CMYKColor
    radius: float = 0.0
    stroke: float = 0.0  # >0: outline only, this many mm wide


@dataclass(frozen=True)
class PolygonOp:
    points: tuple[tuple[float, float], ...]
    colour: CMYKColor
    round_join_mm: float = 0.0  # >0: stroke in the fill colour with round joins


@dataclass(frozen=True)
class CircleOp:
    x: float
    y: float
    r: float
    colour: CMYKColor


Op = TextOp | RectOp | PolygonOp | CircleOp


@dataclass(frozen=True)
class Variant:
    """What the static part of a poster depends on."""

    lang: Lang
    size: PaperSize
    issuer: str  # shown top right: the issuing region or office
    sample: bool = False  # a development build: the sample banner across the top


@dataclass(frozen=True)
class Template:
    variant: Variant
    ops: tuple[Op, ...]
    place_label: str
    code_label: str
    title: str
    author: str
    strings: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class PosterSpec:
    """One personalised poster: its design variant, QR target and footer details."""

    variant: Variant
    url: str
    code: str  # the tag slug shown as the poster code
    place: str  # the place the poster hangs, or the region for shared tags


def region_display_name(region: Region, office: OfficeConfig, lang: Lang) -> str:
    """How a poster names its issuing region (the province poster names the office)."""
    if region.level == "province":
        return office.office.short_name if lang == "zh" else office.office.short_name_en
    return region.name if lang == "zh" else region.name_en


def _channel_line(office: OfficeConfig, content: Content, lang: Lang) -> str:
    """The footer's other channels; on paper in another language than Chinese, channels
    whose details exist only in Chinese are named and pointed to the site in that language.
    """
    sep = "：" if lang == "zh" else ": "
    pieces, elsewhere = [], []
    by_kind = {c.kind: c for c in office.channels}
    for kind in content.poster.channels:
        channel = by_kind.get(kind)
        if channel is None:
            continue
        label = pick(lang, channel.label, channel.label_en)
        value = channel.value
        if kind == "online":
            label, value = content.poster.online_label(lang), page_url(office, lang, value)
            value = display_url(value)
        elif value.startswith(("http://", "https://")):
            value = display_url(value)
        if lang != "zh" and has_wide(label + value):
            elsewhere.append(label)
        else:
            pieces.append(f"{label}{sep}{value}")
    if elsewhere:
        site = display_url(page_url(office, lang))
        pieces.append(f"{', '.join(elsewhere)}{sep}{content.poster.see_site(lang)} {site}")
    return "　".join(pieces) if lang == "zh" else "  ·  ".join(pieces)


def _paragraph(
    ops: list[Op],
    text: str,
    x: float,
    y: float,
    width: float,
    font: str,
    size: float,
    colour: CMYKColor,
    leading: float,
    max_lines: int,
    align: Align = "left",
) -> float:
    """Wrap and add ``text``; returns the baseline after the last line. Refuses overflow."""
    lines = wrap(text, font, size, width)
    if len(lines) > max_lines:
        raise LayoutOverflow(text, len(lines), max_lines)
    anchor = {"left": x, "centre": x + width / 2, "right": x + width}[align]
    for line in lines:
        ops.append(TextOp(anchor, y, line, font, size, colour, align))
        y += leading
    return y


class LayoutOverflow(ValueError):
    """Wording too long for its place on the poster (shorten content.toml)."""

    def __init__(self, text: str, lines: int, max_lines: int) -> None:
        super().__init__(f"{lines} lines > {max_lines} allowed for: {text[:40]}…")


def _warning_sign(ops: list[Op], cx: float, top: float, side: float) -> None:
    """The GB 2894 style warning triangle: black border, yellow field, black '!'."""
    height = side * 0.866
    outer = ((cx, top), (cx - side / 2, top + height), (cx + side / 2, top + height))
    ops.append(PolygonOp(outer, BLACK, round_join_mm=side * 0.08))
    inset = side * 0.085
    inner_side = side - 2 * inset * 1.732
    inner_top = top + inset * 2
    inner_h = inner_side * 0.866
    inner = (
        (cx, inner_top),
        (cx - inner_side / 2, inner_top + inner_h),
        (cx + inner_side / 2, inner_top + inner_h),
    )
    ops.append(PolygonOp(inner, YELLOW, round_join_mm=side * 0.04))
    bar_w = side * 0.1
    ops.append(
        RectOp(cx - bar_w / 2, inner_top + inner_h * 0.3, bar_w, inner_h * 0.4, BLACK, bar_w / 2)
    )
    ops.append(CircleOp(cx, inner_top + inner_h * 0.82, bar_w * 0.6, BLACK))


SAMPLE_BAND_MM = 8.5  # the sample banner's height below the trim's top edge, A4 design


def _sample_banner(ops: list[Op], bleed: float, font: str) -> None:
    """A development poster says so across its top, above the platform name, in both
    languages: a print of the example configuration must never pass for the office's."""
    ops.append(RectOp(-bleed, -bleed, A4_WIDTH + 2 * bleed, SAMPLE_BAND_MM + bleed, BLACK))
    size = fit_size(SAMPLE_BANNER_TEXT, font, 9, A4_WIDTH - 2 * MARGIN)
    ops.append(TextOp(A4_WIDTH / 2, 5.9, SAMPLE_BANNER_TEXT, font, size, YELLOW, "centre"))


def build_template(variant: Variant, office: OfficeConfig, content: Content) -> Template:
    """Lay out everything that is the same on every poster of ``variant``."""
    regular, bold = fonts.register_fonts()
    lang = variant.lang
    words = content.poster
    ops: list[Op] = []
    bleed = BLEED_MM / scale_of(variant.size)
    full_w = A4_WIDTH - 2 * MARGIN
    zh = lang == "zh"

    # -- red headline band ---------------------------------------------------------------
    ops.append(RectOp(-bleed, -bleed, A4_WIDTH + 2 * bleed, 76 + bleed, RED))
    platform = office.office.platform_name if zh else office.office.platform_name_en
    ops.append(TextOp(MARGIN, 12, platform, regular, 11, WHITE))
    ops.append(TextOp(A4_WIDTH - MARGIN, 12, variant.issuer, regular, 11, WHITE, "right"))
    headline = words.headline(lang).split("\n")
    size = min(fit_size(line, bold, 64, 134) for line in headline)
    size_mm = size * 0.3528
    line_step = size_mm * 1.22
    block = size_mm * 0.88 + line_step * (len(headline) - 1) + size_mm * 0.12
    baseline = 17 + (56 - block) / 2 + size_mm * 0.88
    for i, line in enumerate(headline):
        colour = YELLOW if i == len(headline) - 1 else WHITE
        ops.append(TextOp(MARGIN, baseline + i * line_step, line, bold, size, colour))
    _warning_sign(ops, cx=174, top=22, side=46)

    # -- yellow slogan ribbon ------------------------------------------------------------
    ops.append(RectOp(-bleed, 76, A4_WIDTH + 2 * bleed, 15, YELLOW))
    slogan_size = fit_size(words.slogan(lang), bold, 26, full_w)
    ops.append(
        TextOp(
            A4_WIDTH / 2,
            83.5 + slogan_size * 0.3528 * 0.36,
            words.slogan(lang),
            bold,
            slogan_size,
            RED,
            "centre",
        )
    )

    # -- what to report ------------------------------------------------------------------
    ops.append(RectOp(MARGIN, 96.6, 1.6, 5, RED))
    ops.append(TextOp(MARGIN + 3.5, 100.8, words.report_what_title(lang), bold, 12.5, RED))
    box_w = (full_w - 8) / 3
    for i, kind in enumerate(content.report_kinds):
        x = MARGIN + i * (box_w + 4)
        ops.append(RectOp(x, 104, box_w, 27, PALE, radius=2))
        ops.append(RectOp(x, 104, box_w, 9, RED, radius=2))
        ops.append(RectOp(x, 109, box_w, 4, RED))
        title = kind.title(lang)
        title_size = fit_size(title, bold, 13, box_w - 4)
        ops.append(TextOp(x + box_w / 2, 110.6, title, bold, title_size, WHITE, "centre"))
        short_size = 10.5 if zh else 9.5
        lines = wrap(kind.short(lang), regular, short_size, box_w - 6)
        first = 122.5 - (len(lines) - 1) * 2.4 + (1 if len(lines) == 1 else 0)
        _paragraph(
            ops,
            kind.short(lang),
            x + 3,
            first,
            box_w - 6,
            regular,
            short_size,
            INK,
            4.8,
            3,
            "centre",
        )

    # -- QR frame and the scan / hotline column ------------------------------------------
    ops.append(RectOp(MARGIN - 1.5, QR_TOP - 1.5, QR_SIDE + 3, QR_SIDE + 3, RED, 3, 0.7))
    col_x, col_w = 120.0, A4_WIDTH - MARGIN - 120.0
    arrow = ((col_x, 142.5), (col_x + 5.5, 138.8), (col_x + 5.5, 146.2))
    ops.append(PolygonOp(arrow, RED, round_join_mm=0.8))
    scan_size = fit_size(words.scan_title(lang), bold, 30, col_w - 8)
    ops.append(TextOp(col_x + 8, 146, words.scan_title(lang), bold, scan_size, RED))
    _paragraph(
        ops, words.scan_text(lang), col_x, 153, col_w, regular, 9.5 if zh else 8.6, INK, 4.4, 4
    )

    hotline = office.hotline
    ops.append(RectOp(col_x, 172, col_w, 50, RED, radius=3))
    ops.append(
        TextOp(col_x + col_w / 2, 181, words.hotline_title(lang), regular, 13, WHITE, "centre")
    )
    number_size = fit_size(hotline.value, bold, 76, col_w - 8)
    ops.append(TextOp(col_x + col_w / 2, 205, hotline.value, bold, number_size, YELLOW, "centre"))
    _paragraph(
        ops,
        hotline.note if zh else hotline.note_en,
        col_x + 3,
        212.5,
        col_w - 6,
        regular,
        7.5,
        WHITE,
        3.6,
        2,
        "centre",
    )

    online = next((c for c in office.channels if c.kind == "online"), None)
    if online is not None:  # named by the wording: the channel's label says "this site"
        ops.append(TextOp(col_x, 228, words.online_label(lang), regular, 8, GREY))
        url_text = display_url(page_url(office, lang, online.value))
        ops.append(TextOp(col_x, 234, url_text, bold, fit_size(url_text, bold, 11, col_w), RED))

    # -- rewards and confidentiality -----------------------------------------------------
    half = (full_w - 4) / 2
    reward = content.reward
    boxes = (
        (words.rewards_title(lang), reward.highlight(lang), [p(lang) for p in reward.points]),
        (words.confidentiality_title(lang), "", [content.confidentiality.promise(lang)]),
    )
    for i, (title, highlight, lines) in enumerate(boxes):
        x = MARGIN + i * (half + 4)
        ops.append(RectOp(x, 240, half, 24, PALE, radius=2))
        ops.append(RectOp(x, 240, 1.6, 24, RED))
        ops.append(TextOp(x + 4, 246, title, bold, 11.5, RED))
        if highlight:
            start = x + 4 + width_mm(title, bold, 11.5) + 3
            ops.append(
                TextOp(
                    start,
                    246,
                    highlight,
                    bold,
                    fit_size(highlight, bold, 11.5, x + half - 3 - start),
                    INK,
                )
            )
        y = 251.5
        body_size = 8.6 if zh else 7.8
        for text in lines:
            y = _paragraph(ops, text, x + 4, y, half - 7, regular, body_size, INK, 4.3, 3)

    # -- footer: other channels, issuer --------------------------------------------------
    ops.append(RectOp(-bleed, 267, A4_WIDTH + 2 * bleed, 30 + bleed, DEEP_RED))
    title = words.channels_title(lang)
    ops.append(TextOp(MARGIN, 272, title, bold, 8, YELLOW))
    offset = width_mm(title, bold, 8) + 2.5
    lines = wrap(_channel_line(office, content, lang), regular, 7.3, full_w - offset)
    if len(lines) > 3:
        raise LayoutOverflow(_channel_line(office, content, lang), len(lines), 3)
    for i, line in enumerate(lines):
        ops.append(TextOp(MARGIN + offset, 272 + i * 3.4, line, regular, 7.3, WHITE))
    ops.append(TextOp(A4_WIDTH - MARGIN, 285, words.issued_by(lang), regular, 7.3, WHITE, "right"))
    if variant.sample:
        _sample_banner(ops, bleed, bold)

    title_text = f"{office.office.platform_name if zh else office.office.platform_name_en}"
    strings = tuple(op.text for op in ops if isinstance(op, TextOp))
    for text in strings:
        fonts.require_glyphs(text, regular)
    return Template(
        variant=variant,
        ops=tuple(ops),
        place_label=words.place_label(lang),
        code_label=words.code_label(lang),
        title=f"{title_text} · {variant.issuer} · {variant.size.upper()}",
        author=office.office.name if zh else office.office.name_en,
        strings=strings,
    )


def scale_of(size: PaperSize) -> float:
    return PAPER_MM[size][0] / A4_WIDTH


def footer_text(template: Template, spec: PosterSpec) -> str:
    sep = "：" if template.variant.lang == "zh" else ": "
    return f"{template.place_label}{sep}{spec.place}　　{template.code_label}{sep}{spec.code}"


class Painter:
    """Replays drawing operations on a canvas whose user space is the A4 design in mm."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas

    @staticmethod
    def _y(top: float) -> float:
        return float((A4_HEIGHT - top) * mm)

    def draw(self, op: Op) -> None:
        c = self.canvas
        if isinstance(op, TextOp):
            c.setFillColor(op.colour)
            c.setFont(op.font, op.size)
            x, y = op.x * mm, self._y(op.y)
            if op.align == "left":
                c.drawString(x, y, op.text)
            elif op.align == "centre":
                c.drawCentredString(x, y, op.text)
            else:
                c.drawRightString(x, y, op.text)
        elif isinstance(op, RectOp):
            args = (op.x * mm, self._y(op.y + op.h), op.w * mm, op.h * mm)
            if op.stroke:
                c.setStrokeColor(op.colour)
                c.setLineWidth(op.stroke * mm)
                fill, stroke = 0, 1
            else:
                c.setFillColor(op.colour)
                fill, stroke = 1, 0
            if op.radius:
                c.roundRect(*args, op.radius * mm, stroke=stroke, fill=fill)
            else:
                c.rect(*args, stroke=stroke, fill=fill)
        elif isinstance(op, PolygonOp):
            path = c.beginPath()
            first, *rest = op.points
            path.moveTo(first[0] * mm, self._y(first[1]))
            for px, py in rest:
                path.lineTo(px * mm, self._y(py))
            path.close()
            c.setFillColor(op.colour)
            if op.round_join_mm:
                c.saveState()
                c.setStrokeColor(op.colour)
                c.setLineWidth(op.round_join_mm * mm)
                c.setLineJoin(1)
                c.drawPath(path, stroke=1, fill=1)
                c.restoreState()
            else:
                c.drawPath(path, stroke=0, fill=1)
        else:
            c.setFillColor(op.colour)
            c.circle(op.x * mm, self._y(op.y), op.r * mm, stroke=0, fill=1)


def new_canvas(target: io.BytesIO | str, size: PaperSize, title: str, author: str) -> Canvas:
    """A canvas with bleed, trim and bleed boxes; the CJK font is its initial font."""
    regular, _ = fonts.register_fonts()
    width, height = PAPER_MM[size]
    bleed = BLEED_MM * mm
    page_w, page_h = width * mm + 2 * bleed, height * mm + 2 * bleed
    canvas = Canvas(
        target,
        pagesize=(page_w, page_h),
        initialFontName=regular,
        pageCompression=1,
        invariant=True,
    )
    canvas.setTrimBox((bleed, bleed, page_w - bleed, page_h - bleed))
    canvas.setBleedBox((0, 0, page_w, page_h))
    canvas.setTitle(title)
    canvas.setAuthor(author)
    canvas.setCreator("jubao posters")
    return canvas


def begin_design_space(canvas: Canvas, size: PaperSize) -> None:
    """Move the origin to the trim corner and scale the A4 design to the paper."""
    canvas.translate(BLEED_MM * mm, BLEED_MM * mm)
    factor = scale_of(size)
    canvas.scale(factor, factor)


def _draw_static(canvas: Canvas, template: Template) -> None:
    canvas.saveState()
    begin_design_space(canvas, template.variant.size)
    painter = Painter(canvas)
    for op in template.ops:
        painter.draw(op)
    canvas.restoreState()


def _draw_personal(
    canvas: Canvas, template: Template, spec: PosterSpec, symbol: qr.QrSymbol
) -> None:
    """What differs between two posters of one design: the QR code and the footer line."""
    regular, _ = fonts.register_fonts()
    canvas.saveState()
    begin_design_space(canvas, template.variant.size)
    canvas.addLiteral(
        qr.pdf_operators(symbol, MARGIN * mm, Painter._y(QR_TOP + QR_SIDE), QR_SIDE * mm)
    )
    Painter(canvas).draw(TextOp(MARGIN, 285, footer_text(template, spec), regular, 7.3, YELLOW))
    canvas.restoreState()


def draw_page(canvas: Canvas, template: Template, spec: PosterSpec, symbol: qr.QrSymbol) -> None:
    """One poster page: the template's operations, then the QR and the footer details."""
    _draw_static(canvas, template)
    _draw_personal(canvas, template, spec, symbol)
    canvas.showPage()


def render_poster(template: Template, spec: PosterSpec) -> bytes:
    """The PDF bytes of one poster."""
    regular, _ = fonts.register_fonts()
    footer = footer_text(template, spec)
    fonts.require_glyphs(footer, regular)
    symbol = qr.encode(spec.url)
    buffer = io.BytesIO()
    canvas = new_canvas(buffer, template.variant.size, template.title, template.author)
    canvas.setSubject(spec.code)
    draw_page(canvas, template, spec, symbol)
    canvas.save()
    return buffer.getvalue()


def render_combined(pages: list[tuple[Template, PosterSpec]], target: Path) -> Path:
    """All posters of a batch as one multi-page PDF, for a print shop.

    Each design is drawn once as a Form XObject and every page only references it, then
    adds its own QR code and footer; the font is embedded once for the whole file, so
    the file is a small fraction of the separate PDFs together.
    """
    if not pages:
        raise ValueError("no pages")
    first = pages[0][0]
    canvas = new_canvas(str(target), first.variant.size, first.title, first.author)
    forms: dict[Variant, str] = {}
    for template, spec in pages:
        fonts.require_glyphs(footer_text(template, spec))
        name = forms.get(template.variant)
        if name is None:
            name = forms[template.variant] = f"design{len(forms)}"
            canvas.beginForm(name)
            _draw_static(canvas, template)
            canvas.endForm()
        canvas.doForm(name)
        _draw_personal(canvas, template, spec, qr.encode(spec.url))
        canvas.showPage()
    canvas.save()
    return target


class Designer:
    """Builds each variant's template once and keeps it (a batch has few variants)."""

    def __init__(self, office: OfficeConfig, content: Content) -> None:
        self.office = office
        self.content = content
        self._templates: dict[Variant, Template] = {}

    def template(self, variant: Variant) -> Template:
        if variant not in self._templates:
            self._templates[variant] = build_template(variant, self.office, self.content)
        return self._templates[variant]
