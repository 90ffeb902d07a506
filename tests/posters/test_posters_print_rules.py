"""What paper must get right (issue 11): addresses, languages, line breaks, whole sheets.

The default set (posters in every edition and both brochures) is built for the province
and one city, then read back with poppler (text lines with positions) and decoded with
zbar and zxing-cpp, the tools the other poster tests trust.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reportlab.lib.styles import ParagraphStyle

from chalicelib.config.office import OfficeConfig
from posters import booklet, brochure, fonts
from posters.cjkparagraph import RuledParagraph
from posters.content import Content
from posters.defaults import Manifest, build_defaults
from posters.textfit import NO_LINE_END, NO_LINE_START, width_mm, wrap
from tests.posters.pdf_text import Line, page_count, text_lines
from tests.posters.poster_helpers import Renderer, english_form, zbar_decode, zxing_decode

pytestmark = pytest.mark.slow

# what may not start a line (GB/T 15834), spelled out here rather than taken from textfit
CLOSERS = "，。、；：！？」』）》】〉〕”’,.;:!?)]}"
CJK = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]")
MM = 72 / 25.4


@pytest.fixture(scope="module")
def printed(
    tmp_path_factory: pytest.TempPathFactory, office: OfficeConfig, content: Content, tag_key: bytes
) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("print-rules")
    regions = [r for r in office.regions if r.level == "province" or r.code == "340100"]
    manifest = build_defaults(
        out, office, content, tag_key, processes=1, previews=False, regions=regions
    )
    return out, manifest


def _pdfs(printed: tuple[Path, Manifest]) -> list[Path]:
    out, manifest = printed
    return [out / p.pdf for p in manifest.posters] + [out / b for b in manifest.brochures.values()]


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_english_poster_and_brochure_qr_open_the_english_report_page(
    printed: tuple[Path, Manifest], renderer: Renderer, office: OfficeConfig, tmp_path: Path
) -> None:
    out, manifest = printed
    english = [p for p in manifest.posters if p.lang == "en"]
    assert english
    for poster in english:
        assert poster.url == f"{english_form(office)}?src={poster.tag}"
        png = renderer.png(out / poster.pdf, 100, tmp_path / f"{poster.id}.png")
        assert zbar_decode(png) == [poster.url] == zxing_decode(png)
    cover = renderer.png(out / manifest.brochures["en"], 110, tmp_path / "brochure-en.png")
    [url] = zxing_decode(cover)
    assert url.startswith(f"{english_form(office)}?src=")
    for poster in (p for p in manifest.posters if p.lang == "zh"):
        assert poster.url.startswith(f"{office.site.report_url}?src=")  # Chinese at the root


def test_english_posters_print_no_chinese(
    printed: tuple[Path, Manifest], renderer: Renderer
) -> None:
    out, manifest = printed
    for poster in (p for p in manifest.posters if p.lang == "en"):
        lines = text_lines(out / poster.pdf, renderer.env)
        footer = [line for line in lines if line.top > 267 * MM]
        assert footer, "the footer has text"
        chinese = [line.text for line in lines if CJK.search(line.text)]
        assert chinese == [], poster.id


def test_no_line_starts_with_closing_punctuation(
    printed: tuple[Path, Manifest], renderer: Renderer
) -> None:
    bad: list[tuple[str, int, str]] = []
    checked = 0
    for pdf in _pdfs(printed):
        for line in text_lines(pdf, renderer.env):
            checked += 1
            if line.text[:1] in CLOSERS:
                bad.append((pdf.name, line.page, line.text))
    assert checked > 300
    assert bad == []


def test_nothing_on_paper_says_this_site(
    printed: tuple[Path, Manifest], renderer: Renderer, office: OfficeConfig
) -> None:
    for pdf in _pdfs(printed):
        text = renderer.text(pdf)
        assert "本网站" not in _squeezed(text), pdf.name
        assert "this site" not in re.sub(r"\s+", " ", text).lower(), pdf.name
        assert office.site.public_url.split("//")[1].rstrip("/") in text, pdf.name


def _printed_urls(office: OfficeConfig) -> set[str]:
    """Every address paper shows, as it shows it (poster footers drop the scheme)."""
    full = {office.site.report_url, english_form(office)}
    full |= {c.value for c in office.channels if c.value.startswith(("http://", "https://"))}
    return full | {url.split("//", 1)[1] for url in full}


def test_no_url_is_split_across_lines(
    printed: tuple[Path, Manifest], renderer: Renderer, office: OfficeConfig
) -> None:
    urls = _printed_urls(office)
    seen = set()
    for pdf in _pdfs(printed):
        whole = _squeezed(renderer.text(pdf))
        lines = [_squeezed(line.text) for line in text_lines(pdf, renderer.env)]
        for url in urls:
            if url in whole:
                seen.add(url)
                assert any(url in line for line in lines), (pdf.name, url)
    national = next(c.value for c in office.channels if c.kind == "national")
    assert national.split("//", 1)[1] in seen  # the footer's long address was checked
    assert english_form(office).split("//", 1)[1] in seen


def _fill(lines: list[Line], page: int) -> float:
    """How far down the text frame (16 mm margins on A5) a page's text reaches."""
    height = 210 * MM
    frame_top, frame_bottom = 16 * MM, height - 16 * MM
    body = [line for line in lines if line.page == page and line.bottom < frame_bottom]
    if not body:
        return 0.0
    return (max(line.bottom for line in body) - frame_top) / (frame_bottom - frame_top)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_brochure_is_whole_folded_sheets_without_a_near_empty_page(
    printed: tuple[Path, Manifest], renderer: Renderer, lang: str
) -> None:
    out, manifest = printed
    pdf = out / manifest.brochures[lang]  # type: ignore[index]
    pages = page_count(pdf, renderer.env)
    assert pages % 4 == 0 and pages >= 4
    lines = text_lines(pdf, renderer.env)
    for page in range(1, pages + 1):
        assert any(line.page == page for line in lines), f"page {page} is blank"
    assert _fill(lines, pages) >= 0.4, "the last page is near-empty"


