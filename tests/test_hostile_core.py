"""Hostile input at the level of the core: the API handlers (``guard.guarded``), the intake,
the form pipeline and the media checks, without a server.

Every answer must be a 4xx with a catalogue code (or a page for form routes), whose body
encodes as UTF-8, never a 500; a refused form post stores no file; nothing typed wrong is
echoed. The HTTP-level suite (tests/api/test_hostile_http.py) runs against the server.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import struct
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from chalicelib import media, tags
from chalicelib.errors import CATALOGUE
from chalicelib.public import forms, json_api
from chalicelib.public.app import PublicApp
from chalicelib.receipts import MalformedReceipt, Receipt
from chalicelib.reports import models
from chalicelib.web import guard
from chalicelib.web import http as api
from chalicelib.web.json_body import MAX_JSON_DEPTH, json_depth
from tests.test_attachments import photo

FIXTURE = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
REPORT = {
    "kind": "hazard",
    "region": "340104",
    "industry": "construction",
    "unit_name": "某建筑工地",
    "description": "脚手架未设置防护网，工人高空作业未系安全带。",
}
Handler = Callable[[PublicApp, api.HttpRequest], api.HttpResponse]
JSON_ROUTES: dict[str, Handler] = {
    "submit_report": json_api.submit_report,
    "report_status": json_api.report_status,
    "add_supplement": json_api.add_supplement,
    "request_upload": json_api.request_upload,
    "verify_tag": json_api.verify_tag,
}
FORM_ROUTES = {
    "form_report": forms.form_report,
    "form_status": forms.form_status,
    "form_supplement": forms.form_supplement,
}
NON_ASCII_DIGITS = "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹०१२३४५६७८९০১২৩৪৫৬৭৮৯٩"
FULLWIDTH = str.maketrans(
    "0123456789ABCDEFGHJKMNPQRSTVWXYZ-",
    "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＳＴＶＷＸＹＺ－",
)


@pytest.fixture
def env(dev_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The dev environment without rate limits (hypothesis sends many requests)."""
    import app as function

    monkeypatch.setenv("JUBAO_SUBMIT_RATE_PER_MINUTE", "1000000")
    monkeypatch.setenv("JUBAO_STATUS_RATE_PER_MINUTE", "1000000")
    function.public.reset()  # built anew with these settings
    yield dev_env


def call(
    handler: Handler,
    body: bytes | str,
    content_type: str = "application/json",
    client: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
) -> api.HttpResponse:
    request = api.new_request(
        "POST", "/t", {"Content-Type": content_type, **(headers or {})}, body, client
    )
    import app as function  # the Lambda's services, as dev_env built them

    public = function.public.get()
    response = guard.guarded("test", lambda r: handler(public, r))(request)
    response.body.encode("utf-8")  # every answer can be sent
    assert response.status < 500, response.body
    return response


def error_code(response: api.HttpResponse) -> str:
    code = json.loads(response.body)["error"]["code"]
    assert code in CATALOGUE
    assert CATALOGUE[code][0] == response.status
    return str(code)


def submit(body: dict[str, object], client: str = "127.0.0.1") -> api.HttpResponse:
    return call(json_api.submit_report, json.dumps(body, ensure_ascii=False), client=client)


def multipart(
    fields: dict[str, str],
    files: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    field_headers: str = "",
) -> tuple[bytes, str]:
    boundary = "b" + uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        out += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
                f"{field_headers}\r\n"
            ).encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    for filename, kind, data in files:
        out += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                f'filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    return out + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def stored_attachments(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "jubao.sqlite3") as conn:
        return int(conn.execute("SELECT count(*) FROM attachments").fetchone()[0])


# ---- 1. digits of every script in receipts and tags -----------------------------------------


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_any_text_parses_to_an_ascii_receipt_or_is_malformed(text: str) -> None:
    try:
        receipt = Receipt.parse(text)
    except MalformedReceipt:
        return
    assert receipt.compact.isascii() and receipt.number.isdigit()
    receipt.mac(b"k" * 32)  # hashable: pure ASCII


@given(st.text(alphabet=NON_ASCII_DIGITS, min_size=8, max_size=8))
def test_other_scripts_digits_are_not_a_report_number(digits: str) -> None:
    with pytest.raises(MalformedReceipt):
        Receipt.parse(digits + "ABCDEFGHJKMNPQRS")


