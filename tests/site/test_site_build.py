"""The built publicity site: strict build, links, assets, both languages, facts from config."""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from chalicelib.config.office import load_office
from chalicelib.public import pages
from chalicelib.rewards import export, loader
from jubao_site import chrome
from tests.site.htmlscan import Page, html_files, scan, url_of
from tests.site.sitebuild import Build

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("site")]

OFFICE = load_office()
PAGES = [
    "",
    "report/",
    "status/",
    "channels/",
    "scope/",
    "process/",
    "rewards/",
    "confidentiality/",
    "quiz/",
    "posters/",
    "policies/",
    "faq/",
]
EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
CJK = re.compile(r"[\u4e00-\u9fff]")


def page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def test_strict_build_has_no_warnings(site_build: Build) -> None:
    assert site_build.returncode == 0
    assert not re.search(r"^(WARNING|ERROR)\b", site_build.log, re.MULTILINE), site_build.log


def test_every_page_exists_in_both_languages_with_its_lang(site: Path) -> None:
    for path in PAGES:
        zh = scan(site / path / "index.html")
        en = scan(site / "en" / path / "index.html")
        assert zh.lang == "zh", path
        assert en.lang == "en", path


def test_english_pages_are_translated_not_fallbacks(site: Path) -> None:
    for path in PAGES:
        text = "".join(scan(site / "en" / path / "index.html").text)
        share = len(CJK.findall(text)) / max(len(text), 1)
        # official document numbers (皖政办〔2017〕75号) stay in Chinese; prose does not
        assert share < 0.08, f"/en/{path} looks untranslated ({share:.0%} Chinese)"


def _target(site: Path, base: str, href: str) -> tuple[Path, str] | None:
    url = urljoin("http://site/" + base, href)
    parts = urlsplit(url)
    if parts.netloc != "site":
        return None
    rel = unquote(parts.path.lstrip("/"))
    file = site / rel
    if rel == "" or rel.endswith("/"):
        file = file / "index.html"
    return file, unquote(parts.fragment)


def test_internal_links_and_anchors_resolve(site: Path) -> None:
    scanned: dict[Path, Page] = {}
    broken = []
    for file in html_files(site):
        p = scanned.setdefault(file, scan(file))
        base = url_of(site, file)
        for href in p.links + p.assets:
            if EXTERNAL.match(href):
                continue
            resolved = _target(site, base, href)
            if resolved is None:
                continue
            target, fragment = resolved
            if not target.is_file():
                broken.append(f"{base}: {href} (no file)")
                continue
            if fragment and target.suffix == ".html":
                ids = scanned.setdefault(target, scan(target)).ids
                if fragment not in ids:
                    broken.append(f"{base}: {href} (no anchor)")
    assert not broken, "\n".join(broken)


def test_nothing_is_loaded_from_another_host(site: Path) -> None:
    offenders = []
    for file in html_files(site):
        for asset in scan(file).assets:
            if re.match(r"^(?:https?:)?//", asset):
                offenders.append(f"{url_of(site, file)}: {asset}")
    for css in site.rglob("*.css"):
        for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
            if re.match(r"^(?:https?:)?//", ref):
                offenders.append(f"{css.name}: {ref}")
    for text_file in list(site.rglob("*.html")):
        cdn = r"fonts\.(googleapis|gstatic)\.com|unpkg\.com|cdn\.jsdelivr"
        if re.search(cdn, text_file.read_text()):
            offenders.append(f"{url_of(site, text_file)}: CDN reference")
    assert not offenders, "\n".join(offenders)


def test_site_url_comes_from_the_office_config(site: Path) -> None:
    public = str(OFFICE.site.public_url)
    assert f'<link rel="canonical" href="{public}report/">' in page(site, "report")
    assert f'<link rel="canonical" href="{public}en/report/">' in page(site, "en/report")
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{public}en/scope/</loc>" in sitemap


