"""An unexpected error is answered with a stable code and logged without its message.

An exception's message, its ``repr``, its notes and the exceptions it was raised from can
all carry what a reporter typed (``ValueError(f"bad value {text}")``). The unhandled-error
path (``chalicelib.web.guard.guarded``) must log only the route, the exception's type and where
in the code it happened. Checked twice: on the records themselves (what any handler,
CloudWatch's included, would be given) and on the text the real logging configuration of
``jubao serve`` (``jubao.quietlog``) writes.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace, TracebackType

import pytest

from chalicelib.errors import ApiError
from chalicelib.public import json_api
from chalicelib.public.app import PublicApp
from chalicelib.reports.intake import Intake
from chalicelib.store.base import StoreError
from chalicelib.web import guard
from chalicelib.web import http as api
from jubao import quietlog

MARKER = "举报人李四-MARKER-7f3a9c 13900001111"


class Leaky(Exception):
    """An exception whose every rendering carries the marker."""

    def __str__(self) -> str:
        return f"str {MARKER}"

    def __repr__(self) -> str:
        return f"Leaky({MARKER!r})"


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Captured:
    stream: io.StringIO
    records: _Records

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, object]]:
        """Our JSON lines (``<time> <level> <json>``)."""
        out = []
        for line in self.text.splitlines():
            payload = line.split(" ", 2)[2]
            if payload.startswith("{"):
                out.append(json.loads(payload))
        return out


@pytest.fixture
def captured() -> Iterator[Captured]:
    """The real configuration of ``jubao serve``, writing to a buffer, and every record."""
    saved = (
        sys.excepthook,
        threading.excepthook,
        sys.unraisablehook,
        logging.getLogger().handlers[:],
        logging.getLogger().level,
    )
    stream = io.StringIO()
    quietlog.install(stream)
    records = _Records()
    logging.getLogger().addHandler(records)
    try:
        yield Captured(stream, records)
    finally:
        sys.excepthook, threading.excepthook, sys.unraisablehook, handlers, level = saved
        root = logging.getLogger()
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
        for name in ("waitress", "waitress.queue"):  # install() set them: leave no trace
            logging.getLogger(name).setLevel(logging.NOTSET)


def _raise_leaky() -> None:
    try:
        raise ValueError(f"cause {MARKER}")
    except ValueError as cause:
        error = Leaky(MARKER)
        error.add_note(f"note {MARKER}")
        raise error from cause


def _raise_runtime() -> None:
    raise RuntimeError(MARKER)


def _raise_store() -> None:
    raise StoreError(MARKER)  # answered 503: nothing was stored


def _request(body: str = "") -> api.HttpRequest:
    return api.new_request(
        "POST",
        f"/api/status?q={MARKER}",
        {"Content-Type": "application/json", "User-Agent": MARKER},
        body or json.dumps({"receipt": MARKER}, ensure_ascii=False),
        client="198.51.100.77",
    )


def _assert_quiet(captured: Captured) -> None:
    assert captured.records.records, "nothing was logged"
    for record in captured.records.records:
        assert MARKER not in record.getMessage()
        assert record.exc_info is None and record.exc_text is None and record.stack_info is None
        assert not record.args
    for secret in (MARKER, "MARKER-7f3a9c", "13900001111", "198.51.100.77", "Traceback"):
        assert secret not in captured.text


def _unhandled(captured: Captured) -> dict[str, object]:
    (line,) = [line for line in captured.lines() if line.get("event") == "unhandled"]
    return line


@pytest.mark.parametrize(
    ("failure", "error", "code", "status"),
    [
        (_raise_leaky, "Leaky", "internal_error", 500),
        (_raise_runtime, "RuntimeError", "internal_error", 500),
        (_raise_store, "StoreError", "service_unavailable", 503),
    ],
)
def test_unhandled_errors_log_type_and_place_never_the_message(
    captured: Captured, failure: Callable[[], None], error: str, code: str, status: int
) -> None:
    def handler(request: api.HttpRequest) -> api.HttpResponse:
        failure()
        raise AssertionError("unreachable")

    response = guard.guarded("report_status", handler)(_request())
    assert response.status == status
    assert json.loads(response.body)["error"]["code"] == code
    assert MARKER not in response.body and "Traceback" not in response.body
    _assert_quiet(captured)
    line = _unhandled(captured)
    assert set(line) == {"event", "route", "error", "where"}
    assert (line["route"], line["error"]) == ("report_status", error)
    where = line["where"]
    assert isinstance(where, list) and where
    assert all(isinstance(w, str) and w.count(":") == 2 for w in where)
    assert any(w.endswith(":handler") for w in where)  # the code location is kept
    (request_line,) = [line for line in captured.lines() if line.get("event") == "request"]
    assert (request_line["route"], request_line["status"]) == ("report_status", status)


def test_a_failure_deep_in_the_real_route_is_quiet(
    captured: Captured, public_app: PublicApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real status route: the intake fails while holding the typed receipt."""

    def failing_lookup(self: Intake, payload: object) -> object:
        raise KeyError(f"{payload!r} {MARKER}")

    monkeypatch.setattr(Intake, "lookup", failing_lookup)
    response = guard.guarded("report_status", lambda r: json_api.report_status(public_app, r))(
        _request()
    )
    assert response.status == 500
    body = json.loads(response.body)["error"]
    assert body["code"] == "internal_error"
    assert "12350" in body["message_zh"]  # people are told what to do instead
    _assert_quiet(captured)
    assert _unhandled(captured)["error"] == "KeyError"


