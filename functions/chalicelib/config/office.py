"""The office configuration: one file that the function, the site and the posters all read.

Every fact the public sees (regions, industries, channels, deadlines, the public URL) lives
in one TOML file, so the site, the posters and the API cannot disagree. The default is
Anhui's (``offices/anhui.toml``); another office points ``JUBAO_OFFICE_CONFIG`` at its own.
"""

from __future__ import annotations

import json
import tomllib
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


class SiteInfo(_Frozen):
    # an https URL ending in "/" (pydantic's HttpUrl would cost the cold start ~40 ms)
    public_url: str = Field(pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s?#]*)?/$")
    report_path: str = "report/"
    status_path: str = "status/"

    def url(self, path: str) -> str:
        return str(self.public_url).rstrip("/") + "/" + path.lstrip("/")

    @property
    def report_url(self) -> str:
        return self.url(self.report_path)


class Channel(_Frozen):
    kind: ChannelKind
    value: str
    label: str
    label_en: str
    note: str = ""
    note_en: str = ""


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
    """An office that receives sealed reports; keys are base64 X25519 public keys."""

    code: str = Field(pattern=r"^[0-9]{6}$")
    name: str
    name_en: str
    content_key: str = ""
    custodian_key: str = ""


class Deadlines(_Frozen):
    acceptance_days: int = Field(ge=1, le=365)
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


def load_office(path: Path | None = None, keys_file: Path | None = None) -> OfficeConfig:
    """Read and validate an office file; overlay public keys from ``keys_file`` if it exists."""
    source = path or DEFAULT_CONFIG
    with source.open("rb") as fh:
        config = OfficeConfig.model_validate(tomllib.load(fh))
    if keys_file is not None and keys_file.exists():
        overlay = json.loads(keys_file.read_text(encoding="utf-8"))
        config = config.with_unit_keys(overlay.get("units", {}))
    return config
