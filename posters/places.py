"""The batch input: a CSV of places (``name,region,kind`` and optional ``contact``, ``people``).

Why row-level errors: the CSV is typed by hand in a spreadsheet by people who are not
programmers. One bad line must not cost the other 999 posters, and the error has to say
which line and what is wrong, in Chinese first. Spreadsheets on Chinese Windows save CSV
as GB 18030 (GBK), elsewhere as UTF-8 with or without a BOM: all three are read.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.config.office import OfficeConfig, Region

from . import fonts

PlaceKind = Literal["enterprise", "village", "community", "school", "family"]
PLACE_KINDS: tuple[PlaceKind, ...] = ("enterprise", "village", "community", "school", "family")
KIND_NAMES: dict[PlaceKind, tuple[str, str]] = {
    "enterprise": ("企业", "enterprise"),
    "village": ("村", "village"),
    "community": ("社区", "community"),
    "school": ("学校", "school"),
    "family": ("家庭", "family"),
}
_KIND_ALIASES: dict[str, PlaceKind] = {
    **{kind: kind for kind in PLACE_KINDS},
    **{zh: kind for kind, (zh, _) in KIND_NAMES.items()},
    "行政村": "village",
    "农村": "village",
    "单位": "enterprise",
    "企业单位": "enterprise",
}
REQUIRED_COLUMNS = ("name", "region", "kind")
OPTIONAL_COLUMNS = ("contact", "people")
MAX_NAME_CHARS = 40  # what the poster footer and the index sheet have room for
MAX_CONTACT_CHARS = 60


class Place(BaseModel):
    """One validated CSV row."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row: int = Field(ge=2)
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    region: str = Field(pattern=r"^\d{6}$")
    kind: PlaceKind
    contact: str = Field(default="", max_length=MAX_CONTACT_CHARS)
    people: int | None = Field(default=None, ge=0)


@dataclass(frozen=True)
class RowError:
    """A CSV line that produced no poster, and why (both languages)."""

    row: int
    zh: str
    en: str

    def __str__(self) -> str:
        return f"第 {self.row} 行 / row {self.row}: {self.zh} / {self.en}"


class PlacesFileError(ValueError):
    """The file as a whole is unusable (unreadable, no header, missing columns)."""


def decode_csv_bytes(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PlacesFileError(
        "文件编码无法识别（请另存为 UTF-8 CSV）/ cannot decode the file (save it as UTF-8 CSV)"
    )


def resolve_region(text: str, office: OfficeConfig) -> Region | None:
    """A region by code, exact Chinese or English name, or a unique name ending (蜀山区)."""
    text = text.strip()
    if text in office.regions_by_code:
        return office.regions_by_code[text]
    for region in office.regions:
        if text in (region.name, region.name_en) or text.casefold() == region.name_en.casefold():
            return region
    if len(text) >= 2:
        endings = [r for r in office.regions if r.name.endswith(text)]
        if len(endings) == 1:
            return endings[0]
    return None


def _clean(text: str) -> str:
    """Trim and normalise width; control characters are reported, not silently dropped."""
    return unicodedata.normalize("NFC", text.strip())


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf") for c in text)


def _row_error(row: int, zh: str, en: str) -> RowError:
    return RowError(row, zh, en)


def _parse_row(row_number: int, values: dict[str, str], office: OfficeConfig) -> Place | RowError:
    name = _clean(values.get("name", ""))
    if not name:
        return _row_error(row_number, "缺少地点名称（name）", "the place name (name) is empty")
    if _has_control(name):
        return _row_error(
            row_number, "地点名称含有控制字符", "the place name has control characters"
        )
    if len(name) > MAX_NAME_CHARS:
        return _row_error(
            row_number,
            f"地点名称超过 {MAX_NAME_CHARS} 个字",
            f"the place name is longer than {MAX_NAME_CHARS} characters",
        )
    missing = fonts.missing_glyphs(name)
    if missing:
        shown = " ".join(f"{c}(U+{ord(c):04X})" for c in missing)
        return _row_error(
            row_number,
            f"字体不含这些字，无法印出：{shown}",
            f"the poster font cannot print: {shown}",
        )
    region_text = _clean(values.get("region", ""))
    region = resolve_region(region_text, office)
    if region is None:
        return _row_error(
            row_number,
            f"未知地区“{region_text}”（填写地区代码或名称）",
            f"unknown region '{region_text}' (give its code or name)",
        )
    kind_text = _clean(values.get("kind", ""))
    kind = _KIND_ALIASES.get(kind_text.casefold(), _KIND_ALIASES.get(kind_text))
    if kind is None:
        allowed = "、".join(f"{zh}/{en}" for zh, en in KIND_NAMES.values())
        return _row_error(
            row_number,
            f"未知类型“{kind_text}”，可用：{allowed}",
            f"unknown kind '{kind_text}'; use one of {', '.join(PLACE_KINDS)}",
        )
    contact = _clean(values.get("contact", "") or "")
    if _has_control(contact) or len(contact) > MAX_CONTACT_CHARS:
        return _row_error(
            row_number,
            "联系人一栏过长或含有控制字符",
            "the contact is too long or has control characters",
        )
    people_text = _clean(values.get("people", "") or "").replace(",", "")
    people: int | None = None
    if people_text:
        if not people_text.isdecimal():
            return _row_error(
                row_number,
                f"人数“{people_text}”不是整数",
                f"people '{people_text}' is not a whole number",
            )
        people = int(people_text)
    return Place(
        row=row_number, name=name, region=region.code, kind=kind, contact=contact, people=people
    )


def parse_places(text: str, office: OfficeConfig) -> tuple[list[Place], list[RowError]]:
    """Every good row as a Place and every bad one as a RowError; raises if no usable header."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise PlacesFileError("文件是空的 / the file is empty") from None
    columns = [_clean(h).casefold() for h in header]
    absent = [c for c in REQUIRED_COLUMNS if c not in columns]
    if absent:
        raise PlacesFileError(
            f"第 1 行缺少列：{', '.join(absent)}（表头应为 name,region,kind[,contact][,people]）"
            f" / row 1 lacks columns: {', '.join(absent)}"
        )
    places: list[Place] = []
    errors: list[RowError] = []
    seen: dict[tuple[str, str, str], int] = {}
    for values in reader:
        row_number = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(columns):
            errors.append(
                _row_error(
                    row_number,
                    f"有 {len(values)} 列，表头只有 {len(columns)} 列（名称中的逗号请加英文引号）",
                    f"{len(values)} fields but the header has {len(columns)}"
                    " (quote names that contain commas)",
                )
            )
            continue
        result = _parse_row(row_number, dict(zip(columns, values, strict=False)), office)
        if isinstance(result, RowError):
            errors.append(result)
            continue
        key = (result.region, result.kind, result.name)
        if key in seen:
            errors.append(
                _row_error(row_number, f"与第 {seen[key]} 行重复", f"duplicate of row {seen[key]}")
            )
            continue
        seen[key] = row_number
        places.append(result)
    return places, errors


def read_places(path: Path, office: OfficeConfig) -> tuple[list[Place], list[RowError]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlacesFileError(f"无法读取 / cannot read {path}: {exc.strerror}") from None
    return parse_places(decode_csv_bytes(data), office)