# ---- jubao.quietlog itself: every path out of the process is reduced ----------------------

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def _deep_traceback() -> tuple[type[BaseException], BaseException, TracebackType]:
    def third() -> None:
        raise Leaky(MARKER)

    def second() -> None:
        third()

    def first() -> None:
        second()

    try:
        first()
    except Leaky as exc:
        assert exc.__traceback__ is not None
        return Leaky, exc, exc.__traceback__
    raise AssertionError("unreachable")


def _assert_where(where: object) -> None:
    """The last three frames, each ``file.py:line:function`` with the file's name only."""
    assert isinstance(where, list)
    assert [w.rsplit(":", 1)[1] for w in where] == ["first", "second", "third"]
    for w in where:
        name, line, _ = w.split(":")
        assert name == "test_quiet_errors.py" and line.isdigit()


def test_uncaught_and_unraisable_exceptions_are_reduced(captured: Captured) -> None:
    exc_type, exc, tb = _deep_traceback()
    sys.excepthook(exc_type, exc, tb)
    threading.excepthook(threading.ExceptHookArgs([exc_type, exc, tb, threading.current_thread()]))
    assert sys.unraisablehook is not None
    sys.unraisablehook(
        SimpleNamespace(exc_type=exc_type, exc_value=exc, exc_traceback=tb, err_msg=MARKER)
    )
    _assert_quiet(captured)
    lines = captured.lines()
    assert [(line["event"], line["error"]) for line in lines] == [
        ("uncaught", "Leaky"),
        ("uncaught_in_thread", "Leaky"),
        ("unraisable", "Leaky"),
    ]
    for line in lines:
        assert set(line) == {"event", "error", "where"}
        _assert_where(line["where"])
    assert all(LINE.match(line) for line in captured.text.splitlines())
    assert all(" ERROR " in line for line in captured.text.splitlines())


