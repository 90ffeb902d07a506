"""Cheap guards on the public copy (issue 11): Chinese punctuation, no developer talk.

Chinese text takes full-width punctuation ("举报电话：", not "举报电话: "); the review found
half-width colons after Chinese words on the home page. These tests read the visible text
of every Chinese page of the built site, and the Chinese half of every message the
scripts, the function's pages and errors, the quiz and the posters show. They also keep
phrases that speak to developers (build commands, "under construction") and the wordings
the review named off every public page.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from chalicelib import errors
from chalicelib.cases import status as report_status
from chalicelib.public import pages
from tests.site.htmlscan import html_files, url_of
from tests.site.sitebuild import ROOT
from tests.site.test_site_facts import quiz_strings, visible

# a Chinese character (or full-width closing mark) followed by a half-width : ; , ? ! that
# ends the phrase (a space, the end, or more Chinese): "电话: 12350", "注意:请"
HALF_WIDTH_AFTER_CHINESE = re.compile(
    r"[\u3400-\u9fff\u3001-\u303f\uff01-\uff5e][:;,?!](?=\s|$|[\u3400-\u9fff])"
)
DEVELOPER_TALK = (
    "正在建设中",
    "建设中",
    "尚未上线",
    "jubao posters",
    "mkdocs",
    "build/posters",
    "TODO",
    "under construction",
    "still being built",
    # the wordings the review named
    "网站自己也打不开",
    "自己也读不了",
    "已补充材料次数",
    "办案端",
    "mining on",
    "too much methane",
)
JS_PAIR = re.compile(r'\[\s*"((?:[^"\\]|\\.)*)"\s*,\s*"(?:[^"\\]|\\.)*"\s*\]')


def _is_chinese_page(text_html: str) -> bool:
    return '<html lang="zh"' in text_html


def test_the_guard_sees_a_half_width_colon_after_chinese() -> None:
    assert HALF_WIDTH_AFTER_CHINESE.search("举报电话: 12350")
    assert HALF_WIDTH_AFTER_CHINESE.search("注意:请先报警")
    assert not HALF_WIDTH_AFTER_CHINESE.search("举报电话：12350")
    assert not HALF_WIDTH_AFTER_CHINESE.search("Hotline: 12350，时间 08:30")


def test_no_chinese_page_has_half_width_punctuation_after_chinese(site: Path) -> None:
    checked = 0
    for file in html_files(site):
        html = file.read_text(encoding="utf-8")
        if not _is_chinese_page(html):
            continue
        checked += 1
        text = visible(file)
        found = HALF_WIDTH_AFTER_CHINESE.search(text)
        where = url_of(site, file)
        assert found is None, f"{where}: …{text[max(0, found.start() - 20) : found.end() + 10]}…"
    assert checked >= 12


def _chinese_messages() -> dict[str, str]:
    """The Chinese half of every message shown outside the Markdown pages."""
    found: dict[str, str] = {}
    for code, (_, zh, _) in errors.CATALOGUE.items():
        found[f"errors.{code}"] = zh
    for code, (zh, _) in errors.FIELD_MESSAGES.items():
        found[f"errors.field.{code}"] = zh
    for key, (zh, _) in pages.TEXT.items():
        found[f"pages.{key}"] = zh
    for state, label in report_status.LABELS.items():
        found[f"status.{state}"] = label.zh
    for script in (ROOT / "site" / "docs" / "assets" / "js").glob("*.js"):
        for i, match in enumerate(JS_PAIR.finditer(script.read_text(encoding="utf-8"))):
            found[f"{script.name}[{i}]"] = match.group(1)

    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("zh"), str):
                found[where] = node["zh"]
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                walk(item, f"{where}[{i}]")

    walk(tomllib.loads((ROOT / "posters" / "content.toml").read_text("utf-8")), "posters")
    return found


def test_no_chinese_message_has_half_width_punctuation_after_chinese() -> None:
    messages = _chinese_messages()
    assert len(messages) > 150
    for where, text in messages.items():
        found = HALF_WIDTH_AFTER_CHINESE.search(text)
        assert found is None, f"{where}: {text!r}"


def test_the_quiz_data_uses_full_width_punctuation(site: Path) -> None:
    for text in quiz_strings(site):
        if re.search(r"[\u4e00-\u9fff]", text):
            assert HALF_WIDTH_AFTER_CHINESE.search(text) is None, text


@pytest.mark.parametrize("phrase", DEVELOPER_TALK)
def test_no_public_page_speaks_to_developers(site: Path, phrase: str) -> None:
    for file in html_files(site):
        assert phrase.lower() not in visible(file).lower(), f"{url_of(site, file)}: {phrase!r}"
    for where, text in _chinese_messages().items():
        assert phrase not in text, f"{where}: {phrase!r}"
