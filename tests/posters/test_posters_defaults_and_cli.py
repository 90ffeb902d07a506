"""`jubao posters defaults` (what `make run` ships to the site) and the command's failures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from chalicelib import tags
from chalicelib.config.office import OfficeConfig
from posters.defaults import EDITIONS, Manifest, default_regions
from tests.posters.poster_helpers import Renderer, english_form, run_cli, zxing_decode

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def defaults_dir(tmp_path_factory: pytest.TempPathFactory, tag_key_file: Path) -> Path:
    out = tmp_path_factory.mktemp("defaults") / "posters"
    done = run_cli("posters", "defaults", "--out", str(out), "--tag-key-file", str(tag_key_file))
    assert done.returncode == 0, done.stderr
    return out


def test_manifest_lists_every_region_edition_with_files(
    defaults_dir: Path, office: OfficeConfig, tag_key: bytes
) -> None:
    raw = json.loads((defaults_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest = Manifest.model_validate(raw)
    regions = default_regions(office)
    assert len(manifest.posters) == len(regions) * len(EDITIONS)
    assert {(p.region, p.lang, p.size) for p in manifest.posters} == {
        (r.code, lang, size) for r in regions for lang, size in EDITIONS
    }
    for poster in manifest.posters:
        assert (defaults_dir / poster.pdf).stat().st_size > 10_000
        assert poster.png is not None
        with Image.open(defaults_dir / poster.png) as image:
            assert image.width == 600
        info = tags.verify(poster.tag, tag_key)
        assert info is not None and info.slug == f"{poster.region}-r"  # region tags only
        # the English editions open the English form, which the site serves under /en/
        form = office.site.report_url if poster.lang == "zh" else english_form(office)
        assert poster.url == f"{form}?src={poster.tag}"
        assert poster.region_name == office.regions_by_code[poster.region].name
    assert set(manifest.brochures) == {"zh", "en"}
    for name in manifest.brochures.values():
        assert (defaults_dir / name).exists() and not Path(name).is_absolute()


def test_gallery_previews_scan_to_their_url(defaults_dir: Path) -> None:
    manifest = Manifest.model_validate_json((defaults_dir / "manifest.json").read_text("utf-8"))
    for poster in manifest.posters:
        assert poster.png is not None
        assert zxing_decode(defaults_dir / poster.png) == [poster.url], poster.id


def test_brochure_text_comes_from_config(
    defaults_dir: Path, renderer: Renderer, office: OfficeConfig
) -> None:
    for lang in ("zh", "en"):
        pdf = defaults_dir / f"brochure-{lang}.pdf"
        for font in renderer.fonts(pdf):
            assert font[-5:-2] == ["yes", "yes", "yes"], font
        text = re.sub(r"\s+", "", renderer.text(pdf))
        assert office.hotline.value in text
        for industry in office.industries:
            assert re.sub(r"\s+", "", industry.name if lang == "zh" else industry.name_en) in text
        days = office.rules.deadlines.verification_days
        assert (f"{days}日" if lang == "zh" else f"within{days}days") in text
    png = renderer.png(defaults_dir / "brochure-zh.pdf", 110, defaults_dir / "cover.png")
    province = next(r for r in office.regions if r.level == "province")
    [url] = zxing_decode(png)
    assert url.startswith(f"{office.site.report_url}?src={province.code}-r.")


def test_missing_key_is_a_clear_fatal_error(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "JUBAO_DATA_DIR": str(tmp_path / "empty")}
    done = run_cli("posters", "defaults", "--out", str(tmp_path / "out"), env=env)
    assert done.returncode == 2
    assert "key not configured" in done.stderr
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_dev_keys_flag_makes_a_key_and_proceeds(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "JUBAO_DATA_DIR": str(tmp_path / "data")}
    places = tmp_path / "p.csv"
    places.write_text("name,region,kind\n某社区,340104,community\n", encoding="utf-8")
    done = run_cli(
        "posters",
        "build",
        "--places",
        str(places),
        "--out",
        str(tmp_path / "o"),
        "--dev-keys",
        "--no-progress",
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "keys" / "tag.key").exists()
    assert (tmp_path / "data" / "posters" / "registry.json").exists()


def test_a_file_without_the_header_is_refused(tmp_path: Path, tag_key_file: Path) -> None:
    places = tmp_path / "p.csv"
    places.write_text("名称,地区\n某社区,340104\n", encoding="utf-8")
    done = run_cli(
        "posters",
        "build",
        "--places",
        str(places),
        "--out",
        str(tmp_path / "o"),
        "--tag-key-file",
        str(tag_key_file),
        "--registry",
        str(tmp_path / "r.json"),
    )
    assert done.returncode == 2
    assert "第 1 行缺少列" in done.stderr and "name" in done.stderr


def test_content_command_prints_the_filled_wording() -> None:
    done = run_cli("posters", "content")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["reward_rule_set"] == "national-2018"
    assert "{" not in data["confidentiality"]["tag_rule"]["zh"]
