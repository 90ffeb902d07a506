"""Fixtures of the site tests: one strict build with a small poster folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.site.sitebuild import Build, build_site, make_posters


@pytest.fixture(scope="session")
def site_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    base = tmp_path_factory.mktemp("sitebuild")
    make_posters(base / "posters")
    build = build_site(base / "site", {"JUBAO_POSTERS_DIR": str(base / "posters")})
    assert build.returncode == 0, build.log
    return build


@pytest.fixture(scope="session")
def site(site_build: Build) -> Path:
    return site_build.site
