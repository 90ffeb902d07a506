"""The one shape of a refusal decided on an officer's machine: Chinese and English.

Opening a part (``casework``), checking a log (``auditing``) and a command's own checks
(``actions``) each raise their own subclass, so a caller can tell them apart, while the
command line and the console print them all the same way.
"""

from __future__ import annotations


class OfficerError(Exception):
    """A bilingual message for the officer; never plaintext, key bytes or a passphrase,
    and no library exception that might hold them is chained to it."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


__all__ = ["OfficerError"]