# -- the line breaker itself -------------------------------------------------------------

REPORTED = [  # the breaks the issue found in the brochure, each with the text around it
    "重大事故隐患按国务院有关部门制定的判定标准认定：",
    "到县级以上应急管理部门举报受理窗口或者人员密集场所，当面举报。",
    "《生产安全事故罚款处罚规定（试行）》第五条",
]


@pytest.mark.parametrize("text", REPORTED)
def test_reported_breaks_cannot_happen_at_any_width(text: str) -> None:
    regular, _ = fonts.register_fonts()
    style = ParagraphStyle("t", fontName=regular, fontSize=9.5, leading=14, wordWrap="CJK")
    full = width_mm(text, regular, 9.5)
    for tenth in range(150, int(full * 10) + 20, 3):  # from 4 characters a line
        width = tenth / 10
        para = RuledParagraph(text, style)
        para.wrap(width * MM, 10_000)
        lines = ["".join(w.text for w in line.words) for line in para.blPara.lines]
        assert "".join(lines) == text
        for line in lines[1:]:
            assert line[:1] not in CLOSERS, (width, lines)
        for line in lines[:-1]:
            assert line[-1:] not in "（《「『【〈〔“‘", (width, lines)
        assert wrap(text, regular, 9.5, width) == lines, width  # canvas and paragraph agree


@settings(max_examples=120, deadline=None)
@given(
    before=st.text(alphabet="安全生产举报，。（）《》 ", max_size=30),
    host=st.from_regex(r"[a-z]{2,8}(\.[a-z]{2,6}){1,3}(/[a-z]{1,6})?", fullmatch=True),
    width=st.floats(30, 120),
)
def test_an_address_that_fits_a_line_is_never_cut(before: str, host: str, width: float) -> None:
    regular, _ = fonts.register_fonts()
    text = f"{before}：{host}，{before}"
    lines = wrap(text, regular, 8, width)
    if width_mm(host + "，", regular, 8) <= width:
        assert any(host in line for line in lines), lines
    for previous, line in itertools.pairwise(lines):
        forced = width_mm(previous + line[:1], regular, 8) > width
        assert forced or line[:1] not in NO_LINE_START, lines
        assert forced or previous[-1:] not in NO_LINE_END, lines


# -- whole sheets when scaling cannot do it ----------------------------------------------


def test_pagination_prefers_a_small_scale_then_deliberate_pages() -> None:
    def natural_five(scale: float) -> booklet.Pagination:
        return booklet.Pagination(pages=5, last_fill=0.7)

    assert booklet.plan(natural_five) == booklet.Plan(1.0, ("record", "notes", "back"))

    def fits_smaller(scale: float) -> booklet.Pagination:
        return booklet.Pagination(pages=4 if scale < 0.95 else 5, last_fill=0.6)

    assert booklet.plan(fits_smaller) == booklet.Plan(0.94, ())

    def near_empty_at_one(scale: float) -> booklet.Pagination:
        return booklet.Pagination(pages=6, last_fill=0.1 if scale == 1.0 else 0.5)

    assert booklet.plan(near_empty_at_one) == booklet.Plan(0.97, ("record", "back"))


def test_deliberate_pages_are_printed_full(
    office: OfficeConfig, content: Content, renderer: Renderer, tmp_path: Path
) -> None:
    pdf = tmp_path / "brochure.pdf"
    url = f"{office.site.report_url}?src=340000-r.AAAAAAAAAAA"
    plain = brochure.render(
        office, content, "zh", url, tmp_path / "plain.pdf", booklet.Plan(1.0, ())
    )
    extra = brochure.render(
        office, content, "zh", url, pdf, booklet.Plan(1.0, ("record", "notes", "back"))
    )
    assert extra.pages == plain.pages + 3 == page_count(pdf, renderer.env)
    lines = text_lines(pdf, renderer.env)
    record = " ".join(line.text for line in lines if line.page == plain.pages + 1)
    assert content.brochure.notes_title.zh in record and "回执码" in record
    assert office.site.public_url.split("//")[1] + "status/" in _squeezed(record)
    back = [line for line in lines if line.page == extra.pages]
    assert any(office.hotline.value in line.text for line in back)
    png = renderer.png(pdf, 110, tmp_path / "back.png")  # page 1: the cover still scans
    assert zxing_decode(png) == [url]
