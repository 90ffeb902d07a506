"""`make bench`: the sizes of both Lambda packages (`make package`: build/sam/<app>/).

Prints, per app, the zip's size, its unpacked size (Lambda's limit is 250 MB unpacked,
50 MB zipped for a direct upload) and the compiled cores it carries, so a dependency
that bloats the package or a missing native wheel shows in the figures.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("public", "officer")


def sizes(app: str) -> dict[str, float | str]:
    archive = ROOT / "build" / "sam" / app / "deployment.zip"
    with zipfile.ZipFile(archive) as opened:
        infos = opened.infolist()
    cores = sorted(i.filename.rsplit("/", 1)[-1] for i in infos if i.filename.endswith(".so"))
    ours = sum(i.file_size for i in infos if i.filename.startswith(("chalicelib/", "app.py")))
    return {
        "zip_mb": archive.stat().st_size / 1e6,
        "unpacked_mb": sum(i.file_size for i in infos) / 1e6,
        "own_code_kb": ours / 1e3,
        "files": float(len(infos)),
        "cores": ", ".join(cores),
    }


def main() -> int:
    print("== lambda packages ==")
    if not all((ROOT / "build" / "sam" / app / "deployment.zip").exists() for app in APPS):
        subprocess.run([sys.executable, "-m", "infra.package"], cwd=ROOT, check=True)
    for app in APPS:
        s = sizes(app)
        print(
            f"{app}: {s['zip_mb']:.2f} MB zipped, {s['unpacked_mb']:.2f} MB unpacked, "
            f"{s['files']:.0f} files, own code {s['own_code_kb']:.0f} kB; cores: {s['cores']} "
            "(target <= 10 MB zipped)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
