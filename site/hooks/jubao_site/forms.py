"""The report and status forms, embedded from the core's no-JavaScript markup.

``chalicelib.public.pages`` renders the one form the function also re-renders with errors, so
the site and the function cannot drift: this module only adds what a static page needs
around it (a place for the JavaScript receipt and the poster notice).
"""

from __future__ import annotations

from chalicelib.config.office import OfficeConfig
from chalicelib.public import pages

from .blocks import Link
from .facts import Lang


def report_form(office: OfficeConfig, lang: Lang, link: Link) -> str:
    form = pages.report_form_html(office, lang)
    return (
        '<div class="jubao-poster-notice" id="poster-notice" role="status" hidden></div>'
        f'<div id="report-app" data-status-url="{link(office.site.status_path)}"'
        f"{_acceptance(office)}>{form}</div>"
    )


def status_form(office: OfficeConfig, lang: Lang, link: Link) -> str:
    form = pages.status_form_html(office, lang)
    return f'<div id="status-app"{_acceptance(office)}>{form}</div>'


def _acceptance(office: OfficeConfig) -> str:
    """Whether the page script may show the acceptance due date (as the core's pages do)."""
    shown = "shown" if pages.acceptance_promised(office) else "hidden"
    return f' data-acceptance-due="{shown}"'
