"""Build the publicity site for tests: a strict MkDocs build into a folder of the test's own.

Shared by ``tests/site`` and ``tests/browser`` (imported as ``tests.site.sitebuild``).
Each build is a real ``mkdocs build --strict`` in a subprocess, so the hooks read the
office configuration (``JUBAO_OFFICE_CONFIG``) and the posters (``JUBAO_POSTERS_DIR``)
exactly as ``make site`` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MKDOCS_YML = ROOT / "site" / "mkdocs.yml"


@dataclass(frozen=True)
class Build:
    site: Path
    returncode: int
    log: str


def build_site(dest: Path, env: dict[str, str] | None = None) -> Build:
    process_env = {k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")}
    process_env["NO_MKDOCS_2_WARNING"] = "1"
    process_env.update(env or {})
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(MKDOCS_YML),
            "-d",
            str(dest),
        ],
        cwd=ROOT,
        env=process_env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return Build(dest, result.returncode, result.stdout + result.stderr)


def make_posters(folder: Path) -> dict[str, object]:
    """A small poster folder in the shape ``jubao posters defaults`` writes."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    posters = []
    for i, (region, name, name_en, lang) in enumerate(
        [("340100", "合肥市", "Hefei", "zh"), ("340100", "合肥市", "Hefei", "en")]
    ):
        png = f"{region}/poster-{lang}.png"
        pdf = f"{region}/poster-{lang}.pdf"
        (folder / region).mkdir(exist_ok=True)
        Image.new("RGB", (60, 85), (183, 28, 28)).save(folder / png)
        (folder / pdf).write_bytes(b"%PDF-1.4\n%test poster\n")
        posters.append(
            {
                "id": f"p{i}",
                "region": region,
                "region_name": name,
                "region_name_en": name_en,
                "lang": lang,
                "size": "a3",
                "pdf": pdf,
                "png": png,
                "url": "https://jubao.example.gov.cn/report/?src=340100-r.AAAAAAAAAAA",
                "tag": "340100-r.AAAAAAAAAAA",
            }
        )
    (folder / "brochure-zh.pdf").write_bytes(b"%PDF-1.4\n%brochure\n")
    manifest = {"posters": posters, "brochures": {"zh": "brochure-zh.pdf"}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return manifest
