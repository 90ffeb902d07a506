"""``jubao keys``: make office key pairs."""

from __future__ import annotations

import argparse
import json
from typing import Any

from chalicelib import crypto


def register(sub: Any) -> None:
    parser = sub.add_parser("keys", help="office key pairs / 单位密钥")
    keys_sub = parser.add_subparsers(dest="keys_command", required=True)
    new = keys_sub.add_parser("new", help="print a new X25519 key pair as JSON")
    new.set_defaults(func=_new)


def _new(args: argparse.Namespace) -> int:
    private, public = crypto.generate_keypair()
    print(
        json.dumps({"private_key": private, "public_key": public, "key_id": crypto.key_id(public)})
    )
    return 0
