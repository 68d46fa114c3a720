"""Tests for bot/store/crypto.py: Fernet round trips, rotation, and the generated key file."""

from __future__ import annotations

import os
import stat
import threading
import traceback
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.store.crypto import KeyCipher, key_file_for, load_or_create_key_file, validate_fernet_key
from bot.store.db import StoreError

SECRET = "sk_live_0123456789abcdefWXYZ"


def new_key() -> str:
    return Fernet.generate_key().decode()


def test_round_trip_hides_the_plaintext() -> None:
    cipher = KeyCipher([new_key()])
    token = cipher.encrypt(SECRET)
    assert SECRET not in token
    assert cipher.decrypt(token) == SECRET


def test_rotation_decrypts_old_tokens_and_rotate_moves_them_to_the_new_key() -> None:
    old, new = new_key(), new_key()
    token = KeyCipher([old]).encrypt(SECRET)
    both = KeyCipher([new, old])
    assert both.decrypt(token) == SECRET
    rotated = both.rotate(token)
    assert rotated != token
    assert KeyCipher([new]).decrypt(rotated) == SECRET
    with pytest.raises(StoreError):
        KeyCipher([old]).decrypt(rotated)


def test_new_tokens_use_the_first_key() -> None:
    first, second = new_key(), new_key()
    token = KeyCipher([first, second]).encrypt(SECRET)
    assert KeyCipher([first]).decrypt(token) == SECRET
    with pytest.raises(StoreError):
        KeyCipher([second]).decrypt(token)


def test_wrong_key_is_a_store_error_that_names_encryption_key() -> None:
    token = KeyCipher([new_key()]).encrypt(SECRET)
    with pytest.raises(StoreError, match="cannot be decrypted with ENCRYPTION_KEY"):
        KeyCipher([new_key()]).decrypt(token)
    with pytest.raises(StoreError):
        KeyCipher([new_key()]).rotate(token)
    with pytest.raises(StoreError):
        KeyCipher([new_key()]).decrypt("not a token at all")


def test_invalid_key_error_names_its_position_and_not_its_value() -> None:
    bad = "this-is-not-a-fernet-key-SECRETVALUE"
    with pytest.raises(ValueError) as caught:
        KeyCipher([new_key(), bad, new_key()])
    assert "position 2 of 3" in str(caught.value)
    assert "SECRETVALUE" not in "".join(traceback.format_exception(caught.value))


def test_empty_or_unsplit_key_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="no key"):
        KeyCipher([])
    with pytest.raises(TypeError):
        KeyCipher(new_key())


def test_repr_shows_only_the_key_count() -> None:
    first, second = new_key(), new_key()
    text = repr(KeyCipher([first, second]))
    assert text == "KeyCipher(keys=2)"
    assert first not in text and second not in text


def test_validate_fernet_key() -> None:
    assert validate_fernet_key(new_key())
    assert not validate_fernet_key("")
    assert not validate_fernet_key("short")
    assert not validate_fernet_key(new_key()[:-4])
    assert not validate_fernet_key("é" * 44)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, Path("bunce_bot.sqlite3.key")),
        ("sqlite:///bunce_bot.sqlite3", Path("bunce_bot.sqlite3.key")),
        ("sqlite:///data/bot.db", Path("data/bot.db.key")),
        ("sqlite:////var/lib/bot/bot.db", Path("/var/lib/bot/bot.db.key")),
    ],
)
def test_key_file_sits_next_to_the_sqlite_file(url: str | None, expected: Path) -> None:
    assert key_file_for(url) == expected


@pytest.mark.parametrize("url", ["postgres://u@h/db", "sqlite://", "sqlite:///:memory:"])
def test_key_file_needs_a_sqlite_file(url: str) -> None:
    with pytest.raises(ValueError, match="ENCRYPTION_KEY"):
        key_file_for(url)


def test_key_file_is_created_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "folder" / "bunce_bot.sqlite3.key"
    key, created = load_or_create_key_file(path)
    assert created
    assert validate_fernet_key(key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key_file(path) == (key, False)
    assert os.listdir(path.parent) == [path.name]


def test_key_file_that_does_not_hold_a_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bunce_bot.sqlite3.key"
    path.write_text("")
    with pytest.raises(ValueError, match="does not hold a Fernet key"):
        load_or_create_key_file(path)


def test_concurrent_first_starts_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "bunce_bot.sqlite3.key"
    workers = 16
    barrier = threading.Barrier(workers)
    results: list[tuple[str, bool]] = []
    lock = threading.Lock()

    def start() -> None:
        barrier.wait()
        result = load_or_create_key_file(path)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=start) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == workers
    assert len({key for key, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert results[0][0] == path.read_text().strip()
    assert os.listdir(tmp_path) == [path.name]
