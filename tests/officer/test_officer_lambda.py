"""The officers' Lambda door (functions/officer/app.py) through Chalice's test client.

Its own Chalice app: the same route table as the local server, none of the public routes,
and the public app none of its routes.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
from chalice.test import Client

import app as public_function
from chalicelib.config.office import load_office
from jubao.officer.client import canonical_query
from jubao.officer.devroster import ensure_dev_roster
from jubao.officer.keyfile import OfficerKeys, read_keyfile
from jubao.officer.signing import sign_request

officer_function = importlib.import_module("officer.app")


@pytest.fixture
def officer_keys(dev_env: Path):
    """A development roster for the Hefei city unit only (a few key files, not 133)."""
    yield hefei_intake_key(dev_env / "keys")
    officer_function.officers.reset()


def hefei_intake_key(keys_dir: Path) -> OfficerKeys:
    """The Hefei intake officer's keys, from a development roster of Hefei and the
    province only; the officers' function forgets the roster it had loaded."""
    office = load_office(None, keys_dir / "public-keys.json")
    small = office.model_copy(
        update={"units": tuple(u for u in office.units if u.code in ("340100", "340000"))}
    )
    roster = ensure_dev_roster(small, keys_dir)
    officer_function.officers.reset()
    passphrase = roster.passphrase_file.read_text().strip().encode()
    return read_keyfile(roster.key_file("340100-intake"), passphrase)


def test_the_lambda_door_serves_signed_requests_only(officer_keys):
    with Client(officer_function.app) as client:
        unsigned = client.http.get("/api/officer/me")
        assert unsigned.status_code == 401
        assert json.loads(unsigned.body)["error"]["code"] == "signature_missing"
        headers = sign_request(
            "GET",
            "/api/officer/me",
            None,
            b"",
            officer_id=officer_keys.officer,
            signing_seed_b64=officer_keys.signing_seed,
        )
        signed = client.http.get("/api/officer/me", headers=headers)
        assert signed.status_code == 200, signed.body
        assert json.loads(signed.body)["officer"]["id"] == "340100-intake"
        # the query string is signed in its canonical form
        query = canonical_query({"unit": "340100", "limit": 5})
        listed = client.http.get(
            f"/api/officer/cases?{query}",
            headers=sign_request(
                "GET",
                "/api/officer/cases",
                query,
                b"",
                officer_id=officer_keys.officer,
                signing_seed_b64=officer_keys.signing_seed,
            ),
        )
        assert listed.status_code == 200, listed.body
        assert json.loads(listed.body)["cases"] == []


def test_the_doors_share_no_route():
    public_paths = set(public_function.app.routes)
    officer_paths = set(officer_function.app.routes)
    assert officer_paths and public_paths
    assert all(p.startswith("/api/officer/") for p in officer_paths)
    assert not any(p.startswith("/api/officer") for p in public_paths)
    assert public_function.app.app_name != officer_function.app.app_name


def test_a_route_with_parameters_checks_the_path_that_was_signed(officer_keys):
    """Chalice's ``request.path`` is the route's template; the signature covers the path."""
    path = "/api/officer/cases/99999999"

    def signed_for(signed_path: str) -> dict[str, str]:
        return sign_request(
            "GET",
            signed_path,
            None,
            b"",
            officer_id=officer_keys.officer,
            signing_seed_b64=officer_keys.signing_seed,
        )

    with Client(officer_function.app) as client:
        answer = client.http.get(path, headers=signed_for(path))
        assert answer.status_code == 404, answer.body
        assert json.loads(answer.body)["error"]["code"] == "case_unknown"
        template = client.http.get(path, headers=signed_for("/api/officer/cases/{number}"))
        assert template.status_code == 401
        assert json.loads(template.body)["error"]["code"] == "signature_invalid"
