"""Poster tags: which poster brought a reporter, without saying who the reporter is.

A tag is ``<slug>.<mac>``. The slug names a *place* (``340104-c0012``: region code, then a
place id whose first letter is the kind of place), never a person. The MAC (keyed
BLAKE2b, 64 bits, base64url) lets the function tell a genuine poster from a forged
sticker; a forged or altered tag is simply dropped.

Privacy rule (published on the confidentiality page): a place with too few people
(``posters.min_people_per_tag``), and every family poster, gets a region-level slug
(``340104-r``) shared by all such posters of the region. What is stored with a report is
reduced to the office's chosen granularity (``posters.tag_granularity``).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from . import crypto
from .config.office import OfficeConfig

PLACE_KINDS = {
    "e": "enterprise",
    "v": "village",
    "c": "community",
    "s": "school",
    "f": "family",
    "r": "region",
}
KIND_LETTER = {kind: letter for letter, kind in PLACE_KINDS.items()}
# ASCII only ([0-9], not \d, which matches every script's digits) and matched whole
# (fullmatch: ``$`` would also accept a trailing newline)
_SLUG = re.compile(r"(?P<region>[0-9]{6})-(?P<place>[a-z][a-z0-9-]{0,40})", re.ASCII)
_MAC = re.compile(r"[A-Za-z0-9_-]{8,16}", re.ASCII)
MAX_TAG = 80
_PURPOSE = b"poster-tag"
MAC_BYTES = 8


@dataclass(frozen=True)
class TagInfo:
    slug: str
    region: str
    place: str

    @property
    def place_kind(self) -> str:
        return PLACE_KINDS.get(self.place[0], "region")


def _mac(key: bytes, slug: str) -> str:
    raw = crypto.keyed_hash(key, slug.encode("ascii"), _PURPOSE, size=MAC_BYTES)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def make_slug(region: str, kind: str, serial: int) -> str:
    """The slug for the ``serial``-th place of ``kind`` in ``region``; ``region`` kind -> shared."""
    if kind == "region":
        return f"{region}-r"
    return f"{region}-{KIND_LETTER[kind]}{serial:04d}"


def sign(slug: str, key: bytes) -> str:
    if not _SLUG.fullmatch(slug):
        raise ValueError("malformed tag slug")
    return f"{slug}.{_mac(key, slug)}"


def verify(tag: str, key: bytes) -> TagInfo | None:
    """The tag's place if its MAC is genuine, else None (forged, altered or malformed).

    Any text may arrive here (a hidden field, a Referer, a JSON body): only ASCII of the
    tag's exact shape ever reaches the MAC, so no input can fail to encode.
    """
    if len(tag) > MAX_TAG:
        return None
    slug, _, mac = tag.partition(".")
    match = _SLUG.fullmatch(slug)
    if match is None or _MAC.fullmatch(mac) is None:
        return None
    if not crypto.equal(_mac(key, slug).encode("ascii"), mac.encode("ascii")):
        return None
    return TagInfo(slug=slug, region=match["region"], place=match["place"])


def stored_form(info: TagInfo | None, granularity: str) -> str | None:
    """What of a verified tag is kept with a report, per the office's chosen granularity."""
    if info is None or granularity == "none":
        return None
    if granularity == "region":
        return f"{info.region}-r"
    return info.slug


def issuer(info: TagInfo, office: OfficeConfig) -> str | None:
    """Who issued the poster, for "this poster was issued by ..." on the form."""
    region = office.regions_by_code.get(info.region)
    return None if region is None else region.name