def test_fullwidth_receipt_from_a_chinese_ime_is_read_as_ascii() -> None:
    receipt = Receipt.new()
    assert Receipt.parse(str(receipt).translate(FULLWIDTH)) == receipt
    assert Receipt.parse(str(receipt).translate(FULLWIDTH).lower().replace("－", "　")) == receipt


@settings(max_examples=300)
@given(st.text(max_size=90))
def test_any_tag_text_verifies_or_is_dropped(text: str) -> None:
    key = b"t" * 32
    assert tags.verify(text, key) is None
    genuine = tags.sign("340104-c0012", key)
    assert tags.verify(genuine, key) is not None
    digits = genuine.replace("340104", "٣٤٠١٠٤")
    assert tags.verify(digits, key) is None
    assert tags.verify(genuine + "\n", key) is None


@FIXTURE
@given(
    st.one_of(
        st.text(alphabet=NON_ASCII_DIGITS + "ABCDEFGHJKMNPQRS-９", min_size=1, max_size=40),
        st.text(max_size=64),
    )
)
def test_receipt_routes_never_fail_on_any_text(env: Path, text: str) -> None:
    status = call(json_api.report_status, json.dumps({"receipt": text}))
    assert error_code(status) in ("receipt_malformed", "receipt_invalid", "validation_failed")
    supplement = call(
        json_api.add_supplement, json.dumps({"receipt": text, "text": "补充一些内容"})
    )
    assert error_code(supplement) in ("receipt_malformed", "receipt_invalid", "validation_failed")
    for handler in (forms.form_status, forms.form_supplement):
        body, ctype = multipart({"receipt": text, "text": "补充一些内容"})
        page = call(handler, body, ctype)
        assert page.status in (404, 422)
        if len(text.strip()) > 3:
            assert f'value="{text.strip()}"' not in page.body  # a wrong receipt is not echoed


@FIXTURE
@given(st.text(max_size=80))
def test_tag_routes_never_fail_on_any_text(env: Path, text: str) -> None:
    verified = call(json_api.verify_tag, json.dumps({"tag": text}))
    assert verified.status == 200 and json.loads(verified.body)["valid"] is False
    report = submit(dict(REPORT, source=text))
    assert report.status in (201, 422)
    form = call(
        forms.form_report,
        urlencode(dict(REPORT, source=text, anonymous="1")).encode(),
        "application/x-www-form-urlencoded",
    )
    assert form.status in (200, 201)  # a bad hidden tag is dropped, never an error


# ---- 2. deeply nested JSON ------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["[" * 3000 + "]" * 3000, '{"a":' * 3000 + "1" + "}" * 3000, "[" * 60_000, '{"a":[' * 20],
)
def test_deep_json_is_refused_on_every_json_route(env: Path, body: str) -> None:
    for name, handler in JSON_ROUTES.items():
        assert error_code(call(handler, body)) == "json_too_deep", name


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab', max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=30,
)


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    return 0


@settings(max_examples=300)
@given(JSON_VALUES)
def test_depth_scan_agrees_with_the_parser(value: object) -> None:
    assert json_depth(json.dumps(value).encode()) == _depth(value)


@FIXTURE
@given(JSON_VALUES, st.sampled_from(sorted(JSON_ROUTES)))
def test_any_json_value_gets_a_catalogue_answer(env: Path, value: object, route: str) -> None:
    response = call(JSON_ROUTES[route], json.dumps(value))
    if response.status >= 400:
        error_code(response)


@pytest.mark.parametrize("body", ['{"receipt": "\\ud800"}', '{"\\udfff": 1}', '["\\udbff"]'])
def test_json_that_is_not_text_is_malformed(env: Path, body: str) -> None:
    for handler in JSON_ROUTES.values():
        assert error_code(call(handler, body)) == "malformed_json"


def test_nan_and_infinity_fail_the_bounds(env: Path) -> None:
    for number in ("NaN", "Infinity", "-Infinity"):
        body = (
            json.dumps(REPORT, ensure_ascii=False)[:-1]
            + f', "location": {{"lat": {number}, "lon": 0}}}}'
        )
        response = call(json_api.submit_report, body)
        assert error_code(response) == "validation_failed"
        assert json.loads(response.body)["error"]["fields"][0]["field"] == "location.lat"


def test_shallow_bodies_still_pass_the_depth_check() -> None:
    assert json_depth(json.dumps(dict(REPORT, reporter={"name": "张三"})).encode()) == 2
    assert MAX_JSON_DEPTH >= 4


