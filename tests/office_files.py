"""Office configurations for the publishability tests: the shipped one, filled and confirmed.

``filled_office_data`` is the shipped configuration with every placeholder replaced by a
value of the kind an office would set (an address, an https URL that is not an example
domain, public keys for every unit, a roster, the log key) and nothing left unconfirmed;
``write_office`` writes such data as TOML, because the loader reads only TOML files.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from chalicelib import crypto
from chalicelib.config.office import DEFAULT_CONFIG

FILLED_URL = "https://jubao.anhui-safety.cn/"
FILLED_FOOTER = {
    "sponsor": "安徽省安全生产委员会办公室",
    "sponsor_en": "Office of the Anhui Provincial Work Safety Committee",
    "contact": "电话 0551-62999999；合肥市包河区安全生产举报中心（邮编230051）",
    "contact_en": "Telephone 0551-62999999; Anhui work-safety reporting centre, Hefei 230051",
    "icp": "皖ICP备12345678号-1",
    "site_code": "3400000001",
}


def shipped_office_data() -> dict[str, Any]:
    return tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))


def _confirm_all(data: Any) -> None:
    """Every ``*_confirmed`` flag set: the office has confirmed each value."""
    if isinstance(data, dict):
        for key in data:
            if key.endswith("_confirmed"):
                data[key] = True
            else:
                _confirm_all(data[key])
    elif isinstance(data, list):
        for item in data:
            _confirm_all(item)


def filled_office_data() -> dict[str, Any]:
    data = shipped_office_data()
    data.pop("publication", None)
    _confirm_all(data)
    data["site"]["public_url"] = FILLED_URL
    data["site"]["footer"] = dict(FILLED_FOOTER)
    for channel in data["channels"]:
        if channel["kind"] == "letter":
            channel["value"] = "合肥市包河区安全生产举报中心（邮编230051）"
        elif channel["kind"] == "email":
            channel["value"] = "jubao@anhui-safety.cn"
    for unit in data["units"]:
        unit["content_key"] = crypto.generate_keypair()[1]
        unit["custodian_key"] = crypto.generate_keypair()[1]
    _, verify_key = crypto.generate_signing_keypair()
    data["audit"] = {"server_key": verify_key}
    _, signing = crypto.generate_signing_keypair()
    data["officers"] = [
        {
            "id": "340000-intake",
            "unit": "340000",
            "roles": ["intake"],
            "signing_key": signing,
            "encryption_key": crypto.generate_keypair()[1],
        }
    ]
    return data


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(type(value))


def _table(data: dict[str, Any], prefix: str, out: list[str]) -> None:
    nested = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict) or (
            isinstance(value, list) and value and isinstance(value[0], dict)
        ):
            nested.append((key, value))
        else:
            out.append(f"{key} = {_value(value)}")
    for key, value in nested:
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out.append(f"\n[{name}]")
            _table(value, name, out)
        else:
            for item in value:
                out.append(f"\n[[{name}]]")
                _table(item, name, out)


def toml_text(data: dict[str, Any]) -> str:
    out: list[str] = []
    _table(data, "", out)
    return "\n".join(out) + "\n"


def write_office(data: dict[str, Any], path: Path) -> Path:
    """Write ``data`` as TOML (None values, a region without parent, are left out)."""
    path.write_text(toml_text(data), encoding="utf-8")
    return path


def filled_office_file(folder: Path) -> Path:
    return write_office(filled_office_data(), folder / "filled-office.toml")
