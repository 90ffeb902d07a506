"""Logging for the local server that cannot leak who reported or what they wrote.

Our own loggers (``jubao.*``) write one JSON object per line, built from fixed fields
(route, status, milliseconds, error type and code location). Everything else that might
write to the log is reduced to *who* logged and *where* in the code, never the message:

* libraries (waitress, WhiteNoise, urllib3, ...) format messages with request paths,
  client addresses or exception text, e.g. waitress's "Exception while serving /path"
  and the standard library's "Exception occurred during processing of request from
  ('127.0.77.77', 42833)"; their records keep only logger name, level and location;
* exception information (``exc_info``, ``stack_info``) is dropped from every record:
  a traceback repeats the values of the failing line;
* uncaught exceptions in any thread, and "unraisable" ones in finalisers, go through
  the same reduction instead of Python's default traceback printing.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
import traceback
from pathlib import PurePath
from types import TracebackType
from typing import Any, TextIO

OURS = "jubao"


def _where(tb: TracebackType | None) -> list[str]:
    frames = traceback.extract_tb(tb)[-3:]  # none without a traceback
    return [f"{PurePath(f.filename).name}:{f.lineno}:{f.name}" for f in frames]


class QuietFormatter(logging.Formatter):
    """One JSON line per record; foreign messages and all exception text left out."""

    def format(self, record: logging.LogRecord) -> str:
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        if record.name == OURS or record.name.startswith(OURS + "."):
            # our loggers log fixed-shape JSON built from non-user fields only
            message = record.msg if isinstance(record.msg, str) and not record.args else "-"
            return f"{at} {record.levelname} {message}"
        fields: dict[str, Any] = {
            "event": "library",
            "logger": record.name,
            "level": record.levelname,
            "where": f"{record.module}:{record.lineno}:{record.funcName}",
        }
        if record.exc_info and record.exc_info[0] is not None:
            fields["error"] = record.exc_info[0].__name__
        return f"{at} {record.levelname} {json.dumps(fields)}"

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return ""

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return ""


def _uncaught(kind: str, exc_type: type[BaseException], tb: TracebackType | None) -> None:
    logging.getLogger(f"{OURS}.uncaught").error(
        json.dumps({"event": kind, "error": exc_type.__name__, "where": _where(tb)})
    )


def install(stream: TextIO | None = None, level: int = logging.INFO) -> None:
    """Route every log record of this process through ``QuietFormatter``."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(QuietFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # libraries: warnings and errors only
    ours = logging.getLogger(OURS)
    # Chalice names its app logger after the app ("jubao") and gives it a handler of its
    # own that formats arguments: take the whole tree back through the root handler
    for old in list(ours.handlers):
        ours.removeHandler(old)
    ours.propagate = True
    ours.setLevel(level)
    logging.getLogger("waitress").setLevel(logging.WARNING)
    # waitress logs every client that hangs up early at INFO/WARNING with its address
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)

    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        _uncaught("uncaught", exc_type, tb)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        _uncaught("uncaught_in_thread", args.exc_type, args.exc_traceback)

    def unraisable_hook(args: Any) -> None:
        _uncaught("unraisable", args.exc_type, args.exc_traceback)

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
    sys.unraisablehook = unraisable_hook
