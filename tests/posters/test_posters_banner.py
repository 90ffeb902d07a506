"""Development paper says it is a sample; production paper refuses placeholders (issue 11).

A development build (the default) bands every poster and every brochure page with
"示例配置，不得对外发布 / sample configuration, not for publication", read back with
poppler, and the QR code still scans. A production build (``--production`` or
``JUBAO_BUILD=production``) of the shipped example configuration makes nothing and names
each finding; of a filled, confirmed configuration it makes posters without the banner.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from chalicelib.config import publishable
from chalicelib.config.office import OfficeConfig, load_office
from posters.batch import BatchResult
from posters.content import Content
from posters.defaults import Manifest, build_defaults
from posters.index_sheet import write_index_sheet
from posters.places import RowError
from tests.office_files import filled_office_file
from tests.posters.pdf_text import page_count, text_lines
from tests.posters.poster_helpers import Renderer, run_cli, zbar_decode

pytestmark = pytest.mark.slow

ZH, EN = publishable.SAMPLE_BANNER.zh, publishable.SAMPLE_BANNER.en


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pages_with_banner(pdf: Path, renderer: Renderer) -> tuple[int, set[int]]:
    """(pages in ``pdf``, the pages whose text carries both halves of the banner)."""
    text: dict[int, str] = {}
    for line in text_lines(pdf, renderer.env):
        text[line.page] = text.get(line.page, "") + line.text
    marked = {
        page
        for page, words in text.items()
        if _squeezed(ZH) in _squeezed(words) and _squeezed(EN) in _squeezed(words)
    }
    return page_count(pdf, renderer.env), marked


@pytest.fixture(scope="module")
def sample_set(
    tmp_path_factory: pytest.TempPathFactory, office: OfficeConfig, content: Content, tag_key: bytes
) -> tuple[Path, Manifest]:
    out = tmp_path_factory.mktemp("sample")
    province = [r for r in office.regions if r.level == "province"]
    manifest = build_defaults(
        out, office, content, tag_key, processes=1, previews=False, regions=province, sample=True
    )
    return out, manifest


def test_every_development_poster_and_brochure_page_carries_the_banner(
    sample_set: tuple[Path, Manifest], renderer: Renderer
) -> None:
    out, manifest = sample_set
    files = [out / p.pdf for p in manifest.posters] + [out / b for b in manifest.brochures.values()]
    assert len(files) == 5  # three poster editions, two brochures
    for pdf in files:
        pages, marked = _pages_with_banner(pdf, renderer)
        assert marked == set(range(1, pages + 1)), pdf.name


def test_the_banner_leaves_the_qr_code_scannable(
    sample_set: tuple[Path, Manifest], renderer: Renderer, tmp_path: Path
) -> None:
    out, manifest = sample_set
    for poster in manifest.posters:
        png = renderer.png(out / poster.pdf, 100, tmp_path / f"{poster.id}.png")
        assert zbar_decode(png) == [poster.url], poster.id


def test_the_library_default_is_no_banner(
    tmp_path: Path, office: OfficeConfig, content: Content, tag_key: bytes, renderer: Renderer
) -> None:
    """The command decides the build; the library draws what it is told."""
    province = [r for r in office.regions if r.level == "province"]
    manifest = build_defaults(
        tmp_path, office, content, tag_key, processes=1, previews=False, regions=province
    )
    for poster in manifest.posters:
        assert _pages_with_banner(tmp_path / poster.pdf, renderer)[1] == set()


def test_the_command_builds_development_posters_by_default(
    tmp_path: Path, tag_key_file: Path, renderer: Renderer, isolated_settings: Path
) -> None:
    places = tmp_path / "places.csv"
    places.write_text("name,region,kind,people\n蜀山区某化工企业,340104,enterprise,200\n", "utf-8")
    done = run_cli(
        "posters", "build", "--places", str(places), "--out", str(tmp_path / "out"),
        "--tag-key-file", str(tag_key_file),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [pdf] = (tmp_path / "out" / "posters").glob("*.pdf")
    assert _pages_with_banner(pdf, renderer) == (1, {1})
    assert _pages_with_banner(tmp_path / "out" / "index.pdf", renderer) == (1, {1})


@pytest.mark.parametrize("sample", [True, False])
def test_every_page_of_a_development_index_sheet_carries_the_banner(
    tmp_path: Path, office: OfficeConfig, content: Content, renderer: Renderer, sample: bool
) -> None:
    """A long sheet (rows that made no poster run onto a second page), banded on each page
    in a development batch and on none otherwise."""
    errors = [RowError(row, "地区代码未知", "unknown region code") for row in range(2, 90)]
    result = BatchResult(out_dir=tmp_path, jobs=[], errors=errors, sample=sample)
    pdf = write_index_sheet(result, office, content)
    pages, marked = _pages_with_banner(pdf, renderer)
    assert pages >= 2
    assert marked == (set(range(1, pages + 1)) if sample else set())


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--production"], {}),
        ([], {"JUBAO_BUILD": "production"}),
    ],
)
def test_production_defaults_of_the_example_configuration_refuse(
    tmp_path: Path,
    tag_key_file: Path,
    isolated_settings: Path,
    args: list[str],
    env: dict[str, str],
) -> None:
    out = tmp_path / "out"
    done = run_cli(
        "posters", "defaults", "--out", str(out), "--tag-key-file", str(tag_key_file),
        "--no-previews", *args,
        env={**os.environ, **env},
    )  # fmt: skip
    assert done.returncode == 2
    for finding in publishable.findings(load_office()):
        assert f"{finding.path}: {finding.why.zh} / {finding.why.en}" in done.stderr
    assert not out.exists() or not any(out.rglob("*.pdf"))


def test_production_refuses_development_keys(tmp_path: Path, isolated_settings: Path) -> None:
    office_file = filled_office_file(tmp_path)
    done = run_cli(
        "posters", "defaults", "--out", str(tmp_path / "out"), "--office", str(office_file),
        "--dev-keys", "--production", "--no-previews",
    )  # fmt: skip
    assert done.returncode == 2 and "development keys" in done.stderr
    assert not (isolated_settings / "keys").exists()


def test_production_posters_of_a_filled_configuration_have_no_banner(
    tmp_path: Path, tag_key_file: Path, renderer: Renderer, isolated_settings: Path
) -> None:
    office_file = filled_office_file(tmp_path)
    places = tmp_path / "places.csv"
    places.write_text("name,region,kind,people\n蜀山区某化工企业,340104,enterprise,200\n", "utf-8")
    done = run_cli(
        "posters", "build", "--places", str(places), "--out", str(tmp_path / "out"),
        "--office", str(office_file), "--tag-key-file", str(tag_key_file), "--production",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    [pdf] = (tmp_path / "out" / "posters").glob("*.pdf")
    assert _pages_with_banner(pdf, renderer) == (1, set())
    assert "anhui-safety.cn" in renderer.text(pdf)
    assert _pages_with_banner(tmp_path / "out" / "index.pdf", renderer) == (1, set())