# ---- 3. form text in another charset --------------------------------------------------------


@pytest.mark.parametrize("charset", ["utf-7", "unicode_escape", "latin-1", "x-unknown", "utf-16"])
def test_form_text_in_another_charset_is_refused(env: Path, charset: str) -> None:
    fields = dict(REPORT, unit_name="+2ADcAA-", receipt="+2ADcAA-", text="\\ud800\\udc00xx")
    body, ctype = multipart(
        fields, field_headers=f"Content-Type: text/plain; charset={charset}\r\n"
    )
    for name, handler in FORM_ROUTES.items():
        page = call(handler, body, ctype)
        assert page.status == 400, name
        assert CATALOGUE["malformed_form"][1] in page.body


def test_form_text_declared_utf8_is_read(env: Path) -> None:
    fields = dict(REPORT, anonymous="1")
    body, ctype = multipart(fields, field_headers="Content-Type: text/plain; charset=UTF-8\r\n")
    assert call(forms.form_report, body, ctype).status == 201


def test_urlencoded_bytes_that_are_not_utf8_are_refused(env: Path) -> None:
    page = call(
        forms.form_status, b"receipt=%ED%A0%80&lang=en", "application/x-www-form-urlencoded"
    )
    assert page.status == 400


def test_pages_are_always_sendable() -> None:
    from chalicelib.public import pages

    assert pages.sendable("a\ud800b").encode("utf-8")
    assert pages.sendable("正常") == "正常"


# ---- 4. invisible characters ----------------------------------------------------------------

REFUSED = st.characters(categories=["Cf", "Co", "Cs", "Cc"]).filter(
    lambda c: c not in "\t\n\r" and c != "\u200d"
)
ORDINARY = st.text(
    alphabet=st.characters(categories=["Lo", "Lu", "Ll", "Nd", "Po", "Ps", "Pe", "Pd", "So", "Zs"]),
    min_size=10,
    max_size=60,
)


@settings(max_examples=300)
@given(REFUSED, st.text(alphabet="隐患安全abc", min_size=1, max_size=10), st.booleans())
def test_invisible_and_control_characters_are_refused(
    char: str, text: str, multiline: bool
) -> None:
    assert models.invisible_at(text[:1] + char + text, multiline=multiline) == 1


@settings(max_examples=300)
@given(ORDINARY)
def test_ordinary_text_passes(text: str) -> None:
    assert all(unicodedata.category(c)[0] != "C" for c in text)
    assert models.invisible_at(text, multiline=False) is None


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("普通中文，标点。：「」《》……——", True),
        ("火灾隐患🔥🧯", True),
        ("消防员🧑‍🚒到场", True),  # an emoji ZWJ sequence
        ("一家人👨‍👩‍👧", True),
        ("隐\u200d藏", False),  # a joiner between letters
        ("隐\u2060藏", False),
        ("隐\ufeff藏", False),
        ("隐\u061c藏", False),
        ("标签\U000e0041\U000e0042", False),
        ("私用\ue000区", False),
        ("换行\u2028符", False),
    ],
)
def test_invisible_character_decisions(text: str, ok: bool) -> None:
    assert (models.invisible_at(text, multiline=False) is None) is ok


@FIXTURE
@given(REFUSED, st.sampled_from(["unit_name", "description", "address"]))
def test_refused_characters_are_a_field_error_at_the_api(env: Path, char: str, field: str) -> None:
    body = dict(REPORT, address="合肥市蜀山区")
    body[field] = body[field][:3] + char + body[field][3:]
    response = call(json_api.submit_report, json.dumps(body))  # ASCII escapes: even \ud800 travels
    assert error_code(response) in ("validation_failed", "malformed_json")
    if response.status == 422:
        fields = json.loads(response.body)["error"]["fields"]
        assert fields == [
            {
                "field": field,
                "code": "control_characters",
                "message_zh": fields[0]["message_zh"],
                "message_en": fields[0]["message_en"],
            }
        ]


def test_line_separators_break_lines_in_text_only(env: Path) -> None:
    response = submit(dict(REPORT, description="第一段内容很长很长\u2029第二段内容"))
    assert response.status == 201
    assert error_code(submit(dict(REPORT, unit_name="某\u2028公司"))) == "validation_failed"


