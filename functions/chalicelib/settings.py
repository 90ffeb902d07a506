"""Typed settings, read from the environment when first needed.

Chalice's test client and Lambda set stage variables per invocation, not at import time,
so nothing here is read at import: handlers call ``get_settings()``, which is cached, and
tests call ``reset()`` after changing the environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from . import crypto
from .office import OfficeConfig, load_office


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    stage: str = "dev"
    office_config: Path | None = None
    keys_file: Path | None = None
    store: Literal["sqlite", "aws"] = "sqlite"
    data_dir: Path = Path("data")
    # base64 32-byte keys; the keyed hashes of receipts and poster tags use them
    receipt_key: str = ""
    tag_key: str = ""
    # AWS store
    table: str = "jubao-reports"
    bucket: str = "jubao-reports"
    kms_key_id: str = ""
    aws_region: str = "cn-north-1"
    # limits
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_attachment_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    max_attachments: int = Field(default=5, ge=0, le=20)
    submit_rate_per_minute: int = Field(default=10, ge=1)
    status_rate_per_minute: int = Field(default=30, ge=1)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "jubao.sqlite3"

    def receipt_key_bytes(self) -> bytes:
        return _key_bytes(self.receipt_key, self.data_dir / "keys" / "receipt.key")

    def tag_key_bytes(self) -> bytes:
        return _key_bytes(self.tag_key, self.data_dir / "keys" / "tag.key")


class SettingsError(Exception):
    """A setting is missing or malformed (a deployment error, not a user error)."""


def _key_bytes(value: str, fallback: Path) -> bytes:
    if value:
        raw = crypto.b64d(value)
    elif fallback.exists():
        raw = crypto.b64d(fallback.read_text(encoding="ascii").strip())
    else:
        raise SettingsError(f"key not configured (set it or create {fallback})")
    if len(raw) != crypto.KEY_BYTES:
        raise SettingsError("keys are 32 bytes, base64")
    return raw


_ENV = {
    "stage": "JUBAO_STAGE",
    "office_config": "JUBAO_OFFICE_CONFIG",
    "keys_file": "JUBAO_KEYS_FILE",
    "store": "JUBAO_STORE",
    "data_dir": "JUBAO_DATA_DIR",
    "receipt_key": "JUBAO_RECEIPT_KEY",
    "tag_key": "JUBAO_TAG_KEY",
    "table": "JUBAO_TABLE",
    "bucket": "JUBAO_BUCKET",
    "kms_key_id": "JUBAO_KMS_KEY_ID",
    "aws_region": "AWS_DEFAULT_REGION",
    "max_body_bytes": "JUBAO_MAX_BODY_BYTES",
    "max_attachment_bytes": "JUBAO_MAX_ATTACHMENT_BYTES",
    "max_attachments": "JUBAO_MAX_ATTACHMENTS",
    "submit_rate_per_minute": "JUBAO_SUBMIT_RATE_PER_MINUTE",
    "status_rate_per_minute": "JUBAO_STATUS_RATE_PER_MINUTE",
}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    values = {field: os.environ[env] for field, env in _ENV.items() if os.environ.get(env)}
    settings = Settings.model_validate(values)
    if settings.keys_file is None:
        default_keys = settings.data_dir / "keys" / "public-keys.json"
        settings = settings.model_copy(update={"keys_file": default_keys})
    return settings


@lru_cache(maxsize=1)
def get_office() -> OfficeConfig:
    settings = get_settings()
    return load_office(settings.office_config, settings.keys_file)


def reset() -> None:
    """Forget cached settings (tests, and `jubao serve` after creating dev keys)."""
    get_settings.cache_clear()
    get_office.cache_clear()