def test_site_name_and_hotline_from_config(site: Path) -> None:
    home_zh, home_en = page(site, ""), page(site, "en")
    assert OFFICE.office.platform_name in home_zh
    assert OFFICE.office.platform_name_en in home_en
    for html in (home_zh, home_en, page(site, "channels"), page(site, "en/channels")):
        assert f'href="tel:{OFFICE.hotline.value}"' in html
    # the note as written, its numbers as tel: links (jubao_site.chrome.link_numbers)
    assert chrome.link_numbers(escape(OFFICE.hotline.note), OFFICE) in page(site, "channels")
    assert chrome.link_numbers(escape(OFFICE.hotline.note_en), OFFICE) in page(site, "en/channels")


def test_every_channel_of_the_config_is_listed(site: Path) -> None:
    zh, en = page(site, "channels"), page(site, "en/channels")
    for channel in OFFICE.channels:
        assert channel.label in zh and channel.label_en in en
        if channel.kind in ("letter", "visit", "email"):
            assert channel.value in zh


def test_process_deadlines_from_config(site: Path) -> None:
    d = OFFICE.rules.deadlines
    zh, en = page(site, "process"), page(site, "en/process")
    # the acceptance limit is not the office's confirmed commitment by default: not stated
    assert not d.acceptance_days_confirmed and f"收到后 {d.acceptance_days} 日内" not in zh
    assert f"受理后 {d.verification_days} 日内" in zh
    assert f"最多 {d.extension_max_days} 日" in zh
    assert f"核查结束后 {d.feedback_days} 日内" in zh
    assert f"within {d.verification_days} days of acceptance" in en
    assert f"at most {d.extension_max_days} days" in en
    assert 'class="jubao-process"' in zh and "mermaid" not in zh.lower()


def test_regions_and_industries_from_config(site: Path) -> None:
    scope_zh, scope_en = page(site, "scope"), page(site, "en/scope")
    form_zh, form_en = page(site, "report"), page(site, "en/report")
    for region in OFFICE.regions:
        assert f'value="{region.code}"' in form_zh
        assert escape(region.name) in form_zh and escape(region.name_en) in form_en
        if region.level == "city":
            assert escape(region.name) in scope_zh and escape(region.name_en) in scope_en
    for industry in OFFICE.industries:
        assert escape(industry.name) in scope_zh and escape(industry.name_en) in scope_en
        if industry.criteria:
            assert escape(industry.criteria) in scope_zh


def test_forms_are_the_cores_markup_not_a_copy(site: Path) -> None:
    assert pages.report_form_html(OFFICE, "zh") in page(site, "report")
    assert pages.report_form_html(OFFICE, "en") in page(site, "en/report")
    assert pages.status_form_html(OFFICE, "zh") in page(site, "status")
    assert pages.status_form_html(OFFICE, "en") in page(site, "en/status")
    assert 'action="/api/form/report"' in page(site, "report")


def test_form_pages_load_only_their_own_script(site: Path) -> None:
    for path, script in [
        ("report", "forms.js"),
        ("status", "forms.js"),
        ("quiz", "quiz.js"),
        ("rewards", "calculator.js"),
    ]:
        assets = scan(site / path / "index.html").assets
        assert any(a.endswith(f"assets/js/{script}") for a in assets), path
    report_assets = scan(site / "report" / "index.html").assets
    others = ("reward-engine.js", "calculator.js", "quiz.js")
    assert not any(a.endswith(others) for a in report_assets)
    rewards_assets = scan(site / "rewards" / "index.html").assets
    assert any(a.endswith("assets/js/reward-engine.js") for a in rewards_assets)


def test_reward_rules_json_is_the_cores_export(site: Path) -> None:
    published = json.loads((site / "assets" / "reward-rules.json").read_text(encoding="utf-8"))
    assert published == export.public_rule_sets(default=OFFICE.rules.reward_rule_set)
    assert published["default_rule_set"] == OFFICE.rules.reward_rule_set


def test_reward_rules_table_shows_the_default_rule_set(site: Path) -> None:
    rule_set = loader.load_rule_set(OFFICE.rules.reward_rule_set)
    zh, en = page(site, "rewards"), page(site, "en/rewards")
    assert rule_set.title_zh in zh and rule_set.title_en in en  # the calculator's choice
    # the page names the configured rule set's document and states its amounts once; the
    # exclusions are the conditions in prose, each reason shown by the calculator only
    assert f"计算器默认按《安全生产领域举报奖励办法》（{rule_set.document}）" in zh
    assert rule_set.document in en
    assert "jubao-exclusions" not in zh
    for formula in rule_set.formulas.values():
        if formula.formula == "percent_of_fine":
            assert f"最低 {formula.floor_yuan:,} 元" in zh
            assert f"最高 {formula.cap_yuan:,} 元" in zh


