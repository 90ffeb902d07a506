"""Development or production: the sample banner on every page, or the publishability check.

Why at build time: a site built from the shipped example configuration shows placeholder
contacts and unconfirmed rules. A production build (``JUBAO_BUILD=production``) therefore
stops with every finding of ``chalicelib.config.publishable``; a development build, the
default, puts "示例配置，不得对外发布 / sample configuration, not for publication" on every
page, so a development site can never pass for the office's own.
"""

from __future__ import annotations

from chalicelib.config import publishable
from chalicelib.config.office import load_office
from chalicelib.config.settings import from_env


def sample_banner() -> dict[str, str] | None:
    """The banner of a development build (``zh``, ``en``); None for a production build.

    Raises ``SystemExit`` with the findings for a production build that may not (the file
    as written is checked: development keys laid over it never count).
    """
    settings = from_env()
    banner = publishable.banner_for(settings)
    if banner is not None:
        return banner.model_dump()
    found = publishable.findings(load_office(settings.office_config))
    if found:
        raise SystemExit("生产构建被拒绝 / production build refused\n" + publishable.report(found))
    return None
