"""An officer's private keys, sealed under a passphrase in one file on the officer's machine.

The server holds public keys only (the roster in the office file); every private key an
officer uses lives here: the Ed25519 seed that signs their requests, the X25519 key that
cases are granted to, and, for intake officers and custodians, their unit's content or
custodian keys, current first and then every previous one, so reports sealed before a
rotation still open.

The file is JSON whose header stays readable (whose file it is, how its key is derived,
whether it was made for development) so a tool can name and judge it without the
passphrase. The keys themselves are one XChaCha20-Poly1305 box under a key stretched
from the passphrase with Argon2id; the officer id is in the box's associated data, so a
file renamed to another officer does not open.
"""

from __future__ import annotations

import getpass
import json
import os
import tempfile
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import nacl.pwhash.argon2id as argon2id
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from chalicelib import crypto

FORMAT: Final = "jubao-officer-key"
VERSION: Final = 1
KDF_ALG: Final = "argon2id13"
AEAD: Final = "xchacha20poly1305-ietf"
PASSPHRASE_FILE_ENV = "JUBAO_PASSPHRASE_FILE"  # noqa: S105 (a variable's name)
# a key file is a few kilobytes even with many rotations; anything far larger is not one
_MAX_FILE_BYTES = 1 << 20

OFFICER_ID = r"^[a-z0-9][a-z0-9-]{1,62}$"  # the roster's pattern (config/office.py)
UNIT_CODE = r"^[0-9]{6}$"

UnitRole = Literal["content", "custodian"]


class KeyFileError(Exception):
    """A key file that cannot be written or opened; the message is for the officer.

    Messages never carry key bytes nor the passphrase, and no library exception that
    might is chained to one.
    """


class Limits(Enum):
    """Argon2id cost (opslimit, memlimit in bytes): libsodium's three named levels.

    MODERATE is what a real key file gets; SENSITIVE is allowed for the cautious;
    INTERACTIVE only for development files (tests, demo machines), which say so.
    """

    INTERACTIVE = (argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE)
    MODERATE = (argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE)
    SENSITIVE = (argon2id.OPSLIMIT_SENSITIVE, argon2id.MEMLIMIT_SENSITIVE)

    @property
    def opslimit(self) -> int:
        return int(self.value[0])

    @property
    def memlimit(self) -> int:
        return int(self.value[1])

    @classmethod
    def of(cls, opslimit: int, memlimit: int) -> Limits:
        """The named level of these limits; MODERATE, a real file's, for any other pair."""
        for level in cls:
            if (level.opslimit, level.memlimit) == (opslimit, memlimit):
                return level
        return cls.MODERATE


def _private_key(value: str) -> str:
    """A base64 32-byte key; checked when loaded so a bad entry fails on open, not later."""
    try:
        if len(crypto.b64d(value)) != crypto.KEY_BYTES:
            raise ValueError("a key must be 32 bytes")
    except crypto.CryptoError:
        raise ValueError("a key must be base64") from None
    return value


PrivateKey = Annotated[str, AfterValidator(_private_key)]


