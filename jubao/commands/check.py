"""``jubao check``: is the office configuration fit to print and to publish?

    jubao check --production [--office FILE]   # exit 1 and every finding while any remains
    jubao check [--office FILE]                # the same findings as a note, exit 0

Why a command of its own: an office fills in its configuration before anything goes out,
and needs one place that lists what is still a placeholder or unconfirmed, the same list
the production builds of the site and the posters refuse with (``config.publishable``).
The file is checked as written: development keys laid over it never count.

Exit codes: 0 publishable (or not asked for production); 1 findings in production;
2 the file cannot be read or is not a valid configuration.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from chalicelib.config import publishable
from chalicelib.config import settings as settings_module
from chalicelib.config.office import load_office

EXIT_OK, EXIT_FINDINGS, EXIT_FATAL = 0, 1, 2


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "check", help="配置能否对外发布 / is the office configuration fit to publish"
    )
    parser.add_argument(
        "--office",
        type=Path,
        default=None,
        help="office configuration TOML (default: JUBAO_OFFICE_CONFIG or Anhui)",
    )
    parser.add_argument(
        "--production",
        action="store_true",
        help="fail on any placeholder or unconfirmed value (also when JUBAO_BUILD=production)",
    )
    parser.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    try:
        current = settings_module.from_env()
        path = args.office or current.office_config
        office = load_office(path)  # as written: no development keys laid over it
    except (OSError, ValueError, ValidationError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return EXIT_FATAL
    production = args.production or current.build == "production"
    found = publishable.findings(office)
    if not found:
        print("可以对外发布 / fit to publish: no placeholder or unconfirmed value")
        return EXIT_OK
    print(publishable.report(found), file=sys.stderr if production else sys.stdout)
    if production:
        return EXIT_FINDINGS
    print(
        f"开发构建将带有“{publishable.SAMPLE_BANNER.zh}”标识 / "
        f"development builds carry the banner “{publishable.SAMPLE_BANNER.en}”"
    )
    return EXIT_OK
