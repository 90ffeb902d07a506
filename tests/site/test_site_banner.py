"""The development site says it is a sample; the production build refuses placeholders.

Issue 11: a development build (the default; ``make run`` and the tests build it) carries
"示例配置，不得对外发布 / sample configuration, not for publication" on every page, the
404 page included, in Material's banner (a landmark, no inline code or style). A
production build (``JUBAO_BUILD=production``) of the shipped example configuration stops
and names every finding; of a filled, confirmed configuration it builds without banner.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from chalicelib.config import publishable
from chalicelib.config.office import load_office
from tests.office_files import FILLED_FOOTER, filled_office_file
from tests.site.htmlscan import html_files, url_of
from tests.site.sitebuild import build_site

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("site")]


def _banner(html: str) -> Tag | None:
    found = BeautifulSoup(html, "html.parser").select_one("aside.md-banner .jubao-sample")
    return found if isinstance(found, Tag) else None


def test_every_development_page_carries_the_sample_banner(site: Path) -> None:
    pages = html_files(site)
    assert len(pages) >= 25  # 12 pages in 2 languages and the 404 page
    for file in pages:
        banner = _banner(file.read_text(encoding="utf-8"))
        where = url_of(site, file)
        assert banner is not None, where
        assert " ".join(banner.get_text().split()) == publishable.SAMPLE_BANNER_TEXT, where
        zh, en = banner.find(lang="zh"), banner.find(lang="en")
        assert zh is not None and zh.get_text() == publishable.SAMPLE_BANNER.zh, where
        assert en is not None and en.get_text() == publishable.SAMPLE_BANNER.en, where
        for tag in [banner, *banner.find_all(True)]:  # the CSP: no inline style or code
            assert isinstance(tag, Tag) and not tag.has_attr("style"), where
    assert (site / "404.html") in pages


def test_the_production_build_of_the_example_configuration_refuses(tmp_path: Path) -> None:
    build = build_site(
        tmp_path / "site",
        {"JUBAO_BUILD": "production", "JUBAO_POSTERS_DIR": str(tmp_path / "no-posters")},
    )
    assert build.returncode != 0
    assert "production build refused" in build.log
    found = publishable.findings(load_office())
    assert found
    for finding in found:
        assert f"{finding.path}: {finding.why.zh} / {finding.why.en}" in build.log
    assert not (tmp_path / "site" / "index.html").exists()


def test_the_production_build_of_a_filled_configuration_has_no_banner(tmp_path: Path) -> None:
    office_file = filled_office_file(tmp_path)
    build = build_site(
        tmp_path / "site",
        {
            "JUBAO_BUILD": "production",
            "JUBAO_OFFICE_CONFIG": str(office_file),
            "JUBAO_POSTERS_DIR": str(tmp_path / "no-posters"),
        },
    )
    assert build.returncode == 0, build.log
    pages = html_files(build.site)
    assert len(pages) >= 25
    for file in pages:
        html = file.read_text(encoding="utf-8")
        assert _banner(html) is None and publishable.SAMPLE_BANNER.zh not in html, file
        assert 'class="md-banner"' not in html, file
    assert "https://jubao.anhui-safety.cn/" in (build.site / "index.html").read_text("utf-8")
    # the footer of a government site, from the configuration, on every page
    for file in pages:
        soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
        footer = " ".join(soup.select_one("ul.jubao-footer").get_text().split())  # type: ignore[union-attr]
        en = soup.html is not None and soup.html.get("lang") == "en"  # the 404 page too
        assert "待配置" not in footer and "to be configured" not in footer, file
        assert FILLED_FOOTER["sponsor_en" if en else "sponsor"] in footer, file
        assert FILLED_FOOTER["contact_en" if en else "contact"] in footer, file
        assert FILLED_FOOTER["site_code"] in footer, file
        icp = soup.select_one("li.jubao-footer__icp a")
        assert icp is not None and icp.get_text() == FILLED_FOOTER["icp"], file
        assert icp.get("href") == "https://beian.miit.gov.cn/", file


def test_a_mistyped_build_mode_is_refused(tmp_path: Path) -> None:
    """``JUBAO_BUILD=prod`` must not quietly build a development site."""
    build = build_site(
        tmp_path / "site",
        {"JUBAO_BUILD": "prod", "JUBAO_POSTERS_DIR": str(tmp_path / "no-posters")},
    )
    assert build.returncode != 0 and "build" in build.log
    assert not (tmp_path / "site" / "index.html").exists()