class UnitKeys(BaseModel):
    """One unit's private keys an officer holds, each list current first, then previous."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # repr=False: a traceback or a debug print of the model must never show a key
    content: tuple[PrivateKey, ...] = Field(default=(), repr=False)
    custodian: tuple[PrivateKey, ...] = Field(default=(), repr=False)


class OfficerKeys(BaseModel):
    """Everything a key file holds once opened."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    officer: str = Field(pattern=OFFICER_ID)
    signing_seed: PrivateKey = Field(repr=False)
    encryption_key: PrivateKey = Field(repr=False)
    unit_keys: dict[Annotated[str, Field(pattern=UNIT_CODE)], UnitKeys] = Field(
        default_factory=dict, repr=False
    )

    @classmethod
    def new(cls, officer_id: str) -> OfficerKeys:
        """Fresh signing and encryption key pairs for an officer being enrolled."""
        seed, _ = crypto.generate_signing_keypair()
        private, _ = crypto.generate_keypair()
        return cls(officer=officer_id, signing_seed=seed, encryption_key=private)

    @property
    def signing_public(self) -> str:
        """The verify key the roster lists for this officer (base64)."""
        return crypto.verify_key_from_seed(self.signing_seed)

    @property
    def encryption_public(self) -> str:
        """The public key cases are granted to (base64)."""
        return crypto.public_from_private(self.encryption_key)

    def _private_keys(self) -> list[str]:
        keys = [self.encryption_key]
        for unit in self.unit_keys.values():
            keys.extend(unit.content)
            keys.extend(unit.custodian)
        return keys

    def private_for(self, key_id: str) -> str | None:
        """The private key whose public key has ``key_id``, or None.

        An envelope names each wrapped data key by its recipient's key id, so this is
        how an officer finds, among their own key and every unit key (old ones too),
        the one that opens it.
        """
        for private in self._private_keys():
            if crypto.key_id(crypto.public_from_private(private)) == key_id:
                return private
        return None

    def with_unit_key(self, unit: str, role: UnitRole, private_b64: str) -> OfficerKeys:
        """These keys with ``private_b64`` as the unit's current ``role`` key.

        The key it replaces stays, as previous: reports sealed to it must still open.
        A key already held just moves to the front (a rotation rolled back).
        """
        if role not in ("content", "custodian"):
            raise KeyFileError("a unit key's role is content or custodian")
        held = self.unit_keys.get(unit, UnitKeys())
        keys = (private_b64, *(k for k in getattr(held, role) if k != private_b64))
        current = self.model_dump()
        current["unit_keys"][unit] = {**held.model_dump(), role: keys}
        try:
            # validated like a loaded file: the unit code and the new key are checked
            return OfficerKeys.model_validate(current)
        except ValidationError:
            # from None: pydantic's message quotes its input, key material here
            raise KeyFileError("not a unit code, or not a 32-byte base64 key") from None


class KdfParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    alg: Literal["argon2id13"]
    opslimit: int
    memlimit: int
    salt: str


class KeyFileHeader(BaseModel):
    """The clear part of a key file: readable without the passphrase."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    format: Literal["jubao-officer-key"]
    version: Literal[1]
    officer: str = Field(pattern=OFFICER_ID)
    kdf: KdfParams
    aead: Literal["xchacha20poly1305-ietf"]
    sealed: str
    development: bool = False


def _context(officer: str) -> str:
    return f"keyfile/{officer}"


def check_limits(opslimit: int, memlimit: int) -> None:
    """Refuse Argon2id costs below INTERACTIVE or above SENSITIVE.

    Below: too cheap to guess against. Above: no file we write has them, and they are a
    way to make a tool exhaust the machine's memory.
    """
    if not (
        Limits.INTERACTIVE.opslimit <= opslimit <= Limits.SENSITIVE.opslimit
        and Limits.INTERACTIVE.memlimit <= memlimit <= Limits.SENSITIVE.memlimit
    ):
        raise KeyFileError("key file's Argon2id limits are outside the allowed range")


def _derive(passphrase: bytes, kdf: KdfParams) -> bytes:
    check_limits(kdf.opslimit, kdf.memlimit)
    try:
        salt = crypto.b64d(kdf.salt)
    except crypto.CryptoError:
        raise KeyFileError("key file's salt is not valid") from None
    if len(salt) != argon2id.SALTBYTES:
        raise KeyFileError("key file's salt is not valid")
    return bytes(
        argon2id.kdf(
            crypto.KEY_BYTES, passphrase, salt, opslimit=kdf.opslimit, memlimit=kdf.memlimit
        )
    )


def seal_keys(
    keys: OfficerKeys,
    passphrase: bytes,
    *,
    development: bool = False,
    limits: Limits = Limits.MODERATE,
) -> bytes:
    """The bytes of a key file holding ``keys`` (what ``write_keyfile`` writes)."""
    if limits is Limits.INTERACTIVE and not development:
        raise KeyFileError("interactive Argon2id limits are for development key files only")
    if not passphrase:
        raise KeyFileError("the passphrase is empty")
    kdf = KdfParams(
        alg=KDF_ALG,
        opslimit=limits.opslimit,
        memlimit=limits.memlimit,
        salt=crypto.b64e(crypto.random_bytes(argon2id.SALTBYTES)),
    )
    sealed = crypto.secret_seal(
        _derive(passphrase, kdf), keys.model_dump_json().encode(), context=_context(keys.officer)
    )
    header = KeyFileHeader(
        format=FORMAT,
        version=VERSION,
        officer=keys.officer,
        kdf=kdf,
        aead=AEAD,
        sealed=crypto.b64e(sealed),
        development=development,
    )
    # the development mark appears only where it is true: a real file has no such key
    clear = header.model_dump(exclude={"development"} if not development else set())
    return (json.dumps(clear, indent=2) + "\n").encode()


def open_keys(raw: bytes, passphrase: bytes) -> OfficerKeys:
    """The keys in a key file's bytes (what ``read_keyfile`` reads)."""
    header = parse_header(raw)
    try:
        sealed = crypto.b64d(header.sealed)
        plain = crypto.secret_open(
            _derive(passphrase, header.kdf), sealed, context=_context(header.officer)
        )
    except crypto.CryptoError:
        raise KeyFileError("wrong passphrase or damaged key file") from None
    try:
        keys = OfficerKeys.model_validate_json(plain)
    except ValidationError:
        # from None: pydantic's message quotes the input, which is key material here
        raise KeyFileError("key file's keys are not valid") from None
    if keys.officer != header.officer:
        raise KeyFileError("key file's officer does not match its keys")
    return keys


