"""The composition root of the officers' front door: what its requests need, built once.

``create_app(settings)`` reads the office (with its roster), opens the store and takes the
server's log key; the officers' Chalice app (``functions/officer/app.py``) and the local
server (``jubao.wsgi``) each build one ``OfficerApp`` per process. It holds no officer's
private key and no secret shared with officers: officers prove who they are by signing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import crypto
from ..clock import Clock, system_clock
from ..config.office import OfficeConfig
from ..config.settings import Settings, SettingsError, office_for
from ..config.settings import from_env as settings_from_env
from ..store import open_store
from ..store.base import ReportStore
from ..store.cases import CaseStore
from ..web.origin import OriginCheck
from .refusals import RefusalSampler
from .trail import Trail


@dataclass
class OfficerApp:
    settings: Settings
    office: OfficeConfig
    reports: ReportStore  # the same store as ``cases``, seen through each contract
    cases: CaseStore
    trail: Trail
    clock: Clock
    unsigned_refusals: RefusalSampler  # how many unsigned refusals reach the log
    shared_store: bool = False  # the store belongs to another app (the local server's)
    # CloudFront's secret (AWS); checked before any signature, never audited (web/origin.py)
    origin: OriginCheck = field(default_factory=lambda: OriginCheck(viewer_addresses=False))

    @property
    def root_unit(self) -> str:
        """The top unit: its log records refusals that name no unit of their own."""
        for unit in self.office.units:
            if self.office.unit_above(unit.code) is None:
                return unit.code
        raise LookupError("no top unit")  # the office validator guarantees one exists

    def close(self) -> None:
        if not self.shared_store:
            self.reports.close()


def create_app(
    settings: Settings,
    *,
    office: OfficeConfig | None = None,
    store: ReportStore | None = None,
    clock: Clock = system_clock,
    shared_store: bool = False,
) -> OfficerApp:
    """An officers' front door for ``settings`` (the office, store and clock may be given)."""
    chosen = store if store is not None else open_store(settings)
    if not isinstance(chosen, CaseStore):
        raise TypeError("the officers' door needs a store that keeps cases")
    office = office if office is not None else office_for(settings)
    seed = settings.log_key_seed()
    if office.audit.server_key and office.audit.server_key != crypto.verify_key_from_seed(seed):
        raise SettingsError("the log key does not match the office's audit.server_key")
    trail = Trail(chosen, office.office.code, seed, clock)
    sampler = RefusalSampler(settings.unsigned_refusals_per_minute)
    return OfficerApp(
        settings,
        office,
        chosen,
        chosen,
        trail,
        clock,
        sampler,
        shared_store,
        OriginCheck(settings.origin_secret, viewer_addresses=False),
    )


def from_environment() -> OfficerApp:
    """The app the process environment describes (``JUBAO_*`` variables)."""
    return create_app(settings_from_env())
