"""Addresses of the site's pages as printed: per language, from the office configuration.

The site (mkdocs-static-i18n, ``site/mkdocs.yml``) serves the default language, the
first of ``LANGS``, at the root and every other language under ``/<lang>/``; an English
poster must open the English page. Only the public URL and the page paths come from the
office configuration, so no address is written twice.
"""

from __future__ import annotations

from urllib.parse import urlparse

from chalicelib.config.office import OfficeConfig
from chalicelib.i18n import LANGS, Lang


def page_url(office: OfficeConfig, lang: Lang, path: str = "") -> str:
    """The full URL of the site page ``path`` (e.g. ``report/``) in ``lang``."""
    prefix = "" if lang == LANGS[0] else f"{lang}/"
    return office.site.url(prefix + path.lstrip("/"))


def report_page(office: OfficeConfig, lang: Lang) -> str:
    """The report form in ``lang``, which every QR code opens."""
    return page_url(office, lang, office.site.report_path)


def status_page(office: OfficeConfig, lang: Lang) -> str:
    """Where a receipt code is looked up, in ``lang``."""
    return page_url(office, lang, office.site.status_path)


def display_url(url: str) -> str:
    """How paper shows an address: without the scheme (``jubao.example.gov.cn/report/``)."""
    parsed = urlparse(url)
    return f"{parsed.netloc}{parsed.path}"
