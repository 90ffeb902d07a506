"""Convert Noto Sans CJK SC (CFF outlines) into the TrueType font the posters embed.

Why this exists: reportlab can only embed TrueType (``glyf``) outlines, and every Noto CJK
file Debian or PyPI ships is CFF. This one-time tool takes the Simplified-Chinese face of
Debian's ``fonts-noto-cjk`` collection, keeps the blocks a poster can need (Latin,
punctuation, symbols, every CJK ideograph block the font covers, full/half-width forms),
drops OpenType layout (reportlab does no shaping, so the JP/KR/TC ``locl`` alternates are
dead weight) and converts the cubic outlines to quadratic ones, following fontTools'
``Snippets/otf2ttf.py``. The result is renamed "Jubao Sans SC" so it is never mistaken
for an upstream Noto build (OFL-1.1 allows Modified Versions; the Reserved Font Name
"Source" is not used). It also writes ``OFL.txt`` with the font's own copyright line.

Run once per weight, then commit the output (see posters/fonts/README.md)::

    uv run python -m posters.tools.prepare_font \
        /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc Regular posters/fonts
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from fontTools import subset  # type: ignore[import-untyped]
from fontTools.pens.cu2quPen import Cu2QuPen  # type: ignore[import-untyped]
from fontTools.pens.ttGlyphPen import TTGlyphPen  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont, newTable  # type: ignore[import-untyped]

FAMILY = "Jubao Sans SC"
FILE_STEM = "JubaoSansSC"
SC_FACE_INDEX = 2  # face order in NotoSansCJK-*.ttc: JP, KR, SC, TC, HK
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")

# Inclusive code-point ranges kept in the poster font.
KEPT_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x017F),  # Latin-1 supplement, Latin Extended-A
    (0x02C6, 0x02DD),  # spacing modifiers (ˇ ˉ used in pinyin tone marks)
    (0x0391, 0x03C9),  # Greek (μ, Ω in units)
    (0x2000, 0x206F),  # General Punctuation
    (0x20A0, 0x20CF),  # currency
    (0x2100, 0x218F),  # letterlike symbols, number forms (℃, №, Ⅰ)
    (0x2190, 0x21FF),  # arrows
    (0x2200, 0x22FF),  # mathematical operators
    (0x2460, 0x24FF),  # enclosed alphanumerics (①)
    (0x2500, 0x25FF),  # box drawing, blocks, geometric shapes (●, ■, ▲)
    (0x2600, 0x27BF),  # miscellaneous symbols, dingbats (☎, ★, ✓)
    (0x3000, 0x303F),  # CJK Symbols and Punctuation
    (0x3200, 0x33FF),  # enclosed CJK, CJK compatibility (㎡)
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0xFE10, 0xFE1F),  # vertical forms
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth Forms
    (0x20000, 0x3134F),  # Extensions B-G: whatever rare place-name characters the font has
)


def kept_codepoints() -> list[int]:
    return [cp for low, high in KEPT_RANGES for cp in range(low, high + 1)]


def _subset(font: TTFont) -> None:
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.hinting = False
    options.desubroutinize = True
    options.drop_tables += ["VORG", "vhea", "vmtx", "BASE", "GSUB", "GPOS", "GDEF", "JSTF"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=kept_codepoints())
    subsetter.subset(font)


def _cff_to_glyf(font: TTFont, max_err: float = 1.0) -> None:
    """Replace cubic CFF outlines with quadratic glyf ones (fontTools' otf2ttf recipe)."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err, reverse_direction=True))
        glyphs[name] = pen.glyph()

    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    glyf.compile(font)
    for name in glyph_order:  # advance widths stay; left side bearings follow the new boxes
        advance, _ = font["hmtx"][name]
        glyph = glyf[name]
        font["hmtx"][name] = (advance, getattr(glyph, "xMin", 0))

    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr, value in (
        ("maxZones", 1),
        ("maxTwilightPoints", 0),
        ("maxStorage", 0),
        ("maxFunctionDefs", 0),
        ("maxInstructionDefs", 0),
        ("maxStackElements", 0),
        ("maxSizeOfInstructions", 0),
        (
            "maxComponentElements",
            max((len(g.components) if hasattr(g, "components") else 0) for g in glyphs.values()),
        ),
    ):
        setattr(maxp, attr, value)
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 3.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = None
    font.sfntVersion = "\x00\x01\x00\x00"


def _rename(font: TTFont, weight: str) -> None:
    names = font["name"]
    full = f"{FAMILY} {weight}" if weight != "Regular" else FAMILY
    postscript = f"{FILE_STEM}-{weight}"
    for record in list(names.names):
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID in (2, 17):
            record.string = weight
        elif record.nameID == 3:
            record.string = f"{postscript};converted from Noto Sans CJK SC"
        elif record.nameID == 4:
            record.string = full
        elif record.nameID == 6:
            record.string = postscript
    names.names = [r for r in names.names if r.nameID not in (16, 17)]


def write_licence(font: TTFont, out_dir: Path) -> Path:
    """OFL.txt: the font's copyright line(s) followed by the OFL-1.1 text Debian ships."""
    copyright_line = font["name"].getDebugName(0) or ""
    text = DEBIAN_COPYRIGHT.read_text(encoding="utf-8")
    start = text.index("\nLicense: SIL-1.1\n ") + 1  # the stand-alone licence paragraph
    body_lines = []
    for line in text[start:].splitlines()[1:]:
        if line and not line.startswith(" "):
            break
        stripped = line[1:] if line.startswith(" ") else line
        body_lines.append("" if stripped == "." else stripped)
    header = (
        f"{copyright_line}\n"
        "Upstream: Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name\n"
        "'Source'. Noto is a trademark of Google Inc.\n\n"
        f"{FAMILY} is a Modified Version of Noto Sans CJK SC (converted to TrueType outlines\n"
        "and subset by posters/tools/prepare_font.py). It does not use the Reserved Font Name.\n\n"
    )
    path = out_dir / "OFL.txt"
    path.write_text(header + "\n".join(body_lines).strip() + "\n", encoding="utf-8")
    return path


def convert(source: Path, weight: str, out_dir: Path) -> Path:
    started = time.monotonic()
    font = TTFont(source, fontNumber=SC_FACE_INDEX, lazy=False)
    _subset(font)
    _cff_to_glyf(font)
    _rename(font, weight)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{FILE_STEM}-{weight}.ttf"
    font.save(target)
    write_licence(font, out_dir)
    size_mb = target.stat().st_size / 1e6
    print(
        f"{target}: {len(font.getGlyphOrder())} glyphs, {size_mb:.2f} MB, "
        f"{time.monotonic() - started:.0f} s"
    )
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="NotoSansCJK-<Weight>.ttc from fonts-noto-cjk")
    parser.add_argument("weight", choices=["Regular", "Bold"])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args(argv)
    convert(args.source, args.weight, args.out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
