"""The HTTP primitives every route shares: rate limits, body size, strict JSON bodies."""

from __future__ import annotations

import json

import pytest

from chalicelib.errors import ApiError
from chalicelib.web.http import check_size, limit, new_request
from chalicelib.web.json_body import MAX_JSON_DEPTH, json_depth, load_json
from chalicelib.web.ratelimit import RateLimiter


def _request(body: bytes = b"", client: str = "198.51.100.7"):
    return new_request("POST", "/api/status", {}, body, client)


def test_a_client_over_its_rate_is_told_when_to_come_back() -> None:
    hourly = RateLimiter(per_minute=1, burst=1)
    limit(hourly, _request())
    with pytest.raises(ApiError) as refused:
        limit(hourly, _request())
    assert refused.value.code == "rate_limited"
    assert refused.value.headers == {"Retry-After": "60"}  # one token a minute


def test_a_wait_under_a_second_is_still_a_refusal_and_says_one_second() -> None:
    fast = RateLimiter(per_minute=6000, burst=1)  # a token every 10 ms
    limit(fast, _request())
    with pytest.raises(ApiError) as refused:
        limit(fast, _request())
    assert refused.value.headers == {"Retry-After": "1"}  # never "0": that means now
    limit(fast, _request(client="203.0.113.9"))  # another client has its own bucket


def test_a_body_may_be_exactly_as_large_as_the_limit() -> None:
    check_size(_request(b"x" * 100), 100)
    with pytest.raises(ApiError) as refused:
        check_size(_request(b"x" * 101), 100)
    assert refused.value.code == "body_too_large"


def _nested(depth: int) -> bytes:
    return ("[" * (depth - 1) + '{"a": "]]]"}' + "]" * (depth - 1)).encode()


def test_json_may_nest_exactly_as_deep_as_the_limit() -> None:
    deepest = _nested(MAX_JSON_DEPTH)
    assert json_depth(deepest) == MAX_JSON_DEPTH  # the brackets inside the string do not count
    assert load_json(deepest) == json.loads(deepest)
    with pytest.raises(ApiError) as refused:
        load_json(_nested(MAX_JSON_DEPTH + 1))
    assert refused.value.code == "json_too_deep"
