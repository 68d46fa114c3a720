"""Tests for bot/store/workspaces.py on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.store.db import StoreError, create_engine_for
from bot.store.workspaces import WorkspaceSettings, WorkspaceSettingsStore, workspace_settings
from tests.clock import START, Clock


@pytest.fixture
def store(engine: Engine, clock: Clock) -> WorkspaceSettingsStore:
    return WorkspaceSettingsStore(engine, clock=clock)


def raw_rows(engine: Engine) -> list[tuple[str, str, str | None]]:
    c = workspace_settings.c
    query = sa.select(c.enterprise_id, c.team_id, c.default_channel_id).order_by(
        c.enterprise_id, c.team_id
    )
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]


def test_nothing_is_set_at_first(store: WorkspaceSettingsStore) -> None:
    assert store.get("T1") is None


def test_set_then_get_round_trips(store: WorkspaceSettingsStore, engine: Engine) -> None:
    settings = store.set_default_channel("T1", "C1", user_id="U1")
    assert settings == WorkspaceSettings("T1", None, "C1", "U1", START)
    got = store.get("T1")
    assert got == settings
    assert got.updated_at.utcoffset() == timedelta(0)
    assert raw_rows(engine) == [("", "T1", "C1")]


def test_setting_again_replaces_the_row(
    store: WorkspaceSettingsStore, engine: Engine, clock: Clock
) -> None:
    store.set_default_channel("T1", "C1", user_id="U1")
    clock.now = START + timedelta(hours=1)
    store.set_default_channel("T1", "C2", user_id="U2")
    assert store.get("T1") == WorkspaceSettings("T1", None, "C2", "U2", clock.now)
    assert raw_rows(engine) == [("", "T1", "C2")]


def test_none_clears_the_channel_and_records_who(
    store: WorkspaceSettingsStore, clock: Clock
) -> None:
    store.set_default_channel("T1", "C1", user_id="U1")
    clock.now = START + timedelta(minutes=5)
    cleared = store.set_default_channel("T1", None, user_id="U2")
    assert cleared == WorkspaceSettings("T1", None, None, "U2", clock.now)
    assert store.get("T1") == cleared


def test_delete_removes_only_that_workspace(store: WorkspaceSettingsStore, engine: Engine) -> None:
    store.set_default_channel("T1", "C1")
    store.set_default_channel("T2", "C2")
    assert store.delete("T1") is True
    assert store.get("T1") is None
    assert store.delete("T1") is False
    assert store.get("T2").default_channel_id == "C2"
    assert raw_rows(engine) == [("", "T2", "C2")]


def test_workspaces_never_mix(store: WorkspaceSettingsStore, engine: Engine) -> None:
    places = [("T1", None), ("T2", None), ("T1", "E1"), ("T1", "E2"), (None, "E1")]
    for n, (team, enterprise) in enumerate(places):
        store.set_default_channel(team, f"C{n}", enterprise_id=enterprise)
    for n, (team, enterprise) in enumerate(places):
        got = store.get(team, enterprise)
        assert (got.team_id, got.enterprise_id) == (team or "", enterprise)
        assert got.default_channel_id == f"C{n}"
    assert store.delete("T1", "E1") is True
    assert store.get("T1", "E1") is None
    assert store.get("T1", "E2").default_channel_id == "C3"
    assert store.get("T1").default_channel_id == "C0"
    assert len(raw_rows(engine)) == len(places) - 1


def test_a_workspace_is_needed(store: WorkspaceSettingsStore, engine: Engine) -> None:
    with pytest.raises(ValueError, match="team_id or an enterprise_id"):
        store.set_default_channel(None, "C1")
    with pytest.raises(ValueError):
        store.get("")
    with pytest.raises(ValueError):
        store.delete(None, None)
    assert raw_rows(engine) == []


def test_clock_must_be_timezone_aware(engine: Engine) -> None:
    store = WorkspaceSettingsStore(engine, clock=lambda: datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.set_default_channel("T1", "C1")
    assert raw_rows(engine) == []


def test_times_are_stored_in_utc(engine: Engine) -> None:
    tokyo = datetime(2025, 6, 1, 21, 0, tzinfo=timezone(timedelta(hours=9)))
    store = WorkspaceSettingsStore(engine, clock=lambda: tokyo)
    store.set_default_channel("T1", "C1")
    updated_at = store.get("T1").updated_at
    assert updated_at == tokyo and updated_at.tzinfo == UTC and updated_at.hour == 12


def test_database_failures_are_store_errors(database_url: str) -> None:
    engine = create_engine_for(database_url)  # no init_db: the table is missing
    store = WorkspaceSettingsStore(engine)
    try:
        with pytest.raises(StoreError, match="storing workspace settings"):
            store.set_default_channel("T1", "C1")
        with pytest.raises(StoreError):
            store.get("T1")
        with pytest.raises(StoreError):
            store.delete("T1")
    finally:
        engine.dispose()
