"""The printable index of a batch: which poster goes where, with a column to sign for it.

Why a sheet as well as index.csv: posters are handed out on paper by grid workers, and the
office files the signed sheet. It also lists the rows that produced no poster, so a bad
CSV line is visible on paper, not only in a terminal.

A development batch (``BatchResult.sample``) bands every page of the sheet with the sample
banner, as it does every poster: a sheet listing sample posters must not be filed as the
office's either.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from chalicelib.config.office import OfficeConfig
from chalicelib.config.publishable import SAMPLE_BANNER_TEXT
from chalicelib.i18n import Lang

from . import fonts
from .batch import INDEX_PDF, BatchResult, PosterJob
from .content import Content
from .layout import BLACK, GREY, INK, PALE, RED, YELLOW
from .places import KIND_NAMES
from .textfit import fit_size, wrap

PAGE_W, PAGE_H = A4
LEFT, TOP, BOTTOM = 12 * mm, 14 * mm, 14 * mm
BANNER_H = 8 * mm  # the sample banner, in the top margin
ROW_H = 7.2 * mm
# (header zh, header en, width mm)
COLUMNS = (
    ("行", "Row", 10),
    ("张贴地点", "Place", 50),
    ("类型", "Kind", 13),
    ("地区", "Region", 30),
    ("人数", "People", 12),
    ("海报编号", "Poster code", 29),
    ("联系人", "Contact", 24),
    ("签收", "Received", 18),
)
BODY_SIZE = 7.5


class _Sheet:
    def __init__(self, path: Path, title: str, sample: bool = False) -> None:
        self.regular, self.bold = fonts.register_fonts()
        self.canvas = Canvas(
            str(path), pagesize=A4, initialFontName=self.regular, pageCompression=1, invariant=True
        )
        self.canvas.setTitle(title)
        self.sample = sample
        self.page = 1
        self.y = PAGE_H - TOP
        self.banner()

    def banner(self) -> None:
        """A development sheet's sample banner across the top of the page (in the margin)."""
        if not self.sample:
            return
        self.canvas.saveState()
        self.canvas.setFillColor(BLACK)
        self.canvas.rect(0, PAGE_H - BANNER_H, PAGE_W, BANNER_H, stroke=0, fill=1)
        self.canvas.setFillColor(YELLOW)
        size = fit_size(SAMPLE_BANNER_TEXT, self.bold, 9, (PAGE_W - 2 * LEFT) / mm)
        self.canvas.setFont(self.bold, size)
        self.canvas.drawCentredString(PAGE_W / 2, PAGE_H - 5.3 * mm, SAMPLE_BANNER_TEXT)
        self.canvas.restoreState()

    def text(
        self, x: float, y: float, s: str, size: float, bold: bool = False, colour: object = INK
    ) -> None:
        self.canvas.setFillColor(colour)
        self.canvas.setFont(self.bold if bold else self.regular, size)
        self.canvas.drawString(x, y, fonts.printable(s))

    def new_page(self) -> None:
        self.footer()
        self.canvas.showPage()
        self.page += 1
        self.y = PAGE_H - TOP
        self.banner()

    def footer(self) -> None:
        self.text(
            PAGE_W / 2 - 8 * mm, BOTTOM / 2, f"第 {self.page} 页 / page {self.page}", 7, colour=GREY
        )

    def need(self, height: float) -> bool:
        """Start a new page if ``height`` does not fit; True if it did."""
        if self.y - height < BOTTOM:
            self.new_page()
            return True
        return False


def _cells(job: PosterJob, office: OfficeConfig) -> list[str]:
    place = job.place
    code = job.choice.slug + ("（共用）" if job.choice.shared else "")
    return [
        str(place.row),
        place.name,
        KIND_NAMES[place.kind][0],
        office.regions_by_code[place.region].name,
        "" if place.people is None else str(place.people),
        code,
        place.contact,
        "",
    ]


