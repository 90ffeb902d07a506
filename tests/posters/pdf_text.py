"""Text lines of a PDF as poppler lays them out (``pdftotext -tsv``), with positions.

Why poppler: it is the renderer the other poster tests trust, and its TSV output names
each word's page, block and line, so "the first character of a line" means what a reader
sees at the left edge of a printed line, not a guess from the content stream.
"""

from __future__ import annotations

import csv
import io
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Line:
    page: int
    top: float  # points from the top of the page
    bottom: float
    text: str  # the line's words joined by single spaces


def text_lines(pdf: Path, env: dict[str, str]) -> list[Line]:
    """Every text line of ``pdf``, page by page, in poppler's reading order."""
    done = subprocess.run(
        ["pdftotext", "-tsv", "-enc", "UTF-8", str(pdf), "-"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    words: dict[tuple[int, ...], list[tuple[float, float, str]]] = {}
    for row in csv.DictReader(io.StringIO(done.stdout), delimiter="\t", quoting=csv.QUOTE_NONE):
        if row["level"] != "5":
            continue
        key = tuple(int(row[k]) for k in ("page_num", "par_num", "block_num", "line_num"))
        top, height = float(row["top"]), float(row["height"])
        words.setdefault(key, []).append((top, top + height, row["text"]))
    return [
        Line(
            page=key[0],
            top=min(w[0] for w in found),
            bottom=max(w[1] for w in found),
            text=" ".join(w[2] for w in found),
        )
        for key, found in words.items()
    ]


def page_count(pdf: Path, env: dict[str, str]) -> int:
    done = subprocess.run(
        ["pdfinfo", str(pdf)], env=env, check=True, capture_output=True, text=True
    )
    return int(
        next(line for line in done.stdout.splitlines() if line.startswith("Pages:")).split()[1]
    )
