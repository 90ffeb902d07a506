"""The office configuration: one file that the function, the site and the posters all read.

Every fact the public sees (regions, industries, channels, deadlines, the public URL) lives
in one TOML file, so the site, the posters and the API cannot disagree. The default is
Anhui's (``offices/anhui.toml``); another office points ``JUBAO_OFFICE_CONFIG`` at its own.
"""

from __future__ import annotations

import json
import tomllib
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from . import fieldpaths

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "offices" / "anhui.toml"

RegionLevel = Literal["province", "city", "county"]
ChannelKind = Literal["hotline", "online", "letter", "email", "visit", "national", "wechat"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class OfficeInfo(_Frozen):
    code: str
    name: str
    short_name: str
    name_en: str
    short_name_en: str
    platform_name: str
    platform_name_en: str
    seed_notice: str = ""


class SiteFooter(_Frozen):
    """What the foot of a Chinese government website states: who runs the site (主办单位),
    how to reach them (联系方式), its ICP filing number (ICP备案号) and its government
    website code (网站标识码).

    Only the office knows these, so the shipped example leaves them empty: a development
    site shows each as "待配置 / to be configured", a production build refuses while any
    is empty (``config.publishable``). The formats are checked when they are set.
    """

    sponsor: str = ""  # 主办单位, e.g. the office's full name
    sponsor_en: str = ""
    contact: str = ""  # the sponsor's contact for the site (telephone, address or email)
    contact_en: str = ""
    # e.g. 皖ICP备12345678号 or 皖ICP备12345678号-1 (one Chinese province abbreviation)
    icp: str = Field(default="", pattern=r"^([\u4e00-\u9fff]ICP备[0-9]{6,10}号(-[0-9]{1,3})?)?$")
    # ten characters, e.g. 3400000001 (digits; ministries' codes begin with letters)
    site_code: str = Field(default="", pattern=r"^([0-9A-Za-z]{10})?$")


class SiteInfo(_Frozen):
    # an https URL ending in "/" (pydantic's HttpUrl would cost the cold start ~40 ms)
    public_url: str = Field(pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s?#]*)?/$")
    report_path: str = "report/"
    status_path: str = "status/"
    footer: SiteFooter = Field(default_factory=SiteFooter)

    def url(self, path: str) -> str:
        return str(self.public_url).rstrip("/") + "/" + path.lstrip("/")

    @property
    def report_url(self) -> str:
        return self.url(self.report_path)


class Dial(_Frozen):
    """Another number of a telephone channel, and when to dial it (from another province)."""

    value: str = Field(pattern=r"^[0-9][0-9-]{2,19}$")
    label: str
    label_en: str

    @property
    def tel(self) -> str:
        """The number for a ``tel:`` link (digits only)."""
        return self.value.replace("-", "")


class Channel(_Frozen):
    kind: ChannelKind
    value: str
    label: str
    label_en: str
    note: str = ""
    note_en: str = ""
    # the same telephone channel under other numbers (0551-12350 from outside Anhui)
    alternates: tuple[Dial, ...] = ()


class Region(_Frozen):
    code: str = Field(pattern=r"^[0-9]{6}$")
    name: str
    name_en: str
    level: RegionLevel
    parent: str | None = None


class Industry(_Frozen):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    name: str
    name_en: str
    criteria: str = ""
    criteria_en: str = ""


class Unit(_Frozen):
    """An office that receives sealed reports; keys are base64 X25519 public keys.

    ``content_key`` opens a report's content (held by the unit's intake officers only);
    ``custodian_key`` opens the reporter's identity (held by its custodian only). After a
    rotation the old public keys move to ``previous_*``: reports sealed to them still open
    with the old private keys, which officers keep in their key files.
    """

    code: str = Field(pattern=r"^[0-9]{6}$")
    name: str
    name_en: str
    content_key: str = ""
    custodian_key: str = ""
    previous_content_keys: tuple[str, ...] = ()
    previous_custodian_keys: tuple[str, ...] = ()


class Role(StrEnum):
    """What an officer may do; one officer may have several roles."""

    intake = "intake"  # holds the unit's content key; signs for (签收) and grants cases
    handler = "handler"  # handles the cases granted to them
    custodian = "custodian"  # holds the unit's custodian key: the reporters' identities
    approver = "approver"  # second officer on rewards (part 3)
    supervisor = "supervisor"  # the unit above: sees metadata, cosigns the audit log


class Officer(_Frozen):
    """One roster entry: who the officer is, their unit, roles and *public* keys.

    ``signing_key`` (Ed25519) checks the officer's signed requests; ``encryption_key``
    (X25519) is what cases are granted to. The private halves exist only in the
    officer's key file, on the officer's machine.
    """

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    unit: str = Field(pattern=r"^[0-9]{6}$")
    roles: tuple[Role, ...] = Field(min_length=1)
    name: str = ""
    signing_key: str
    encryption_key: str
    active: bool = True

    def has(self, role: Role) -> bool:
        return role in self.roles


class AuditConfig(_Frozen):
    """The audit log's public facts: the server's checkpoint-signing public key."""

    server_key: str = ""  # base64 Ed25519 verify key of the server's log key


class Deadlines(_Frozen):
    acceptance_days: int = Field(ge=1, le=365)
    # True only when the office itself commits to deciding acceptance within
    # acceptance_days (no regulation found sets it): then the site, the posters and the
    # receipt state the limit and the due date; otherwise they promise none.
    acceptance_days_confirmed: bool = False
    verification_days: int = Field(ge=1, le=365)
    extension_max_days: int = Field(ge=0, le=365)
    feedback_days: int = Field(ge=1, le=365)
    reward_claim_days: int = Field(ge=1, le=3650)


class Rules(_Frozen):
    reward_rule_set: str = "national-2018"
    deadlines: Deadlines


class PosterRules(_Frozen):
    min_people_per_tag: int = Field(ge=0, default=50)
    tag_granularity: Literal["place", "region", "none"] = "place"


class QuizPrize(_Frozen):
    """How a citizen who reaches the quiz's pass mark claims a prize, if the office runs
    one: where and how, in the office's words (a screenshot at a publicity stand, a
    deadline). Empty: the site scores the quiz but never speaks of a prize to win."""

    claim: str = ""
    claim_en: str = ""

    @property
    def offered(self) -> bool:
        return bool(self.claim.strip())


class Unconfirmed(_Frozen):
    """A value the office has not confirmed as its own: a production build refuses it.

    ``path`` names the value (``chalicelib.config.fieldpaths``); ``note`` and ``note_en``
    say why it is not confirmed, so the refusal tells the office what to check.
    """

    path: str = Field(min_length=1)
    note: str = Field(min_length=1)
    note_en: str = Field(min_length=1)


class Publication(_Frozen):
    """What the office has not confirmed yet; checked by ``config.publishable``.

    Kept in the configuration, next to the values, rather than in comments, so that the
    production build, ``jubao check --production`` and the reader see one list.
    """

    unconfirmed: tuple[Unconfirmed, ...] = ()


class OfficeConfig(_Frozen):
    schema_: int = Field(alias="schema")
    office: OfficeInfo
    site: SiteInfo
    channels: tuple[Channel, ...]
    regions: tuple[Region, ...]
    industries: tuple[Industry, ...]
    units: tuple[Unit, ...]
    rules: Rules
    posters: PosterRules = Field(default_factory=PosterRules)
    quiz: QuizPrize = Field(default_factory=QuizPrize)
    officers: tuple[Officer, ...] = ()
    audit: AuditConfig = Field(default_factory=AuditConfig)
    publication: Publication = Field(default_factory=Publication)

    @model_validator(mode="after")
    def _consistent(self) -> OfficeConfig:
        codes = [r.code for r in self.regions]
        if len(set(codes)) != len(codes):
            raise ValueError("duplicate region code")
        known = set(codes)
        for region in self.regions:
            if region.parent is not None and region.parent not in known:
                raise ValueError(f"region {region.code} has unknown parent {region.parent}")
        industry_codes = [i.code for i in self.industries]
        if len(set(industry_codes)) != len(industry_codes):
            raise ValueError("duplicate industry code")
        for unit in self.units:
            if unit.code not in known:
                raise ValueError(f"unit {unit.code} is not a configured region")
        units = {u.code for u in self.units}
        ids = [o.id for o in self.officers]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate officer id")
        for officer in self.officers:
            if officer.unit not in units:
                raise ValueError(f"officer {officer.id} belongs to unknown unit {officer.unit}")
        marked = [u.path for u in self.publication.unconfirmed]
        if marked:
            if len(set(marked)) != len(marked):
                raise ValueError("publication.unconfirmed lists a path twice")
            known_paths = fieldpaths.paths(self.model_dump(by_alias=True))
            for path in marked:
                if path not in known_paths or path.startswith("publication"):
                    raise ValueError(f"publication.unconfirmed: {path!r} names no value")
                if f"{path}_confirmed" in known_paths:  # one source of each fact
                    raise ValueError(f"publication.unconfirmed: {path!r} has its own flag")
        return self

    @cached_property
    def regions_by_code(self) -> dict[str, Region]:
        return {r.code: r for r in self.regions}

    @cached_property
    def industries_by_code(self) -> dict[str, Industry]:
        return {i.code: i for i in self.industries}

    @cached_property
    def units_by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    @cached_property
    def officers_by_id(self) -> dict[str, Officer]:
        return {o.id: o for o in self.officers}

    def officer(self, officer_id: str) -> Officer | None:
        """The active roster entry of ``officer_id``; None if unknown or deactivated."""
        found = self.officers_by_id.get(officer_id)
        return found if found is not None and found.active else None

    def unit_officers(self, unit: str, role: Role | None = None) -> list[Officer]:
        return [
            o
            for o in self.officers
            if o.unit == unit and o.active and (role is None or o.has(role))
        ]

    def unit_above(self, code: str) -> Unit | None:
        """The supervising unit: the nearest ancestor region that has a unit."""
        for region in self.region_chain(code)[1:]:
            unit = self.units_by_code.get(region.code)
            if unit is not None:
                return unit
        return None

    def units_below(self, code: str) -> list[Unit]:
        """Every unit whose supervision chain passes through ``code`` (not ``code`` itself)."""
        below = []
        for unit in self.units:
            current = self.unit_above(unit.code)
            while current is not None:
                if current.code == code:
                    below.append(unit)
                    break
                current = self.unit_above(current.code)
        return below

    def region_chain(self, code: str) -> list[Region]:
        """The region and its ancestors, nearest first."""
        chain: list[Region] = []
        current: str | None = code
        while current is not None:
            region = self.regions_by_code[current]
            chain.append(region)
            current = region.parent
        return chain

    @property
    def hotline(self) -> Channel:
        return next(c for c in self.channels if c.kind == "hotline")

    def with_unit_keys(self, keys: dict[str, dict[str, str]]) -> OfficeConfig:
        """A copy whose units take public keys from an overlay (code -> {content, custodian})."""
        units = []
        for unit in self.units:
            overlay = keys.get(unit.code, {})
            units.append(
                unit.model_copy(
                    update={
                        "content_key": unit.content_key or overlay.get("content_key", ""),
                        "custodian_key": unit.custodian_key or overlay.get("custodian_key", ""),
                    }
                )
            )
        return self.model_copy(update={"units": tuple(units)})

    def with_overlay(self, overlay: dict[str, Any]) -> OfficeConfig:
        """A copy with a public-keys file applied: unit keys, officers, the log key.

        The overlay is how development keys (made by ``jubao serve`` on first run) join a
        configuration whose keys are blank; values already in the file always win.
        """
        config = self.with_unit_keys(overlay.get("units", {}))
        update: dict[str, Any] = {}
        if not config.officers and overlay.get("officers"):
            update["officers"] = tuple(Officer.model_validate(o) for o in overlay["officers"])
        server_key = overlay.get("audit", {}).get("server_key", "")
        if not config.audit.server_key and server_key:
            update["audit"] = AuditConfig(server_key=server_key)
        if not update:
            return config
        # validate the combination (officers must belong to configured units)
        return OfficeConfig.model_validate(config.model_dump(by_alias=True) | update)


def load_office(path: Path | None = None, keys_file: Path | None = None) -> OfficeConfig:
    """Read and validate an office file; overlay public keys from ``keys_file`` if it exists."""
    source = path or DEFAULT_CONFIG
    with source.open("rb") as fh:
        config = OfficeConfig.model_validate(tomllib.load(fh))
    if keys_file is not None and keys_file.exists():
        overlay = json.loads(keys_file.read_text(encoding="utf-8"))
        config = config.with_overlay(overlay)
    return config
