"""``make package``: both Chalice apps as SAM templates with their deployment zips.

``python -m infra.package [--out build/sam] [--stage prod]`` writes
``build/sam/public/{sam.json,deployment.zip}`` and ``build/sam/officer/...``.

Each app is packaged from a project folder assembled under ``build/chalice/<app>/``:
its ``app.py`` and ``.chalice/config.json``, the one ``functions/chalicelib`` and
``functions/requirements.txt``, the policy files of ``policies.py`` and the merge
template of ``functions.py``. Why a copy: Chalice zips ``chalicelib/`` from the project
folder only, and the officers' app (``functions/officer/app.py``) imports the same
``chalicelib`` from one level up; a symlink would be followed by some tools and not by
others, and a copy also keeps generated policies out of the source tree. Nothing else is
copied: no ``jubao/`` (officers' machines: key files, console), no tests, no dev keys.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from infra import functions

ROOT = Path(__file__).resolve().parents[1]
CHALICELIB = ROOT / "functions" / "chalicelib"
REQUIREMENTS = ROOT / "functions" / "requirements.txt"
# files of chalicelib that are never shipped (compiled caches)
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo")


def assemble(app: functions.App, stage: str, into: Path, office: Path | None = None) -> Path:
    """The project folder Chalice packages ``app`` from (made afresh); ``office``: the
    office file the functions read (``JUBAO_OFFICE_CONFIG`` at package time), copied in."""
    source = ROOT / app.project
    if into.exists():
        cache = into / ".chalice" / "deployments"  # Chalice's wheel cache: keep it
        kept = into.parent / f".{into.name}-deployments"
        if cache.exists():
            shutil.rmtree(kept, ignore_errors=True)
            cache.rename(kept)
        shutil.rmtree(into)
    (into / ".chalice").mkdir(parents=True)
    shutil.copy2(source / "app.py", into / "app.py")
    shutil.copy2(source / ".chalice" / "config.json", into / ".chalice" / "config.json")
    shutil.copytree(CHALICELIB, into / "chalicelib", ignore=_SKIP)
    shutil.copy2(REQUIREMENTS, into / "requirements.txt")
    if office is not None:
        shutil.copy2(office, into / functions.PACKAGED_OFFICE)
    for name, document in functions.policy_files(app, stage).items():
        (into / ".chalice" / name).write_text(json.dumps(document, indent=2) + "\n", "utf-8")
    (into / ".chalice" / "merge.json").write_text(
        json.dumps(functions.merge_template(app, office_packaged=office is not None), indent=2)
        + "\n",
        "utf-8",
    )
    kept = into.parent / f".{into.name}-deployments"
    if kept.exists():
        kept.rename(into / ".chalice" / "deployments")
    return into


def chalice_command(project: Path, stage: str, out: Path) -> list[str]:
    """The ``chalice package`` call for one assembled project (absolute paths: the CLI
    changes into the project folder)."""
    return [
        str(Path(sys.executable).with_name("chalice")),
        "--project-dir",
        str(project),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(project / ".chalice" / "merge.json"),
        str(out),
    ]


def package(
    app: functions.App, stage: str, out: Path, work: Path, office: Path | None = None
) -> Path:
    """``out/<app>/sam.json`` and ``deployment.zip`` for ``app``."""
    project = assemble(app, stage, work / app.name, office)
    target = out / app.name
    shutil.rmtree(target, ignore_errors=True)
    # Chalice needs a region even offline; the template itself is region-free
    env = {**os.environ, "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "cn-north-1")}
    command = chalice_command(project, stage, target.resolve())
    subprocess.run(command, check=True, env=env)  # noqa: S603 (our own venv's chalice)
    return target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "sam")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "chalice")
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--app", choices=sorted(functions.APPS), action="append")
    parser.add_argument(
        "--office",
        type=Path,
        default=Path(os.environ["JUBAO_OFFICE_CONFIG"])
        if os.environ.get("JUBAO_OFFICE_CONFIG")
        else None,
        help="the office file to ship (default: JUBAO_OFFICE_CONFIG, else the sample office)",
    )
    args = parser.parse_args(argv)
    for name in args.app or sorted(functions.APPS):
        target = package(
            functions.APPS[name], args.stage, args.out.resolve(), args.work.resolve(), args.office
        )
        print(f"{name}: {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