def test_quiz_answers_agree_with_the_config(site: Path) -> None:
    quiz = json.loads((site / "assets" / "quiz.json").read_text(encoding="utf-8"))
    by_id = {q["id"]: q for q in quiz["questions"]}
    hotline = by_id["hotline"]
    assert hotline["choices"][hotline["correct"]]["zh"] == OFFICE.hotline.value
    assert hotline["choices"][hotline["correct"]]["en"] == OFFICE.hotline.value
    days = str(OFFICE.rules.deadlines.verification_days)
    verification = by_id["verification"]
    assert verification["choices"][verification["correct"]]["zh"] == f"{days} 日"
    for q in quiz["questions"]:
        assert "{{" not in json.dumps(q, ensure_ascii=False)
        if q.get("fact"):
            assert q["fact"] in ("hotline", "deadlines.verification_days")
    # the page shows the same questions
    html = page(site, "quiz")
    for q in quiz["questions"]:
        assert f'data-question="{q["id"]}" data-correct="{q["correct"]}"' in html


def test_confidentiality_states_the_poster_tag_rule_with_config_numbers(site: Path) -> None:
    zh, en = page(site, "confidentiality"), page(site, "en/confidentiality")
    n = OFFICE.posters.min_people_per_tag
    assert f"人数少于 <strong>{n}</strong> 人的地点" in zh
    assert f"fewer than <strong>{n}</strong> people" in en
    for word in ("IP", "回执码", "保管人员", "公钥"):
        assert word in zh


def test_poster_gallery_and_files(site: Path) -> None:
    html = page(site, "posters")
    assert 'class="jubao-posters"' in html and "posters-missing" not in html
    assert (site / "posters" / "files" / "340100" / "poster-zh.png").is_file()
    assert (site / "posters" / "files" / "brochure-zh.pdf").is_file()
    assert 'src="files/340100/poster-zh.png"' in html and "poster-en.pdf" in html
    assert 'src="../../posters/files/340100/poster-en.png"' in page(site, "en/posters")


def test_chinese_search_index_is_segmented_with_domain_terms(site: Path) -> None:
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert "zh" in index["config"]["lang"]
    text = " ".join(doc["text"] for doc in index["docs"])
    for term in ("回执码", "匿名举报", "重大事故隐患", "保管人员"):
        assert f"\u200b{term}\u200b" in text, term
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert "en/report/" in locations and "report/" in locations


def test_print_stylesheet_for_guidance_pages(site: Path) -> None:
    css = (site / "assets" / "css" / "jubao.css").read_text(encoding="utf-8")
    assert "@media print" in css
    assert "jubao.css" in page(site, "process")


def test_front_matter_is_read_not_shown(site: Path) -> None:
    for path in PAGES:
        for prefix in ("", "en/"):
            html = page(site, prefix + path)
            assert '<meta name="description" content="' in html, prefix + path
            body = "".join(scan(site / prefix / path / "index.html").text)
            assert "description:" not in body and "{{" not in body, prefix + path


def test_the_report_page_puts_the_emergency_note_and_notice_before_the_form(site: Path) -> None:
    for prefix, lang in (("", "zh"), ("en/", "en")):
        html = page(site, prefix + "report/")
        notice = pages.report_notice_html(OFFICE, lang)  # type: ignore[arg-type]
        assert notice in html
        assert html.index(notice) < html.index('<form id="report-form"')
        assert html.count("119") == 1, "the emergency note is said once, before the form"
        status = page(site, prefix + "status/")
        app = re.search(r'<div id="status-app"([^>]*)>', status)
        assert app is not None
        assert 'data-max-files="5"' in app.group(1) and 'data-max-size="20 MB"' in app.group(1)
        assert escape(pages.files_hint(pages.DEFAULT_LIMITS, lang)) in app.group(1)  # type: ignore[arg-type]
