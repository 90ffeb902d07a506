"""The shared wording: facts come from the office file, and the font can print all of it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from chalicelib.config.office import OfficeConfig, load_office
from posters import fonts
from posters.content import (
    CONTENT_FILE,
    LANGS,
    Content,
    ContentError,
    all_strings,
    load_content,
    yuan,
)
from posters.defaults import EDITIONS, default_regions
from posters.layout import Designer, Variant, region_display_name


def _raw_strings() -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    with CONTENT_FILE.open("rb") as fh:
        walk(tomllib.load(fh))
    return found


def test_no_configured_fact_is_written_into_the_wording(
    office: OfficeConfig, content: Content
) -> None:
    raw = "\n".join(_raw_strings())
    assert office.hotline.value not in raw
    assert "example.gov.cn" not in raw
    assert office.office.name not in raw
    deadlines = office.rules.deadlines.model_dump()
    for value in deadlines.values():
        assert not re.search(rf"(?<!\d){value}\s*(日|天|days)", raw), value
    for amount in ("3000", "3,000", "30万", "300,000", "15%", "6万", "60,000"):
        assert amount not in raw, f"{amount} belongs to the reward rule set, not the wording"
    filled = "\n".join(all_strings(content))
    assert "{" not in filled and "}" not in filled
    process = " ".join(step.text("zh") for step in content.process)
    # the reference periods reach the wording from the config; the acceptance limit only
    # once the office confirms it, the claim period never (the reward notice sets it)
    for name in ("verification_days", "extension_max_days", "feedback_days"):
        assert f"{deadlines[name]}日" in process, name
    assert not deadlines["acceptance_days_confirmed"]
    assert f"{deadlines['acceptance_days']}日" not in process


def test_placeholders_follow_the_office_file(tmp_path: Path, office: OfficeConfig) -> None:
    source = (Path(__file__).parents[2] / "functions/chalicelib/offices/anhui.toml").read_text(
        encoding="utf-8"
    )
    changed = source.replace("verification_days = 60", "verification_days = 45").replace(
        'tag_granularity = "place"', 'tag_granularity = "region"'
    )
    other = tmp_path / "office.toml"
    other.write_text(changed, encoding="utf-8")
    content = load_content(load_office(other))
    assert "受理后45日内" in content.process[2].text("zh")
    assert "海报所属地区" in content.confidentiality.tag_rule("zh")
    assert "only the poster's region" in content.confidentiality.tag_rule("en")


def test_unknown_placeholders_and_rule_sets_fail_loudly(
    tmp_path: Path, office: OfficeConfig
) -> None:
    text = CONTENT_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "content.toml"
    broken.write_text(text.replace("后{acceptance_days}日", "后{acceptance_dayz}日"), "utf-8")
    with pytest.raises(ContentError, match="acceptance_dayz"):
        load_content(office, broken)
    other_rules = office.model_copy(
        update={"rules": office.rules.model_copy(update={"reward_rule_set": "anhui-2017"})}
    )
    with pytest.raises(ContentError, match="anhui-2017"):
        load_content(other_rules)


def test_reward_amounts_come_from_the_rule_set(content: Content) -> None:
    from chalicelib.reports.models import ReportKind
    from chalicelib.rewards import loader, schema

    rule_set = loader.load_rule_set("national-2018")
    fine = rule_set.formulas[rule_set.kinds[ReportKind("hazard")]]
    assert isinstance(fine, schema.PercentOfFine)
    # the brochure quotes the national amounts as the national measure's; the poster's
    # highlight and points promise no amount (which measure applies depends on the office)
    national = content.reward.details[1]
    assert f"{fine.rate_basis_points // 100}%" in national.zh and "30万" in national.zh
    assert f"{fine.floor_yuan:,}" in national.en and f"{fine.cap_yuan:,}" in national.en
    assert "万" not in content.reward.highlight.zh
    assert yuan(fine.cap_yuan, "zh") == "30万" and yuan(3000, "zh") == "3000"


def _office_strings(office: OfficeConfig) -> list[str]:
    texts = [
        office.office.name,
        office.office.name_en,
        office.office.platform_name,
        office.office.platform_name_en,
        office.office.short_name,
    ]
    for region in office.regions:
        texts += [region.name, region.name_en]
    for industry in office.industries:
        texts += [industry.name, industry.name_en, industry.criteria, industry.criteria_en]
    for channel in office.channels:
        texts += [channel.value, channel.label, channel.label_en, channel.note, channel.note_en]
    return texts


def test_the_font_covers_every_string_drawn(office: OfficeConfig, content: Content) -> None:
    everything = all_strings(content) + _office_strings(office)
    tag_alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.?=:/"
    for text in [*everything, tag_alphabet, "张贴地点：海报编号：□"]:
        for font in (fonts.REGULAR, fonts.BOLD):
            assert fonts.missing_glyphs(text, font) == [], text


def test_the_font_refuses_what_it_cannot_print() -> None:
    assert fonts.missing_glyphs("社区한😀") == ["한", "😀"]
    with pytest.raises(fonts.MissingGlyphError, match=r"U\+D55C"):
        fonts.require_glyphs("한")


def test_every_default_design_fits_its_page(office: OfficeConfig, content: Content) -> None:
    designer = Designer(office, content)
    regions = default_regions(office)
    assert {r.level for r in regions} == {"province", "city"}
    for region in office.regions:  # counties too: a batch may issue for any region
        for lang, size in {*EDITIONS, ("en", "a3")}:
            template = designer.template(
                Variant(lang, size, region_display_name(region, office, lang))
            )
            assert template.strings


@pytest.mark.parametrize("lang", LANGS)
def test_the_confidentiality_rule_states_the_threshold(
    content: Content, office: OfficeConfig, lang: str
) -> None:
    rule = content.confidentiality.tag_rule(lang)  # type: ignore[arg-type]
    assert str(office.posters.min_people_per_tag) in rule
    assert office.hotline.value in rule
