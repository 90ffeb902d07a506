"""Fixtures for the poster tests: a tag key, the office, and real renderers/decoders.

Rendering always happens under an empty fontconfig (no system fonts at all), because this
machine has CJK fonts installed (fonts-noto-cjk, and fonts-droid-fallback pulled in by
zbar-tools), which would hide a font that is not embedded in the PDF.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from chalicelib.config.office import OfficeConfig, load_office
from posters.content import Content, load_content
from tests.posters.poster_helpers import Renderer, require_tools


@pytest.fixture(scope="session")
def office() -> OfficeConfig:
    return load_office()


@pytest.fixture(scope="session")
def content(office: OfficeConfig) -> Content:
    return load_content(office)


@pytest.fixture(scope="session")
def tag_key() -> bytes:
    from chalicelib import crypto

    return crypto.random_bytes(crypto.KEY_BYTES)


@pytest.fixture(scope="session")
def tag_key_file(tmp_path_factory: pytest.TempPathFactory, tag_key: bytes) -> Path:
    from chalicelib import crypto

    path = tmp_path_factory.mktemp("keys") / "tag.key"
    path.write_text(crypto.b64e(tag_key) + "\n", encoding="ascii")
    return path


@pytest.fixture(scope="session")
def no_fonts_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment in which fontconfig finds zero fonts."""
    base = tmp_path_factory.mktemp("nofonts")
    (base / "fonts").mkdir()
    conf = base / "fonts-empty.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><dir>{base / 'fonts'}</dir><cachedir>{base / 'cache'}</cachedir>"
        "</fontconfig>\n",
        encoding="utf-8",
    )
    env = dict(os.environ, FONTCONFIG_FILE=str(conf))
    if shutil.which("fc-list"):  # Debian package fontconfig; the check is a bonus
        listed = subprocess.run(["fc-list"], env=env, capture_output=True, text=True, check=False)
        assert listed.stdout.strip() == "", "the empty fontconfig still lists fonts"
    return env


@pytest.fixture(scope="session")
def renderer(no_fonts_env: dict[str, str]) -> Renderer:
    require_tools()
    return Renderer(no_fonts_env)


@pytest.fixture
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("JUBAO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("JUBAO_DATA_DIR", str(tmp_path / "data"))
    yield tmp_path / "data"
