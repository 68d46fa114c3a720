"""Tests for bot/store/keys.py and the engine it runs on (bot/store/db.py), on both dialects."""

from __future__ import annotations

import threading
from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.bunce.keys import InvalidKeyError
from bot.store.crypto import KeyCipher
from bot.store.db import (
    StoreError,
    create_engine_for,
    init_db,
    is_sqlite,
    normalise_database_url,
    ping,
)
from bot.store.keys import KeyStore, WorkspaceKey, WorkspaceKeyInfo
from tests.clock import START, Clock

LIVE = "sk_live_4f9a2c7e1b3d5f60ABCD"
TEST = "sk_test_9e8d7c6b5a493827WXYZ"
DEAD_URL = "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/x?connect_timeout=1"


@pytest.fixture
def store(engine: Engine, cipher: KeyCipher, clock: Clock) -> KeyStore:
    return KeyStore(engine, cipher, clock=clock)


def raw_rows(engine: Engine) -> list[sa.Row]:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT * FROM workspace_keys")).all()


def test_put_then_get_round_trips(store: KeyStore) -> None:
    info = store.put("T1", LIVE, set_by="U1")
    got = store.get("T1")
    assert got == WorkspaceKey("T1", None, "live", "sk_live_…ABCD", "U1", START, key=LIVE)
    assert got.set_at.tzinfo is not None and got.set_at.utcoffset() == timedelta(0)
    assert (
        store.info("T1")
        == info
        == WorkspaceKeyInfo("T1", None, "live", "sk_live_…ABCD", "U1", START)
    )
    assert store.info("T1") is not None
    assert store.get("T2") is None and store.info("T2") is None and store.info("T2") is None


def test_the_row_holds_ciphertext_not_the_key(
    store: KeyStore, engine: Engine, cipher: KeyCipher
) -> None:
    store.put("T1", LIVE)
    (row,) = raw_rows(engine)
    assert all(LIVE not in str(value) and "4f9a2c7e1b3d5f60" not in str(value) for value in row)
    assert cipher.decrypt(row.encrypted_key) == LIVE
    assert (row.enterprise_id, row.team_id, row.key_hint) == ("", "T1", "sk_live_…ABCD")


@pytest.mark.parametrize(
    ("key", "environment", "hint"),
    [(LIVE, "live", "sk_live_…ABCD"), (TEST, "sandbox", "sk_test_…WXYZ")],
)
def test_environment_and_hint_follow_the_prefix(
    store: KeyStore, key: str, environment: str, hint: str
) -> None:
    store.put("T1", key)
    info = store.info("T1")
    assert info is not None and (info.environment, info.hint) == (environment, hint)


