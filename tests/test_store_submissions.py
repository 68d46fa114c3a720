"""Tests for bot/store/submissions.py on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from string import hexdigits
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from bot.store.crypto import KeyCipher
from bot.store.db import StoreError, create_engine_for
from bot.store.submissions import (
    LeaseLost,
    State,
    SubmissionDraft,
    SubmissionRecord,
    SubmissionStore,
    submissions,
)
from tests.clock import START, Clock

A, B = "web-1:101", "web-2:202"
LEASE = 30
THREADS = 8
REPLY = "https://hooks.slack.com/commands/T1/111/AAAA"
ANNOUNCE_REPLY = "https://hooks.slack.com/app/T1/222/BBBB"
DEAD_URL = "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/x?connect_timeout=1"
T = TypeVar("T")

DRAFT = SubmissionDraft(
    view_id="V1",
    input_hash="a" * 64,
    team_id="T1",
    enterprise_id=None,
    is_enterprise_install=False,
    user_id="U1",
    name="Spring launch VIPs",
    description="Customers who bought in the spring launch",
    add_all_customers=True,
    channel_id="C2",
    origin_channel_id="C1",
    thread_ts="1700000000.000100",
    response_url=REPLY,
    announce_response_url=ANNOUNCE_REPLY,
)


@pytest.fixture
def store(engine: Engine, cipher: KeyCipher, clock: Clock) -> SubmissionStore:
    return SubmissionStore(engine, cipher, clock=clock)


def raw_row(engine: Engine, submission_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        query = sa.select(submissions).where(submissions.c.id == submission_id)
        return dict(conn.execute(query).one()._mapping)


def row_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(submissions)).scalar_one()


def opened(store: SubmissionStore, draft: SubmissionDraft = DRAFT, owner: str = A) -> str:
    record, created = store.open(draft, owner=owner, lease_seconds=LEASE)
    assert created
    return record.id


def draft_for(n: int) -> SubmissionDraft:
    return dataclasses.replace(DRAFT, view_id=f"V{n}")


MARKS: dict[State, Callable[[SubmissionStore, str, str], SubmissionRecord]] = {
    State.CREATING: lambda s, i, o: s.mark_creating(i, owner=o),
    State.CREATED: lambda s, i, o: s.mark_created(
        i, owner=o, segment_id="seg_1", segment_name="Spring launch VIPs"
    ),
    State.ANNOUNCED: lambda s, i, o: s.mark_announced(i, owner=o, channel_id="C2", ts="17.01"),
    State.FAILED: lambda s, i, o: s.mark_failed(i, owner=o, failure="bunce_auth", message="no"),
}
PATHS = {
    State.PENDING: [],
    State.CREATING: [State.CREATING],
    State.CREATED: [State.CREATING, State.CREATED],
    State.ANNOUNCED: [State.CREATING, State.CREATED, State.ANNOUNCED],
    State.FAILED: [State.CREATING, State.FAILED],
}


def in_state(store: SubmissionStore, state: State, draft: SubmissionDraft = DRAFT) -> str:
    """A submission leased to A that has reached state by valid steps."""
    submission_id = opened(store, draft)
    for step in PATHS[state]:
        MARKS[step](store, submission_id, A)
    return submission_id


def race(engines: list[Engine], work: Callable[[Engine], T]) -> list[T]:
    """Run work once per engine, all threads released together; re-raise any error."""
    barrier = threading.Barrier(len(engines))
    results: list[T] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def start(engine: Engine) -> None:
        barrier.wait()
        try:
            result = work(engine)
        except Exception as exc:
            with lock:
                errors.append(exc)
            return
        with lock:
            results.append(result)

    threads = [threading.Thread(target=start, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


@pytest.fixture
def engines(engine: Engine, database_url: str) -> Iterator[Engine]:
    """Separate engines on the test's (initialised) database, one per racing thread."""
    made = [create_engine_for(database_url) for _ in range(THREADS)]
    yield made
    for each in made:
        each.dispose()


# --- open ---------------------------------------------------------------------------------


