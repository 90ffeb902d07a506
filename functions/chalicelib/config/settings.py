"""Typed settings of one process, read from its environment by ``from_env``.

Nothing is read at import (Chalice's test client sets stage variables per invocation)
and nothing is cached here: whoever assembles an application (``public.app.create_app``,
the CLI) reads the settings once and passes them on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .. import crypto
from .office import OfficeConfig, load_office


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    stage: str = "dev"
    # what the site and poster builds make: "development" (the default) carries the sample
    # banner; "production" refuses a configuration with placeholders (config.publishable)
    build: Literal["development", "production"] = "development"
    office_config: Path | None = None
    keys_file: Path | None = None
    store: Literal["sqlite", "aws"] = "sqlite"
    data_dir: Path = Path("data")
    # base64 32-byte keys; the keyed hashes of receipts and poster tags use them
    receipt_key: str = ""
    tag_key: str = ""
    # base64 32-byte Ed25519 seed: the server's own key for signing audit checkpoints
    # (never an officer's key; its public half is the office's ``audit.server_key``)
    log_key: str = ""
    # what CloudFront sends the APIs in X-Jubao-Origin (web/origin.py); empty: no check.
    # Printable ASCII without spaces (a header value CloudFront can carry), 16 or more
    origin_secret: str = Field(default="", pattern=r"^(|[!-~]{16,1024})$")
    signature_window_seconds: int = Field(default=300, ge=30, le=900)
    # refusals of unsigned requests written to the audit log per minute (the rest counted)
    unsigned_refusals_per_minute: int = Field(default=60, ge=1)
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

    def log_key_seed(self) -> str:
        """The audit log's signing seed, base64 (from the setting or ``keys/log.key``)."""
        return crypto.b64e(_key_bytes(self.log_key, self.data_dir / "keys" / "log.key"))


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
    "build": "JUBAO_BUILD",
    "office_config": "JUBAO_OFFICE_CONFIG",
    "keys_file": "JUBAO_KEYS_FILE",
    "store": "JUBAO_STORE",
    "data_dir": "JUBAO_DATA_DIR",
    "receipt_key": "JUBAO_RECEIPT_KEY",
    "tag_key": "JUBAO_TAG_KEY",
    "log_key": "JUBAO_LOG_KEY",
    "origin_secret": "JUBAO_ORIGIN_SECRET",
    "signature_window_seconds": "JUBAO_SIGNATURE_WINDOW_SECONDS",
    "unsigned_refusals_per_minute": "JUBAO_UNSIGNED_REFUSALS_PER_MINUTE",
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


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings named by ``JUBAO_*`` variables (``os.environ`` unless given)."""
    env = os.environ if environ is None else environ
    values = {field: env[name] for field, name in _ENV.items() if env.get(name)}
    settings = Settings.model_validate(values)
    if settings.keys_file is None:
        default_keys = settings.data_dir / "keys" / "public-keys.json"
        settings = settings.model_copy(update={"keys_file": default_keys})
    return settings


def office_for(settings: Settings) -> OfficeConfig:
    """The office these settings name, with the units' public keys laid over it."""
    return load_office(settings.office_config, settings.keys_file)