# ---- 5a. a refused form post stores no file ---------------------------------------------------


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"website": "http://spam.example"}, 400),  # the honeypot
        ({"description": "短"}, 422),  # invalid
        ({"region": "999999"}, 422),
        ({"kind": "nonsense"}, 422),
    ],
)
def test_refused_form_post_stores_no_file_and_says_so(
    env: Path, change: dict[str, str], status: int
) -> None:
    body, ctype = multipart(
        dict(REPORT, anonymous="1", **change), [("p.jpg", "image/jpeg", photo())]
    )
    page = call(forms.form_report, body, ctype)
    assert page.status == status
    assert "您选择的文件没有保存" in page.body
    assert stored_attachments(env) == 0


def test_form_post_with_a_bad_second_file_stores_neither(env: Path) -> None:
    files = [("p.jpg", "image/jpeg", photo()), ("q.jpg", "image/jpeg", b"\xff\xd8\xff")]
    body, ctype = multipart(dict(REPORT, anonymous="1"), files)
    page = call(forms.form_report, body, ctype)
    assert page.status == 415 and stored_attachments(env) == 0


def test_accepted_form_post_stores_its_files_once(env: Path) -> None:
    body, ctype = multipart(dict(REPORT, anonymous="1"), [("p.jpg", "image/jpeg", photo())])
    first = call(forms.form_report, body, ctype)
    again = call(forms.form_report, body, ctype)  # a double click
    assert (first.status, again.status) == (201, 200)
    assert stored_attachments(env) == 1
    assert "您选择的文件没有保存" not in first.body


def test_refused_form_supplement_stores_no_file(env: Path) -> None:
    receipt = json.loads(submit(REPORT).body)["receipt"]
    files = [("p.jpg", "image/jpeg", photo())]
    short, ctype = multipart({"receipt": receipt, "text": "x"}, files)
    page = call(forms.form_supplement, short, ctype)
    assert page.status == 422 and "您选择的文件没有保存" in page.body
    wrong, ctype = multipart({"receipt": "1234-5678-ABCD-EFGH-JKMN-PQRS", "text": "补充"}, files)
    assert call(forms.form_supplement, wrong, ctype).status == 404
    assert stored_attachments(env) == 0
    good, ctype = multipart({"receipt": receipt, "text": "补充内容"}, files)
    assert call(forms.form_supplement, good, ctype).status == 201
    assert stored_attachments(env) == 1


# ---- 5b. a claim needs a sealed file -------------------------------------------------------


def test_a_report_cannot_claim_a_file_never_uploaded(env: Path) -> None:
    ticket = call(
        json_api.request_upload,
        json.dumps({"region": "340104", "content_type": "image/jpeg", "size": 1000}),
    )
    assert ticket.status == 201
    pending = json.loads(ticket.body)["attachment_id"]
    response = submit(dict(REPORT, attachments=[pending]))
    assert error_code(response) == "attachment_unknown"


# ---- 5c. files must be whole ---------------------------------------------------------------


def _png(**options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, "PNG", **options)
    return out.getvalue()


def _webp(**options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 10)).save(out, "WEBP", **options)
    return out.getvalue()


GOOD_PNG = _png()
GOOD_JPEG = photo()
GOOD_WEBP = _webp(lossless=True)
GOOD_MP4 = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + b"\0\0\0\x10mdat" + b"\x01" * 8
GOOD_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.mark.parametrize(
    ("data", "kind", "code"),
    [
        (b"\xff\xd8\xff", media.JPEG, "attachment_type"),
        (GOOD_JPEG[: len(GOOD_JPEG) // 2], media.JPEG, "attachment_damaged"),  # no EOI
        (b"\xff\xd8\xff\xdb\0\x04\0\0\xff\xd9", media.JPEG, "attachment_damaged"),  # no frame
        (GOOD_PNG[:33] + GOOD_PNG[-12:], media.PNG, "attachment_damaged"),  # no IDAT
        (GOOD_PNG[:-12], media.PNG, "attachment_damaged"),  # no IEND
        (GOOD_WEBP[:12] + b"JUNK\0\0\0\0", media.WEBP, "attachment_damaged"),
        (b"RIFF\x0c\0\0\0WEBPVP8 \0\0\0\0", media.WEBP, "attachment_damaged"),
        (GOOD_MP4[:-4], media.MP4, "attachment_damaged"),  # a box runs past the end
        (b"\0\0\0\x0bftypmp42\0\0\0", media.MP4, "attachment_damaged"),
        (GOOD_PDF[:-8], media.PDF, "attachment_damaged"),  # no %%EOF
        (b"%PDF-x.y\n%%EOF", media.PDF, "attachment_damaged"),
    ],
)
def test_broken_files_are_refused(env: Path, data: bytes, kind: str, code: str) -> None:
    from chalicelib.reports import attachments

    with pytest.raises(attachments.ApiError) as refused:
        attachments._clean_upload(kind, len(data) + 1, data)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (GOOD_JPEG, media.JPEG),
        (GOOD_PNG, media.PNG),
        (GOOD_WEBP, media.WEBP),
        (_webp(quality=80), media.WEBP),
        (GOOD_MP4, media.MP4),
        (GOOD_PDF, media.PDF),
    ],
)
def test_whole_files_are_accepted(data: bytes, kind: str) -> None:
    from chalicelib.reports import attachments

    assert attachments._clean_upload(kind, len(data), data)


