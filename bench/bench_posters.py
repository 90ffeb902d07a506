"""Benchmark: a batch of personalised posters, made the way `jubao posters build` makes them.

    uv run python bench/bench_posters.py                # 1,000 A4 posters, 2 processes
    uv run python bench/bench_posters.py --count 200 --jobs 1 --size a3

Prints the wall time of the whole batch (CSV in, PDFs + index.csv + index.pdf out), the
poster phase alone, the per-poster median and p90 (time inside a worker for one poster),
CPU seconds, peak RSS of this process and of its worker processes, and the output size.
It then decodes a few posters with poppler + zxing-cpp, so a fast but broken run cannot
pass unnoticed. Everything happens in a temporary directory with a throw-away tag key.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from chalicelib import crypto  # noqa: E402
from chalicelib.config.office import load_office  # noqa: E402
from posters import fonts  # noqa: E402
from posters.batch import build_batch  # noqa: E402
from posters.content import load_content  # noqa: E402
from posters.index_sheet import write_index_sheet  # noqa: E402
from posters.tagging import Registry  # noqa: E402

KINDS = ("community", "village", "school", "enterprise")


def write_places(path: Path, count: int, region_codes: list[str]) -> None:
    rng = random.Random(20201221)  # noqa: S311 - made-up place names, not secrets
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "region", "kind", "contact", "people"])
        for i in range(count):
            kind = KINDS[i % len(KINDS)]
            prefix = rng.choice(["花园", "和平", "幸福", "新华", "光明"])
            name = f"{prefix}{kind[:1].upper()}{i:04d}号"
            writer.writerow([name, rng.choice(region_codes), kind, "", rng.randint(60, 5000)])


def decode_sample(pdfs: list[Path], work: Path) -> str:
    """Decode a few posters (poppler + zxing-cpp) and say how many matched their index URL."""
    if shutil.which("pdftoppm") is None:
        return "not checked (pdftoppm missing)"
    import zxingcpp
    from PIL import Image

    good = 0
    for pdf in pdfs:
        stem = work / pdf.stem
        subprocess.run(
            ["pdftoppm", "-png", "-singlefile", "-r", "80", str(pdf), str(stem)],
            check=True,
            capture_output=True,
        )
        with Image.open(stem.with_suffix(".png")) as image:
            texts = [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]
        good += texts == [INDEX_URLS[pdf.name]]
    return f"{good}/{len(pdfs)} sampled posters decode to their URL"


INDEX_URLS: dict[str, str] = {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--size", choices=["a4", "a3"], default="a4")
    parser.add_argument("--keep", type=Path, default=None, help="keep the output here")
    parser.add_argument(
        "--combined",
        action="store_true",
        help="also time the one-file print-shop PDF (single process)",
    )
    args = parser.parse_args()

    office = load_office()
    content = load_content(office)
    regions = [r.code for r in office.regions if r.level != "province"]
    key = crypto.random_bytes(crypto.KEY_BYTES)
    with tempfile.TemporaryDirectory(prefix="bench-posters-") as tmp:
        work = Path(tmp)
        out = args.keep or work / "out"
        places = work / "places.csv"
        write_places(places, args.count, regions)

        started = time.perf_counter()
        fonts.register_fonts()
        font_seconds = time.perf_counter() - started
        result = build_batch(
            places,
            out,
            office,
            content,
            key,
            Registry(work / "registry.json", office.office.code),
            size=args.size,
            processes=args.jobs,
            progress=False,
            write_index=write_index_sheet,
            combined=args.combined,
        )
        total = time.perf_counter() - started
        times = os.times()
        self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

        durations = sorted(result.durations)
        size_mb = sum(f.stat().st_size for f in (out / "posters").glob("*.pdf")) / 1e6
        combined = out / "all-posters.pdf"
        for job in result.made:
            INDEX_URLS[Path(job.file).name] = job.spec.url
        sample = [out / result.made[i].file for i in (0, len(result.made) // 2, -1)]
        check = decode_sample(sample, work)

        print(
            f"posters made:        {len(result.made)} ({args.size.upper()}, {args.jobs} "
            f"process{'es' if args.jobs > 1 else ''}, {os.cpu_count()} CPUs), "
            f"{len(result.errors)} rows failed"
        )
        print(
            f"total seconds:       {total:.2f}  (CSV in -> every output file; "
            f"font load {font_seconds:.2f} s included)"
        )
        phases = ", ".join(f"{name} {secs:.2f} s" for name, secs in result.phases.items())
        print(f"phases:              {phases}")
        print(
            f"per poster median:   {statistics.median(durations) * 1000:.1f} ms "
            f"(p90 {durations[int(len(durations) * 0.9)] * 1000:.1f} ms, "
            f"max {durations[-1] * 1000:.1f} ms; time inside one worker)"
        )
        print(f"throughput:          {len(result.made) / total:.0f} posters/s")
        print(
            f"CPU seconds:         self {times.user + times.system:.1f}, "
            f"workers {times.children_user + times.children_system:.1f}"
        )
        print(f"peak RSS:            self {self_rss:.0f} MB, largest worker {child_rss:.0f} MB")
        per_poster_kb = size_mb * 1000 / max(1, len(result.made))
        print(f"output:              {size_mb:.1f} MB, {per_poster_kb:.1f} KB per poster")
        if combined.exists():
            print(
                f"combined PDF:        {combined.stat().st_size / 1e6:.1f} MB in "
                f"{result.phases['combined PDF']:.2f} s (one file, {len(result.made)} pages)"
            )
        print(f"check:               {check}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
