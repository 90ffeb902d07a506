"""`make bench`: run every benchmark, one after the other, and print their figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = [
    "bench_intake.py",
    "bench_package.py",
    "bench_server.py",
    "bench_store.py",
    "bench_cases.py",
    "bench_signatures.py",
    "bench_keyfile.py",
    "bench_posters.py",
    "bench_site.py",
]


def main() -> int:
    failed = []
    for name in ORDER:
        script = HERE / name
        if not script.exists():
            continue
        print(f"\n### {name}", flush=True)
        if subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
