"""Helpers for the poster tests: real renderers (poppler) and real QR decoders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from chalicelib.config.office import OfficeConfig

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("pdftoppm", "pdffonts", "pdftotext", "zbarimg")


def require_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"missing Debian tools {missing}: apt-get install poppler-utils zbar-tools")


@dataclass
class Renderer:
    env: dict[str, str]

    def png(self, pdf: Path, dpi: float, out: Path) -> Path:
        """Rasterise page 1 with poppler, with no system fonts visible."""
        require_tools()
        stem = out.with_suffix("")
        subprocess.run(
            ["pdftoppm", "-png", "-singlefile", "-r", str(dpi), str(pdf), str(stem)],
            env=self.env,
            check=True,
            capture_output=True,
        )
        return stem.with_suffix(".png")

    def text(self, pdf: Path) -> str:
        done = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def fonts(self, pdf: Path) -> list[list[str]]:
        """pdffonts rows: name, type..., emb, sub, uni, object, generation."""
        done = subprocess.run(
            ["pdffonts", str(pdf)], env=self.env, check=True, capture_output=True, text=True
        )
        return [line.split() for line in done.stdout.splitlines()[2:] if line.strip()]


def english_form(office: OfficeConfig) -> str:
    """The English report page, spelled out independently of ``posters.siteurls``."""
    return f"{office.site.public_url}en/{office.site.report_path}"


def zbar_decode(png: Path) -> list[str]:
    done = subprocess.run(
        ["zbarimg", "--raw", "-q", "-Sdisable", "-Sqrcode.enable", str(png)],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in done.stdout.splitlines() if line]


def zxing_decode(png: Path) -> list[str]:
    import zxingcpp
    from PIL import Image

    with Image.open(png) as image:
        return [r.text for r in zxingcpp.read_barcodes(image.convert("L"))]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line, in a child process (exit code and stderr included)."""
    child_env = dict(env or os.environ)
    child_env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "functions"), str(ROOT)])
    return subprocess.run(
        [sys.executable, "-m", "jubao.cli", *args],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
