"""Which tag a poster carries: the privacy rule, stable serial numbers, and the signature.

The privacy rule (published on the confidentiality page and in the brochure): a tag names
a place, never a person, and only a place with enough people to hide a reporter among
them gets its own tag. Family posters, places with fewer than
``posters.min_people_per_tag`` people and enterprises whose headcount is not given share
their region's tag (``340104-r``): an employee reporting a five-person workshop must not
be singled out by the poster they scanned.

Serial numbers must never be reused for a different place, or the office's statistics
would mix two places. The registry file keeps every place that got its own tag, so a
second batch gives the same place the same tag and a new place the next free number.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib import crypto, tags
from chalicelib.config.office import OfficeConfig
from chalicelib.i18n import LANGS, Lang

from . import siteurls
from .places import Place, PlaceKind

SharedReason = Literal["family", "too_few_people", "people_unknown"]
REGISTRY_SCHEMA = 1


class TagKeyError(ValueError):
    """The poster-tag key is missing or malformed."""


def read_tag_key_file(path: Path) -> bytes:
    """A key file as written by ``jubao.devkeys`` (base64 of 32 bytes)."""
    try:
        raw = crypto.b64d(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError) as exc:
        raise TagKeyError(f"cannot read a base64 key from {path}: {exc}") from None
    if len(raw) != crypto.KEY_BYTES:
        raise TagKeyError(f"{path}: a tag key is {crypto.KEY_BYTES} bytes, base64")
    return raw


def shared_reason(kind: PlaceKind, people: int | None, min_people: int) -> SharedReason | None:
    """Why a place must carry its region's shared tag, or None if it may have its own."""
    if kind == "family":
        return "family"
    if people is not None and people < min_people:
        return "too_few_people"
    if people is None and kind == "enterprise" and min_people > 0:
        return "people_unknown"
    return None


SHARED_REASON_TEXT: dict[SharedReason, tuple[str, str]] = {
    "family": ("家庭海报，使用地区统一编号", "family poster: shared region tag"),
    "too_few_people": ("人数少于规定下限，使用地区统一编号", "too few people: shared region tag"),
    "people_unknown": (
        "企业未填人数，使用地区统一编号",
        "enterprise without headcount: shared region tag",
    ),
}


def report_url(office: OfficeConfig, tag: str, lang: Lang = LANGS[0]) -> str:
    """The URL a poster's QR code opens: the report form in the poster's language."""
    return f"{siteurls.report_page(office, lang)}?src={tag}"


class RegistryEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: str
    region: str = Field(pattern=r"^\d{6}$")
    kind: PlaceKind
    name: str
    serial: int = Field(ge=1)
    first_issued: str


class RegistryFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: int = Field(alias="schema", default=REGISTRY_SCHEMA)
    office: str
    places: list[RegistryEntry] = []


class RegistryError(ValueError):
    """The registry file belongs to another office or is damaged."""


class Registry:
    """Stable place serials, stored as JSON next to the office's other data."""

    def __init__(self, path: Path | None, office_code: str) -> None:
        self.path = path
        self.office_code = office_code
        self._file = RegistryFile(office=office_code)
        if path is not None and path.exists():
            try:
                self._file = RegistryFile.model_validate_json(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                raise RegistryError(f"{path}: not a poster registry ({exc})") from None
            if self._file.office != office_code:
                raise RegistryError(f"{path} belongs to office {self._file.office}")
        self._by_place = {(e.region, e.kind, e.name): e for e in self._file.places}
        self._next: dict[tuple[str, str], int] = {}
        for entry in self._file.places:
            key = (entry.region, entry.kind)
            self._next[key] = max(self._next.get(key, 1), entry.serial + 1)
        self.new_entries = 0

    def slug_for(self, place: Place) -> str:
        """The place's own slug: the registered one, or the next serial of its region/kind."""
        existing = self._by_place.get((place.region, place.kind, place.name))
        if existing is not None:
            return existing.slug
        key = (place.region, place.kind)
        serial = self._next.get(key, 1)
        self._next[key] = serial + 1
        slug = tags.make_slug(place.region, place.kind, serial)
        entry = RegistryEntry(
            slug=slug,
            region=place.region,
            kind=place.kind,
            name=place.name,
            serial=serial,
            first_issued=datetime.now(UTC).date().isoformat(),
        )
        self._file.places.append(entry)
        self._by_place[(place.region, place.kind, place.name)] = entry
        self.new_entries += 1
        return slug

    def save(self) -> None:
        """Write atomically, so an interrupted batch never leaves half a registry."""
        if self.path is None or self.new_entries == 0:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = self._file.model_dump_json(by_alias=True, indent=1) + "\n"
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".registry-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        Path(tmp).replace(self.path)


@dataclass(frozen=True)
class TagChoice:
    slug: str
    tag: str
    shared: SharedReason | None


def choose_tag(place: Place, office: OfficeConfig, registry: Registry, key: bytes) -> TagChoice:
    """Apply the privacy rule, then sign the slug with the poster-tag key."""
    reason = shared_reason(place.kind, place.people, office.posters.min_people_per_tag)
    if reason is not None:
        slug = tags.make_slug(place.region, "region", 0)
    else:
        slug = registry.slug_for(place)
    return TagChoice(slug=slug, tag=tags.sign(slug, key), shared=reason)


def region_tag(region_code: str, key: bytes) -> str:
    return tags.sign(tags.make_slug(region_code, "region", 0), key)


def registry_summary(path: Path) -> str:
    """One line for the command's output (how many places the registry holds)."""
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"places": []}
    return f"{len(data['places'])} places registered in {path}"
