"""The citizen-facing wording (``content.toml``), with facts filled from the office config.

Why a separate file: the posters, the brochure and the site's guidance pages say the same
things, so the wording lives in one structured file that all of them can read. Why
placeholders: a deadline or a phone number written into prose would drift from the office
configuration; ``{verification_days}`` cannot.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.config.office import ChannelKind, OfficeConfig
from chalicelib.i18n import LANGS, Lang, Text
from chalicelib.rewards import loader, schema

CONTENT_FILE = Path(__file__).parent / "content.toml"


class ContentError(ValueError):
    """content.toml is malformed or names a fact the office configuration lacks."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PosterWords(_Frozen):
    headline: Text
    slogan: Text
    report_what_title: Text
    scan_title: Text
    scan_text: Text
    hotline_title: Text
    rewards_title: Text
    confidentiality_title: Text
    channels_title: Text
    online_label: Text
    see_site: Text
    place_label: Text
    code_label: Text
    issued_by: Text
    channels: tuple[ChannelKind, ...]


class ReportKind(_Frozen):
    kind: Literal["hazard", "violation", "concealed_accident"]
    title: Text
    short: Text
    text: Text


class RewardSet(_Frozen):
    source: Text
    highlight: Text
    points: tuple[Text, ...]
    details: tuple[Text, ...]


class TagStorage(_Frozen):
    place: Text
    region: Text
    none: Text


class Confidentiality(_Frozen):
    promise: Text
    points: tuple[Text, ...]
    tag_rule: Text
    tag_storage: TagStorage


class Step(_Frozen):
    step: Text
    text: Text


class ProcessLimits(_Frozen):
    """The acceptance limit as a promise (the office confirmed it) or without a number."""

    acceptance_confirmed: Text
    acceptance_unconfirmed: Text


class BrochureWords(_Frozen):
    title: Text
    subtitle: Text
    what_title: Text
    industries_title: Text
    industries_text: Text
    how_title: Text
    process_title: Text
    rewards_title: Text
    confidentiality_title: Text
    tags_title: Text
    notes_title: Text
    notes_text: Text
    notes_fields: tuple[Text, ...]
    truth: Text


class Content(_Frozen):
    """The wording with every placeholder already filled for one office."""

    schema_: int = Field(alias="schema")
    poster: PosterWords
    report_kinds: tuple[ReportKind, ...]
    rewards: dict[str, RewardSet]
    confidentiality: Confidentiality
    process_limits: ProcessLimits
    process: tuple[Step, ...]
    brochure: BrochureWords
    # the reward rule set of the office, picked from ``rewards`` at load time
    reward_rule_set: str

    @property
    def reward(self) -> RewardSet:
        return self.rewards[self.reward_rule_set]


def site_host(office: OfficeConfig) -> str:
    return urlparse(str(office.site.public_url)).hostname or str(office.site.public_url)


def facts(office: OfficeConfig) -> dict[Lang, dict[str, str]]:
    """Every fact a placeholder may name, per language (only ``tag_storage`` differs)."""
    deadlines = office.rules.deadlines
    common = {
        "platform_name": office.office.platform_name,
        "platform_name_en": office.office.platform_name_en,
        "office_name": office.office.name,
        "office_name_en": office.office.name_en,
        "office_short_name": office.office.short_name,
        "office_short_name_en": office.office.short_name_en,
        "hotline": office.hotline.value,
        "site_host": site_host(office),
        "report_url": office.site.report_url,
        "acceptance_days": str(deadlines.acceptance_days),
        "verification_days": str(deadlines.verification_days),
        "extension_max_days": str(deadlines.extension_max_days),
        "feedback_days": str(deadlines.feedback_days),
        "reward_claim_days": str(deadlines.reward_claim_days),
        "min_people_per_tag": str(office.posters.min_people_per_tag),
    }
    values: dict[Lang, dict[str, str]] = {lang: dict(common) for lang in LANGS}
    for lang in LANGS:
        values[lang].update(reward_facts(office.rules.reward_rule_set, lang))
    return values


def yuan(amount: int, lang: Lang) -> str:
    """30万 / 300,000: how a poster writes a sum of yuan (the unit word is in the text)."""
    if lang == "zh":
        return f"{amount // 10_000}万" if amount >= 10_000 and amount % 10_000 == 0 else str(amount)
    return f"{amount:,}"


