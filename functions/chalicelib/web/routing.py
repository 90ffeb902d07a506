"""Routes without a framework: a table of (name, method, path, handler, documentation).

Each front door lists its routes once in such a table (``public.routes``; the officers'
door will have its own); the Chalice app registers them and the local server matches
requests with ``match``. ``RouteDoc`` is what the OpenAPI document says of a route.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from .http import HttpRequest, HttpResponse

# a handler takes the front door's services (its ``PublicApp``, or the officers' app)
Handler = Callable[[Any, HttpRequest, Mapping[str, str]], HttpResponse]
Body = type[BaseModel] | str | None  # a model, a media type, or no body


@dataclass(frozen=True)
class RouteDoc:
    """What the OpenAPI document says of a route."""

    summary: str
    body: Body
    responses: Mapping[int, Body] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str  # Chalice's template syntax: /api/uploads/{attachment_id}
    handler: Handler
    doc: RouteDoc

    @property
    def pattern(self) -> re.Pattern[str]:
        """The path as a regular expression; a parameter is one non-empty path segment."""
        return _pattern(self.path)


@functools.cache
def _pattern(path: str) -> re.Pattern[str]:
    """Compiled once per template (routes are matched on every request)."""
    parts = re.split(r"\{(\w+)\}", path)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts)
    )
    return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class Match:
    route: Route | None  # None: the path exists but not with this method
    params: Mapping[str, str]
    allowed: tuple[str, ...]  # the methods the path takes (for 405's Allow header)


def match(method: str, path: str, routes: tuple[Route, ...]) -> Match | None:
    """The route for ``method`` and ``path``; None when no route has this path at all."""
    allowed: list[str] = []
    found: Match | None = None
    for route in routes:
        m = route.pattern.match(path)
        if m is None:
            continue
        allowed.append(route.method)
        if route.method == method:
            found = Match(route, m.groupdict(), ())
    if found is not None:
        return Match(found.route, found.params, tuple(allowed))
    return Match(None, {}, tuple(allowed)) if allowed else None
