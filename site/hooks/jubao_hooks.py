"""MkDocs hooks: fill the publicity site with facts from the office configuration.

What happens at build time, and why here:

* ``on_config``: ``site_url``, the site name and the copyright come from the office file,
  so a poster's QR code, the site and the API agree on one address and one name.
  A production build (``JUBAO_BUILD=production``) stops here on any placeholder or
  unconfirmed value; a development build sets the sample banner every page shows.
* ``on_page_markdown``: ``{{ fact }}`` placeholders in the pages become configured facts.
* ``on_page_content``: ``<!-- jubao:NAME -->`` markers become HTML blocks (channels,
  process diagram, the core's report form, the quiz, the reward rules, the posters), and
  the hotline's numbers in the pages' own text become ``tel:`` links (``jubao_site.chrome``).
* ``on_post_page`` / ``on_post_template``: every executable inline ``<script>`` (Material
  writes a few) moves into a file of the built site, so the pages run under the
  policy's ``script-src 'self'`` (``jubao_site.inline_scripts``); the build stops on
  inline event handlers and ``javascript:`` URLs.
* ``on_post_build``: ``assets/reward-rules.json`` (from ``chalicelib.rewards``),
  ``assets/quiz.json`` and the poster files are written into the built site.

The logic lives in the ``jubao_site`` package next to this file; this module only wires
MkDocs events to it. mkdocs-static-i18n runs the whole build once per language on the
same config object, so every hook here must be safe to run twice.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from jubao_site import (
    blocks,
    chrome,
    facts,
    forms,
    inline_scripts,
    posters,
    publication,
    quiz,
    rewards,
)

log = logging.getLogger("mkdocs.hooks.jubao")

JIEBA_USER_DICT = Path(__file__).resolve().parent / "jieba_user_dict.txt"

_office = facts.load()


def _lang(page: Page) -> facts.Lang:
    locale = getattr(page.file, "locale", None) or "zh"
    return "en" if locale == "en" else "zh"


def _prefix(lang: facts.Lang) -> str:
    return "" if lang == "zh" else f"{lang}/"


@event_priority(100)  # before the search plugin reads its jieba option, before i18n
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    o = _office.office
    # production: refuse placeholders; development: the sample banner (overrides/main.html)
    banner = publication.sample_banner()
    config.extra["jubao_sample_banner"] = banner
    # the hotline bar and the footer of every page (overrides/main.html, partials/copyright.html)
    config.extra["jubao_hotline_bar"] = chrome.hotline_bar(_office)
    config.extra["jubao_footer"] = chrome.footer(_office, development=banner is not None)
    config["site_url"] = str(_office.site.public_url)
    config["site_name"] = o.platform_name
    config["copyright"] = o.name
    search = config.plugins.get("material/search") or config.plugins.get("search")
    if search is not None:
        search.config["jieba_dict_user"] = str(JIEBA_USER_DICT)
    i18n = config.plugins.get("i18n")
    if i18n is not None:
        for language in i18n.config["languages"]:
            en = language["locale"] == "en"
            language["site_name"] = o.platform_name_en if en else o.platform_name
            language["copyright"] = o.name_en if en else o.name
    return config


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    lang = _lang(page)
    values = facts.facts(_office, lang)
    try:
        for key, value in page.meta.items():  # the description and title quote facts too
            if isinstance(value, str):
                page.meta[key] = facts.fill(value, values)
        return facts.fill(markdown, values)
    except facts.UnknownPlaceholder as exc:
        raise SystemExit(f"{page.file.src_uri}: unknown placeholder {exc}") from exc


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    lang = _lang(page)
    here = page.url

    def link(path: str) -> str:
        return get_relative_url(_prefix(lang) + path, here)

    def site_link(path: str) -> str:
        return get_relative_url(path, here)

    renderers: dict[str, Any] = {
        "channels": lambda: blocks.channels(_office, lang, link),
        "cta": lambda: blocks.hotline_banner(_office, lang, link),
        "industries": lambda: blocks.industries(_office, lang, link),
        "regions": lambda: blocks.regions(_office, lang, link),
        "process": lambda: blocks.process(_office, lang, link),
        "statuses": lambda: blocks.statuses(_office, lang, link),
        "tag-rule": lambda: blocks.tag_rule(_office, lang, link),
        "report-form": lambda: forms.report_form(_office, lang, link),
        "status-form": lambda: forms.status_form(_office, lang, link),
        "quiz": lambda: quiz.render(_office, lang, link),
        "reward-rules": lambda: rewards.rules_table(_office, lang),
        "reward-calculator": lambda: rewards.calculator(_office, lang, site_link),
        "posters": lambda: posters.gallery(_office, lang, link, site_link),
    }

    def replace(match: Any) -> str:
        name = match.group(1)
        if name not in renderers:
            raise SystemExit(f"{page.file.src_uri}: unknown block <!-- jubao:{name} -->")
        return str(renderers[name]())

    # the pages' own text first: a block's markup is its owner's (the core's forms stay
    # byte for byte the core's); the channels block links its numbers itself
    return blocks.MARKER.sub(replace, chrome.link_numbers(html, _office))


def _without_inline_scripts(html: str, base_url: str, where: str, config: MkDocsConfig) -> str:
    try:
        output, files = inline_scripts.externalize(html, base_url)
        inline_scripts.write(Path(config["site_dir"]), files)
    except inline_scripts.UnsafeMarkup as exc:
        raise SystemExit(f"{where}: code that would run inline: {exc}") from exc
    return output


@event_priority(-200)  # last: after every plugin that may still change the page
def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    base_url = get_relative_url(".", page.url)
    return _without_inline_scripts(output, base_url, page.file.src_uri, config)


@event_priority(-200)
def on_post_template(output_content: str, template_name: str, config: MkDocsConfig) -> str:
    if not template_name.endswith(".html"):
        return output_content  # sitemap.xml
    # the 404 page is served at any path, so MkDocs links it from the site's root path
    base_url = urlsplit(config["site_url"] or "/").path
    return _without_inline_scripts(output_content, base_url, template_name, config)


def on_post_build(config: MkDocsConfig) -> None:
    i18n = config.plugins.get("i18n")
    if i18n is not None and not getattr(i18n, "is_default_language_build", True):
        return  # the shared files go to the site root once, in the default-language build
    site_dir = Path(config["site_dir"])
    assets = site_dir / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    (assets / "reward-rules.json").write_text(
        json.dumps(rewards.rule_data(_office), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (assets / "quiz.json").write_text(
        json.dumps(quiz.as_json(quiz.load(_office)), ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    copied = posters.copy_into(site_dir, posters.source_dir())
    log.info("jubao: wrote reward rules and quiz; copied %d poster files", copied)