def test_open_records_a_pending_row_leased_to_the_owner(store: SubmissionStore) -> None:
    record, created = store.open(DRAFT, owner=A, lease_seconds=LEASE)
    assert created is True
    assert record.draft == DRAFT
    assert len(record.id) == 32 and set(record.id) <= set(hexdigits)
    assert len(record.marker) == 8 and set(record.marker) <= set(hexdigits)
    assert record.state is State.PENDING
    assert (record.attempts, record.user_told) == (0, False)
    assert (record.segment_id, record.failure, record.announced_channel_id) == (None, None, None)
    assert record.lease_owner == A
    assert record.lease_until == START + timedelta(seconds=LEASE)
    assert record.created_at == record.updated_at == START
    assert store.get(record.id) == record


def test_open_of_a_recorded_draft_returns_it_unchanged(
    store: SubmissionStore, engine: Engine, clock: Clock
) -> None:
    first, _ = store.open(DRAFT, owner=A, lease_seconds=LEASE)
    store.mark_creating(first.id, owner=A)
    clock.tick(LEASE + 1)
    again, created = store.open(DRAFT, owner=B, lease_seconds=LEASE)
    assert created is False
    assert again == store.get(first.id)
    assert (again.id, again.state, again.lease_owner) == (first.id, State.CREATING, A)
    assert row_count(engine) == 1


def test_other_inputs_or_another_view_are_new_submissions(
    store: SubmissionStore, engine: Engine
) -> None:
    first = opened(store)
    second = opened(store, dataclasses.replace(DRAFT, input_hash="b" * 64))
    third = opened(store, draft_for(2))
    assert len({first, second, third}) == 3
    assert len({store.get(i).marker for i in (first, second, third)}) == 3
    assert row_count(engine) == 3


@pytest.mark.parametrize("told", [False, True])
def test_open_reopens_a_failed_submission(store: SubmissionStore, clock: Clock, told: bool) -> None:
    submission_id = in_state(store, State.FAILED)
    before = store.get(submission_id)
    if told:
        store.mark_told(submission_id, owner=A)
    clock.tick()
    record, created = store.open(DRAFT, owner=B, lease_seconds=LEASE)
    assert created is True
    assert record.id == submission_id and record.marker == before.marker
    assert record.state is State.PENDING
    assert (record.failure, record.failure_message, record.user_told) == (None, None, False)
    assert record.lease_owner == B
    assert record.lease_until == clock.now + timedelta(seconds=LEASE)
    assert record.attempts == 1  # the earlier attempt still counts
    assert record.created_at == START and record.updated_at == clock.now
    assert store.get(submission_id) == record


def test_reopening_takes_the_new_reply_urls_or_keeps_the_old(store: SubmissionStore) -> None:
    submission_id = in_state(store, State.FAILED)
    fresh = dataclasses.replace(DRAFT, response_url=None, announce_response_url="https://n/2")
    record, _ = store.open(fresh, owner=A, lease_seconds=LEASE)
    assert (record.response_url, record.announce_response_url) == (None, "https://n/2")
    store.mark_failed(submission_id, owner=A, failure="bunce_down", message=None)
    bare = dataclasses.replace(DRAFT, response_url=None, announce_response_url=None)
    record, _ = store.open(bare, owner=A, lease_seconds=LEASE)
    assert (record.response_url, record.announce_response_url) == (None, "https://n/2")


@pytest.mark.parametrize("state", [State.PENDING, State.CREATED, State.ANNOUNCED])
def test_open_does_not_reopen_unless_failed(store: SubmissionStore, state: State) -> None:
    submission_id = in_state(store, state)
    store.mark_told(submission_id, owner=A)
    before = store.get(submission_id)
    record, created = store.open(DRAFT, owner=B, lease_seconds=LEASE)
    assert created is False and record == before


def test_open_needs_a_workspace(store: SubmissionStore, engine: Engine) -> None:
    with pytest.raises(ValueError, match="team_id or an enterprise_id"):
        store.open(dataclasses.replace(DRAFT, team_id=None), owner=A, lease_seconds=LEASE)
    with pytest.raises(ValueError, match="lease_seconds"):
        store.open(DRAFT, owner=A, lease_seconds=0)
    assert row_count(engine) == 0


