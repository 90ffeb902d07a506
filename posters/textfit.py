"""Line breaking and size fitting for mixed Chinese/Latin text, by the Chinese rules.

One breaker serves both the poster canvas (``wrap``) and the brochure's paragraphs
(``break_spans``, used by ``posters.cjkparagraph``), so printed Chinese breaks the same
way everywhere: between any two Chinese characters, Latin text only at spaces (a URL or
an e-mail address is one unbreakable word), no closing punctuation (，。：》…) at the
start of a line and no opening punctuation (（《「…) at its end (GB/T 15834, the
"避头尾" rules).

Why not reportlab's own helpers: ``reportlab.lib.textsplit.kinsokuShoriSplit`` is marked
"NOT USED OR FINISHED YET" and never returns, ``cjkwrap`` is Python 2 code (``reduce``,
``str(text, encoding)``) that counts characters instead of measuring them, and the
``wordWrap="CJK"`` paragraph splitter only knows the half-width closers of
``ALL_CANNOT_START`` (no ，：；！？》), hangs at most one of them, and ignores the
line-end rule, which is how the brochure printed "认定/：", "场所/，" and "试行）/》".
Their character classes are still the base of ours (``NO_LINE_START`` and
``NO_LINE_END`` extend them with the full-width marks they lack).
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.textsplit import ALL_CANNOT_END, ALL_CANNOT_START
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

NO_LINE_START = frozenset(ALL_CANNOT_START + "，。、；：！？）》」』】〉〕”’,.;:!?)]}%…—～·")
NO_LINE_END = frozenset(ALL_CANNOT_END + "（《「『【〈〔“‘([{")
SPACES = " \u3000"  # the ASCII and the ideographic space: break here, drop at line ends
Span = tuple[int, int]


def _is_wide(char: str) -> bool:
    return ord(char) >= 0x2E80 and char not in SPACES


def has_wide(text: str) -> bool:
    """Whether ``text`` holds Chinese characters or full-width punctuation."""
    return any(_is_wide(char) for char in text)


def _is_latin(char: str) -> bool:
    return not _is_wide(char) and char not in SPACES


def piece_spans(text: str) -> list[Span]:
    """Unbreakable pieces as [start, end) spans, each with its trailing spaces.

    A piece is one Chinese character or one run of Latin characters (a word, a number, a
    URL), with closing punctuation glued to the piece before it and opening punctuation
    glued to the piece after it.
    """
    raw: list[Span] = []
    i, n = 0, len(text)
    while i < n:
        start = i
        if _is_latin(text[i]):
            while i < n and _is_latin(text[i]):
                i += 1
        elif _is_wide(text[i]):
            i += 1
        while i < n and text[i] in SPACES:
            i += 1
        raw.append((start, i))
    merged: list[Span] = []
    for start, end in raw:
        if merged and _glues(text, merged[-1], start):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _glues(text: str, previous: Span, start: int) -> bool:
    """Whether the piece at ``start`` may not be separated from ``previous``.

    A closer never starts a line and an opener never ends one, spaces or not.
    """
    if text[start] in NO_LINE_START:
        return True
    before = text[previous[0] : previous[1]].rstrip(SPACES)
    return before[-1:] in NO_LINE_END and before != ""


def break_spans(text: str, widths: Sequence[float], max_widths: Sequence[float]) -> list[Span]:
    """Greedy line breaking of ``text`` (one width per character) into line spans.

    Line ``k`` may be ``max_widths[k]`` wide (the last entry for all further lines).
    Spaces at a break belong to neither line. A piece wider than a whole line is cut
    between characters, the only case in which a rule gives way.
    """
    if not max_widths:
        raise ValueError("no line width")
    lines: list[Span] = []
    start = end = 0  # the current line so far, without its trailing spaces
    used = 0.0  # its width up to ``end``
    pending = 0.0  # the width of the spaces after ``end``

    def limit() -> float:
        return max_widths[min(len(lines), len(max_widths) - 1)] + 1e-6

    for piece_start, piece_end in piece_spans(text):
        body_end = piece_start + len(text[piece_start:piece_end].rstrip(SPACES))
        body = sum(widths[piece_start:body_end])
        if end == start:  # nothing on this line yet: leading spaces are dropped
            start, used = piece_start, 0.0
        elif used + pending + body > limit():
            lines.append((start, end))
            start, used = piece_start, 0.0
        else:
            used += pending
        position = piece_start
        while used + body > limit() and body_end - position > 1:  # cut a too-wide piece
            cut, width = position + 1, widths[position]
            while cut < body_end - 1 and width + widths[cut] <= limit():
                width += widths[cut]
                cut += 1
            lines.append((start, cut))
            body -= width
            start = position = cut
        end = body_end
        used += body
        pending = sum(widths[body_end:piece_end])
    if end > start or not lines:
        lines.append((start, end))
    return lines


def width_mm(text: str, font: str, size: float) -> float:
    return float(stringWidth(text, font, size)) / float(mm)


def wrap(text: str, font: str, size: float, max_width_mm: float) -> list[str]:
    """The lines of ``text`` at ``size`` points in ``max_width_mm`` ("\\n" forces a break)."""
    limit = max_width_mm * float(mm)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        widths = [float(stringWidth(char, font, size)) for char in paragraph]
        lines += [paragraph[a:b] for a, b in break_spans(paragraph, widths, [limit])]
    return lines


def fit_size(text: str, font: str, max_size: float, max_width_mm: float) -> float:
    """The largest size up to ``max_size`` at which ``text`` fits on one line."""
    natural = width_mm(text, font, max_size)
    if natural <= max_width_mm:
        return max_size
    return max_size * max_width_mm / natural
