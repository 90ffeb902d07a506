"""The poster gallery: read the manifest written by ``jubao posters defaults`` and copy
the files into the built site.

The posters are generated outside the site (they need fonts and a QR encoder the site
build does not), into ``build/posters`` by default. If they have not been generated the
page says so and the build still succeeds: a fresh checkout must build.
"""

from __future__ import annotations

import json
import os
import shutil
from html import escape
from pathlib import Path
from typing import Literal

from chalicelib.office import OfficeConfig
from pydantic import BaseModel, ConfigDict, ValidationError

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


def _size_label(size: str, lang: Lang) -> str:
    return size.upper() if lang == "en" else size.upper() + " 幅面"


def gallery(office: OfficeConfig, lang: Lang, link: Link, site_link: Link) -> str:
    """The gallery HTML; ``site_link`` makes a URL for a path from the site root."""
    folder = source_dir()
    manifest = load_manifest(folder)
    if manifest is None or not manifest.posters:
        text = pick(
            lang,
            "海报尚未生成。管理员运行 <code>jubao posters defaults --out build/posters</code> "
            "后重新构建网站，海报会显示在这里。",
            "Posters have not been generated yet. Run <code>jubao posters defaults --out "
            "build/posters</code> and rebuild the site to show them here.",
        )
        return f'<p class="jubao-empty" id="posters-missing">{text}</p>'

    def file_url(rel: str) -> str:
        return site_link(f"{SITE_SUBDIR}/{rel}")

    ordered = sorted(manifest.posters, key=lambda p: (p.lang != lang, p.region, p.size, p.id))
    cards = []
    for poster in ordered:
        region = pick(lang, poster.region_name, poster.region_name_en)
        poster_lang = pick(lang, "中文", "Chinese") if poster.lang == "zh" else "English"
        alt = pick(
            lang,
            f"{region}安全生产举报宣传海报（{poster_lang}），二维码指向举报页面",
            f"Work-safety reporting poster for {region} ({poster_lang}); its QR code opens "
            "the report form",
        )
        download = pick(lang, "下载 PDF（印刷用）", "Download PDF (for printing)")
        image = pick(lang, "下载图片", "Download image")
        cards.append(
            f'<li class="jubao-poster" lang="{poster.lang}">'
            f'<img src="{file_url(poster.png)}" alt="{escape(alt)}" loading="lazy" '
            'width="300" height="424">'
            f'<p class="jubao-poster__title"><strong>{escape(region)}</strong> · '
            f"{escape(_size_label(poster.size, lang))} · {poster_lang}</p>"
            f'<p class="jubao-poster__links"><a href="{file_url(poster.pdf)}" download>'
            f"{download}</a> · "
            f'<a href="{file_url(poster.png)}" download>{image}</a></p></li>'
        )
    brochures = ""
    if manifest.brochures:
        links = []
        for code, rel in sorted(manifest.brochures.items()):
            name = {"zh": pick(lang, "中文宣传册", "Brochure in Chinese"),
                    "en": pick(lang, "英文宣传册", "Brochure in English")}.get(code, code)
            links.append(f'<li><a href="{file_url(rel)}" download>{escape(name)} (PDF)</a></li>')
        title = pick(lang, "宣传画册", "Brochures")
        brochures = (
            f'<h2 id="brochures">{title}</h2><ul class="jubao-brochures">{"".join(links)}</ul>'
        )
    return f'<ul class="jubao-posters">{"".join(cards)}</ul>{brochures}'
