"""The report and status forms, embedded from the core's no-JavaScript markup.

``chalicelib.public.pages`` renders the one form the function also re-renders with errors, so
the site and the function cannot drift: this module only adds what a static page needs
around it (the emergency note and 举报须知 before the form, a place for the JavaScript
receipt and the poster notice, and the upload limits the status page's script needs for
its form to add information).
"""

from __future__ import annotations

from html import escape

from chalicelib.config.office import OfficeConfig
from chalicelib.config.settings import from_env
from chalicelib.public import pages
from chalicelib.reports.attachments import UploadLimits

from .blocks import Link
from .facts import Lang


def _limits() -> UploadLimits:
    """The upload limits of the settings the build runs with (``JUBAO_MAX_ATTACHMENT*``),
    the ones the server reads."""
    return UploadLimits.of(from_env())


def report_form(office: OfficeConfig, lang: Lang, link: Link) -> str:
    form = pages.report_form_html(office, lang, limits=_limits())
    return (
        pages.report_notice_html(office, lang)
        + '<div class="jubao-poster-notice" id="poster-notice" role="status" hidden></div>'
        f'<div id="report-app" data-status-url="{link(office.site.status_path)}"'
        f"{_acceptance(office)}>{form}</div>"
    )


def status_form(office: OfficeConfig, lang: Lang, link: Link) -> str:
    form = pages.status_form_html(office, lang)
    return f'<div id="status-app"{_acceptance(office)}{_upload_data(lang)}>{form}</div>'


def _acceptance(office: OfficeConfig) -> str:
    """Whether the page script may show the acceptance due date (as the core's pages do)."""
    shown = "shown" if pages.acceptance_promised(office) else "hidden"
    return f' data-acceptance-due="{shown}"'


def _upload_data(lang: Lang) -> str:
    """What the script's form to add information states and checks about files."""
    limits = _limits()
    return (
        f' data-accept="{",".join(limits.types)}" data-max-bytes="{limits.max_bytes}"'
        f' data-max-size="{limits.size_text}" data-max-files="{limits.max_files}"'
        f' data-files-hint="{escape(pages.files_hint(limits, lang))}"'
    )
