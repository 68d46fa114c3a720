"""init_db brings any earlier database up to date safely, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from bot.store.audit import Action, AuditLog
from bot.store.crypto import KeyCipher
from bot.store.db import create_engine_for, init_db, metadata
from bot.store.keys import KeyStore, workspace_keys
from bot.store.workspaces import WorkspaceSettingsStore

LIVE = "sk_live_4f9a2c7e1b3d5f60ABCD"
THREADS = 4


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine_for(database_url)
    yield engine
    engine.dispose()


def schema(engine: Engine) -> dict[str, Any]:
    """Every table's columns and indexes, as the database reports them."""
    inspector = sa.inspect(engine)
    return {
        table: (
            [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table)),
        )
        for table in sorted(inspector.get_table_names())
    }


def assert_fully_created(engine: Engine) -> None:
    """Every table and index on metadata exists in the database."""
    inspector = sa.inspect(engine)
    assert {t.name for t in metadata.sorted_tables} <= set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        present = {index["name"] for index in inspector.get_indexes(table.name)}
        assert {index.name for index in table.indexes} <= present, table.name


def test_an_older_database_gains_the_new_tables_and_keeps_its_keys(engine: Engine) -> None:
    # The previous release had only workspace_keys.
    workspace_keys.create(engine)
    assert sa.inspect(engine).get_table_names() == ["workspace_keys"]
    keys = KeyStore(engine, KeyCipher([Fernet.generate_key().decode()]))
    before = keys.put("T1", LIVE, enterprise_id="E1", set_by="U1")

    init_db(engine)
    init_db(engine)

    assert_fully_created(engine)
    assert {"audit_events", "workspace_settings"} <= set(sa.inspect(engine).get_table_names())
    assert keys.info("T1", "E1") == before
    assert keys.get("T1", "E1").key == LIVE
    assert len(keys.list()) == 1
    # The new tables work on the upgraded database.
    AuditLog(engine).record(Action.KEY_VERIFIED, team_id="T1", enterprise_id="E1")
    assert AuditLog(engine).last("T1", "E1").action is Action.KEY_VERIFIED
    WorkspaceSettingsStore(engine).set_default_channel("T1", "C1", enterprise_id="E1")
    assert WorkspaceSettingsStore(engine).get("T1", "E1").default_channel_id == "C1"


def test_a_second_init_db_changes_nothing(engine: Engine) -> None:
    init_db(engine)
    assert_fully_created(engine)
    AuditLog(engine).record(Action.SEGMENT_CREATED, team_id="T1", segment_id="seg_1")
    WorkspaceSettingsStore(engine).set_default_channel("T1", "C1")
    before = schema(engine)

    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()).upper())

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        init_db(engine)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)

    assert schema(engine) == before
    # SQLite re-issues CREATE ... IF NOT EXISTS; nothing may create, alter or drop unconditionally.
    changes = [s for s in statements if s.startswith(("CREATE", "ALTER", "DROP"))]
    assert all("IF NOT EXISTS" in s for s in changes), changes
    assert [e.segment_id for e in AuditLog(engine).recent("T1")] == ["seg_1"]
    assert WorkspaceSettingsStore(engine).get("T1").default_channel_id == "C1"


def test_concurrent_init_db_on_a_fresh_database_all_succeed(database_url: str) -> None:
    # One engine per thread, as separate worker processes would have.
    engines = [create_engine_for(database_url) for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(engine: Engine) -> None:
        try:
            start.wait(timeout=30)
            init_db(engine)
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(engine,)) for engine in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []
        assert_fully_created(engines[0])
    finally:
        for engine in engines:
            engine.dispose()
