"""Operator commands for workspaces' Bunce keys; output shows hints, never a key."""

from __future__ import annotations

import sys

from bot.bunce.keys import InvalidKeyError
from bot.config import Settings
from bot.store.crypto import build_cipher
from bot.store.db import StoreError, create_engine_for, init_db
from bot.store.installations import EncryptedInstallationStore
from bot.store.keys import KeyStore

EXIT_FAILED = 1


def _store(settings: Settings) -> KeyStore:
    engine = create_engine_for(settings.database_url)
    init_db(engine)
    return KeyStore(engine, build_cipher(settings.encryption_keys, settings.database_url))


def rotate_encryption(settings: Settings) -> int:
    """Re-encrypt Bunce keys and Slack tokens with the first ENCRYPTION_KEY; then the old one
    can be removed from the list."""
    engine = create_engine_for(settings.database_url)
    init_db(engine)
    cipher = build_cipher(settings.encryption_keys, settings.database_url)
    try:
        keys = KeyStore(engine, cipher).reencrypt_all()
        tokens = EncryptedInstallationStore(
            settings.client_id or "", engine, cipher
        ).reencrypt_all()
    except StoreError as error:
        print(
            f"Stopped: {error}. Run it again; what was already re-encrypted stays readable "
            "while the old key is still listed.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    print(
        f"Re-encrypted {keys} Bunce key(s) and {tokens} Slack installation row(s) with the first "
        "ENCRYPTION_KEY. Once every process runs with it first, remove the old key."
    )
    return 0


def set_key(settings: Settings, team_id: str, enterprise_id: str | None, key: str) -> int:
    try:
        info = _store(settings).put(team_id, key, enterprise_id=enterprise_id, set_by="cli")
    except InvalidKeyError:
        print(
            "That is not a Bunce secret key: it must start with sk_live_ or sk_test_ "
            "(Bunce dashboard → Settings → API & Webhooks). Nothing was stored.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    except StoreError as error:
        print(f"Could not store the key: {error}", file=sys.stderr)
        return EXIT_FAILED
    where = f"{enterprise_id}/{team_id}" if enterprise_id else team_id
    print(f"Stored {info.environment} key {info.hint} for workspace {where}.")
    return 0


def list_keys(settings: Settings) -> int:
    try:
        rows = _store(settings).list()
    except StoreError as error:
        print(f"Could not read the keys: {error}", file=sys.stderr)
        return EXIT_FAILED
    if not rows:
        print("No workspace has a Bunce key yet. Add one with: python -m bot keys set TEAM_ID")
        return 0
    print(f"{'TEAM':<14} {'ENTERPRISE':<14} {'ENVIRONMENT':<12} {'KEY':<18} SET AT (UTC)")
    for row in rows:
        print(
            f"{row.team_id:<14} {row.enterprise_id or '-':<14} {row.environment:<12} "
            f"{row.hint:<18} {row.set_at:%Y-%m-%d %H:%M}"
        )
    return 0


def delete_key(settings: Settings, team_id: str, enterprise_id: str | None) -> int:
    try:
        deleted = _store(settings).delete(team_id, enterprise_id)
    except StoreError as error:
        print(f"Could not delete the key: {error}", file=sys.stderr)
        return EXIT_FAILED
    if not deleted:
        print(f"No key was stored for workspace {team_id}.", file=sys.stderr)
        return EXIT_FAILED
    print(f"Deleted the Bunce key of workspace {team_id}.")
    return 0
