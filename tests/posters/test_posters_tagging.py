"""The tag privacy rule, stable serials, and signatures the reporting function accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib import crypto, tags
from chalicelib.config.office import OfficeConfig
from posters.places import PLACE_KINDS, Place
from posters.tagging import (
    Registry,
    RegistryError,
    TagKeyError,
    choose_tag,
    read_tag_key_file,
    report_url,
    shared_reason,
)


def _place(
    row: int, name: str, kind: str = "community", people: int | None = 500, region: str = "340104"
) -> Place:
    return Place(row=row, name=name, region=region, kind=kind, people=people)  # type: ignore[arg-type]


@given(
    kind=st.sampled_from(PLACE_KINDS),
    people=st.none() | st.integers(0, 10_000),
    minimum=st.integers(0, 500),
)
def test_only_known_large_places_get_their_own_tag(
    kind: str, people: int | None, minimum: int
) -> None:
    reason = shared_reason(kind, people, minimum)  # type: ignore[arg-type]
    if kind == "family":
        assert reason == "family"
    elif people is not None and people < minimum:
        assert reason == "too_few_people"
    elif people is None and kind == "enterprise" and minimum > 0:
        assert reason == "people_unknown"
    else:
        assert reason is None


def test_shared_and_own_tags_verify_and_name_the_issuer(
    office: OfficeConfig, tag_key: bytes
) -> None:
    registry = Registry(None, office.office.code)
    own = choose_tag(_place(2, "花园社区"), office, registry, tag_key)
    small = choose_tag(_place(3, "小店", "enterprise", 3), office, registry, tag_key)
    for choice in (own, small):
        info = tags.verify(choice.tag, tag_key)
        assert info is not None and info.slug == choice.slug
        assert tags.issuer(info, office) == "合肥市蜀山区"
        assert len(report_url(office, choice.tag)) <= 70  # keeps the QR at version 5 or less
    assert own.slug == "340104-c0001" and own.shared is None
    assert small.slug == "340104-r" and small.shared == "too_few_people"
    other_key = crypto.random_bytes(crypto.KEY_BYTES)
    assert tags.verify(own.tag, other_key) is None  # a forged sticker's tag is refused
    assert tags.verify(own.tag[:-1] + ("A" if own.tag[-1] != "A" else "B"), tag_key) is None


def test_registry_keeps_serials_across_batches(tmp_path: Path, office: OfficeConfig) -> None:
    path = tmp_path / "registry.json"
    first = Registry(path, office.office.code)
    a = first.slug_for(_place(2, "甲社区"))
    b = first.slug_for(_place(3, "乙社区"))
    e = first.slug_for(_place(4, "甲企业", "enterprise"))
    first.save()
    assert (a, b, e) == ("340104-c0001", "340104-c0002", "340104-e0001")
    second = Registry(path, office.office.code)
    assert second.slug_for(_place(9, "乙社区")) == b  # same place, same tag, any row
    assert second.slug_for(_place(10, "丙社区")) == "340104-c0003"  # never a reused serial
    second.save()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert [p["slug"] for p in saved["places"]] == [a, b, e, "340104-c0003"]


def test_registry_of_another_office_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    path.write_text(json.dumps({"schema": 1, "office": "320000", "places": []}), "utf-8")
    with pytest.raises(RegistryError):
        Registry(path, "340000")
    path.write_text("not json", "utf-8")
    with pytest.raises(RegistryError):
        Registry(path, "340000")


def test_key_files_must_hold_32_bytes(tmp_path: Path) -> None:
    good = tmp_path / "good.key"
    good.write_text(crypto.b64e(bytes(range(32))) + "\n", "ascii")
    assert read_tag_key_file(good) == bytes(range(32))
    short = tmp_path / "short.key"
    short.write_text(crypto.b64e(b"too short"), "ascii")
    with pytest.raises(TagKeyError):
        read_tag_key_file(short)
    with pytest.raises(TagKeyError):
        read_tag_key_file(tmp_path / "absent.key")