def test_org_wide_ids_are_stored_as_empty_strings(store: SubmissionStore, engine: Engine) -> None:
    draft = dataclasses.replace(DRAFT, team_id=None, enterprise_id="E1", is_enterprise_install=True)
    record, _ = store.open(draft, owner=A, lease_seconds=LEASE)
    assert (record.team_id, record.enterprise_id, record.is_enterprise_install) == (
        None,
        "E1",
        True,
    )
    raw = raw_row(engine, record.id)
    assert (raw["team_id"], raw["enterprise_id"]) == ("", "E1")
    assert store.get(record.id).draft == draft


# --- reply URLs at rest ---------------------------------------------------------------------


def test_reply_urls_are_encrypted_at_rest_and_decrypted_on_read(
    store: SubmissionStore, engine: Engine, cipher: KeyCipher
) -> None:
    submission_id = opened(store)
    raw = raw_row(engine, submission_id)
    assert "hooks.slack.com" not in json.dumps(raw, default=str)
    assert json.loads(cipher.decrypt(raw["reply_urls"])) == {
        "response_url": REPLY,
        "announce_response_url": ANNOUNCE_REPLY,
    }
    record = store.get(submission_id)
    assert (record.response_url, record.announce_response_url) == (REPLY, ANNOUNCE_REPLY)
    assert "hooks.slack.com" not in repr(record) + repr(DRAFT)


def test_absent_reply_urls_store_null(store: SubmissionStore, engine: Engine) -> None:
    draft = dataclasses.replace(DRAFT, response_url=None, announce_response_url=None)
    submission_id = opened(store, draft)
    assert raw_row(engine, submission_id)["reply_urls"] is None
    assert store.get(submission_id).draft == draft


def test_a_foreign_key_cannot_read_the_reply_urls(
    store: SubmissionStore, engine: Engine, clock: Clock
) -> None:
    submission_id = opened(store)
    stranger = SubmissionStore(engine, KeyCipher([Fernet.generate_key().decode()]), clock=clock)
    with pytest.raises(StoreError, match="cannot be decrypted"):
        stranger.get(submission_id)


# --- leases ---------------------------------------------------------------------------------


def test_concurrent_opens_of_one_draft_create_it_once(
    store: SubmissionStore, engine: Engine, engines: list[Engine], cipher: KeyCipher, clock: Clock
) -> None:
    def open_(each: Engine) -> tuple[SubmissionRecord, bool]:
        return SubmissionStore(each, cipher, clock=clock).open(
            DRAFT, owner=f"w{id(each)}", lease_seconds=LEASE
        )

    results = race(engines, open_)
    assert sorted(created for _, created in results) == [False] * (THREADS - 1) + [True]
    assert len({record.id for record, _ in results}) == 1
    assert len({record.marker for record, _ in results}) == 1
    assert row_count(engine) == 1


def test_concurrent_reopens_of_a_failed_submission_reopen_it_once(
    store: SubmissionStore, engines: list[Engine], cipher: KeyCipher, clock: Clock
) -> None:
    submission_id = in_state(store, State.FAILED)

    def open_(each: Engine) -> tuple[SubmissionRecord, bool]:
        return SubmissionStore(each, cipher, clock=clock).open(
            DRAFT, owner=f"w{id(each)}", lease_seconds=LEASE
        )

    results = race(engines, open_)
    winners = [record for record, created in results if created]
    assert len(winners) == 1
    assert store.get(submission_id).lease_owner == winners[0].lease_owner


def test_one_of_many_racing_claimers_wins(
    store: SubmissionStore, engines: list[Engine], cipher: KeyCipher, clock: Clock
) -> None:
    submission_id = opened(store)
    store.release(submission_id, owner=A)

    def claim(each: Engine) -> SubmissionRecord | None:
        owner = f"w{id(each)}"
        return SubmissionStore(each, cipher, clock=clock).claim(
            submission_id, owner=owner, lease_seconds=LEASE
        )

    winners = [record for record in race(engines, claim) if record is not None]
    assert len(winners) == 1
    assert store.get(submission_id).lease_owner == winners[0].lease_owner


