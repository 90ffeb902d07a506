"""``make mutation``: mutation-test the security core with mutmut and print the score.

mutmut names a mutant after its file's path (``src/`` stripped), while the tests import
``chalicelib`` and ``jubao`` as top-level packages. So the run happens in a scratch copy,
``build/mutation/``, laid out the way mutmut expects: ``src/chalicelib``, ``src/jubao`` and
``tests/``, with a ``pyproject.toml`` holding only mutmut's and pytest's settings. The
working tree is never touched. What is mutated and which tests run is ``scope.toml``.

The score is killed / (killed + survived), per module and in total; mutants that no
selected test reaches count as survivors. Each survivor must be explained in
``survivors.md`` (by its mutant name); the run fails if the score is under the target or
a survivor is not explained there.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "build" / "mutation"
KILLED = {1, 3, 36, 37, -9, -11, -24, 24, 152, 255}  # test failed, timeout, crash
SURVIVED = {0, 5, 33}  # tests passed, or no test reached the mutant


def patterns(modules: dict[str, list[str]]) -> list[str]:
    """mutmut's names for the mutants of the listed functions (fnmatch patterns).

    ``Intake.submit`` in ``chalicelib/reports/intake.py`` ->
    ``chalicelib.reports.intake.xǁIntakeǁsubmit__mutmut_*``; a module-level ``seal`` in
    ``chalicelib/crypto.py`` -> ``chalicelib.crypto.x_seal__mutmut_*``.
    """
    out = []
    for path, names in modules.items():
        module = path.removesuffix(".py").replace("/", ".")
        for name in names:
            cls, _, func = name.rpartition(".")
            mangled = "*" if name == "*" else f"xǁ{cls}ǁ{func}" if cls else f"x_{func}"
            out.append(f"{module}.{mangled}__mutmut_*" if name != "*" else f"{module}.*")
    return out


def prepare(modules: list[str], tests: list[str], pytest_args: list[str], skip: list[str]) -> None:
    """A fresh scratch copy of the sources and tests, and its pyproject.toml."""
    if WORK.exists():
        shutil.rmtree(WORK)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    shutil.copytree(ROOT / "functions" / "chalicelib", WORK / "src" / "chalicelib", ignore=ignore)
    shutil.copytree(ROOT / "jubao", WORK / "src" / "jubao", ignore=ignore)
    shutil.copytree(ROOT / "tests", WORK / "tests", ignore=ignore)
    mutate = [f"src/{path}" for path in modules]
    (WORK / "pyproject.toml").write_text(
        "[tool.mutmut]\n"
        'source_paths = ["src"]\n'
        f"only_mutate = {json.dumps(mutate)}\n"
        f"pytest_add_cli_args = {json.dumps(pytest_args)}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
        f"do_not_mutate_patterns = {json.dumps(skip)}\n"
        "use_git_change_detection = false\n"
        "\n[tool.pytest.ini_options]\n"
        'pythonpath = ["."]\n'
        'addopts = "-p no:cacheprovider"\n'
        "markers = [\n"
        '    "browser: browser", "aws: moto", "slow: slow",\n'
        "]\n"
        'filterwarnings = ["ignore::DeprecationWarning:botocore.*"]\n',
        encoding="utf-8",
    )


def results(selected: list[str]) -> dict[str, dict[str, int | None]]:
    """Exit code by mutant name, per mutated file, of the selected mutants only."""
    out: dict[str, dict[str, int | None]] = {}
    for meta in sorted((WORK / "mutants" / "src").rglob("*.py.meta")):
        module = str(meta.relative_to(WORK / "mutants" / "src")).removesuffix(".meta")
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        out[module] = {
            name: code
            for name, code in codes.items()
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in selected)
        }
    return out


def documented() -> set[str]:
    """Mutant names explained in survivors.md (each in backticks)."""
    text = (HERE / "survivors.md").read_text(encoding="utf-8")
    return set(re.findall(r"`([\w.]+__mutmut_\d+)`", text))


def known_gaps() -> set[str]:
    """Mutant names under survivors.md's "Known gaps" heading: named, but not excused."""
    text = (HERE / "survivors.md").read_text(encoding="utf-8")
    _, _, section = text.partition("\n## Known gaps")
    section = section.split("\n## ", 1)[0]
    return set(re.findall(r"`([\w.]+__mutmut_\d+)`", section))


def main() -> int:
    scope = tomllib.loads((HERE / "scope.toml").read_text(encoding="utf-8"))
    target = float(scope["target"])
    started = time.monotonic()
    modules: dict[str, list[str]] = scope["modules"]
    tests: dict[str, list[str]] = scope["tests"]
    selected = patterns(modules)
    prepare(list(modules), tests["paths"], tests["pytest_args"], tests["do_not_mutate_patterns"])
    children = os.environ.get("MUTATION_CHILDREN", str(scope.get("children", 2)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUBAO_")}
    run = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "mutmut", "run", "--max-children", children, *selected],
        cwd=WORK,
        env=env,
        check=False,
    )
    by_module = results(selected)
    if run.returncode != 0 or not by_module:
        print(f"mutmut failed (exit {run.returncode})", file=sys.stderr)
        return 1
    explained = documented()
    survivors: list[str] = []
    unknown = Counter[str]()
    total_killed = total = 0
    print("\nmutation score (killed / mutants; no-test mutants count as survivors)")
    for module, codes in by_module.items():
        killed = sum(1 for code in codes.values() if code in KILLED)
        alive = [name for name, code in codes.items() if code in SURVIVED]
        for code in codes.values():
            if code not in KILLED | SURVIVED:
                unknown[str(code)] += 1
        counted = killed + len(alive)
        total_killed += killed
        total += counted
        survivors += alive
        share = 100 * killed / counted if counted else 100.0
        print(f"  {module:32} {killed:5} / {counted:<5} {share:6.1f} %")
    score = 100 * total_killed / total if total else 0.0
    print(f"  {'total':32} {total_killed:5} / {total:<5} {score:6.1f} %   (target {target:.0f} %)")
    if unknown:
        print(f"  not decided (exit code: count): {dict(unknown)}")
    (WORK / "survivors.txt").write_text("".join(f"{s}\n" for s in sorted(survivors)), "utf-8")
    new = sorted(set(survivors) - explained)
    if new:
        print(f"\n{len(new)} survivor(s) not explained in mutation/survivors.md:")
        for name in new:
            print(f"  {name}")
        print("  (see them with: cd build/mutation && ../../.venv/bin/mutmut show NAME)")
    gaps = sorted(set(survivors) & known_gaps())
    if gaps:
        print(f"\n{len(gaps)} known gap(s): surviving mutants that change behaviour, listed under")
        print("  'Known gaps' in mutation/survivors.md until tests kill them")
    print(f"\nruntime {time.monotonic() - started:.0f} s")
    return 0 if score >= target and not new and not unknown else 1


if __name__ == "__main__":
    sys.exit(main())