@settings(max_examples=200)
@given(st.binary(max_size=300), st.sampled_from([media.MP4, media.QUICKTIME, media.PDF]))
def test_structure_check_raises_only_media_error(data: bytes, kind: str) -> None:
    with contextlib.suppress(media.MediaError):
        media.check_structure(data, kind)


# ---- 5d. ICC profiles carry no text --------------------------------------------------------

MARKER = b"ICCMARKER42"


def _icc_with_text(base: bytes, marker: bytes) -> bytes:
    """``base`` with the marker in desc, cprt, dmnd, dmdd, meta and the header."""
    count = int.from_bytes(base[128:132], "big")
    tags_: list[tuple[bytes, bytes]] = []
    for i in range(count):
        sig, off, size = struct.unpack(">4sII", base[132 + 12 * i : 144 + 12 * i])
        if sig not in (b"desc", b"cprt"):
            tags_.append((sig, base[off : off + size]))
    text = b"text\0\0\0\0" + marker + b"\0"
    tags_ += [(sig, text) for sig in (b"desc", b"cprt", b"dmnd", b"dmdd", b"meta", b"ZZZZ")]
    table_end = 132 + 12 * len(tags_)
    table, body = b"", b""
    for sig, data in tags_:
        body += b"\0" * (-len(body) % 4)
        table += struct.pack(">4sII", sig, table_end + len(body), len(data))
        body += data
    header = bytearray(base[:128])
    header[4:8] = marker[:4]  # preferred CMM
    header[48:56] = marker[:8]  # device manufacturer and model
    header[80:84] = marker[:4]  # creator
    header[100:111] = marker[:11]  # reserved bytes
    out = header + struct.pack(">I", len(tags_)) + table + body
    out[0:4] = struct.pack(">I", len(out))
    return bytes(out)


SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
MARKED_ICC = _icc_with_text(SRGB, MARKER)


def _big_icc() -> bytes:
    """A profile of more than one JPEG segment (a padded LUT-sized profile)."""
    return _icc_with_text(SRGB, MARKER + b"x" * 70_000)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
@pytest.mark.parametrize("profile", [MARKED_ICC, _big_icc()], ids=["small", "two-segments"])
def test_icc_profile_text_is_removed_and_colours_kept(fmt: str, profile: bytes) -> None:
    from tests.test_media import same_colours

    img = Image.new("RGB", (24, 16))
    img.putdata([(x * 9 % 256, x * 5 % 256, x * 3 % 256) for x in range(24 * 16)])
    out = io.BytesIO()
    img.save(out, fmt, icc_profile=profile, **({"lossless": True} if fmt == "WEBP" else {}))
    original = out.getvalue()
    assert MARKER in Image.open(io.BytesIO(original)).info["icc_profile"]
    kind = media.sniff(original)
    assert kind is not None
    stripped = media.strip_metadata(original, kind)
    assert MARKER not in stripped and MARKER[:4] not in stripped
    after = Image.open(io.BytesIO(stripped))
    after.load()
    cleaned = after.info["icc_profile"]
    for tag in (b"dmnd", b"dmdd", b"meta", b"ZZZZ"):
        assert tag not in cleaned[128 : 132 + 12 * int.from_bytes(cleaned[128:132], "big")]
    assert cleaned[24:36] == bytes(12) and cleaned[48:56] == bytes(8)  # date, device
    assert same_colours(cleaned, SRGB)
    assert media.strip_metadata(stripped, kind) == stripped
    assert after.tobytes() == Image.open(io.BytesIO(original)).tobytes()


