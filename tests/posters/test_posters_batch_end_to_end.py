"""A real batch through the real command line, checked with real renderers and decoders.

Every poster the batch makes is rasterised by poppler with no system fonts visible and its
QR code decoded by two independent decoders (zbar and zxing-cpp), once sharp and once at a
"far away" rendering (about 3 camera pixels per module, blurred). The decoded text must be
exactly the URL of that row, its tag must carry a genuine signature, and the issuer must
resolve. The CSV mixes good rows with bad ones: the bad rows are named, the rest is made.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageFilter
from pypdf import PdfReader

from chalicelib import tags
from chalicelib.config.office import OfficeConfig
from posters import layout, qr
from tests.posters.poster_helpers import (
    Renderer,
    english_form,
    run_cli,
    zbar_decode,
    zxing_decode,
)

pytestmark = pytest.mark.slow

GOOD_ROWS = [
    ("蜀山区南七街道花园社区", "340104", "community", "王老师", "3200"),
    ("合肥某某化工有限公司", "合肥市蜀山区", "enterprise", "", "420"),
    ("小作坊", "340104", "enterprise", "", "5"),
    ("张家", "蜀山区", "family", "", ""),
    ("没填人数的企业", "340104", "企业", "", ""),
    ("庐阳区第一中学", "庐阳区", "school", "", "1800"),
    ("长丰县某村", "340121", "village", "李四", ""),
    ("歙县徽州古城社区", "黄山市", "社区", "", "900"),  # 歙: a rare place-name character
    ("亳州市谯城区某企业", "341600", "enterprise", "", "60"),
    ("Wuhu Port Logistics Co.", "Wuhu", "enterprise", "", "75"),
]
# enough rows for the batch to use its two worker processes
GOOD_ROWS += [(f"测试社区{i:02d}", "340200", "community", "", str(100 + i)) for i in range(14)]
BAD_ROWS = [
    ("坏地区社区", "999999", "community", "", ""),
    ("", "340104", "community", "", ""),
    ("某村", "340121", "village", "", "abc"),
    ("奇怪类型", "340104", "factory", "", ""),
    ("한국어 이름", "340104", "community", "", "200"),  # Hangul: not in the poster font
    ("蜀山区南七街道花园社区", "340104", "community", "", ""),  # duplicate of the first row
]


@dataclass
class Batch:
    out: Path
    csv_path: Path
    registry: Path
    rows: list[dict[str, str]]  # index.csv
    stderr: str
    returncode: int
    bad_row_numbers: list[int]
    size: layout.PaperSize = "a4"
    lang: str = "zh"


def _write_csv(path: Path) -> list[int]:
    """Good and bad rows interleaved; returns the line numbers of the bad ones."""
    bad_lines = []
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "region", "kind", "contact", "people"])
        line = 1
        bad = iter(BAD_ROWS)
        for i, row in enumerate(GOOD_ROWS):
            writer.writerow(row)
            line += 1
            if i % 4 == 3:
                extra = next(bad, None)
                if extra is not None:
                    writer.writerow(extra)
                    line += 1
                    bad_lines.append(line)
        for extra in bad:
            writer.writerow(extra)
            line += 1
            bad_lines.append(line)
    return bad_lines


def _read_index(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, tag_key_file: Path) -> Batch:
    base = tmp_path_factory.mktemp("batch")
    csv_path = base / "places.csv"
    bad_lines = _write_csv(csv_path)
    out, registry = base / "out", base / "registry.json"
    done = run_cli(
        "posters",
        "build",
        "--places",
        str(csv_path),
        "--out",
        str(out),
        "--tag-key-file",
        str(tag_key_file),
        "--registry",
        str(registry),
        "--jobs",
        "2",
        "--no-progress",
        "--combined",
    )
    return Batch(
        out,
        csv_path,
        registry,
        _read_index(out / "index.csv"),
        done.stderr,
        done.returncode,
        bad_lines,
    )


def test_bad_rows_are_named_and_the_rest_is_made(batch: Batch) -> None:
    assert batch.returncode == 1, batch.stderr
    named = sorted(int(n) for n in re.findall(r"第 (\d+) 行 / row \1", batch.stderr))
    assert named == batch.bad_row_numbers
    assert "U+D55C" in batch.stderr  # the Hangul row says which character cannot be printed
    assert len(batch.rows) == len(GOOD_ROWS)
    for row in batch.rows:
        assert (batch.out / row["file"]).stat().st_size > 10_000
    assert (batch.out / "index.pdf").exists()


def test_privacy_rule_decides_between_place_and_shared_tags(
    batch: Batch, office: OfficeConfig
) -> None:
    minimum = office.posters.min_people_per_tag
    for row in batch.rows:
        slug = row["tag"].partition(".")[0]
        people = int(row["people"]) if row["people"] else None
        must_share = (
            row["kind"] == "family"
            or (people is not None and people < minimum)
            or (people is None and row["kind"] == "enterprise")
        )
        assert slug.endswith("-r") == must_share, row
        assert slug.startswith(row["region"] + "-")
    family = next(r for r in batch.rows if r["kind"] == "family")
    pdf_text = (batch.out / family["file"]).read_bytes()
    assert "张家".encode("utf-16-be") not in pdf_text  # the family's name is not printed


def _render_and_decode(
    renderer: Renderer, pdf: Path, size: layout.PaperSize, url: str, work: Path
) -> dict[str, list[str]]:
    """Decode a sharp 100 dpi render and a far-away one (~3 px per module, blurred)."""
    sharp = renderer.png(pdf, 100, work / f"{pdf.stem}-sharp.png")
    modules = qr.encode(url).modules_with_quiet_zone
    module_mm = layout.QR_SIDE * layout.scale_of(size) / modules
    far_dpi = 3.0 * 25.4 / module_mm
    far = renderer.png(pdf, round(far_dpi, 1), work / f"{pdf.stem}-far.png")
    with Image.open(far) as image:
        image.convert("L").filter(ImageFilter.GaussianBlur(0.8)).save(far)
    return {
        "zbar": zbar_decode(sharp),
        "zxing": zxing_decode(sharp),
        "zbar far": zbar_decode(far),
        "zxing far": zxing_decode(far),
    }


def _check_posters(
    batch: Batch, renderer: Renderer, office: OfficeConfig, key: bytes, work: Path
) -> None:
    def one(row: dict[str, str]) -> tuple[dict[str, str], dict[str, list[str]]]:
        return row, _render_and_decode(
            renderer, batch.out / row["file"], batch.size, row["url"], work
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, batch.rows))
    for row, decoded in results:
        # an English poster opens the English form, which the site serves under /en/
        form = office.site.report_url if batch.lang == "zh" else english_form(office)
        expected = f"{form}?src={row['tag']}"
        assert row["url"] == expected
        assert qr.encode(expected).version <= 5  # short URL, big modules
        for decoder, texts in decoded.items():
            assert texts == [expected], (row["file"], decoder, texts)
        info = tags.verify(decoded["zbar"][0].partition("?src=")[2], key)
        assert info is not None and info.region == row["region"]
        assert tags.issuer(info, office) == office.regions_by_code[row["region"]].name


def test_every_poster_scans_to_its_own_signed_url(
    batch: Batch, renderer: Renderer, office: OfficeConfig, tag_key: bytes, tmp_path: Path
) -> None:
    _check_posters(batch, renderer, office, tag_key, tmp_path)


def test_fonts_are_embedded_and_text_extracts(batch: Batch, renderer: Renderer) -> None:
    for row in batch.rows:
        pdf = batch.out / row["file"]
        rows = renderer.fonts(pdf)
        assert rows, "no fonts listed"
        for font in rows:
            assert font[-5:-2] == ["yes", "yes", "yes"], font  # emb, sub, uni
            assert "JubaoSansSC" in font[0]
    text = re.sub(r"\s+", "", renderer.text(batch.out / batch.rows[0]["file"]))
    for needle in (
        "发现安全隐患",
        "请您举报",
        "12350",
        "举报有奖",
        "严格保密",
        batch.rows[0]["name"],
        batch.rows[0]["tag"].partition(".")[0],
    ):
        assert needle in text
    index_text = re.sub(r"\s+", "", renderer.text(batch.out / "index.pdf"))
    assert batch.rows[-1]["name"] in index_text
    assert "未生成的行" in index_text
    for font in renderer.fonts(batch.out / "index.pdf"):
        assert font[-5] == "yes", font


def test_print_shop_file_has_every_poster_in_row_order(
    batch: Batch, renderer: Renderer, tmp_path: Path
) -> None:
    combined = batch.out / "all-posters.pdf"
    reader = PdfReader(combined)
    assert len(reader.pages) == len(batch.rows)
    separate = sum((batch.out / row["file"]).stat().st_size for row in batch.rows)
    assert combined.stat().st_size * 5 < separate  # design and font stored once
    for page in (1, len(batch.rows)):
        png = tmp_path / f"page{page}.png"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-singlefile",
                "-r",
                "80",
                "-f",
                str(page),
                "-l",
                str(page),
                str(combined),
                str(png.with_suffix("")),
            ],
            env=renderer.env,
            check=True,
            capture_output=True,
        )
        assert zxing_decode(png) == [batch.rows[page - 1]["url"]]
    for font in renderer.fonts(combined):
        assert font[-5:-2] == ["yes", "yes", "yes"], font


def test_a_second_batch_keeps_every_place_on_its_tag(
    batch: Batch, tag_key_file: Path, tmp_path: Path
) -> None:
    rerun = run_cli(
        "posters",
        "build",
        "--places",
        str(batch.csv_path),
        "--out",
        str(tmp_path / "again"),
        "--tag-key-file",
        str(tag_key_file),
        "--registry",
        str(batch.registry),
        "--jobs",
        "1",
        "--no-progress",
    )
    assert rerun.returncode == 1
    again = {
        (r["name"], r["region"], r["kind"]): r["tag"]
        for r in _read_index(tmp_path / "again" / "index.csv")
    }
    first = {(r["name"], r["region"], r["kind"]): r["tag"] for r in batch.rows}
    assert again == first
    slugs = [tag.partition(".")[0] for tag in first.values()]
    own = [s for s in slugs if not s.endswith("-r")]
    assert len(own) == len(set(own)), "two places share one serial"


@pytest.fixture(scope="module")
def a3_english(tmp_path_factory: pytest.TempPathFactory, tag_key_file: Path) -> Iterator[Batch]:
    base = tmp_path_factory.mktemp("batch-a3")
    csv_path = base / "places.csv"
    csv_path.write_text(
        "name,region,kind,people\r\n蜀山区某社区,340104,community,500\r\n"
        "Tongling school,铜陵市,school,900\r\n",
        encoding="utf-8-sig",
    )
    out = base / "out-a3"
    done = run_cli(
        "posters",
        "build",
        "--places",
        str(csv_path),
        "--out",
        str(out),
        "--tag-key-file",
        str(tag_key_file),
        "--registry",
        str(base / "r.json"),
        "--size",
        "a3",
        "--lang",
        "en",
        "--no-progress",
    )
    assert done.returncode == 0, done.stderr
    yield Batch(
        out,
        csv_path,
        base / "r.json",
        _read_index(out / "index.csv"),
        done.stderr,
        done.returncode,
        [],
        "a3",
        "en",
    )


def test_a3_english_posters_scan_too(
    a3_english: Batch, renderer: Renderer, office: OfficeConfig, tag_key: bytes, tmp_path: Path
) -> None:
    _check_posters(a3_english, renderer, office, tag_key, tmp_path)
    text = renderer.text(a3_english.out / a3_english.rows[0]["file"])
    assert "Report it." in text and "12350" in text


def test_ghostscript_prints_it_the_same(batch: Batch, renderer: Renderer, tmp_path: Path) -> None:
    """Ghostscript is the engine of many print paths; with no system fonts it must still
    draw the text (the embedded font) and a QR that scans."""
    if shutil.which("gs") is None:
        pytest.skip("ghostscript not installed")
    row = batch.rows[0]
    png = tmp_path / "gs.png"
    subprocess.run(
        [
            "gs",
            "-q",
            "-dNOPAUSE",
            "-dBATCH",
            "-sDEVICE=pnggray",
            "-r80",
            f"-sOutputFile={png}",
            str(batch.out / row["file"]),
        ],
        env=renderer.env,
        check=True,
        capture_output=True,
    )
    assert zxing_decode(png) == [row["url"]]
    poppler = renderer.png(batch.out / row["file"], 80, tmp_path / "poppler.png")
    with Image.open(png) as gs_image, Image.open(poppler) as pp_image:
        band = (0, int(gs_image.height * 0.05), gs_image.width, int(gs_image.height * 0.25))
        gs_white = sum(gs_image.convert("L").crop(band).histogram()[201:])
        pp_white = sum(pp_image.convert("L").crop(band).histogram()[201:])
    # the white headline on the red band: ghostscript draws as much of it as poppler
    assert gs_white > 0.8 * pp_white > 0


def test_batch_paper_follows_the_print_rules(batch: Batch, renderer: Renderer) -> None:
    """Issue 11 on a batch too: no line starts with a closer, nothing says "this site"."""
    from tests.posters.pdf_text import text_lines

    closers = "，。、；：！？」』）》】〉〕”’,.;:!?)]}"
    pdfs = [batch.out / "index.pdf", batch.out / "all-posters.pdf"]
    pdfs += [batch.out / row["file"] for row in batch.rows[:3]]
    for pdf in pdfs:
        lines = text_lines(pdf, renderer.env)
        assert lines, pdf.name
        assert [line.text for line in lines if line.text[:1] in closers] == [], pdf.name
        text = " ".join(line.text for line in lines)
        assert "本网站" not in text and "this site" not in text.lower(), pdf.name
