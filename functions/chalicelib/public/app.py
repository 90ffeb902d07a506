"""The composition root of the public front door: everything one request needs, built once.

``create_app(settings)`` reads the office, opens the store and makes the rate limiters;
the Chalice app (``functions/app.py``) and the local server (``jubao.wsgi``) each build
one ``PublicApp`` per process and hand it to the routes. Nothing is cached in a module:
a test builds its own, with its own settings, store or clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..clock import Clock, system_clock
from ..config.office import OfficeConfig
from ..config.settings import Settings, office_for
from ..config.settings import from_env as settings_from_env
from ..lazy import LazyApp
from ..reports.intake import Intake
from ..store import open_store
from ..store.base import ReportStore
from ..web.origin import OriginCheck
from ..web.ratelimit import RateLimiter


@dataclass
class PublicApp:
    settings: Settings
    intake: Intake
    submit_limiter: RateLimiter
    status_limiter: RateLimiter
    # CloudFront's secret (AWS); its requests' clients are the viewers' addresses
    origin: OriginCheck = field(default_factory=OriginCheck)
    # the OpenAPI document, made on first request (about 10 ms of schema generation) and
    # kept: it depends only on the routes, the office and the settings, all fixed here
    openapi: dict[str, Any] | None = None

    @property
    def office(self) -> OfficeConfig:
        return self.intake.office

    def close(self) -> None:
        """Close the store (its connections); the app is not used afterwards."""
        self.intake.store.close()


def create_app(
    settings: Settings,
    *,
    office: OfficeConfig | None = None,
    store: ReportStore | None = None,
    clock: Clock = system_clock,
) -> PublicApp:
    """A public front door for ``settings`` (the office, store and clock may be given)."""
    intake = Intake(
        office=office if office is not None else office_for(settings),
        store=store if store is not None else open_store(settings),
        receipt_key=settings.receipt_key_bytes(),
        tag_key=settings.tag_key_bytes(),
        clock=clock,
        max_attachments=settings.max_attachments,
    )
    return PublicApp(
        settings=settings,
        intake=intake,
        submit_limiter=RateLimiter(settings.submit_rate_per_minute),
        status_limiter=RateLimiter(settings.status_rate_per_minute),
        origin=OriginCheck(settings.origin_secret),
    )


__all__ = ["LazyApp", "PublicApp", "create_app", "from_environment"]


def from_environment() -> PublicApp:
    """The app the process environment describes (``JUBAO_*`` variables)."""
    return create_app(settings_from_env())