def parse_header(raw: bytes) -> KeyFileHeader:
    """The clear header of a key file, checked; no passphrase needed."""
    if len(raw) > _MAX_FILE_BYTES:
        raise KeyFileError("not a jubao officer key file (too large)")
    try:
        data: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise KeyFileError("not a jubao officer key file (not JSON)") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise KeyFileError("not a jubao officer key file")
    if data.get("version") != VERSION:
        raise KeyFileError("unsupported key file version")
    try:
        return KeyFileHeader.model_validate(data)
    except ValidationError:
        raise KeyFileError("key file's header is not valid") from None


def inspect_keyfile(path: Path) -> KeyFileHeader:
    """Whose file this is, its limits and development mark, without the passphrase."""
    return parse_header(_read(path))


def write_keyfile(
    path: Path,
    keys: OfficerKeys,
    passphrase: bytes,
    *,
    development: bool = False,
    limits: Limits = Limits.MODERATE,
    replace: bool = False,
) -> None:
    """Seal ``keys`` under ``passphrase`` into ``path``, atomically, readable by its owner only.

    The file appears whole or not at all (a temporary file in the same folder, synced,
    then renamed over): a crash mid-write must never leave an officer with half a key
    file. An existing file is replaced only with ``replace=True``, since overwriting
    one by mistake loses every key in it.
    """
    if path.exists() and not replace:
        raise KeyFileError("a key file already exists there")
    _atomic_write(path, seal_keys(keys, passphrase, development=development, limits=limits))


def read_keyfile(path: Path, passphrase: bytes) -> OfficerKeys:
    """Open the key file at ``path``."""
    return open_keys(_read(path), passphrase)


def change_passphrase(path: Path, old: bytes, new: bytes) -> None:
    """Seal the key file at ``path`` under a new passphrase, keeping its limits and mark."""
    raw = _read(path)
    header = parse_header(raw)
    keys = open_keys(raw, old)
    limits = Limits.of(header.kdf.opslimit, header.kdf.memlimit)
    write_keyfile(path, keys, new, development=header.development, limits=limits, replace=True)


def read_passphrase(file: Path | None, env: Mapping[str, str] = os.environ) -> bytes:
    """The passphrase: from ``file``, else the file ``JUBAO_PASSPHRASE_FILE`` names, else asked.

    A file lets scripts and scheduled jobs run without a terminal; its one trailing
    newline (an editor's) is not part of the passphrase.
    """
    source = file if file is not None else env.get(PASSPHRASE_FILE_ENV)
    if not source:
        return getpass.getpass("Key file passphrase: ").encode()
    try:
        text = Path(source).read_bytes()
    except OSError:
        raise KeyFileError("cannot read the passphrase file") from None
    text = text.removesuffix(b"\n").removesuffix(b"\r")
    if not text:
        raise KeyFileError("the passphrase file is empty")
    return text


def _read(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            # one byte past the cap, so an oversized file is refused without reading it all
            return handle.read(_MAX_FILE_BYTES + 1)
    except OSError:
        raise KeyFileError("cannot read the key file") from None


def _atomic_write(path: Path, data: bytes) -> None:
    folder = path.parent
    fd, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            tmp.chmod(0o600)  # mkstemp's mode already; said again so no umask matters
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink()
        raise
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the rename durable too (POSIX); Windows cannot open a folder, and needs not."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


__all__ = [
    "KeyFileError",
    "KeyFileHeader",
    "Limits",
    "OfficerKeys",
    "UnitKeys",
    "UnitRole",
    "change_passphrase",
    "check_limits",
    "inspect_keyfile",
    "open_keys",
    "parse_header",
    "read_keyfile",
    "read_passphrase",
    "seal_keys",
    "write_keyfile",
]
