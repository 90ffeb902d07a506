"""The page itself: line breaking, the one-path QR, print boxes, CMYK-only colour."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from chalicelib.config.office import OfficeConfig
from posters import fonts, qr
from posters.content import Content
from posters.layout import (
    BLEED_MM,
    PAPER_MM,
    Designer,
    PosterSpec,
    Variant,
    region_display_name,
    render_poster,
)
from posters.textfit import NO_LINE_START, width_mm, wrap

MM = 72 / 25.4
words = st.text(alphabet="安全生产举报隐患奖励保密，。、（）abc XYZ 12350", min_size=1, max_size=80)


@settings(max_examples=80, deadline=None)
@given(text=words, width=st.floats(15, 120))
def test_wrapping_keeps_every_character_and_fits(text: str, width: float) -> None:
    regular, _ = fonts.register_fonts()
    lines = wrap(text, regular, 9, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for line in lines:
        assert len(line) <= 1 or width_mm(line, regular, 9) <= width + 1e-6
    for line in lines[1:]:
        if line and line[0] in NO_LINE_START:
            # only allowed when the previous line could not take it (a forced split)
            assert width_mm(lines[lines.index(line) - 1] + line[0], regular, 9) > width


@pytest.mark.parametrize(
    "url",
    [
        "https://jubao.example.gov.cn/report/?src=340104-c0012.AbCdEfGhIjK",
        "https://jubao.example.gov.cn/report/?src=340000-r.AbCdEfGhIjK",
    ],
)
def test_qr_is_one_path_of_exactly_the_dark_modules(url: str) -> None:
    symbol = qr.encode(url)
    ops = qr.pdf_operators(symbol, 10, 20, 283)
    assert ops.count(" re f") == 1 and ops.rstrip().endswith("f Q")  # quiet zone, then modules
    assert "0 0 0 1 k" in ops  # 100 % K, no rich black
    n = symbol.modules
    rebuilt = [[False] * n for _ in range(n)]
    for x, y, length in re.findall(r"^(\d+) (\d+) (\d+) 1 re$", ops, flags=re.M):
        row = n - 1 - (int(y) - qr.QUIET_ZONE)
        for col in range(int(x) - qr.QUIET_ZONE, int(x) - qr.QUIET_ZONE + int(length)):
            assert not rebuilt[row][col], "overlapping runs"
            rebuilt[row][col] = True
    assert tuple(tuple(r) for r in rebuilt) == symbol.rows
    total = symbol.modules_with_quiet_zone
    assert f"0 0 {total} {total} re f" in ops


@pytest.fixture(scope="module")
def designer(office: OfficeConfig, content: Content) -> Designer:
    return Designer(office, content)


@pytest.mark.parametrize(("lang", "size"), [("zh", "a4"), ("zh", "a3"), ("en", "a4")])
def test_print_boxes_vector_qr_and_cmyk_only(
    designer: Designer, office: OfficeConfig, lang: str, size: str
) -> None:
    region = office.regions_by_code["340104"]
    variant = Variant(lang, size, region_display_name(region, office, lang))  # type: ignore[arg-type]
    spec = PosterSpec(
        variant,
        office.site.report_url + "?src=340104-c0001.AAAAAAAAAAA",
        "340104-c0001",
        "花园社区",
    )
    page = PdfReader(io.BytesIO(render_poster(designer.template(variant), spec))).pages[0]
    width_mm, height_mm = PAPER_MM[size]  # type: ignore[index]
    trim = [float(v) / MM for v in page.trimbox]
    assert trim == pytest.approx(
        [BLEED_MM, BLEED_MM, BLEED_MM + width_mm, BLEED_MM + height_mm], abs=0.01
    )
    media = [float(v) / MM for v in page.mediabox]
    assert media == pytest.approx(
        [0, 0, width_mm + 2 * BLEED_MM, height_mm + 2 * BLEED_MM], abs=0.01
    )
    assert [float(v) for v in page.bleedbox] == [float(v) for v in page.mediabox]
    resources = page["/Resources"].get_object()
    assert isinstance(resources, DictionaryObject)
    assert "/XObject" not in resources, "the QR must be vector paths, not an image"
    contents = page.get_contents()
    assert contents is not None
    stream = contents.get_data().decode("latin-1")
    assert not re.search(r"(^|\s)(rg|RG|g|G|sc|scn)\s*$", stream, flags=re.M), "non-CMYK colour"
    assert re.search(r"\bk\b", stream)


def test_templates_are_built_once_per_design(designer: Designer, office: OfficeConfig) -> None:
    variant = Variant("zh", "a4", "合肥市")
    assert designer.template(variant) is designer.template(Variant("zh", "a4", "合肥市"))
    assert designer.template(variant) is not designer.template(Variant("zh", "a3", "合肥市"))


def test_a_place_name_the_font_lacks_is_refused(designer: Designer, office: OfficeConfig) -> None:
    variant = Variant("zh", "a4", "合肥市")
    spec = PosterSpec(
        variant, office.site.report_url + "?src=340100-r.AAAAAAAAAAA", "340100-r", "한국"
    )
    with pytest.raises(fonts.MissingGlyphError):
        render_poster(designer.template(variant), spec)
