"""Tests for bot/store/audit.py on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.bunce.keys import key_hint
from bot.store.audit import Action, AuditEvent, AuditLog, audit_events
from bot.store.db import StoreError, create_engine_for
from tests.clock import START, Clock


@pytest.fixture
def log(engine: Engine, clock: Clock) -> AuditLog:
    return AuditLog(engine, clock=clock)


def row_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(audit_events)).scalar_one()


def record_sequence(log: AuditLog, clock: Clock, actions: list[Action], team: str = "T1") -> None:
    for action in actions:
        clock.tick()
        log.record(action, team_id=team, user_id="U1")


def test_record_round_trips_every_field(log: AuditLog) -> None:
    event = log.record(
        Action.SEGMENT_CREATED,
        team_id="T1",
        enterprise_id="E1",
        user_id="U1",
        channel_id="C1",
        segment_id="seg_42",
        segment_name="Spring launch VIPs",
        detail="outcome ok",
    )
    expected = AuditEvent(
        event.id, START, "E1", "T1", "U1", Action.SEGMENT_CREATED, "C1", "seg_42",
        "Spring launch VIPs", "outcome ok",
    )  # fmt: skip
    assert event == expected
    assert log.recent("T1", "E1") == [expected]
    read = log.recent("T1", "E1")[0]
    assert read.at.utcoffset() == timedelta(0)
    assert read.action is Action.SEGMENT_CREATED


def test_absent_enterprise_reads_back_as_none_and_stores_empty(
    log: AuditLog, engine: Engine
) -> None:
    log.record(Action.KEY_VERIFIED, team_id="T1")
    assert log.recent("T1")[0].enterprise_id is None
    with engine.connect() as conn:
        assert conn.execute(sa.select(audit_events.c.enterprise_id)).scalar_one() == ""


def test_org_wide_install_is_stored_with_empty_team(log: AuditLog, engine: Engine) -> None:
    log.record(Action.UNINSTALLED, team_id=None, enterprise_id="E1", user_id="slack")
    assert [(e.team_id, e.enterprise_id) for e in log.recent(None, "E1")] == [("", "E1")]
    assert log.recent("T1", "E1") == []
    with engine.connect() as conn:
        assert conn.execute(sa.select(audit_events.c.team_id)).scalar_one() == ""


def test_record_needs_a_workspace(log: AuditLog, engine: Engine) -> None:
    with pytest.raises(ValueError, match="team_id or an enterprise_id"):
        log.record(Action.KEY_VERIFIED, team_id=None)
    with pytest.raises(ValueError):
        log.recent(None)
    assert row_count(engine) == 0


def test_recent_is_newest_first_and_limited(log: AuditLog, clock: Clock) -> None:
    actions = [Action.KEY_CONNECTED, Action.KEY_VERIFIED, Action.SEGMENT_CREATED]
    record_sequence(log, clock, actions)
    assert [e.action for e in log.recent("T1")] == actions[::-1]
    assert [e.action for e in log.recent("T1", limit=2)] == actions[:0:-1]


def test_recent_orders_by_time_not_insertion(log: AuditLog, clock: Clock) -> None:
    clock.tick(10)
    log.record(Action.KEY_CONNECTED, team_id="T1")
    clock.now = START  # a clock that stepped back, e.g. another host's
    log.record(Action.KEY_VERIFIED, team_id="T1")
    assert [e.action for e in log.recent("T1")] == [Action.KEY_CONNECTED, Action.KEY_VERIFIED]


def test_same_time_events_are_newest_recorded_first(log: AuditLog) -> None:
    first = log.record(Action.KEY_CONNECTED, team_id="T1")
    second = log.record(Action.KEY_VERIFIED, team_id="T1")
    assert first.at == second.at
    assert log.recent("T1") == [second, first]


def test_recent_refuses_a_limit_below_one(log: AuditLog) -> None:
    with pytest.raises(ValueError, match="limit"):
        log.recent("T1", limit=0)


def test_recent_filters_by_action(log: AuditLog, clock: Clock) -> None:
    record_sequence(
        log,
        clock,
        [Action.KEY_CONNECTED, Action.SEGMENT_CREATED, Action.KEY_REPLACED, Action.SEGMENT_CREATED],
    )
    keys = log.recent("T1", actions=(Action.KEY_CONNECTED, Action.KEY_REPLACED))
    assert [e.action for e in keys] == [Action.KEY_REPLACED, Action.KEY_CONNECTED]
    created = log.recent("T1", actions=iter([Action.SEGMENT_CREATED]), limit=1)
    assert [e.action for e in created] == [Action.SEGMENT_CREATED]
    assert created[0].at == START + timedelta(seconds=4)
    assert log.recent("T1", actions=[]) == []
    assert log.recent("T1", actions=[Action.UNINSTALLED]) == []


def test_workspaces_never_mix(log: AuditLog, clock: Clock) -> None:
    places = [("T1", None), ("T2", None), ("T1", "E1"), ("T1", "E2"), (None, "E1")]
    for n, (team, enterprise) in enumerate(places):
        clock.tick()
        log.record(Action.KEY_CONNECTED, team_id=team, enterprise_id=enterprise, user_id=f"U{n}")
    for n, (team, enterprise) in enumerate(places):
        assert [e.user_id for e in log.recent(team, enterprise)] == [f"U{n}"]
        assert log.last(team, enterprise).user_id == f"U{n}"


def test_long_text_is_truncated(log: AuditLog) -> None:
    event = log.record(
        Action.SEGMENT_CREATED, team_id="T1", segment_name="n" * 300, detail="é" * 600
    )
    assert (event.segment_name, event.detail) == ("n" * 255, "é" * 500)
    assert log.recent("T1") == [event]


SECRETS = [
    "sk_live_4f9a2c7e1b3d5f60ABCD",
    "sk_test_abcdef",
    "pasted sk_live_123456 by mistake",
    "xoxb-123-456-abc",
    "xoxp-1",
    "xoxe-1",
    "token=xoxa-2",
    "xapp-1-A1-2-abc",
]


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize(
    "field", ["detail", "segment_name", "user_id", "channel_id", "segment_id", "team_id"]
)
def test_secret_looking_values_are_refused_and_nothing_is_written(
    log: AuditLog, engine: Engine, field: str, secret: str
) -> None:
    values = {"team_id": "T1", field: secret}
    with pytest.raises(ValueError, match=field) as raised:
        log.record(Action.KEY_CONNECTED, **values)
    assert secret not in str(raised.value)
    assert row_count(engine) == 0


def test_secret_check_sees_past_the_truncation_point(log: AuditLog, engine: Engine) -> None:
    with pytest.raises(ValueError):
        log.record(Action.KEY_CONNECTED, team_id="T1", detail="x" * 600 + "sk_live_4f9a2c7e1b3d")
    assert row_count(engine) == 0


@pytest.mark.parametrize(
    "detail",
    [
        "live sk_live_…abcd",
        "sandbox sk_test_…WXYZ ok",
        key_hint("sk_live_4f9a2c7e1b3d5f60ABCD"),
        "sk_live_abc",  # too short to be a key
        "rejected",
    ],
)
def test_hints_and_plain_facts_are_accepted(log: AuditLog, detail: str) -> None:
    log.record(Action.KEY_CONNECTED, team_id="T1", detail=detail)
    assert log.last("T1", action=Action.KEY_CONNECTED).detail == detail


def test_last_returns_the_latest_of_an_action(log: AuditLog, clock: Clock) -> None:
    assert log.last("T1", action=Action.KEY_VERIFIED) is None
    assert log.last("T1") is None
    record_sequence(log, clock, [Action.KEY_VERIFIED, Action.KEY_VERIFY_FAILED])
    clock.tick()
    log.record(Action.KEY_VERIFIED, team_id="T1", detail="second")
    record_sequence(log, clock, [Action.SEGMENT_CREATED])
    assert log.last("T1", action=Action.KEY_VERIFIED).detail == "second"
    assert log.last("T1", action=Action.KEY_VERIFY_FAILED).at == START + timedelta(seconds=2)
    assert log.last("T1").action is Action.SEGMENT_CREATED
    assert log.last("T2", action=Action.KEY_VERIFIED) is None


def test_creator_of_is_the_first_segment_created_user(log: AuditLog, clock: Clock) -> None:
    log.record(Action.SETTINGS_CHANGED, team_id="T1", user_id="U0", segment_id="seg_1")
    clock.tick()
    log.record(Action.SEGMENT_CREATED, team_id="T1", user_id="U1", segment_id="seg_1")
    clock.tick()
    log.record(Action.SEGMENT_CREATED, team_id="T1", user_id="U2", segment_id="seg_1")
    log.record(Action.SEGMENT_CREATED, team_id="T1", user_id="U3", segment_id="seg_2")
    log.record(Action.SEGMENT_CREATED, team_id="T9", user_id="U9", segment_id="seg_9")
    assert log.creator_of("seg_1", "T1") == "U1"
    assert log.creator_of("seg_2", "T1") == "U3"
    assert log.creator_of("seg_3", "T1") is None
    assert log.creator_of("seg_9", "T1") is None
    assert log.creator_of("seg_1", "T1", "E1") is None
    assert log.creator_of("seg_9", "T9") == "U9"


def test_an_action_written_by_a_newer_version_reads_back_as_text(
    log: AuditLog, engine: Engine
) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(audit_events).values(at=START, team_id="T1", action="segment_shared")
        )
    assert [e.action for e in log.recent("T1")] == ["segment_shared"]
    assert log.recent("T1", actions=[Action.SEGMENT_CREATED]) == []


def test_clock_must_be_timezone_aware(engine: Engine) -> None:
    log = AuditLog(engine, clock=lambda: datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        log.record(Action.KEY_CONNECTED, team_id="T1")
    assert row_count(engine) == 0


def test_times_are_stored_in_utc(engine: Engine) -> None:
    paris = datetime(2025, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    log = AuditLog(engine, clock=lambda: paris)
    log.record(Action.KEY_CONNECTED, team_id="T1")
    at = log.recent("T1")[0].at
    assert at == paris and at.tzinfo == UTC and at.hour == 12


def test_database_failures_are_store_errors(database_url: str) -> None:
    engine = create_engine_for(database_url)  # no init_db: the table is missing
    log = AuditLog(engine)
    try:
        with pytest.raises(StoreError, match="recording an audit event"):
            log.record(Action.KEY_CONNECTED, team_id="T1")
        with pytest.raises(StoreError):
            log.recent("T1")
        with pytest.raises(StoreError):
            log.creator_of("seg_1", "T1")
    finally:
        engine.dispose()
