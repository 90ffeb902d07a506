"""PNG previews of poster PDFs for the site gallery, rendered by poppler's ``pdftoppm``.

Why poppler and not a Python renderer: it is the same engine the tests use to prove the
QR scans, it draws the embedded subset font exactly as a printer would, and Debian ships
it (``poppler-utils``). The preview shows the trimmed page: the 3 mm bleed is cut off.
pdftoppm's own PNG writer is slow (0.3 s a page), so it writes raw PPM to a pipe and
Pillow (a reportlab dependency) saves a 64-colour PNG: a third of the size, same look.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

from PIL import Image

from .layout import BLEED_MM, PAPER_MM, PaperSize

MM_PER_INCH = 25.4


class PreviewUnavailable(RuntimeError):
    """pdftoppm is not installed (Debian package poppler-utils)."""


def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        raise PreviewUnavailable("pdftoppm not found: apt-get install poppler-utils")
    return found


def render_png(pdf: Path, png: Path, size: PaperSize, width_px: int = 600) -> Path:
    """Render the trimmed page of ``pdf`` to ``png``, ``width_px`` pixels wide."""
    width_mm, height_mm = PAPER_MM[size]
    dpi = width_px / (width_mm / MM_PER_INCH)
    bleed_px = round(BLEED_MM / MM_PER_INCH * dpi)
    height_px = round(height_mm / MM_PER_INCH * dpi)
    done = subprocess.run(  # noqa: S603 - fixed program; arguments are our paths and numbers
        [
            pdftoppm(),
            "-singlefile",
            "-r",
            f"{dpi:.3f}",
            "-x",
            str(bleed_px),
            "-y",
            str(bleed_px),
            "-W",
            str(width_px),
            "-H",
            str(height_px),
            str(pdf),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    with Image.open(io.BytesIO(done.stdout)) as image:
        image.convert("RGB").quantize(colors=64).save(png, optimize=False)
    return png
