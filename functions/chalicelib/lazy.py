"""One front door's services per process, built on first use and rebuilt after ``reset``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol


class Closable(Protocol):
    def close(self) -> None: ...


class LazyApp[T: Closable]:
    """A ``PublicApp`` or ``OfficerApp``, built on first use and rebuilt after ``reset``.

    Built lazily because Lambda (and Chalice's test client) set the environment per
    invocation, not at import; held by the adapter that serves it (``functions/app.py``,
    ``functions/officer/app.py``, ``jubao.wsgi``), never by the core.
    """

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._app: T | None = None
        self._lock = threading.Lock()

    def get(self) -> T:
        app = self._app
        if app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._build()
                app = self._app
        return app

    def reset(self) -> None:
        """Close the built app (its store's connections) and build anew on next use."""
        with self._lock:
            app, self._app = self._app, None
        if app is not None:
            app.close()