def test_a_held_lease_blocks_others_until_it_expires(
    store: SubmissionStore, engine: Engine, clock: Clock
) -> None:
    submission_id = opened(store)
    assert store.claim(submission_id, owner=B, lease_seconds=LEASE) is None
    clock.tick(LEASE)  # at the very deadline A still holds it
    assert store.claim(submission_id, owner=B, lease_seconds=LEASE) is None
    clock.tick()
    claimed = store.claim(submission_id, owner=B, lease_seconds=LEASE)
    assert claimed is not None and claimed.lease_owner == B
    assert claimed.lease_until == clock.now + timedelta(seconds=LEASE)
    before = raw_row(engine, submission_id)
    with pytest.raises(LeaseLost):
        store.mark_creating(submission_id, owner=A)
    assert raw_row(engine, submission_id) == before


def test_the_holder_may_claim_again(store: SubmissionStore, clock: Clock) -> None:
    submission_id = opened(store)
    clock.tick(5)
    claimed = store.claim(submission_id, owner=A, lease_seconds=LEASE)
    assert claimed is not None and claimed.lease_until == clock.now + timedelta(seconds=LEASE)


def test_terminal_or_missing_submissions_cannot_be_claimed(store: SubmissionStore) -> None:
    submission_id = in_state(store, State.ANNOUNCED)
    store.mark_told(submission_id, owner=A)
    store.release(submission_id, owner=A)
    finished = store.get(submission_id)
    assert finished.state is State.ANNOUNCED and finished.user_told
    assert store.claim(submission_id, owner=B, lease_seconds=LEASE) is None
    assert store.claim("0" * 32, owner=B, lease_seconds=LEASE) is None


def test_renew_extends_only_a_held_lease(
    store: SubmissionStore, engine: Engine, clock: Clock
) -> None:
    submission_id = opened(store)
    clock.tick(20)
    store.renew(submission_id, owner=A, lease_seconds=LEASE)
    assert store.get(submission_id).lease_until == clock.now + timedelta(seconds=LEASE)
    before = raw_row(engine, submission_id)
    with pytest.raises(LeaseLost):
        store.renew(submission_id, owner=B, lease_seconds=LEASE)
    clock.tick(LEASE + 1)
    with pytest.raises(LeaseLost):
        store.renew(submission_id, owner=A, lease_seconds=LEASE)
    assert raw_row(engine, submission_id) == before


def test_release_frees_the_row_at_once(store: SubmissionStore) -> None:
    submission_id = opened(store)
    assert store.stale() == []
    store.release(submission_id, owner=A)
    assert store.stale() == [submission_id]
    with pytest.raises(LeaseLost):
        store.mark_creating(submission_id, owner=A)
    claimed = store.claim(submission_id, owner=B, lease_seconds=LEASE)
    assert claimed is not None and claimed.lease_owner == B


def test_release_by_another_owner_changes_nothing(store: SubmissionStore, engine: Engine) -> None:
    submission_id = opened(store)
    before = raw_row(engine, submission_id)
    store.release(submission_id, owner=B)
    assert raw_row(engine, submission_id) == before
    assert store.stale() == []


@pytest.mark.parametrize("target", [*MARKS, "told"])
@pytest.mark.parametrize("how", ["other owner", "expired", "released"])
def test_marks_need_the_lease(
    store: SubmissionStore, engine: Engine, clock: Clock, target: State | str, how: str
) -> None:
    # From a state where the mark would otherwise be valid.
    submission_id = in_state(store, State.CREATED if target is State.ANNOUNCED else State.PENDING)
    owner = B if how == "other owner" else A
    if how == "expired":
        clock.tick(LEASE + 1)
    if how == "released":
        store.release(submission_id, owner=A)
    before = raw_row(engine, submission_id)
    mark = MARKS.get(target, lambda s, i, o: s.mark_told(i, owner=o))
    with pytest.raises(LeaseLost):
        mark(store, submission_id, owner)
    assert raw_row(engine, submission_id) == before


