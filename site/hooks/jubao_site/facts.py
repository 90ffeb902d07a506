"""Facts from the office configuration that the Markdown pages quote.

The pages never write a fact themselves (the hotline, a deadline, a threshold): they write
a placeholder such as ``{{ hotline }}`` and the build fills it from the office file, so a
change of the configuration changes every page. An unknown placeholder fails the build,
so a typo cannot ship as literal braces.
"""

from __future__ import annotations

import re

from chalicelib.config.office import OfficeConfig
from chalicelib.config.settings import from_env, office_for
from chalicelib.i18n import LANGS, Lang, pick

__all__ = ["LANGS", "Lang", "UnknownPlaceholder", "facts", "fill", "load", "pick"]

PLACEHOLDER = re.compile(r"\{\{\s*([a-z][a-z0-9_.]*)\s*\}\}")

GRANULARITY_TEXT: dict[str, tuple[str, str]] = {
    "place": (
        "张贴地点（如某小区、某企业）",
        "the place where the poster hangs (a community, a firm)",
    ),
    "region": ("所在县区（不记录具体地点）", "the county or district only (not the place)"),
    "none": ("不记录任何海报信息", "nothing about the poster"),
}


class UnknownPlaceholder(KeyError):
    """A page asks for a fact the configuration does not have."""


def load() -> OfficeConfig:
    """The office the environment names (``JUBAO_OFFICE_CONFIG``, else Anhui), loaded the
    one way every part of the platform loads it."""
    return office_for(from_env())


def facts(office: OfficeConfig, lang: Lang) -> dict[str, str]:
    """Every placeholder a page may use, as plain text in ``lang``."""
    o = office.office
    d = office.rules.deadlines
    hotline = office.hotline
    granularity = GRANULARITY_TEXT[office.posters.tag_granularity]
    return {
        "office_name": pick(lang, o.name, o.name_en),
        "office_short_name": pick(lang, o.short_name, o.short_name_en),
        "platform_name": pick(lang, o.platform_name, o.platform_name_en),
        "seed_notice": o.seed_notice,
        "hotline": hotline.value,
        "hotline_label": pick(lang, hotline.label, hotline.label_en),
        "hotline_note": pick(lang, hotline.note, hotline.note_en),
        # one answer, on the FAQ and the status page: what to do when the receipt is lost
        "lost_receipt": pick(
            lang,
            "回执码丢失后无法补发：平台只保存它的“指纹”，任何人也无法核实来电或来访的人就是"
            "举报人本人。有新的情况，请重新举报，并在描述中注明与之前的举报有关（记得举报编号的，"
            f"一并写上）。也可以拨打 {hotline.value} 反映新的情况，但电话中不会告知任何举报的"
            "办理情况。",
            "A lost receipt code cannot be re-issued: the platform keeps only a fingerprint of "
            "it, and nobody can verify that a caller or visitor is the person who reported. "
            "If you have more to tell, report again and say in the description that it is "
            "about an earlier report (with its report number, if you remember it). You can "
            f"also give the new information on the {hotline.value} hotline, but it gives no "
            "details of any report.",
        ),
        "public_url": str(office.site.public_url),
        "report_url": office.site.report_url,
        "deadlines.acceptance_days": str(d.acceptance_days),
        # the acceptance limit is stated only as the office's own confirmed commitment
        "deadlines.acceptance_limit": (
            pick(
                lang,
                f"收到后 {d.acceptance_days} 日内",
                f"within {d.acceptance_days} days of receipt",
            )
            if d.acceptance_days_confirmed
            else ""
        ),
        "deadlines.acceptance_promise": (
            pick(
                lang,
                f"受理单位在收到举报后 {d.acceptance_days} 日内决定是否受理。",
                f"The office decides within {d.acceptance_days} days of receipt whether it "
                "accepts a report.",
            )
            if d.acceptance_days_confirmed
            else ""
        ),
        "deadlines.verification_days": str(d.verification_days),
        "deadlines.extension_max_days": str(d.extension_max_days),
        "deadlines.feedback_days": str(d.feedback_days),
        "deadlines.reward_claim_days": str(d.reward_claim_days),
        "posters.min_people_per_tag": str(office.posters.min_people_per_tag),
        "posters.tag_granularity": pick(lang, *granularity),
        "regions.count": str(len(office.regions)),
        "industries.count": str(len(office.industries)),
    }


def fill(markdown: str, values: dict[str, str]) -> str:
    """Replace every ``{{ name }}``; raise on a name that is not a known fact."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise UnknownPlaceholder(name)
        return values[name]

    return PLACEHOLDER.sub(replace, markdown)