def reward_facts(rule_set_name: str, lang: Lang) -> dict[str, str]:
    """Amounts of the office's reward rule set, as the wording may quote them.

    Only what the rule set actually defines becomes a fact, so wording that quotes an
    amount the rule set does not have fails to load instead of printing a guess.
    """
    try:
        rule_set = loader.load_rule_set(rule_set_name)
    except (OSError, ValueError) as exc:
        raise ContentError(f"reward rule set {rule_set_name!r}: {exc}") from None
    found = {"rule_set_title": rule_set.title_zh if lang == "zh" else rule_set.title_en}
    caps = [] if rule_set.max_single_reward_yuan is None else [rule_set.max_single_reward_yuan]
    for kind, formula_id in rule_set.kinds.items():
        formula = rule_set.formulas[formula_id]
        if isinstance(formula, schema.PercentOfFine) and kind in ("hazard", "violation"):
            found["fine_percent"] = f"{formula.rate_basis_points / 100:g}"
            found["fine_floor"] = yuan(formula.floor_yuan, lang)
            found["fine_cap"] = yuan(formula.cap_yuan, lang)
            caps.append(formula.cap_yuan)
        elif isinstance(formula, schema.PerDeathByGrade) and kind == "concealed_accident":
            found["per_death_min"] = yuan(min(formula.per_death_yuan.values()), lang)
            found["per_death_max"] = yuan(max(formula.per_death_yuan.values()), lang)
            caps.append(formula.cap_yuan)
    if caps:
        found["reward_cap"] = yuan(max(caps), lang)
    return found


def _is_text(node: Any) -> bool:
    return isinstance(node, dict) and set(node) == {"zh", "en"}


def _fill(node: Any, values: dict[Lang, dict[str, str]], where: str) -> Any:
    """Format every bilingual string in ``node`` with the facts of its language."""
    if _is_text(node):
        filled = {}
        for lang in LANGS:
            try:
                filled[lang] = str(node[lang]).format_map(values[lang])
            except KeyError as exc:
                raise ContentError(f"{where}.{lang}: unknown placeholder {exc}") from None
            except (ValueError, IndexError) as exc:
                raise ContentError(f"{where}.{lang}: {exc}") from None
        return filled
    if isinstance(node, dict):
        return {key: _fill(value, values, f"{where}.{key}") for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(item, values, f"{where}[{i}]") for i, item in enumerate(node)]
    return node


def load_content(office: OfficeConfig, path: Path = CONTENT_FILE) -> Content:
    """Read the wording and fill it with ``office``'s facts; fails loudly on a gap."""
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    values = facts(office)
    granularity = office.posters.tag_granularity
    try:
        storage = raw["confidentiality"]["tag_storage"][granularity]
    except KeyError:
        raise ContentError(
            f"confidentiality.tag_storage has no entry for {granularity!r}"
        ) from None
    for lang in LANGS:
        values[lang]["tag_storage"] = str(storage[lang])
    # the acceptance limit is a promise only when the office confirmed it as its own
    limits = _fill(raw.get("process_limits", {}), values, "content.process_limits")
    chosen = (
        "acceptance_confirmed"
        if office.rules.deadlines.acceptance_days_confirmed
        else "acceptance_unconfirmed"
    )
    if not _is_text(limits.get(chosen)):
        raise ContentError(f"content.toml has no process_limits.{chosen}")
    for lang in LANGS:
        values[lang]["acceptance_limit"] = limits[chosen][lang]
    rule_set = office.rules.reward_rule_set
    if rule_set not in raw.get("rewards", {}):
        raise ContentError(f"content.toml has no [rewards.{rule_set}] for this office's rule set")
    filled = _fill(raw, values, "content")
    filled["reward_rule_set"] = rule_set
    return Content.model_validate(filled)


def all_strings(content: Content) -> list[str]:
    """Every string the wording holds, both languages (for font-coverage checks)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Text):
            found.extend((node.zh, node.en))
        elif isinstance(node, BaseModel):
            for name in type(node).model_fields:
                walk(getattr(node, name))
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)

    walk(content)
    return found
