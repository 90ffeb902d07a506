"""Fixtures of the store tests: moto's server (see moto_env) and the two backends."""

from __future__ import annotations

from tests.store.moto_env import aws_env, aws_settings, moto_server, serial_moto

__all__ = ["aws_env", "aws_settings", "moto_server", "serial_moto"]
