"""A batch: one personalised poster per CSV row, an index sheet, and a registry update.

Work is split in two: the parent reads the CSV, applies the tag privacy rule and hands
out serial numbers (so numbering is deterministic and the registry has one writer); the
workers only draw and write PDFs. Each worker keeps its fonts and per-design templates
for the whole batch, so a poster costs one QR encoding plus replaying the template.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from chalicelib.config.office import OfficeConfig
from chalicelib.i18n import Lang

from . import fonts
from .content import Content
from .layout import (
    Designer,
    PaperSize,
    PosterSpec,
    Variant,
    region_display_name,
    render_combined,
    render_poster,
)
from .places import KIND_NAMES, Place, RowError, read_places
from .tagging import SHARED_REASON_TEXT, Registry, TagChoice, choose_tag, report_url

POSTER_DIR = "posters"
INDEX_PDF = "index.pdf"
INDEX_CSV = "index.csv"
COMBINED_PDF = "all-posters.pdf"
SMALL_BATCH = 24  # below this, starting worker processes costs more than it saves


@dataclass(frozen=True)
class PosterJob:
    place: Place
    choice: TagChoice
    spec: PosterSpec
    file: str  # relative to the output directory


@dataclass(frozen=True)
class JobResult:
    row: int
    seconds: float
    error: str = ""


@dataclass
class BatchResult:
    out_dir: Path
    jobs: list[PosterJob]
    made: list[PosterJob] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # wall seconds per phase
    sample: bool = False  # a development build: the index sheet carries the banner too

    @property
    def ok(self) -> bool:
        return not self.errors


def poster_place_text(place: Place, office: OfficeConfig, lang: Lang) -> str:
    """What the footer says about where the poster hangs; never a family's name."""
    if place.kind == "family":
        return region_display_name(office.regions_by_code[place.region], office, lang)
    return place.name


def plan(
    places: Sequence[Place],
    office: OfficeConfig,
    registry: Registry,
    key: bytes,
    lang: Lang,
    size: PaperSize,
    sample: bool = False,
) -> list[PosterJob]:
    jobs = []
    for place in places:
        choice = choose_tag(place, office, registry, key)
        region = office.regions_by_code[place.region]
        issuer = region_display_name(region, office, lang)
        variant = Variant(lang=lang, size=size, issuer=issuer, sample=sample)
        spec = PosterSpec(
            variant=variant,
            url=report_url(office, choice.tag, lang),
            code=choice.slug,
            place=poster_place_text(place, office, lang),
        )
        file = f"{POSTER_DIR}/{place.row:04d}-{choice.slug}.pdf"
        jobs.append(PosterJob(place, choice, spec, file))
    return jobs


# -- worker side ---------------------------------------------------------------------------

_designer: Designer | None = None
_out_dir: Path | None = None


def init_worker(office: OfficeConfig, content: Content, out_dir: Path) -> None:
    """Per-process set-up: fonts, the design cache and where files go."""
    global _designer, _out_dir
    fonts.register_fonts()
    _designer = Designer(office, content)
    _out_dir = out_dir


def worker_designer() -> Designer:
    if _designer is None:
        raise RuntimeError("init_worker was not called in this process")
    return _designer


def write_atomically(target: Path, data: bytes) -> None:
    """Never leave a half-written PDF under its final name."""
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(target)


def _render(job: PosterJob) -> JobResult:
    assert _designer is not None and _out_dir is not None
    started = time.perf_counter()
    try:
        data = render_poster(_designer.template(job.spec.variant), job.spec)
        write_atomically(_out_dir / job.file, data)
    except (ValueError, OSError) as exc:
        return JobResult(job.place.row, time.perf_counter() - started, str(exc))
    return JobResult(job.place.row, time.perf_counter() - started)


