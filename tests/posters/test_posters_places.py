"""The CSV reader: good rows become places, every bad row is named, nothing else breaks."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.config.office import OfficeConfig
from posters.places import (
    PlacesFileError,
    RowError,
    decode_csv_bytes,
    parse_places,
    resolve_region,
)

HEADER = "name,region,kind,contact,people\n"


def test_good_rows_become_places(office: OfficeConfig) -> None:
    text = HEADER + "花园社区,340104,community,王老师,3200\n某企业,蜀山区,企业,,80\n"
    places, errors = parse_places(text, office)
    assert errors == []
    assert [(p.row, p.name, p.region, p.kind, p.contact, p.people) for p in places] == [
        (2, "花园社区", "340104", "community", "王老师", 3200),
        (3, "某企业", "340104", "enterprise", "", 80),
    ]


@pytest.mark.parametrize(
    ("line", "zh_fragment"),
    [
        ("社区,123456,community,,", "未知地区"),
        (",340104,community,,", "缺少地点名称"),
        ("社区,340104,factory,,", "未知类型"),
        ("社区,340104,community,,many", "不是整数"),
        ("社区,340104,community,,-3", "不是整数"),
        ("社区😀,340104,community,,", "U+1F600"),
        ("社区,340104,community,,,surplus", "列"),
        ("社" * 41 + ",340104,community,,", "超过"),
    ],
)
def test_a_bad_row_is_named_and_explained(
    office: OfficeConfig, line: str, zh_fragment: str
) -> None:
    good, other = "好社区,340104,community,,100\n", "另一个社区,340104,community,,100\n"
    text = HEADER + good + line + "\n" + other
    places, errors = parse_places(text, office)
    assert [p.row for p in places] == [2, 4]
    assert len(errors) == 1 and errors[0].row == 3
    assert zh_fragment in errors[0].zh
    assert str(errors[0]).startswith("第 3 行 / row 3: ")


def test_duplicates_point_at_the_first_row(office: OfficeConfig) -> None:
    text = HEADER + "甲社区,340104,community,,\n乙社区,340104,community,,\n甲社区,340104,社区,,\n"
    _, errors = parse_places(text, office)
    assert [(e.row, e.en) for e in errors] == [(4, "duplicate of row 2")]


def test_missing_columns_are_fatal_and_say_which(office: OfficeConfig) -> None:
    with pytest.raises(PlacesFileError, match="kind"):
        parse_places("name,region\n社区,340104\n", office)
    with pytest.raises(PlacesFileError):
        parse_places("", office)


def test_spreadsheet_encodings_are_read(office: OfficeConfig) -> None:
    text = HEADER + "花园社区,340104,community,王老师,3200\n"
    for data in (text.encode("utf-8"), text.encode("utf-8-sig"), text.encode("gb18030")):
        places, errors = parse_places(decode_csv_bytes(data), office)
        assert errors == [] and places[0].name == "花园社区" and places[0].contact == "王老师"


def test_regions_resolve_by_code_name_or_unique_ending(office: OfficeConfig) -> None:
    assert resolve_region("340104", office).code == "340104"  # type: ignore[union-attr]
    assert resolve_region("合肥市蜀山区", office).code == "340104"  # type: ignore[union-attr]
    assert resolve_region("蜀山区", office).code == "340104"  # type: ignore[union-attr]
    assert resolve_region("wuhu", office).code == "340200"  # type: ignore[union-attr]
    assert resolve_region("区", office) is None  # too short to be unambiguous
    assert resolve_region("上海市", office) is None


cell = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
row = st.tuples(
    cell,
    st.sampled_from(["340104", "340200", "nowhere", ""]),
    st.sampled_from(["community", "family", "企业", "x"]),
    cell,
    st.sampled_from(["", "5", "100", "x1"]),
)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(row, max_size=8))
def test_every_nonblank_line_is_a_place_or_an_error(
    office: OfficeConfig, rows: list[tuple[str, ...]]
) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["name", "region", "kind", "contact", "people"])
    writer.writerows(rows)
    places, errors = parse_places(buffer.getvalue(), office)
    seen = [p.row for p in places] + [e.row for e in errors]
    assert len(seen) == len(set(seen))
    reader = csv.reader(io.StringIO(buffer.getvalue()))
    next(reader)
    nonblank = [reader.line_num for r in reader if any(v.strip() for v in r)]
    assert sorted(seen) == nonblank
    for error in errors:
        assert isinstance(error, RowError) and error.zh and error.en


def test_the_shipped_example_is_valid(office: OfficeConfig) -> None:
    from pathlib import Path

    from posters.places import read_places

    example = Path(__file__).parents[2] / "posters" / "examples" / "places.csv"
    places, errors = read_places(example, office)
    assert errors == [] and len(places) == 7
    assert {p.kind for p in places} == {"enterprise", "village", "community", "school", "family"}
