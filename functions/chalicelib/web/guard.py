"""The one wrapper every route runs in: no stack trace escapes, no user data is logged.

A refusal (``ApiError``) becomes its answer; a store or settings failure becomes a
retryable ``service_unavailable`` (nothing was stored); anything else becomes
``internal_error``. Each request leaves one log line (route, status, time) and a failure
one more (its type and where it happened): never a message, which may carry user text.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from collections.abc import Callable
from pathlib import PurePath

from ..config.settings import SettingsError
from ..errors import ApiError
from ..store.base import StoreError
from .http import HttpRequest, HttpResponse, error_response, internal_error

log = logging.getLogger("jubao.api")


def _log_failure(route: str, exc: BaseException) -> None:
    # only where it happened, never the message: messages can carry user input
    frames = traceback.extract_tb(exc.__traceback__)
    where = [f"{PurePath(f.filename).name}:{f.lineno}:{f.name}" for f in frames[-5:]]
    log.error(
        json.dumps(
            {"event": "unhandled", "route": route, "error": type(exc).__name__, "where": where}
        )
    )


def guarded(
    route: str, handler: Callable[[HttpRequest], HttpResponse]
) -> Callable[[HttpRequest], HttpResponse]:
    """Run a handler so that nothing escapes as a stack trace, and log one line without data."""

    def run(request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        try:
            response = handler(request)
        except ApiError as error:
            response = error_response(error)
        except (StoreError, SettingsError) as exc:  # nothing was stored: say so, retryable
            _log_failure(route, exc)
            response = error_response(ApiError("service_unavailable"))
        except Exception as exc:
            _log_failure(route, exc)
            response = internal_error()
        log.info(
            json.dumps(
                {
                    "event": "request",
                    "route": route,
                    "status": response.status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                }
            )
        )
        return response

    return run
