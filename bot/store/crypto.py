"""Bunce keys at rest: Fernet encryption with key rotation, and SQLite's generated key file."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import make_url

from bot.store.db import StoreError, is_sqlite, normalise_database_url

logger = logging.getLogger(__name__)

_UNDECRYPTABLE = "stored key cannot be decrypted with ENCRYPTION_KEY"


def validate_fernet_key(key: str) -> bool:
    """True when key is a Fernet key (32 url-safe base64-encoded bytes)."""
    try:
        Fernet(key)
    except (TypeError, ValueError):
        return False
    return True


class KeyCipher:
    """Encrypts with the first ENCRYPTION_KEY and decrypts with any of them, so keys can rotate."""

    __slots__ = ("_count", "_fernet", "_roots")

    def __init__(self, keys: Sequence[str]) -> None:
        if isinstance(keys, str):
            raise TypeError("KeyCipher takes a list of keys; split ENCRYPTION_KEY on commas first")
        if not keys:
            raise ValueError("ENCRYPTION_KEY holds no key; generate one with Fernet.generate_key()")
        self._fernet = MultiFernet([_fernet_at(n, key, len(keys)) for n, key in enumerate(keys, 1)])
        self._count = len(keys)
        self._roots = tuple(base64.urlsafe_b64decode(key) for key in keys)

    def derive(self, purpose: str) -> tuple[bytes, ...]:
        """One subkey per ENCRYPTION_KEY for another use (e.g. signing Slack metadata), first
        key first; separate from the encryption keys themselves."""
        label = f"bunce-slack/{purpose}".encode()
        return tuple(hmac.new(root, label, hashlib.sha256).digest() for root in self._roots)

    def encrypt(self, plaintext: str) -> str:
        """A Fernet token for plaintext, made with the first key."""
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The plaintext of a token made with any of the keys."""
        try:
            return self._fernet.decrypt(token.encode("ascii", "replace")).decode("utf-8")
        except InvalidToken:
            raise StoreError(_UNDECRYPTABLE) from None

    def rotate(self, token: str) -> str:
        """The same plaintext re-encrypted with the first key."""
        try:
            return self._fernet.rotate(token.encode("ascii", "replace")).decode("ascii")
        except InvalidToken:
            raise StoreError(_UNDECRYPTABLE) from None

    def __repr__(self) -> str:
        return f"KeyCipher(keys={self._count})"


def _fernet_at(position: int, key: str, count: int) -> Fernet:
    """A Fernet for one configured key; errors name its position, never its value."""
    try:
        return Fernet(key.strip())
    except (AttributeError, TypeError, ValueError):
        # `from None`: the original error's traceback must not drag the value along.
        raise ValueError(
            f"ENCRYPTION_KEY: the key at position {position} of {count} is not a valid Fernet key"
            " (32 url-safe base64-encoded bytes; generate one with Fernet.generate_key())"
        ) from None


def key_file_for(database_url: str | None) -> Path:
    """Where a SQLite deployment keeps its generated key: the database file plus `.key`."""
    url = normalise_database_url(database_url)
    database = make_url(url).database if is_sqlite(url) else None
    if not database or database == ":memory:":
        raise ValueError("only a SQLite database file has a key file; set ENCRYPTION_KEY")
    path = Path(database)
    return path.with_name(path.name + ".key")


def load_or_create_key_file(path: Path) -> tuple[str, bool]:
    """The key stored at path and whether this call created it (mode 0600, exactly once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists() and _publish_new_key(path)
    return _read_key(path), created


def _publish_new_key(path: Path) -> bool:
    """Write a new key to path unless another process already has; True if this one won."""
    # The key is written in full under a private name, then hard-linked into place. The link
    # fails if path exists, so concurrent first starts agree on one key, and no reader can see
    # a half-written file.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(Fernet.generate_key().decode("ascii") + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        return True
    finally:
        tmp.unlink(missing_ok=True)


def _read_key(path: Path) -> str:
    """The key in an existing key file, refusing a file that does not hold one."""
    key = path.read_text(encoding="ascii", errors="replace").strip()
    if not validate_fernet_key(key):
        raise ValueError(
            f"{path} does not hold a Fernet key; restore it from a backup or set ENCRYPTION_KEY"
        )
    return key


def build_cipher(encryption_keys: Sequence[str], database_url: str) -> KeyCipher:
    """ENCRYPTION_KEY if set; with SQLite only, a key file generated once beside the database."""
    if encryption_keys:
        return KeyCipher(encryption_keys)
    if not is_sqlite(database_url):  # Settings refuses this; belt and braces.
        raise RuntimeError("ENCRYPTION_KEY is required with PostgreSQL")
    path = key_file_for(database_url)
    key, created = load_or_create_key_file(path)
    if created:
        logger.warning(
            "ENCRYPTION_KEY is not set: generated an encryption key in %s (mode 0600). "
            "Back it up with the database, or set ENCRYPTION_KEY to manage it yourself.",
            path,
        )
    return KeyCipher([key])
