"""One security-header policy for every response: site pages, assets, API answers.

Defined once, framework-free, so that the local server (``jubao serve``), the Lambda's
own answers and, later, CloudFront's response-headers policy send the same headers. A
response is classified into a ``Kind`` by what it is (a site page, a static asset, a JSON
answer, an HTML answer to a form post); each kind has one complete header set.

Why each header:

* ``Content-Security-Policy``: scripts only from our own origin, never inline (the site
  build moves Material's inline scripts into files), so an injected ``<script>`` cannot
  run; ``frame-ancestors 'none'`` so the report form cannot be framed by another site
  (clickjacking a reporter into submitting); ``form-action 'self'`` so an injected form
  cannot post a report elsewhere. Styles may be inline (Material sets ``style=``
  attributes); that cannot run code.
* ``Cache-Control``: ``no-store`` wherever a receipt or a report's status can appear (API
  answers, form answers, the report and status pages), so a shared computer's cache or
  back button does not keep them; ``no-cache`` (revalidate) for other pages; long-lived
  caching only for fingerprinted assets.
* ``Referrer-Policy: same-origin``: the no-JavaScript form needs the same-origin Referer
  to carry the poster tag, and no other site ever learns which page a reader came from.
* ``Permissions-Policy``: the site uses no sensors; a compromised script gets none.
"""

from __future__ import annotations

import re
from enum import StrEnum

SITE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self'; "
    "manifest-src 'self'; media-src 'none'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# HTML answers to form posts (chalicelib.public.pages): one inline <style>; the one script
# is the site's elder.js (the elderly mode), from our origin like every script of the site
FORM_PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)

NO_STORE = "no-store"
REVALIDATE = "no-cache"
ONE_DAY = "public, max-age=86400"
IMMUTABLE = "public, max-age=31536000, immutable"

# HSTS only means something over HTTPS; the deployed origin adds it, the loopback server not
HSTS = "max-age=31536000; includeSubDomains"


class Kind(StrEnum):
    """What a response is; each kind has one complete header set."""

    page = "page"  # a site page
    private_page = "private_page"  # a site page that shows receipts or statuses
    asset = "asset"  # CSS, JavaScript, images, fonts, PDFs of the built site
    fingerprinted_asset = "fingerprinted_asset"  # an asset whose name carries its hash
    api = "api"  # a JSON answer of the API (receipts, statuses, errors)
    form_page = "form_page"  # an HTML answer to a form post (a receipt, the form again)


_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

_BY_KIND: dict[Kind, dict[str, str]] = {
    Kind.page: {**_COMMON, "Content-Security-Policy": SITE_CSP, "Cache-Control": REVALIDATE},
    Kind.private_page: {
        **_COMMON,
        "Content-Security-Policy": SITE_CSP,
        "Cache-Control": NO_STORE,
    },
    Kind.asset: {**_COMMON, "Content-Security-Policy": SITE_CSP, "Cache-Control": ONE_DAY},
    Kind.fingerprinted_asset: {
        **_COMMON,
        "Content-Security-Policy": SITE_CSP,
        "Cache-Control": IMMUTABLE,
    },
    Kind.api: {**_COMMON, "Content-Security-Policy": API_CSP, "Cache-Control": NO_STORE},
    Kind.form_page: {
        **_COMMON,
        "Content-Security-Policy": FORM_PAGE_CSP,
        "Cache-Control": NO_STORE,
    },
}

# site pages where JavaScript shows a receipt or a status (both languages)
PRIVATE_PAGES = ("report/", "status/")
# Material's bundles and our own hooks' output carry an 8-hex fingerprint before .min.
_FINGERPRINT = re.compile(r"\.[0-9a-f]{8}\.min\.(?:js|css)$")
_PAGE_SUFFIXES = (".html", "/")


def headers_for(kind: Kind) -> dict[str, str]:
    """The complete header set of ``kind`` (a fresh dict the caller may extend)."""
    return dict(_BY_KIND[kind])


def kind_for(path: str, content_type: str = "") -> Kind:
    """Classify a response by its path (no query) and its media type."""
    media = content_type.split(";", 1)[0].strip().lower()
    if path == "/api" or path.startswith("/api/") or media == "application/json":
        # our own answers (errors included), wherever they were asked for
        return Kind.form_page if media == "text/html" else Kind.api
    if path.endswith(_PAGE_SUFFIXES) or media == "text/html" or "." not in path.rsplit("/")[-1]:
        trimmed = path.removesuffix("index.html").lstrip("/").removeprefix("en/")
        return Kind.private_page if trimmed in PRIVATE_PAGES else Kind.page
    if _FINGERPRINT.search(path):
        return Kind.fingerprinted_asset
    return Kind.asset