def test_marks_of_a_missing_submission_are_lease_lost(store: SubmissionStore) -> None:
    with pytest.raises(LeaseLost):
        store.mark_creating("0" * 32, owner=A)
    assert issubclass(LeaseLost, StoreError)


# --- transitions --------------------------------------------------------------------------

ALLOWED = {
    (State.PENDING, State.CREATING),
    (State.CREATING, State.CREATING),
    (State.PENDING, State.CREATED),
    (State.CREATING, State.CREATED),
    (State.CREATED, State.ANNOUNCED),
    (State.PENDING, State.FAILED),
    (State.CREATING, State.FAILED),
}


@pytest.mark.parametrize("target", list(MARKS))
@pytest.mark.parametrize("start", list(State))
def test_only_valid_transitions_happen(
    store: SubmissionStore, engine: Engine, clock: Clock, start: State, target: State
) -> None:
    submission_id = in_state(store, start)
    before = raw_row(engine, submission_id)
    clock.tick()
    if (start, target) not in ALLOWED:
        with pytest.raises(ValueError, match=f"a {start} submission cannot become {target}"):
            MARKS[target](store, submission_id, A)
        assert raw_row(engine, submission_id) == before
        return
    record = MARKS[target](store, submission_id, A)
    assert record.state is target and record.updated_at == clock.now
    assert store.get(submission_id) == record


@pytest.mark.parametrize("start", list(State))
def test_mark_told_works_in_every_state(store: SubmissionStore, start: State) -> None:
    submission_id = in_state(store, start)
    record = store.mark_told(submission_id, owner=A)
    assert record.user_told is True and record.state is start


def test_outcomes_are_recorded(store: SubmissionStore) -> None:
    submission_id = opened(store)
    created = store.mark_created(submission_id, owner=A, segment_id="seg_9", segment_name="VIPs")
    assert (created.segment_id, created.segment_name) == ("seg_9", "VIPs")
    announced = store.mark_announced(submission_id, owner=A, channel_id="C2", ts="171.2")
    assert (announced.announced_channel_id, announced.announced_ts) == ("C2", "171.2")
    assert announced.segment_id == "seg_9" and not announced.user_told
    assert store.mark_told(submission_id, owner=A).user_told


def test_an_announcement_that_went_nowhere_is_still_announced(store: SubmissionStore) -> None:
    submission_id = in_state(store, State.CREATED)
    record = store.mark_announced(submission_id, owner=A, channel_id=None, ts=None)
    assert record.state is State.ANNOUNCED and record.announced_channel_id is None


def test_each_create_attempt_is_counted(store: SubmissionStore) -> None:
    submission_id = opened(store)
    assert [store.mark_creating(submission_id, owner=A).attempts for _ in range(3)] == [1, 2, 3]
    created = store.mark_created(submission_id, owner=A, segment_id="s", segment_name="n")
    assert created.attempts == 3


def test_failure_message_is_truncated_and_the_code_checked(store: SubmissionStore) -> None:
    submission_id = opened(store)
    for code in ("", "x" * 33):
        with pytest.raises(ValueError, match="problem code"):
            store.mark_failed(submission_id, owner=A, failure=code, message=None)
    record = store.mark_failed(submission_id, owner=A, failure="bunce_invalid", message="é" * 600)
    assert (record.failure, record.failure_message) == ("bunce_invalid", "é" * 500)
    assert store.get(submission_id) == record


def test_the_database_refuses_an_unknown_state(engine: Engine, store: SubmissionStore) -> None:
    submission_id = opened(store)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        statement = sa.update(submissions).where(submissions.c.id == submission_id)
        conn.execute(statement.values(state="lost"))


# --- recovery scan --------------------------------------------------------------------------