def _header_row(sheet: _Sheet) -> None:
    sheet.canvas.setFillColor(RED)
    width = sum(c[2] for c in COLUMNS) * mm
    sheet.canvas.rect(LEFT, sheet.y - ROW_H, width, ROW_H, stroke=0, fill=1)
    x = LEFT
    for zh, en, w in COLUMNS:
        sheet.text(x + 1.2 * mm, sheet.y - 3.2 * mm, zh, 7.5, bold=True, colour=PALE)
        sheet.text(x + 1.2 * mm, sheet.y - 6.2 * mm, en, 5.5, colour=PALE)
        x += w * mm
    sheet.y -= ROW_H


def write_index_sheet(
    result: BatchResult, office: OfficeConfig, content: Content, lang: Lang = "zh"
) -> Path:
    """Write ``index.pdf`` into the batch directory."""
    path = result.out_dir / INDEX_PDF
    sheet = _Sheet(path, "海报批次清单 / Poster batch index", sample=result.sample)
    sheet.text(
        LEFT, sheet.y - 6 * mm, "海报批次清单 / Poster batch index", 15, bold=True, colour=RED
    )
    sheet.y -= 11 * mm
    made, failed = len(result.made), len(result.errors)
    summary = (
        f"{office.office.name} · {date.today().isoformat()} · 海报 {made} 张"
        f"（{'A3' if result.made and result.made[0].spec.variant.size == 'a3' else 'A4'}，"
        f"{'中文' if lang == 'zh' else 'English'}）· 未生成 {failed} 行"
        f" / {made} posters, {failed} rows not made"
    )
    sheet.text(LEFT, sheet.y, summary, 8.5)
    sheet.y -= 5 * mm
    threshold = office.posters.min_people_per_tag
    rule = (
        f"隐私规则：家庭海报、人数少于 {threshold} 人的场所和未填人数的企业，"
        "使用地区统一编号（“共用”）。编号只代表张贴地点，不代表任何个人。"
    )
    for line in wrap(rule, sheet.regular, 7.5, 186):
        sheet.text(LEFT, sheet.y, line, 7.5, colour=GREY)
        sheet.y -= 3.6 * mm
    sheet.y -= 2 * mm
    _header_row(sheet)
    widths = [c[2] for c in COLUMNS]
    for i, job in enumerate(result.made):
        if sheet.need(ROW_H):
            _header_row(sheet)
        if i % 2:
            sheet.canvas.setFillColor(PALE)
            sheet.canvas.rect(LEFT, sheet.y - ROW_H, sum(widths) * mm, ROW_H, stroke=0, fill=1)
        x = LEFT
        for text, w in zip(_cells(job, office), widths, strict=True):
            lines = wrap(text, sheet.regular, BODY_SIZE, w - 2.4) if text else []
            if len(lines) > 2:
                lines = [lines[0], lines[1][:-1] + "…"]
            base = sheet.y - (4.6 if len(lines) <= 1 else 3.0) * mm
            for j, line in enumerate(lines):
                sheet.text(x + 1.2 * mm, base - j * 3.0 * mm, line, BODY_SIZE)
            x += w * mm
        sheet.canvas.setStrokeColor(GREY)
        sheet.canvas.setLineWidth(0.2)
        sheet.canvas.line(LEFT, sheet.y - ROW_H, LEFT + sum(widths) * mm, sheet.y - ROW_H)
        sheet.y -= ROW_H
    if result.errors:
        sheet.y -= 5 * mm
        sheet.need(12 * mm)
        sheet.text(LEFT, sheet.y, "未生成的行 / Rows not made", 11, bold=True, colour=RED)
        sheet.y -= 6 * mm
        for error in result.errors:
            for line in wrap(str(error), sheet.regular, 7.5, 186):
                sheet.need(4 * mm)
                sheet.text(LEFT, sheet.y, line, 7.5)
                sheet.y -= 3.6 * mm
    sheet.footer()
    sheet.canvas.save()
    return path
