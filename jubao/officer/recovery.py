"""Unit keys that outlive any one officer: SLIP-39 shares, and enrolment packages.

A unit's content or custodian key held by one officer is lost with that officer's
machine, and every report sealed to it with it. So the key is also split k-of-n among
named officers as SLIP-39 mnemonics (words written on paper, with a checksum that
catches a miscopied word): any k of them rebuild it, fewer reveal nothing, and the
scheme refuses fewer than k rather than yield a wrong key.

An enrolment package hands a unit key from an officer who holds it to a newly enrolled
intake officer or custodian: sealed to the newcomer's public encryption key on the
giver's machine, opened on the newcomer's, so it never passes a server in the clear.
"""

from __future__ import annotations

from collections.abc import Sequence

import shamir_mnemonic
from pydantic import ValidationError
from shamir_mnemonic import MnemonicError, Share

from chalicelib import crypto
from jubao.officer.keyfile import KeyFileError, OfficerKeys, UnitRole

# SLIP-39 allows at most 16 shares in a group
MAX_HOLDERS = 16


class RecoveryError(Exception):
    """Shares or a package that do not give a key; the message is for the officers.

    Messages never quote a share's words (they are the secret), and no library
    exception that might is chained to one.
    """


def split_key(private_b64: str, threshold: int, holders: Sequence[str]) -> dict[str, str]:
    """``private_b64`` as one SLIP-39 mnemonic per holder; any ``threshold`` of them rebuild it.

    No SLIP-39 passphrase: the shares themselves are the secret, and a forgotten extra
    passphrase would lose the key as surely as the shares. A threshold of one (each
    holder alone can rebuild it) is one 1-of-1 group per holder, since SLIP-39 forbids
    a single group of several 1-of-n members.
    """
    names = list(holders)
    if not names or any(not name for name in names) or len(set(names)) != len(names):
        raise RecoveryError("holders must be named, each once")
    if len(names) > MAX_HOLDERS:
        raise RecoveryError(f"at most {MAX_HOLDERS} holders")
    if not 1 <= threshold <= len(names):
        raise RecoveryError("the threshold must be between 1 and the number of holders")
    secret = _key_bytes(private_b64)
    groups = [(1, 1)] * len(names) if threshold == 1 else [(threshold, len(names))]
    # the library's defaults: an empty passphrase, an extendable backup (more shares of
    # the same split can be made later from the key, and combine with these)
    mnemonics = shamir_mnemonic.generate_mnemonics(
        group_threshold=1, groups=groups, master_secret=secret
    )
    words = [mnemonic for group in mnemonics for mnemonic in group]
    return {name: words[index] for index, name in enumerate(names)}


def recover_key(mnemonics: Sequence[str]) -> str:
    """The unit key (base64) from enough shares of one split; more than enough is fine."""
    shares = []
    for number, mnemonic in enumerate(mnemonics, start=1):
        try:
            shares.append(Share.from_mnemonic(mnemonic))
        except MnemonicError:
            raise RecoveryError(f"share {number} has a wrong word or fails its checksum") from None
    if not shares:
        raise RecoveryError("no shares given")
    try:
        groups = shamir_mnemonic.decode_mnemonics(mnemonics)
    except MnemonicError:
        raise RecoveryError("the shares are not all from the same split") from None
    # more than enough is fine: the first complete groups, each cut to its threshold
    # (keyed by group index: it is the x of the group's share in the outer split)
    complete = [
        (index, group.get_minimal_group()) for index, group in groups.items() if group.is_complete()
    ]
    group_threshold = shares[0].group_threshold
    if len(complete) < group_threshold:
        needed = max(group.member_threshold() for group in groups.values())
        given = sum(len(group) for group in groups.values())
        raise RecoveryError(f"too few shares: {needed} different shares are needed, {given} given")
    chosen = dict(complete[:group_threshold])
    try:
        secret = shamir_mnemonic.recover_ems(chosen).decrypt(b"")
    except MnemonicError:
        raise RecoveryError(
            "the shares do not combine (damaged or from different splits)"
        ) from None
    if len(secret) != crypto.KEY_BYTES:
        raise RecoveryError("the shares do not hold a unit key")
    return crypto.b64e(secret)


def _key_bytes(private_b64: str) -> bytes:
    try:
        crypto.public_from_private(private_b64)
        return crypto.b64d(private_b64)
    except crypto.CryptoError:
        raise RecoveryError("not a 32-byte base64 private key") from None


def _enrol_context(unit: str, role: UnitRole) -> str:
    return f"enrol/{unit}/{role}"


def seal_unit_key_for(
    officer_encryption_public_b64: str, unit: str, role: UnitRole, private_b64: str
) -> bytes:
    """An enrolment package: the unit's ``role`` key, for the officer with that public key.

    The unit and role are the associated data, so a package cannot be opened as
    another unit's key or as the other role's.
    """
    secret = _key_bytes(private_b64)
    try:
        envelope = crypto.seal(
            secret, [officer_encryption_public_b64], context=_enrol_context(unit, role)
        )
    except crypto.CryptoError:
        raise RecoveryError("not a 32-byte base64 public key") from None
    return envelope.to_bytes()


def open_unit_key(package: bytes, keys: OfficerKeys, unit: str, role: UnitRole) -> OfficerKeys:
    """``keys`` with the unit key an enrolment package holds as that unit's current ``role`` key."""
    try:
        envelope = crypto.Envelope.from_bytes(package)
    except ValidationError:
        raise RecoveryError("not an enrolment package") from None
    try:
        secret = crypto.open_envelope(envelope, keys.encryption_key, _enrol_context(unit, role))
    except crypto.CryptoError:
        raise RecoveryError(
            "this package is not for this officer, unit and role, or it is damaged"
        ) from None
    if len(secret) != crypto.KEY_BYTES:
        raise RecoveryError("the package does not hold a unit key")
    try:
        return keys.with_unit_key(unit, role, crypto.b64e(secret))
    except KeyFileError as exc:
        raise RecoveryError(str(exc)) from None


__all__ = ["RecoveryError", "open_unit_key", "recover_key", "seal_unit_key_for", "split_key"]