def test_library_records_keep_logger_level_and_place_only(captured: Captured) -> None:
    library = logging.getLogger("somelib.module")
    library.warning("client %s sent %s", "198.51.100.77", MARKER)
    try:
        raise Leaky(MARKER)
    except Leaky:
        library.error("failed: %s", MARKER, exc_info=True, stack_info=True)
    library.info("below the libraries' level %s", MARKER)
    _assert_quiet_text(captured.text)
    lines = captured.lines()
    assert len(lines) == 2
    warning, error = lines
    assert warning == {
        "event": "library",
        "logger": "somelib.module",
        "level": "WARNING",
        "where": f"test_quiet_errors:{warning['where'].split(':')[1]}:"
        "test_library_records_keep_logger_level_and_place_only",
    }
    assert error["level"] == "ERROR" and error["error"] == "Leaky"
    formatter = quietlog.QuietFormatter()
    assert formatter.formatException(sys.exc_info()) == ""
    assert formatter.formatStack(MARKER) == ""
    first = captured.text.splitlines()[0]
    assert LINE.match(first)
    stamp = datetime.strptime(first.split(" ", 1)[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 120


def _assert_quiet_text(text: str) -> None:
    for secret in (MARKER, "MARKER-7f3a9c", "198.51.100.77", "Traceback", "failed:", "client"):
        assert secret not in text


def test_install_takes_over_every_handler_and_quiets_waitress() -> None:
    root, ours = logging.getLogger(), logging.getLogger("jubao")
    saved = (root.handlers[:], ours.handlers[:], ours.propagate, root.level, ours.level)
    saved_hooks = (sys.excepthook, threading.excepthook, sys.unraisablehook)
    stray, chalices = logging.StreamHandler(io.StringIO()), logging.StreamHandler(io.StringIO())
    root.addHandler(stray)
    ours.addHandler(chalices)  # Chalice gives its app logger a handler of its own
    ours.propagate = False
    stream = io.StringIO()
    for name in ("waitress", "waitress.queue"):  # whatever an earlier test left
        logging.getLogger(name).setLevel(logging.NOTSET)
    try:
        quietlog.install(stream)
        assert len(root.handlers) == 1 and root.handlers[0] is not stray
        assert isinstance(root.handlers[0].formatter, quietlog.QuietFormatter)
        assert ours.handlers == [] and ours.propagate
        assert (root.level, ours.level) == (logging.WARNING, logging.INFO)
        assert logging.getLogger("waitress").level == logging.WARNING
        assert logging.getLogger("waitress.queue").level == logging.ERROR
        logging.getLogger("waitress.queue").warning("client 198.51.100.77 hung up")
        logging.getLogger("jubao.api").info('{"event": "request"}')
    finally:
        sys.excepthook, threading.excepthook, sys.unraisablehook = saved_hooks
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in ours.handlers[:]:
            ours.removeHandler(handler)
        handlers, ours_handlers, propagate, root_level, ours_level = saved
        for handler in handlers:
            root.addHandler(handler)
        for handler in ours_handlers:
            ours.addHandler(handler)
        ours.propagate = propagate
        root.setLevel(root_level)
        ours.setLevel(ours_level)
        logging.getLogger("waitress").setLevel(logging.NOTSET)
        logging.getLogger("waitress.queue").setLevel(logging.NOTSET)
    assert stray.stream.getvalue() == "" and chalices.stream.getvalue() == ""
    assert [line.split(" ", 2)[2] for line in stream.getvalue().splitlines()] == [
        '{"event": "request"}'
    ]


def test_the_unhandled_line_names_the_last_five_frames_by_file_name(captured: Captured) -> None:
    def deep(n: int) -> None:
        if n == 0:
            raise Leaky(MARKER)
        deep(n - 1)

    def handler(request: api.HttpRequest) -> api.HttpResponse:
        deep(8)
        raise AssertionError("unreachable")

    guard.guarded("report_status", handler)(_request())
    _assert_quiet(captured)
    where = _unhandled(captured)["where"]
    assert isinstance(where, list) and len(where) == 5
    for w in where:
        name, line, function = w.split(":")
        assert (name, function) == ("test_quiet_errors.py", "deep") and line.isdigit()


# ---- the catalogue answer -------------------------------------------------------------------


def test_every_refusal_has_one_shape_and_field_messages_name_the_rule() -> None:
    from chalicelib.errors import CATALOGUE, FIELD_MESSAGES, ApiError, FieldError

    error = ApiError(
        "validation_failed", [FieldError("reporter.phone", "invalid_phone"), FieldError("x", "?")]
    )
    assert (error.status, str(error)) == (422, "validation_failed")
    body = error.as_dict()["error"]
    _, zh, en = CATALOGUE["validation_failed"]
    assert body == {
        "code": "validation_failed",
        "message": f"{zh} / {en}",
        "message_zh": zh,
        "message_en": en,
        "fields": [
            {
                "field": "reporter.phone",
                "code": "invalid_phone",
                "message_zh": FIELD_MESSAGES["invalid_phone"][0],
                "message_en": FIELD_MESSAGES["invalid_phone"][1],
            },
            {  # an unknown field code reads as the generic one
                "field": "x",
                "code": "?",
                "message_zh": FIELD_MESSAGES["invalid_format"][0],
                "message_en": FIELD_MESSAGES["invalid_format"][1],
            },
        ],
    }
    assert "fields" not in ApiError("internal_error").as_dict()["error"]
    with pytest.raises(KeyError) as unknown:
        ApiError("no_such_code")
    assert unknown.value.args == ("no_such_code",)


def test_the_request_line_times_the_handler_in_milliseconds(captured: Captured) -> None:
    def slow(request: api.HttpRequest) -> api.HttpResponse:
        time.sleep(0.03)
        return api.json_response(200, {"ok": True})

    guard.guarded("report_status", slow)(_request())
    (line,) = [line for line in captured.lines() if line.get("event") == "request"]
    assert line["route"] == "report_status" and line["status"] == 200
    ms = line["ms"]
    assert isinstance(ms, float) and 30 <= ms < 5_000  # milliseconds, not seconds
    assert round(ms, 2) == ms


def test_an_error_answer_keeps_its_headers() -> None:
    limited = api.error_response(ApiError("rate_limited", headers={"Retry-After": "7"}))
    assert limited.status == 429 and limited.headers["Retry-After"] == "7"


def test_a_record_is_stamped_with_its_own_time_in_utc() -> None:
    record = logging.LogRecord("jubao.api", logging.INFO, __file__, 1, "{}", None, None)
    record.created = 86_400.5  # 1970-01-02, long before now
    line = quietlog.QuietFormatter().format(record)
    assert line.startswith("1970-01-02T00:00:00Z INFO ")
