"""A platypus Paragraph whose Chinese lines break by the rules of ``posters.textfit``.

Why a subclass: the brochure wants everything platypus gives a paragraph (frames, page
splitting, bullets, mixed fonts, KeepTogether), but ``wordWrap="CJK"`` breaks lines with
reportlab's splitter, which lets "，", "：" or "》" start a line (see ``posters.textfit``).
Only the choice of break points is replaced: the lines are still built and drawn by
reportlab (``makeCJKParaLine``), so measuring and drawing cannot disagree.
"""

from __future__ import annotations

from typing import Any

from reportlab.platypus.paragraph import (
    Paragraph,
    ParaLines,
    _handleBulletWidth,
    cjkU,
    makeCJKParaLine,
)

from .textfit import break_spans


class RuledParagraph(Paragraph):  # type: ignore[misc]  # reportlab has no type hints
    """A paragraph in ``wordWrap="CJK"`` mode with the Chinese line-breaking rules."""

    def breakLinesCJK(self, maxWidths: Any) -> Any:  # noqa: N802, N803  # reportlab's names
        frags = self.frags
        if any(hasattr(f, "cbDefn") or hasattr(f, "lineBreak") for f in frags):
            return super().breakLinesCJK(maxWidths)  # images, <br/>: not used here
        if hasattr(self, "blPara") and getattr(self, "_splitpara", False):
            return self.blPara  # the second half of a split keeps the lines it was given
        widths = list(maxWidths) if isinstance(maxWidths, (list, tuple)) else [maxWidths]
        self.height = 0
        _handleBulletWidth(self.bulletText, self.style, widths)  # first line: the bullet
        glyphs = [cjkU(char, frag, "utf8") for frag in frags for char in frag.text]
        text = "".join(glyphs)
        auto = getattr(self, "autoLeading", getattr(self.style, "autoLeading", ""))
        calc_bounds = auto not in ("", "off")
        lines = []
        for number, (start, end) in enumerate(break_spans(text, [g.width for g in glyphs], widths)):
            limit = widths[min(number, len(widths) - 1)]
            used = sum(g.width for g in glyphs[start:end])
            lines.append(
                makeCJKParaLine(glyphs[start:end], limit, used, limit - used, False, calc_bounds)
            )
        return ParaLines(kind=1, lines=lines)
