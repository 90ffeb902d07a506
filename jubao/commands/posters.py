"""``jubao posters``: QR-coded posters in batches, the default set, and the shared wording.

    jubao posters build --places places.csv --out build/batch [--size a3] [--lang en]
    jubao posters defaults --out build/posters [--dev-keys]
    jubao posters content [--lang zh]      # the filled-in wording as JSON, for the site

A development build (the default) bands every poster and brochure page with
"示例配置，不得对外发布 / sample configuration, not for publication". A production build
(``--production`` or ``JUBAO_BUILD=production``) has no banner and refuses, making
nothing, while the office configuration has a placeholder or unconfirmed value
(``chalicelib.config.publishable``) or when asked for development keys.

Exit codes: 0 all done; 1 some CSV rows made no poster (the rest were made, see the
messages and the index sheet); 2 nothing was made (bad file, missing key or tool, a
production build refused).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chalicelib.config import settings as settings_module
from chalicelib.config.office import OfficeConfig, load_office

EXIT_OK, EXIT_ROWS_FAILED, EXIT_FATAL = 0, 1, 2


def register(sub: Any) -> None:
    parser = sub.add_parser("posters", help="QR 海报与宣传画册 / QR posters and brochure")
    posters_sub = parser.add_subparsers(dest="posters_command", required=True)

    build = posters_sub.add_parser("build", help="one poster per CSV row, plus an index sheet")
    build.add_argument(
        "--places",
        type=Path,
        required=True,
        help="CSV with header name,region,kind[,contact][,people]",
    )
    build.add_argument("--out", type=Path, required=True, help="output directory")
    build.add_argument("--lang", choices=["zh", "en"], default="zh")
    build.add_argument("--size", choices=["a4", "a3"], default="a4")
    build.add_argument(
        "--registry",
        type=Path,
        default=None,
        help="tag serial registry (default: <data dir>/posters/registry.json)",
    )
    build.add_argument("--jobs", type=int, default=None, help="worker processes (default 2)")
    build.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: when stderr is a terminal)",
    )
    build.add_argument(
        "--combined",
        action="store_true",
        help="also write all-posters.pdf, one file for a print shop",
    )
    _common(build)
    build.set_defaults(func=_build)

    defaults = posters_sub.add_parser(
        "defaults", help="posters for the province and each city, brochures"
    )
    defaults.add_argument("--out", type=Path, required=True, help="output directory")
    defaults.add_argument("--jobs", type=int, default=None, help="worker processes (default 2)")
    defaults.add_argument(
        "--previews",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="PNG previews with pdftoppm (poppler-utils)",
    )
    _common(defaults)
    defaults.set_defaults(func=_defaults)

    content = posters_sub.add_parser("content", help="print the filled-in wording as JSON")
    content.add_argument("--office", type=Path, default=None, help="office configuration TOML")
    content.set_defaults(func=_content)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--office",
        type=Path,
        default=None,
        help="office configuration TOML (default: JUBAO_OFFICE_CONFIG or Anhui)",
    )
    parser.add_argument(
        "--tag-key-file",
        type=Path,
        default=None,
        help="base64 poster-tag key (default: JUBAO_TAG_KEY or data/keys/tag.key)",
    )
    parser.add_argument(
        "--dev-keys",
        action="store_true",
        help="create development keys under the data directory if missing",
    )
    parser.add_argument(
        "--production",
        action="store_true",
        help="for print: no sample banner; refuse placeholders (also JUBAO_BUILD=production)",
    )


def _production(args: argparse.Namespace) -> bool:
    return bool(args.production) or settings_module.from_env().build == "production"


def _refusal(args: argparse.Namespace) -> str | None:
    """Why a production build must not run, or None (always None in development)."""
    from chalicelib.config import publishable

    if not _production(args):
        return None
    if args.dev_keys:
        return "生产构建不得使用开发密钥 / a production build takes no development keys"
    current = settings_module.from_env()
    office = load_office(args.office or current.office_config)  # as written, no dev keys
    found = publishable.findings(office)
    if found:
        return "生产构建被拒绝 / production build refused\n" + publishable.report(found)
    return None


def _office(args: argparse.Namespace) -> OfficeConfig:
    if args.office is not None:
        return load_office(args.office)
    return settings_module.office_for(settings_module.from_env())


def _tag_key(args: argparse.Namespace, office: OfficeConfig) -> bytes:
    from posters.tagging import read_tag_key_file

    if args.tag_key_file is not None:
        return read_tag_key_file(args.tag_key_file)
    current = settings_module.from_env()
    try:
        return current.tag_key_bytes()
    except settings_module.SettingsError:
        if not getattr(args, "dev_keys", False):
            raise
    from jubao import devkeys

    made = devkeys.ensure_dev_keys(office, current.data_dir / "keys")
    print(devkeys.banner(made), file=sys.stderr)
    return settings_module.from_env().tag_key_bytes()


def _fatal(message: str) -> int:
    print(f"错误 / error: {message}", file=sys.stderr)
    return EXIT_FATAL


def _build(args: argparse.Namespace) -> int:
    from posters.batch import build_batch
    from posters.content import load_content
    from posters.index_sheet import write_index_sheet
    from posters.places import PlacesFileError
    from posters.tagging import Registry, RegistryError, TagKeyError

    try:
        refused = _refusal(args)
        if refused is not None:
            return _fatal(refused)
        office = _office(args)
        key = _tag_key(args, office)
        registry_path = args.registry or (
            settings_module.from_env().data_dir / "posters" / "registry.json"
        )
        registry = Registry(registry_path, office.office.code)
        result = build_batch(
            args.places,
            args.out,
            office,
            load_content(office),
            key,
            registry,
            lang=args.lang,
            size=args.size,
            processes=args.jobs,
            progress=args.progress,
            write_index=write_index_sheet,
            combined=args.combined,
            sample=not _production(args),
        )
    except (PlacesFileError, RegistryError, TagKeyError, settings_module.SettingsError) as exc:
        return _fatal(str(exc))
    for error in result.errors:
        print(str(error), file=sys.stderr)
    print(
        f"海报 {len(result.made)} 张 / {len(result.made)} posters → {args.out}/posters/ "
        f"({result.seconds:.1f} s); 清单 / index: {args.out}/index.pdf, {args.out}/index.csv; "
        f"登记 / registry: {registry.path} (+{registry.new_entries})"
    )
    if result.errors:
        print(
            f"{len(result.errors)} 行未生成 / rows not made (see above and index.pdf)",
            file=sys.stderr,
        )
        return EXIT_ROWS_FAILED
    return EXIT_OK


def _defaults(args: argparse.Namespace) -> int:
    import time

    from posters.content import load_content
    from posters.defaults import MANIFEST, build_defaults
    from posters.preview import PreviewUnavailable
    from posters.tagging import TagKeyError

    started = time.perf_counter()
    try:
        refused = _refusal(args)
        if refused is not None:
            return _fatal(refused)
        office = _office(args)
        key = _tag_key(args, office)
        manifest = build_defaults(
            args.out,
            office,
            load_content(office),
            key,
            processes=args.jobs,
            previews=args.previews,
            sample=not _production(args),
        )
    except (TagKeyError, PreviewUnavailable, settings_module.SettingsError) as exc:
        return _fatal(str(exc))
    print(
        f"默认海报 {len(manifest.posters)} 张、画册 {len(manifest.brochures)} 份 / "
        f"{len(manifest.posters)} posters, {len(manifest.brochures)} brochures → "
        f"{args.out}/{MANIFEST} ({time.perf_counter() - started:.1f} s)"
    )
    return EXIT_OK


def _content(args: argparse.Namespace) -> int:
    from posters.content import load_content

    office = _office(args)
    content = load_content(office)
    print(json.dumps(content.model_dump(mode="json", by_alias=True), ensure_ascii=False, indent=1))
    return EXIT_OK
