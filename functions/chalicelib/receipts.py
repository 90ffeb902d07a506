"""Receipts: what a reporter keeps to follow a report without an account.

A receipt has two parts. The *report number* (8 digits) is public: officers use it, and a
reporter may say it on the phone. The *secret* (16 Crockford base-32 characters, 80 bits)
proves the receipt holder; only a keyed hash of number+secret is stored, so a stolen
database does not give anyone a working receipt. Printed for people as six groups of
four (``1234-5678-ABCD-EFGH-JKMN-PQRS``); read back forgivingly (case, spaces, dashes,
and the letters O/I/L typed for 0/1/1 are accepted). Text typed with a Chinese input
method often comes out in fullwidth forms (``１２３４－ＡＢＣＤ``); it is NFKC-normalised
to ASCII first. Whatever is still not ASCII digits and Crockford letters afterwards is
malformed: ``\\d`` would match every script's digits, which could then not be hashed.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

from . import crypto

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
NUMBER_DIGITS = 8
SECRET_CHARS = 16  # 16 x 5 bits = 80 bits
SECRET_BITS = SECRET_CHARS * 5
_HASH_PURPOSE = b"receipt"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_STRIP = re.compile(r"[\s\-_.·]+")
# ASCII only: [0-9], never \d (which matches Arabic-Indic, Devanagari ... digits too)
_SHAPE = re.compile(rf"[0-9]{{{NUMBER_DIGITS}}}[{ALPHABET}]{{{SECRET_CHARS}}}", re.ASCII)
# a receipt with generous separators is well under this; longer text is not a receipt
MAX_TEXT = 128


class MalformedReceipt(ValueError):
    """The text cannot be a receipt (a typo, not a wrong receipt)."""


@dataclass(frozen=True)
class Receipt:
    number: str
    secret: str

    @classmethod
    def new(cls, number: str | None = None) -> Receipt:
        return cls(
            number=number or new_report_number(),
            secret=_base32(secrets.token_bytes(SECRET_BITS // 8)),
        )

    @classmethod
    def parse(cls, text: str) -> Receipt:
        if len(text) > MAX_TEXT:
            raise MalformedReceipt("receipt text too long")
        compact = _STRIP.sub("", unicodedata.normalize("NFKC", text))
        compact = compact.upper().translate(_CONFUSABLE)
        if not compact.isascii() or not _SHAPE.fullmatch(compact):
            raise MalformedReceipt("receipt has the wrong shape")
        return cls(number=compact[:NUMBER_DIGITS], secret=compact[NUMBER_DIGITS:])

    @property
    def compact(self) -> str:
        return self.number + self.secret

    def __str__(self) -> str:
        text = self.compact
        return "-".join(text[i : i + 4] for i in range(0, len(text), 4))

    def __repr__(self) -> str:  # never show the secret in logs or tracebacks
        return f"Receipt(number={self.number!r}, secret=<hidden>)"

    def mac(self, key: bytes) -> bytes:
        """The keyed hash stored in place of the secret."""
        return crypto.keyed_hash(key, self.compact.encode("ascii"), _HASH_PURPOSE)

    def reporter_keypair(self) -> tuple[str, str]:
        return crypto.reporter_keypair(self.compact.encode("ascii"))


def _base32(raw: bytes) -> str:
    """Crockford base-32 of ``raw``, 5 bits per character, most significant first."""
    value = int.from_bytes(raw, "big")
    chars = [ALPHABET[(value >> shift) & 31] for shift in range(len(raw) * 8 - 5, -1, -5)]
    return "".join(chars)


def new_report_number() -> str:
    """An 8-digit public number, never starting with 0 (it reads as a number aloud)."""
    return str(secrets.randbelow(9 * 10 ** (NUMBER_DIGITS - 1)) + 10 ** (NUMBER_DIGITS - 1))
