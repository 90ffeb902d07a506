"""Pagination of the folded brochure: a multiple of four pages, none of them near-empty.

Why: the brochure is printed on sheets folded once, four A5 pages to a sheet, so any
other page count leaves blank pages at the back, and a last page holding two lines looks
like a printing error. The type is first scaled a little (by at most 12 %, nearest first,
so the brochure keeps one design) until the text ends on a multiple of four pages
with a well-filled last page; if no scale does, the text keeps its natural size and
deliberate pages follow it: the record page (where a reporter copies the receipt code,
which the site shows only once) and, for a second or third page, a back cover with the
QR code and the hotline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

PAGES_PER_SHEET = 4
MIN_LAST_FILL = 0.4  # of the text frame's height, on the last page of text
# type scales to try, nearest to the natural size first
SCALES = (1.0, 0.97, 1.03, 0.94, 1.06, 0.91, 1.09, 0.88)

ExtraPage = Literal["record", "notes", "back"]


@dataclass(frozen=True)
class Pagination:
    """What one trial layout gave: its page count and how full its last page is."""

    pages: int
    last_fill: float  # 0..1 of the text frame on the last page


@dataclass(frozen=True)
class Plan:
    scale: float
    extra: tuple[ExtraPage, ...]


def extra_pages(count: int) -> tuple[ExtraPage, ...]:
    """The deliberate pages that complete the last sheet, the back cover last."""
    pages: dict[int, tuple[ExtraPage, ...]] = {
        0: (),
        1: ("record",),
        2: ("record", "back"),
        3: ("record", "notes", "back"),
    }
    return pages[count]


def plan(layout: Callable[[float], Pagination]) -> Plan:
    """Choose the type scale and the extra pages; ``layout`` sets the text at a scale."""
    trials: list[tuple[float, Pagination]] = []
    for scale in SCALES:  # nearest first, so the first that works is the one to take
        result = layout(scale)
        if result.pages % PAGES_PER_SHEET == 0 and result.last_fill >= MIN_LAST_FILL:
            return Plan(scale, ())
        trials.append((scale, result))
    filled = [(s, r) for s, r in trials if r.last_fill >= MIN_LAST_FILL] or trials[:1]
    scale, result = filled[0]
    return Plan(scale, extra_pages(-result.pages % PAGES_PER_SHEET))


class RuledLines(Flowable):  # type: ignore[misc]  # reportlab has no type hints
    """Labelled lines to write on, filling the rest of the frame (the record page).

    It takes all the height it is offered, so the page it is on is full by design.
    """

    def __init__(self, labels: list[str], font: str, size: float, colour: object) -> None:
        super().__init__()
        self.labels = labels
        self.font, self.size, self.colour = font, size, colour
        self.step = 11 * mm

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width, self.height = avail_width, max(avail_height, self.step)
        return self.width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.setStrokeColor(self.colour)
        canvas.setFillColor(self.colour)
        canvas.setLineWidth(0.4)
        canvas.setFont(self.font, self.size)
        rows = int(self.height // self.step)
        for row in range(rows):
            y = self.height - (row + 1) * self.step + 2 * mm
            if row < len(self.labels):
                canvas.drawString(0, y + 1.5 * mm, self.labels[row])
            canvas.line(0, y, self.width, y)
