"""The one CJK font every poster embeds, and a coverage check before anything is drawn.

Why a vendored TrueType font: reportlab embeds only ``glyf`` outlines (every Noto CJK build
is CFF), and a PDF must print on machines with no Chinese fonts, so the font travels inside
each PDF as a subset. Why the coverage check: reportlab silently drops characters the font
lacks, so a rare character in a place name would vanish from a printed poster without it.
"""

from __future__ import annotations

import zlib
from functools import cache
from pathlib import Path
from typing import Any

from reportlab import rl_config
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import FF_NONSYMBOLIC, FF_SYMBOLIC, TTFont, TTFontFace

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = "JubaoSansSC"
BOLD = "JubaoSansSC-Bold"
_FILES = {REGULAR: "JubaoSansSC-Regular.ttf", BOLD: "JubaoSansSC-Bold.ttf"}
# Characters never drawn as glyphs (line breaks are layout, not text).
_NOT_DRAWN = frozenset("\n\r\t")


class _SubsetCachingFace(TTFontFace):  # type: ignore[misc]  # reportlab is untyped
    """A font face that builds and compresses each distinct glyph subset only once.

    Why: every poster of a batch is its own PDF, so reportlab would cut the same subset
    out of a 10 MB font and deflate it again for each of a thousand files, although the
    static text of a design always yields the same subsets. The cache key is the exact
    code-point list, so a different subset can never be served by mistake. Everything
    else (descriptor, metrics) is reportlab's, as in ``TTFontFace.addSubsetObjects``.
    """

    _programs: dict[tuple[int, ...], tuple[bytes, int]]
    CACHE_LIMIT = 256

    def addSubsetObjects(self, doc: Any, fontname: str, subset: list[int]) -> Any:  # noqa: N802
        key = tuple(subset)
        programs = self.__dict__.setdefault("_programs", {})
        if key not in programs:
            if len(programs) >= self.CACHE_LIMIT:
                programs.clear()
            raw = self.makeSubset(subset)
            programs[key] = (zlib.compress(raw), len(raw))
        compressed, length = programs[key]
        font_file = pdfdoc.PDFStream(content=compressed)
        font_file.dictionary["Length1"] = length
        font_file.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        file_ref = doc.Reference(font_file, f"fontFile:{self.filename}({fontname})")
        flags = (self.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": self.ascent,
                "CapHeight": self.capHeight,
                "Descent": self.descent,
                "Flags": flags,
                "FontBBox": pdfdoc.PDFArray(self.bbox),
                "FontName": pdfdoc.PDFName(fontname),
                "ItalicAngle": self.italicAngle,
                "StemV": self.stemV,
                "FontFile2": file_ref,
                "MissingWidth": self.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + fontname)


@cache
def register_fonts() -> tuple[str, str]:
    """Load both weights once per process (about 0.6 s); returns (regular, bold) names.

    Also switches off reportlab's ASCII85 stream encoding for this process: binary
    streams are a fifth smaller and cheaper to write, and every PDF reader takes them.
    """
    rl_config.useA85 = 0
    for name, filename in _FILES.items():
        font = TTFont(name, str(FONT_DIR / filename))
        font.face.__class__ = _SubsetCachingFace  # same data, cached subset programs
        pdfmetrics.registerFont(font)
    return REGULAR, BOLD


@cache
def _covered_codepoints(font_name: str) -> frozenset[int]:
    register_fonts()
    font = pdfmetrics.getFont(font_name)
    return frozenset(font.face.charToGlyph)


def missing_glyphs(text: str, font_name: str = REGULAR) -> list[str]:
    """Characters of ``text`` the font cannot draw, in order of first appearance."""
    covered = _covered_codepoints(font_name)
    missing: list[str] = []
    for char in text:
        if char in _NOT_DRAWN or ord(char) in covered or char in missing:
            continue
        missing.append(char)
    return missing


class MissingGlyphError(ValueError):
    """A string to be printed has characters the embedded font lacks."""

    def __init__(self, text: str, missing: list[str]) -> None:
        self.text = text
        self.missing = missing
        shown = " ".join(f"{c!r} (U+{ord(c):04X})" for c in missing)
        super().__init__(f"字体缺少字符 / font lacks characters: {shown}")


def require_glyphs(text: str, font_name: str = REGULAR) -> None:
    missing = missing_glyphs(text, font_name)
    if missing:
        raise MissingGlyphError(text, missing)


def printable(text: str, font_name: str = REGULAR) -> str:
    """``text`` with characters the font lacks shown as □ (for lists and error messages)."""
    missing = set(missing_glyphs(text, font_name))
    return "".join("□" if c in missing else c for c in text) if missing else text
