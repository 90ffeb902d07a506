"""Form parsing, rate limiting and the office configuration: focused unit tests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.config.office import load_office
from chalicelib.web.multipart import FormError, parse
from chalicelib.web.ratelimit import RateLimiter
from tests.api.client import multipart

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12)
values = st.text(max_size=200).filter(lambda v: "\r" not in v)


@given(fields=st.dictionaries(names, values, max_size=10))
def test_multipart_round_trip(fields):
    body, ctype = multipart(fields, [("file", "photo.jpg", "image/jpeg", b"\xff\xd8\xff\x00data")])
    form = parse(body, ctype)
    assert form.flat() == fields
    assert [(f.name, f.filename, f.content_type, f.data) for f in form.files] == [
        ("file", "photo.jpg", "image/jpeg", b"\xff\xd8\xff\x00data")
    ]


@given(fields=st.dictionaries(names, values, max_size=10))
def test_urlencoded_round_trip(fields):
    from urllib.parse import urlencode

    form = parse(urlencode(fields).encode(), "application/x-www-form-urlencoded")
    assert form.flat() == fields


@pytest.mark.parametrize(
    ("body", "ctype"),
    [
        (b"x", "multipart/form-data"),
        (
            b"--b\r\nContent-Disposition: attachment\r\n\r\nx\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
        ),
        (
            b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
        ),
        (b"\xff\xfe", "application/x-www-form-urlencoded"),
        (b"a=1", "application/json"),
    ],
)
def test_malformed_forms_are_refused(body, ctype):
    with pytest.raises(FormError):
        parse(body, ctype)


def test_too_many_parts_and_big_fields_are_refused():
    body, ctype = multipart({f"f{i}": "x" for i in range(100)}, [])
    with pytest.raises(FormError):
        parse(body, ctype, max_parts=64)
    body, ctype = multipart({"description": "x" * 20000}, [])
    with pytest.raises(FormError):
        parse(body, ctype, max_field_bytes=16 * 1024)


def test_rate_limiter_allows_a_burst_then_waits():
    limiter = RateLimiter(per_minute=60, burst=3)
    assert [limiter.allow("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.allow("a", now=0.0) == pytest.approx(1.0)
    assert limiter.allow("b", now=0.0) == 0.0  # clients are separate
    assert limiter.allow("a", now=1.0) == 0.0  # one token back after a second


def test_rate_limiter_stores_no_addresses_and_stays_bounded():
    limiter = RateLimiter(per_minute=10, max_clients=100)
    for i in range(1000):
        limiter.allow(f"198.51.100.{i % 256}:{i}")
    assert len(limiter._buckets) == 100
    assert not any(b"198.51.100" in key for key in limiter._buckets)


def test_anhui_configuration():
    office = load_office()
    cities = [r for r in office.regions if r.level == "city"]
    assert len(cities) == 16
    assert all(r.code.endswith("00") and r.parent == "340000" for r in cities)
    sectors = {i.name for i in office.industries}
    key_sectors = {
        "煤矿",
        "非煤矿山",
        "危险化学品",
        "道路交通",
        "建筑施工",
        "消防",
        "水上交通",
        "油气管道",
        "民爆物品",
        "特种设备",
        "烟花爆竹",
        "城市轨道交通",
        "城镇燃气",
        "粉尘涉爆",
        "金属冶炼",
        "旅游",
        "寄递物流",
    }
    assert key_sectors <= sectors  # 皖政办〔2017〕75号 第二条
    assert office.hotline.value == "12350"
    assert office.rules.deadlines.verification_days == 60
    for region in office.regions:
        assert office.region_chain(region.code)[-1].code == "340000"


def test_configuration_errors_are_caught(tmp_path):
    import tomllib

    from chalicelib.config.office import DEFAULT_CONFIG, OfficeConfig

    data = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    data["regions"].append(dict(data["regions"][1]))  # duplicate code
    with pytest.raises(ValueError, match="duplicate region"):
        OfficeConfig.model_validate(data)


def test_rate_limiter_refills_at_its_rate_and_says_how_long_to_wait():
    limiter = RateLimiter(per_minute=120, burst=2)  # two per second
    assert [limiter.allow("a", now=100.0) for _ in range(2)] == [0.0, 0.0]
    assert limiter.allow("a", now=100.0) == pytest.approx(0.5)
    assert limiter.allow("a", now=100.25) == pytest.approx(0.25)  # half a token back
    assert limiter.allow("a", now=100.5) == 0.0
    assert limiter.allow("a", now=100.5) == pytest.approx(0.5)


def test_rate_limiter_burst_is_half_a_minute_and_at_least_one():
    limiter = RateLimiter(per_minute=61)
    assert [limiter.allow("a", now=0.0) for _ in range(30)] == [0.0] * 30
    assert limiter.allow("a", now=0.0) == pytest.approx(60 / 61)
    single = RateLimiter(per_minute=1)
    assert single.allow("a", now=0.0) == 0.0
    assert single.allow("a", now=0.0) == pytest.approx(60.0)


def test_rate_limiter_forgets_the_least_recently_seen_client():
    limiter = RateLimiter(per_minute=60, burst=1, max_clients=2)
    assert limiter.allow("a", now=0.0) == 0.0
    assert limiter.allow("b", now=0.0) == 0.0
    assert limiter.allow("a", now=0.0) > 0  # a is now the most recent, and waits
    limiter.allow("c", now=0.0)  # b goes
    assert limiter.allow("a", now=0.0) > 0  # a was kept, still waiting
    assert limiter.allow("b", now=0.0) == 0.0  # b starts again with a full bucket
    assert all(len(key) == 16 for key in limiter._buckets)
