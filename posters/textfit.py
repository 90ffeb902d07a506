"""Line breaking and size fitting for mixed Chinese/Latin text on a reportlab canvas.

Why not platypus paragraphs: the poster's static text is laid out once per design and then
replayed for a thousand posters, so the breaking must be a plain function of (text, font,
size, width). Chinese breaks between any two characters, Latin only at spaces, and the
usual line-start/line-end rules (no "，" at the start of a line, no "（" at its end) apply.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

NO_LINE_START = frozenset("，。、；：！？）》」』】〉”’,.;:!?)]}%…—～·")
NO_LINE_END = frozenset("（《「『【〈“‘([{")


def _is_wide(char: str) -> bool:
    return ord(char) >= 0x2E80


def tokens(text: str) -> list[str]:
    """Unbreakable pieces: single wide characters, Latin words with their trailing spaces."""
    pieces: list[str] = []
    word = ""
    for char in text:
        if char == " ":
            word += char
            pieces.append(word)
            word = ""
        elif _is_wide(char) or char in NO_LINE_START or char in NO_LINE_END:
            if word:
                pieces.append(word)
                word = ""
            pieces.append(char)
        else:
            word += char
    if word:
        pieces.append(word)
    merged: list[str] = []
    glue_next = False
    for piece in pieces:
        if merged and (glue_next or piece[0] in NO_LINE_START):
            merged[-1] += piece
        else:
            merged.append(piece)
        glue_next = piece.rstrip() != "" and piece.rstrip()[-1] in NO_LINE_END
    return merged


def width_mm(text: str, font: str, size: float) -> float:
    return float(stringWidth(text, font, size)) / float(mm)


def wrap(text: str, font: str, size: float, max_width_mm: float) -> list[str]:
    """Greedy line breaking; a piece wider than a whole line is split by characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for piece in tokens(paragraph):
            candidate = line + piece
            if not line or width_mm(candidate.rstrip(), font, size) <= max_width_mm:
                line = candidate
            else:
                lines.append(line.rstrip())
                line = piece.lstrip()
            while width_mm(line.rstrip(), font, size) > max_width_mm and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and width_mm(line[:cut], font, size) > max_width_mm:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line.rstrip())
    return lines


def fit_size(text: str, font: str, max_size: float, max_width_mm: float) -> float:
    """The largest size up to ``max_size`` at which ``text`` fits on one line."""
    natural = width_mm(text, font, max_size)
    if natural <= max_width_mm:
        return max_size
    return max_size * max_width_mm / natural