def pool_context() -> multiprocessing.context.BaseContext:
    """fork where the platform has it: workers inherit the loaded fonts instead of reloading."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def render_jobs(
    jobs: Sequence[PosterJob],
    office: OfficeConfig,
    content: Content,
    out_dir: Path,
    processes: int,
) -> Iterator[JobResult]:
    (out_dir / POSTER_DIR).mkdir(parents=True, exist_ok=True)
    fonts.register_fonts()
    if processes <= 1 or len(jobs) < SMALL_BATCH:
        init_worker(office, content, out_dir)
        for job in jobs:
            yield _render(job)
        return
    context = pool_context()
    with context.Pool(
        processes, initializer=init_worker, initargs=(office, content, out_dir)
    ) as pool:
        chunk = max(1, min(16, len(jobs) // (processes * 8)))
        yield from pool.imap_unordered(_render, jobs, chunksize=chunk)


def default_processes() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def build_batch(
    places_csv: Path,
    out_dir: Path,
    office: OfficeConfig,
    content: Content,
    key: bytes,
    registry: Registry,
    lang: Lang = "zh",
    size: PaperSize = "a4",
    processes: int | None = None,
    progress: bool | None = None,
    write_index: Callable[[BatchResult, OfficeConfig, Content, Lang], object] | None = None,
    combined: bool = False,
    sample: bool = False,
) -> BatchResult:
    """Make every poster the CSV allows; bad rows are collected, never fatal.

    ``sample`` (a development build) puts the sample banner on every poster."""
    started = time.perf_counter()
    places, errors = read_places(places_csv, office)
    jobs = plan(places, office, registry, key, lang, size, sample)
    result = BatchResult(out_dir=out_dir, jobs=jobs, errors=list(errors), sample=sample)
    result.phases["read and plan"] = time.perf_counter() - started
    by_row = {job.place.row: job for job in jobs}
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=len(jobs), unit="poster", desc="posters", disable=not show, file=sys.stderr)
    failed: list[RowError] = []
    for outcome in render_jobs(jobs, office, content, out_dir, processes or default_processes()):
        bar.update(1)
        if outcome.error:
            failed.append(
                RowError(
                    outcome.row, f"生成失败：{outcome.error}", f"poster not made: {outcome.error}"
                )
            )
        else:
            result.made.append(by_row[outcome.row])
            result.durations.append(outcome.seconds)
    bar.close()
    result.phases["posters"] = time.perf_counter() - started - result.phases["read and plan"]
    result.made.sort(key=lambda job: job.place.row)
    result.errors = sorted(result.errors + failed, key=lambda e: e.row)
    registry.save()
    index_started = time.perf_counter()
    write_index_csv(result, office)
    if write_index is not None:
        write_index(result, office, content, lang)
    result.phases["index"] = time.perf_counter() - index_started
    if combined and result.made:
        combined_started = time.perf_counter()
        designer = Designer(office, content)
        render_combined(
            [(designer.template(j.spec.variant), j.spec) for j in result.made],
            out_dir / COMBINED_PDF,
        )
        result.phases["combined PDF"] = time.perf_counter() - combined_started
    result.seconds = time.perf_counter() - started
    return result


def write_index_csv(result: BatchResult, office: OfficeConfig) -> Path:
    """The machine-readable index: which file, tag and URL each place got."""
    path = result.out_dir / INDEX_CSV
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            [
                "row",
                "name",
                "region",
                "region_name",
                "kind",
                "kind_zh",
                "people",
                "contact",
                "tag",
                "shared_tag_reason",
                "url",
                "file",
            ]
        )
        for job in result.made:
            place = job.place
            reason = SHARED_REASON_TEXT[job.choice.shared][1] if job.choice.shared else ""
            writer.writerow(
                [
                    place.row,
                    place.name,
                    place.region,
                    office.regions_by_code[place.region].name,
                    place.kind,
                    KIND_NAMES[place.kind][0],
                    "" if place.people is None else place.people,
                    place.contact,
                    job.choice.tag,
                    reason,
                    job.spec.url,
                    job.file,
                ]
            )
    return path
