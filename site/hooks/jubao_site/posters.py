"""The poster gallery: read the manifest written by ``jubao posters defaults`` and copy
the files into the built site.

The posters are generated outside the site (they need fonts and a QR encoder the site
build does not), into ``build/posters`` by default. If they have not been generated the
page says there are none to download (in the citizen's words: how to make them is in the
README, not on a public page) and the build still succeeds: a fresh checkout must build.
"""

from __future__ import annotations

import json
import os
import shutil
from html import escape
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from chalicelib.config.office import OfficeConfig

from .blocks import Link
from .facts import Lang, pick

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_DIR = REPO_ROOT / "build" / "posters"
SITE_SUBDIR = "posters/files"


class PosterEntry(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    region: str
    region_name: str
    region_name_en: str
    lang: Literal["zh", "en"]
    size: str
    pdf: str
    png: str
    url: str
    tag: str | None = None


class Manifest(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    posters: list[PosterEntry]
    brochures: dict[str, str] = {}


class ManifestError(ValueError):
    """The manifest exists but is not what ``jubao posters`` promises."""


def source_dir() -> Path:
    override = os.environ.get("JUBAO_POSTERS_DIR")
    return Path(override) if override else DEFAULT_DIR


def load_manifest(folder: Path) -> Manifest | None:
    path = folder / "manifest.json"
    if not path.is_file():
        return None
    try:
        manifest = Manifest.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (ValidationError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path}: {exc}") from exc
    for rel in _all_files(manifest):
        target = (folder / rel).resolve()
        if not target.is_relative_to(folder.resolve()) or not target.is_file():
            raise ManifestError(f"{path}: listed file {rel!r} is missing or outside the folder")
    return manifest


def _all_files(manifest: Manifest) -> list[str]:
    files = [p.pdf for p in manifest.posters] + [p.png for p in manifest.posters]
    return files + list(manifest.brochures.values())


def copy_into(site_dir: Path, folder: Path) -> int:
    """Copy the manifest's files (only those) into ``site_dir/posters/files``."""
    manifest = load_manifest(folder)
    if manifest is None:
        return 0
    dest_root = site_dir / SITE_SUBDIR
    count = 0
    for rel in _all_files(manifest):
        dest = dest_root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / rel, dest)
        count += 1
    return count


def _lang_label(poster_lang: str, lang: Lang) -> str:
    if poster_lang == "zh":
        return pick(lang, "中文", "Chinese")
    return pick(lang, "英文", "English")


def gallery(office: OfficeConfig, lang: Lang, link: Link, site_link: Link) -> str:
    """The gallery HTML; ``site_link`` makes a URL for a path from the site root."""
    folder = source_dir()
    manifest = load_manifest(folder)
    if manifest is None or not manifest.posters:
        text = pick(
            lang,
            "暂无可供下载的海报。",
            "No posters to download yet.",
        )
        return f'<p class="jubao-empty" id="posters-missing">{text}</p>'

    def file_url(rel: str) -> str:
        return site_link(f"{SITE_SUBDIR}/{rel}")

    by_region: dict[str, list[PosterEntry]] = {}
    for poster in manifest.posters:
        by_region.setdefault(poster.region, []).append(poster)
    cards = []
    for region_code in sorted(by_region):
        variants = sorted(by_region[region_code], key=lambda p: (p.lang != lang, p.size, p.id))
        preview = variants[0]  # the page's language first, A4 before A3
        region = pick(lang, preview.region_name, preview.region_name_en)
        alt = pick(
            lang,
            f"{region}安全生产举报宣传海报，二维码指向举报页面",
            f"Work-safety reporting poster for {region}; its QR code opens the report form",
        )
        links = "".join(
            f'<li><a href="{file_url(v.pdf)}" download>'
            f"{_lang_label(v.lang, lang)} {escape(v.size.upper())} PDF</a></li>"
            for v in variants
        )
        image = pick(lang, "预览图片", "Preview image")
        cards.append(
            f'<li class="jubao-poster">'
            f'<img src="{file_url(preview.png)}" alt="{escape(alt)}" loading="lazy" '
            'width="300" height="424">'
            f'<p class="jubao-poster__title"><strong>{escape(region)}</strong></p>'
            f'<ul class="jubao-poster__links">{links}'
            f'<li><a href="{file_url(preview.png)}" download>{image} (PNG)</a></li></ul></li>'
        )
    brochures = ""
    if manifest.brochures:
        items = []
        for code, rel in sorted(manifest.brochures.items()):
            name = {
                "zh": pick(lang, "中文宣传册", "Brochure in Chinese"),
                "en": pick(lang, "英文宣传册", "Brochure in English"),
            }.get(code, code)
            items.append(f'<li><a href="{file_url(rel)}" download>{escape(name)} (PDF)</a></li>')
        title = pick(lang, "宣传画册", "Brochures")
        brochures = (
            f'<h2 id="brochures">{title}</h2><ul class="jubao-brochures">{"".join(items)}</ul>'
        )
    return f'<ul class="jubao-posters">{"".join(cards)}</ul>{brochures}'