def test_stale_lists_unheld_work_oldest_first(store: SubmissionStore, clock: Clock) -> None:
    expected, needing = [], []
    n = 0
    for state in State:
        for told in (False, True):
            for released in (False, True):
                n += 1
                clock.tick()
                submission_id = in_state(store, state, draft_for(n))
                if told:
                    store.mark_told(submission_id, owner=A)
                if released:
                    store.release(submission_id, owner=A)
                terminal = told and state in (State.ANNOUNCED, State.FAILED)
                if not terminal:
                    needing.append(submission_id)
                if released and not terminal:
                    expected.append(submission_id)
    held = in_state(store, State.CREATING, draft_for(99))
    assert store.stale() == expected
    assert store.stale(limit=3) == expected[:3]
    assert held not in expected and len(expected) == 8
    # Once every lease runs out, the held rows that still need work are stale too.
    clock.tick(LEASE + 1)
    assert store.stale() == [*needing, held]


def test_stale_needs_a_positive_limit(store: SubmissionStore) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.stale(limit=0)


def test_counts_every_state(store: SubmissionStore) -> None:
    assert store.counts() == dict.fromkeys(State, 0)
    for n, state in enumerate([State.CREATING, State.CREATING, State.FAILED]):
        in_state(store, state, draft_for(n))
    assert store.counts() == dict.fromkeys(State, 0) | {State.CREATING: 2, State.FAILED: 1}


# --- failures -----------------------------------------------------------------------------


def test_a_naive_clock_is_refused(engine: Engine, cipher: KeyCipher) -> None:
    naive = SubmissionStore(engine, cipher, clock=lambda: START.replace(tzinfo=None))
    with pytest.raises(ValueError, match="timezone-aware"):
        naive.open(DRAFT, owner=A, lease_seconds=LEASE)


def test_database_failures_are_store_errors(cipher: KeyCipher) -> None:
    dead = create_engine_for(DEAD_URL)
    store = SubmissionStore(dead, cipher)
    calls = [
        lambda: store.open(DRAFT, owner=A, lease_seconds=LEASE),
        lambda: store.get("x"),
        lambda: store.claim("x", owner=A, lease_seconds=LEASE),
        lambda: store.renew("x", owner=A, lease_seconds=LEASE),
        lambda: store.release("x", owner=A),
        lambda: store.mark_creating("x", owner=A),
        lambda: store.stale(),
        lambda: store.counts(),
    ]
    for call in calls:
        with pytest.raises(StoreError) as caught:
            call()
        assert type(caught.value) is StoreError and "hunter2" not in str(caught.value)
    dead.dispose()


def test_the_first_posts_record_keeps_the_baseline_in_the_same_write(
    store: SubmissionStore,
) -> None:
    submission_id = opened(store)

    store.mark_creating(submission_id, owner=A, baseline=frozenset({"s1", "s2"}))
    store.mark_creating(submission_id, owner=A, baseline=frozenset({"s3"}))  # the first stands

    assert store.baseline(submission_id) == {"s1", "s2"}
    assert store.get(submission_id).attempts == 2  # type: ignore[union-attr]


def test_telling_the_outcome_can_release_the_lease_in_the_same_write(
    store: SubmissionStore,
) -> None:
    submission_id = in_state(store, State.ANNOUNCED)

    record = store.mark_told(submission_id, owner=A, release=True)

    assert record.user_told and record.lease_until is None
    assert store.claim(submission_id, owner=B, lease_seconds=60) is None  # finished: nothing to do


def test_a_worker_processs_heartbeat_is_seen_within_its_window(
    store: SubmissionStore, clock: Clock
) -> None:
    assert not store.worker_alive(within=10)
    store.beat("worker-1")
    assert store.worker_alive(within=10)
    clock.tick(11)
    assert not store.worker_alive(within=10)
    store.beat("worker-1")
    store.forget_worker("worker-1")
    assert not store.worker_alive(within=10)


def test_stale_with_idle_for_skips_rows_touched_lately(
    store: SubmissionStore, clock: Clock
) -> None:
    draft = draft_for(1)
    record, _ = store.open(draft, owner=None, lease_seconds=60)
    assert store.stale() == [record.id]  # leased to nobody: free at once
    assert store.stale(idle_for=5) == []
    clock.tick(6)
    assert store.stale(idle_for=5) == [record.id]