def test_put_replaces_the_existing_key(store: KeyStore, engine: Engine, clock: Clock) -> None:
    store.put("T1", LIVE, set_by="U1")
    clock.now = datetime(2025, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    store.put("T1", TEST, set_by="U2")
    assert store.get("T1") == WorkspaceKey(
        "T1",
        None,
        "sandbox",
        "sk_test_…WXYZ",
        "U2",
        datetime(2025, 6, 1, 12, 0, tzinfo=UTC),
        key=TEST,
    )
    assert len(raw_rows(engine)) == 1


def test_delete(store: KeyStore) -> None:
    store.put("T1", LIVE)
    store.put("T2", TEST)
    assert store.delete("T1") is True
    assert store.delete("T1") is False
    assert store.get("T1") is None
    assert store.info("T2") is not None


def test_enterprises_keep_separate_rows(store: KeyStore, engine: Engine) -> None:
    store.put("T1", LIVE)
    store.put("T1", TEST, enterprise_id="E1")
    store.put("T1", "sk_live_other000000000E2E2", enterprise_id="E2")
    store.put(None, "sk_test_orgwide00000000ORGW", enterprise_id="E1")
    assert len(raw_rows(engine)) == 4
    assert store.get("T1").key == LIVE
    assert store.get("T1", "E1").key == TEST
    assert store.get("T1", "E2").key == "sk_live_other000000000E2E2"
    assert store.get(None, "E1").key == "sk_test_orgwide00000000ORGW"
    assert store.delete("T1", "E1")
    assert (
        store.info("T1") is not None
        and store.info("T1", "E2") is not None
        and store.info("T1", "E1") is None
    )


def test_a_key_needs_a_team_or_an_enterprise(store: KeyStore) -> None:
    with pytest.raises(ValueError):
        store.put(None, LIVE)
    with pytest.raises(ValueError):
        store.get(None)


def test_list_is_sorted_and_carries_no_keys(store: KeyStore) -> None:
    for team, enterprise in [("T2", None), ("T1", "E2"), ("T9", "E1"), ("T1", None), ("T3", "E1")]:
        store.put(team, LIVE, enterprise_id=enterprise)
    listed = store.list()
    order = [(info.enterprise_id, info.team_id) for info in listed]
    assert order == [(None, "T1"), (None, "T2"), ("E1", "T3"), ("E1", "T9"), ("E2", "T1")]
    assert all(type(info) is WorkspaceKeyInfo for info in listed)
    assert "key" not in {f.name for f in fields(WorkspaceKeyInfo)}
    assert LIVE not in repr(listed)


def test_reencrypt_all_moves_every_row_to_the_first_key(engine: Engine, clock: Clock) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    KeyStore(engine, KeyCipher([old]), clock).put("T1", LIVE)
    KeyStore(engine, KeyCipher([old]), clock).put("T2", TEST, enterprise_id="E1")
    before = {row.team_id: row.encrypted_key for row in raw_rows(engine)}
    assert KeyStore(engine, KeyCipher([new, old]), clock).reencrypt_all() == 2
    after = {row.team_id: row.encrypted_key for row in raw_rows(engine)}
    assert all(after[team] != before[team] for team in before)
    only_new = KeyStore(engine, KeyCipher([new]), clock)
    assert only_new.get("T1").key == LIVE and only_new.get("T2", "E1").key == TEST
    with pytest.raises(StoreError, match="ENCRYPTION_KEY"):
        KeyStore(engine, KeyCipher([old]), clock).get("T1")


@pytest.mark.parametrize(
    "bad", ["pk_live_123456789012", "sk_live_", "sk_live_abc def", "", "SK_LIVE_x1"]
)
def test_a_bad_key_is_rejected_and_nothing_is_stored(
    store: KeyStore, engine: Engine, bad: str
) -> None:
    with pytest.raises(InvalidKeyError):
        store.put("T1", bad)
    assert raw_rows(engine) == []


def test_workspace_key_repr_hides_the_key() -> None:
    value = WorkspaceKey("T1", None, "live", "sk_live_…ABCD", "U1", START, key=LIVE)
    assert LIVE not in repr(value) and LIVE not in str(value)
    assert "sk_live_…ABCD" in repr(value)


def test_ping_is_true_on_a_live_database(engine: Engine) -> None:
    assert ping(engine) is True


def test_an_unreachable_database_is_a_store_error_without_secrets(cipher: KeyCipher) -> None:
    dead = create_engine_for(DEAD_URL)
    store = KeyStore(dead, cipher)
    assert ping(dead) is False
    calls = [
        lambda: store.get("T1"),
        lambda: store.info("T1") is not None,
        lambda: store.info("T1"),
        lambda: store.put("T1", LIVE),
        lambda: store.delete("T1"),
        store.list,
        store.reencrypt_all,
        lambda: init_db(dead),
    ]
    for call in calls:
        with pytest.raises(StoreError) as caught:
            call()
        assert isinstance(caught.value.__cause__, SQLAlchemyError)
        assert "hunter2" not in str(caught.value) and LIVE not in str(caught.value)
    dead.dispose()


def test_ping_is_false_when_sqlite_cannot_open_the_file(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path}/no/such/folder/db.sqlite3")
    assert ping(engine) is False
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (None, "sqlite:///bunce_bot.sqlite3"),
        ("", "sqlite:///bunce_bot.sqlite3"),
        (
            "postgres://u:p@db:5432/app?sslmode=require",
            "postgresql+psycopg://u:p@db:5432/app?sslmode=require",
        ),
        (
            "postgresql://u@db/app?options=-csearch_path%3Dt_1",
            "postgresql+psycopg://u@db/app?options=-csearch_path%3Dt_1",
        ),
        ("postgresql+psycopg://u@db/app", "postgresql+psycopg://u@db/app"),
        ("postgresql+psycopg2://u@db/app", "postgresql+psycopg2://u@db/app"),
        ("sqlite:////var/lib/bot.db", "sqlite:////var/lib/bot.db"),
    ],
)
def test_normalise_database_url(url: str | None, expected: str) -> None:
    assert normalise_database_url(url) == expected


def test_is_sqlite() -> None:
    assert is_sqlite(None) and is_sqlite("sqlite:///x.db")
    assert not is_sqlite("postgres://u@h/db") and not is_sqlite("postgresql+psycopg://u@h/db")


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(sqlite_url: str) -> None:
    engine = create_engine_for(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    engine.dispose()


def test_postgres_url_keeps_its_search_path(postgres_url: str) -> None:
    engine = create_engine_for(postgres_url)
    init_db(engine)
    with engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
        tables = conn.execute(
            sa.text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": schema},
        ).scalars()
        assert schema.startswith("t_") and "workspace_keys" in set(tables)
    engine.dispose()


def test_init_db_is_idempotent_and_safe_to_race(database_url: str) -> None:
    engines = [create_engine_for(database_url) for _ in range(6)]
    barrier = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def start(engine: Engine) -> None:
        barrier.wait()
        try:
            init_db(engine)
        except StoreError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    init_db(engines[0])
    assert errors == []
    assert sa.inspect(engines[0]).has_table("workspace_keys")
    for engine in engines:
        engine.dispose()


def test_threads_can_share_one_store(store: KeyStore) -> None:
    def put(n: int) -> None:
        store.put(f"T{n:02d}", LIVE, set_by=f"U{n}")

    threads = [threading.Thread(target=put, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [info.team_id for info in store.list()] == [f"T{n:02d}" for n in range(12)]