@settings(max_examples=200)
@given(st.binary(max_size=600))
def test_any_bytes_as_a_profile_clean_or_none(data: bytes) -> None:
    for candidate in (data, SRGB[:128] + data, SRGB[: len(data)] + data):
        cleaned = media.clean_icc(candidate)
        assert cleaned is None or media.clean_icc(cleaned) == cleaned


# ---- 6. the implicit replay stays with its client -----------------------------------------


def test_same_body_from_another_client_is_a_new_report(env: Path) -> None:
    body = dict(REPORT, unit_name="重放测试单位")
    first = submit(body, client="10.0.0.1")
    mine = submit(dict(reversed(list(body.items()))), client="10.0.0.1")
    other = submit(dict(reversed(list(body.items()))), client="10.0.0.2")
    assert (first.status, mine.status, other.status) == (201, 200, 201)
    first_receipt = json.loads(first.body)["receipt"]
    assert json.loads(mine.body)["receipt"] == first_receipt
    assert json.loads(other.body)["receipt"] != first_receipt
    assert first_receipt[15:] not in other.body  # not even part of the secret


def test_explicit_idempotency_key_still_replays_across_clients(env: Path) -> None:
    key = {"Idempotency-Key": "key-" + uuid.uuid4().hex}
    body = json.dumps(dict(REPORT, unit_name="幂等键单位"), ensure_ascii=False)
    first = call(json_api.submit_report, body, client="10.0.0.1", headers=key)
    again = call(json_api.submit_report, body, client="10.0.0.9", headers=key)
    assert (first.status, again.status) == (201, 200)
    assert json.loads(first.body)["receipt"] == json.loads(again.body)["receipt"]
    bad = call(json_api.submit_report, body, headers={"Idempotency-Key": "a" * 16 + "\n"})
    assert error_code(bad) == "idempotency_key_invalid"


# ---- 7. receipts in pages -------------------------------------------------------------------


def test_status_page_shows_the_printed_receipt_never_the_typed_one(env: Path) -> None:
    receipt = json.loads(submit(dict(REPORT, unit_name="回执显示单位")).body)["receipt"]
    typed = "  " + receipt.lower().replace("-", " ").translate(FULLWIDTH) + " "
    page = call(
        forms.form_status,
        urlencode({"receipt": typed}).encode(),
        "application/x-www-form-urlencoded",
    )
    assert page.status == 200
    assert f'value="{receipt}"' in page.body and typed.strip() not in page.body
    wrong = "9999-8888-ZZZZ-YYYY-XXXX-WWWW"
    for handler in (forms.form_status, forms.form_supplement):
        body, ctype = multipart({"receipt": wrong, "text": "补充内容"})
        refused = call(handler, body, ctype)
        assert refused.status == 404 and wrong not in refused.body


WRONG = "9753-1864-ZQXW-VTSR-PNMK-JHGF"  # receipt-shaped, opens nothing


@pytest.mark.parametrize(
    "typed",
    [
        WRONG,
        "  " + WRONG.lower().replace("-", " ") + " ",
        WRONG.translate(FULLWIDTH),
        WRONG.replace("-", ""),
        WRONG[:-1],  # malformed: one character short
        WRONG[:-1] + "!",  # malformed: not a receipt character
        "<i>" + WRONG + "</i>",  # malformed, with markup
    ],
)
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_wrong_receipt_never_comes_back_in_any_form(
    env: Path, typed: str, lang: str, encoding: str
) -> None:
    """Not as typed, not normalised, not printed, not a part of it: the refused page
    offers an empty receipt field, on both routes that take a receipt without JS."""
    fields = {"receipt": typed, "text": "补充内容", "lang": lang}
    if encoding == "multipart":
        body, ctype = multipart(fields)
    else:
        body, ctype = urlencode(fields).encode(), "application/x-www-form-urlencoded"
    pieces = ["ZQXW", "PNMK", "JHG", "97531864", "9753-1864", "9753 1864"]
    for handler in (forms.form_status, forms.form_supplement):
        page = call(handler, body, ctype)
        assert page.status in (404, 422)
        assert 'name="receipt" value=""' in page.body
        text = page.body.upper().translate(str.maketrans("ＺＱＸＷＰＮＭＫＪＨＧ", "ZQXWPNMKJHG"))
        assert [piece for piece in pieces if piece in text] == []
    answer = call(json_api.report_status, json.dumps({"receipt": typed}))
    assert [piece for piece in pieces if piece in answer.body.upper()] == []
