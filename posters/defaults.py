"""The default posters every build ships: one set per city and for the province, plus brochures.

These carry region-level tags (``340100-r``), the same shared tags the privacy rule gives
small places, so downloading a poster from the site and printing it reveals nothing
either. The site copies the output directory and renders its gallery from
``manifest.json`` (paths relative to that directory).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from chalicelib.config.office import OfficeConfig, Region
from chalicelib.i18n import LANGS, Lang

from . import batch, preview
from .brochure import build_brochure
from .content import Content
from .layout import PaperSize, PosterSpec, Variant, region_display_name, render_poster
from .tagging import region_tag, report_url

EDITIONS: tuple[tuple[Lang, PaperSize], ...] = (("zh", "a4"), ("zh", "a3"), ("en", "a4"))
MANIFEST = "manifest.json"
POSTER_DIR = "posters"


class ManifestPoster(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    region: str
    region_name: str
    region_name_en: str
    lang: Lang
    size: PaperSize
    pdf: str
    png: str | None
    url: str
    tag: str


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    posters: list[ManifestPoster]
    brochures: dict[Lang, str]


@dataclass(frozen=True)
class _PosterTask:
    spec: PosterSpec
    pdf: Path
    png: Path | None


@dataclass(frozen=True)
class _BrochureTask:
    lang: Lang
    url: str
    pdf: Path
    sample: bool = False


def default_regions(office: OfficeConfig) -> list[Region]:
    """The province and every city-level region, in configuration order."""
    return [r for r in office.regions if r.level in ("province", "city")]


def _run(task: _PosterTask | _BrochureTask) -> str:
    designer = batch.worker_designer()
    if isinstance(task, _BrochureTask):
        build_brochure(
            designer.office, designer.content, task.lang, task.url, task.pdf, task.sample
        )
        return str(task.pdf)
    data = render_poster(designer.template(task.spec.variant), task.spec)
    batch.write_atomically(task.pdf, data)
    if task.png is not None:
        preview.render_png(task.pdf, task.png, task.spec.variant.size)
    return str(task.pdf)


def build_defaults(
    out_dir: Path,
    office: OfficeConfig,
    content: Content,
    key: bytes,
    processes: int | None = None,
    previews: bool = True,
    regions: Sequence[Region] | None = None,
    sample: bool = False,
) -> Manifest:
    """Write the default posters, previews, brochures and ``manifest.json`` into ``out_dir``.

    ``sample`` (a development build) puts the sample banner on every poster and page.
    """
    if previews:
        preview.pdftoppm()  # fail before any work if poppler is missing
    (out_dir / POSTER_DIR).mkdir(parents=True, exist_ok=True)
    entries: list[ManifestPoster] = []
    tasks: list[_PosterTask | _BrochureTask] = []
    for region in regions if regions is not None else default_regions(office):
        tag = region_tag(region.code, key)
        for lang, size in EDITIONS:
            url = report_url(office, tag, lang)
            stem = f"{region.code}-{lang}-{size}"
            pdf = f"{POSTER_DIR}/{stem}.pdf"
            png = f"{POSTER_DIR}/{stem}.png" if previews else None
            variant = Variant(
                lang=lang,
                size=size,
                issuer=region_display_name(region, office, lang),
                sample=sample,
            )
            spec = PosterSpec(
                variant=variant,
                url=url,
                code=tag.partition(".")[0],
                place=region_display_name(region, office, lang),
            )
            tasks.append(_PosterTask(spec, out_dir / pdf, out_dir / png if png else None))
            entries.append(
                ManifestPoster(
                    id=stem,
                    region=region.code,
                    region_name=region.name,
                    region_name_en=region.name_en,
                    lang=lang,
                    size=size,
                    pdf=pdf,
                    png=png,
                    url=url,
                    tag=tag,
                )
            )
    province = next(r for r in office.regions if r.level == "province")
    province_tag = region_tag(province.code, key)
    brochures: dict[Lang, str] = {}
    for lang in LANGS:
        name = f"brochure-{lang}.pdf"
        url = report_url(office, province_tag, lang)
        tasks.insert(0, _BrochureTask(lang, url, out_dir / name, sample))
        brochures[lang] = name

    workers = processes or batch.default_processes()
    if workers <= 1:
        batch.init_worker(office, content, out_dir)
        for task in tasks:
            _run(task)
    else:
        context = batch.pool_context()
        with context.Pool(
            workers, initializer=batch.init_worker, initargs=(office, content, out_dir)
        ) as pool:
            for _ in pool.imap_unordered(_run, tasks):
                pass
    manifest = Manifest(posters=entries, brochures=brochures)
    (out_dir / MANIFEST).write_text(
        json.dumps(manifest.model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    return manifest
