"""Every built page carries the hotline bar and the footer from the configuration (issue 11).

The browser tests (tests/browser/test_page_chrome.py) tap and switch; these read the built
HTML of every page, the 404 page included, and the numbers linked in the pages' text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from chalicelib.config.office import load_office
from jubao_site import chrome
from tests.site.htmlscan import html_files, url_of

OFFICE = load_office()
HOTLINE = OFFICE.hotline


def _soup(file: Path) -> BeautifulSoup:
    return BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")


def test_every_page_has_the_hotline_button_and_the_outside_number(site: Path) -> None:
    pages = html_files(site)
    assert len(pages) >= 25
    for file in pages:
        soup = _soup(file)
        where = url_of(site, file)
        call = soup.select_one(".jubao-bar a.jubao-bar__call")
        assert isinstance(call, Tag), where
        assert call.get("href") == f"tel:{HOTLINE.value}", where
        assert HOTLINE.value in call.get_text(), where
        alternates = [a.get("href") for a in soup.select(".jubao-bar__alt a")]
        assert alternates == ["tel:" + d.value.replace("-", "") for d in HOTLINE.alternates]
        assert HOTLINE.alternates, "the example configures 0551-12350"
        toggle = soup.select_one("button#jubao-elder-toggle")
        assert isinstance(toggle, Tag) and toggle.get("aria-pressed") == "false", where
        assert toggle.has_attr("hidden"), where  # shown by elder.js, which it needs
        elder = [s.get("src", "") for s in soup.select("head script[src]")]
        assert any(str(s).endswith("assets/js/elder.js") for s in elder), where


def test_every_development_page_has_the_footer_marked_to_be_configured(site: Path) -> None:
    for file in html_files(site):
        soup = _soup(file)
        where = url_of(site, file)
        items = soup.select(".md-footer-meta ul.jubao-footer li")
        assert len(items) == 4, where
        text = " ".join(" ".join(i.get_text().split()) for i in items)
        if soup.html is not None and soup.html.get("lang") == "en":  # the 404 page too
            assert text.count("to be configured") == 4, where
            assert "Run by" in text and "ICP filing" in text, where
        else:
            assert text.count("待配置") == 4, where
            for label in ("主办单位：", "联系方式：", "ICP备案号：", "网站标识码："):
                assert label in text, where
        assert "Made with" not in soup.select_one(".md-copyright").get_text(), where  # type: ignore[union-attr]


def test_the_numbers_in_the_pages_text_are_tel_links(site: Path) -> None:
    soup = _soup(site / "channels" / "index.html")
    article = soup.select_one("article")
    assert isinstance(article, Tag)
    hrefs = {a.get("href") for a in article.select('a[href^="tel:"]')}
    assert {"tel:12350", "tel:055112350"} <= hrefs
    for a in article.select('a[href^="tel:"]'):
        assert a.find_parent("a") is None and a.find_parent("label") is None


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>省外 0551-12350。</p>", '<p>省外 <a href="tel:055112350">0551-12350</a>。</p>'),
        ("<p>拨打12350咨询</p>", '<p>拨打<a href="tel:12350">12350</a>咨询</p>'),
        ('<a href="tel:12350">12350</a>', '<a href="tel:12350">12350</a>'),
        ("<label>12350</label><h2>12350</h2>", "<label>12350</label><h2>12350</h2>"),
        ("<p>123501 或 112350 或 12350-1</p>", "<p>123501 或 112350 或 12350-1</p>"),
        ('<p title="12350">x</p>', '<p title="12350">x</p>'),
        ("<!-- 12350 --><p><br>12350", '<!-- 12350 --><p><br><a href="tel:12350">12350</a>'),
    ],
)
def test_link_numbers(html: str, expected: str) -> None:
    assert chrome.link_numbers(html, OFFICE) == expected
