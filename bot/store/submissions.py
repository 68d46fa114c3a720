"""Every create-modal submission, persisted before the ack, so each segment is created once."""

from __future__ import annotations

import functools
import json
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from bot.store.crypto import KeyCipher
from bot.store.db import GroupCommit, StoreError, UtcDateTime, database_errors, metadata
from bot.store.records import (
    ANNOUNCEMENT_UNCONFIRMED,
    State,
    SubmissionDraft,
    SubmissionRecord,
)


class LeaseLost(StoreError):
    """This process no longer holds the row's lease; it must not write."""


# '' rather than NULL for absent ids, as in workspace_keys. The state list is checked although
# SQLite cannot ALTER it later: a sixth state would be a new table, as a new column would be.
submissions = sa.Table(
    "submissions",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("view_id", sa.String(64), nullable=False),
    sa.Column("input_hash", sa.String(64), nullable=False),
    sa.Column("enterprise_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("team_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("is_enterprise_install", sa.Boolean, nullable=False),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("add_all_customers", sa.Boolean, nullable=False),
    sa.Column("channel_id", sa.String(64), nullable=True),
    sa.Column("origin_channel_id", sa.String(64), nullable=True),
    sa.Column("thread_ts", sa.String(32), nullable=True),
    # Response URLs are bearer capabilities (anyone holding one may post for 30 minutes).
    sa.Column("reply_urls", sa.Text, nullable=True),
    sa.Column("marker", sa.String(16), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("segment_id", sa.String(255), nullable=True),
    sa.Column("segment_name", sa.String(255), nullable=True),
    sa.Column("failure", sa.String(32), nullable=True),
    sa.Column("failure_message", sa.String(500), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("user_told", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("announced_channel_id", sa.String(64), nullable=True),
    sa.Column("announced_ts", sa.String(32), nullable=True),
    sa.Column("lease_owner", sa.String(100), nullable=True),
    sa.Column("lease_until", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("view_id", "input_hash"),
    sa.CheckConstraint(
        "state IN ('pending', 'creating', 'created', 'announced', 'failed')", name="state"
    ),
    sa.Index("ix_submissions_state_lease_until", "state", "lease_until"),
)

_INSERTS: dict[str, Callable[[sa.Table], Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}
_MESSAGE_LIMIT = 500
_FAILURE_LIMIT = 32
# Kept encrypted in `reply_urls` (a JSON object, so a new reply path needs no migration).
_URL_KEYS = ("response_url", "announce_response_url", "return_to")
_BUSY = (State.PENDING, State.CREATING, State.CREATED)
_ENDED = (State.ANNOUNCED, State.FAILED)
# Before a submission's first POST: the ids of the segments Bunce already had under the same name.
# A segment with that name that is not among them was created since, so if Bunce rewrote or
# dropped the description (and the marker with it), it is ours (bot/create/once.py). Its own table:
# adding a column to `submissions` would need a rebuilt table on SQLite.
baselines = sa.Table(
    "submission_baselines",
    metadata,
    sa.Column("submission_id", sa.String(32), primary_key=True),
    sa.Column("segment_ids", sa.Text, nullable=False),  # a JSON list
    sa.Column("created_at", UtcDateTime, nullable=False),
)

# Worker processes say they are alive here, so that a web process handing submissions off knows
# whether to wait (a worker is busy) or to work them itself (none is running). Its own table, as
# baselines: adding it needs no migration.
worker_beats = sa.Table(
    "submission_workers",
    metadata,
    sa.Column("owner", sa.String(100), primary_key=True),
    sa.Column("seen_at", UtcDateTime, nullable=False),
)

# An announced submission's `failure`: Slack never answered its card's post (mark_announced).
_MARKS = {
    State.CREATING: (State.PENDING, State.CREATING),
    State.CREATED: (State.PENDING, State.CREATING),
    State.ANNOUNCED: (State.CREATED,),
    State.FAILED: (State.PENDING, State.CREATING),
}


def _utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def _needs_work() -> sa.ColumnElement[bool]:
    """Rows that are not terminal: unfinished, or finished but the user not yet told."""
    c = submissions.c
    return sa.or_(
        c.state.in_([s.value for s in _BUSY]),
        sa.and_(c.state.in_([s.value for s in _ENDED]), c.user_told.is_(sa.false())),
    )


def _free(now: datetime) -> sa.ColumnElement[bool]:
    """Rows whose lease nobody holds any more."""
    c = submissions.c
    return sa.or_(c.lease_until.is_(None), c.lease_until < now)


def _held(owner: str, now: datetime) -> sa.ColumnElement[bool]:
    """Rows whose lease owner still holds."""
    c = submissions.c
    return sa.and_(c.lease_owner == owner, c.lease_until >= now)


class SubmissionStore:
    """Records submissions and leases them to one worker at a time; DB failures are StoreError."""

    def __init__(
        self, engine: Engine, cipher: KeyCipher, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self._engine = engine
        self._cipher = cipher
        self._clock = clock
        self._opener = GroupCommit(self._open_all, name="submissions-writer")

    def open(
        self, draft: SubmissionDraft, *, owner: str | None, lease_seconds: float
    ) -> tuple[SubmissionRecord, bool]:
        """Record draft (or re-open it after a failure); True if this call did. Leased to owner,
        or to nobody (owner None) so that a worker process claims it at once."""
        now = self._now()
        until = _until(now, lease_seconds) if owner is not None else None
        values = self._values(draft) | {
            "id": uuid.uuid4().hex,
            "marker": secrets.token_hex(4),
            "state": State.PENDING.value,
            "attempts": 0,
            "user_told": False,
            "lease_owner": owner,
            "lease_until": until,
            "created_at": now,
            "updated_at": now,
        }
        return self._opener.run((draft, values))

    def _open_all(
        self, batch: list[tuple[SubmissionDraft, dict[str, Any]]]
    ) -> list[tuple[SubmissionRecord, bool]]:
        """Record a batch of submits in one transaction (the group commit's writer thread)."""
        opened = []
        with database_errors("opening a submission"), self._engine.begin() as conn:
            insert = _insert_new(conn.dialect.name)
            for draft, values in batch:
                # The write comes first so SQLite takes its write lock before reading anything.
                if conn.execute(insert, values).first() is not None:
                    # On the ack path: the row is what we just wrote, so it isn't read back.
                    opened.append((_fresh(draft, values), True))
                else:
                    opened.append(self._reopen(conn, draft, values))
        return opened

    def _reopen(
        self, conn: Connection, draft: SubmissionDraft, values: dict[str, Any]
    ) -> tuple[SubmissionRecord, bool]:
        """The same view and inputs were recorded before: re-open it if it failed."""
        c = submissions.c
        same = sa.and_(c.view_id == draft.view_id, c.input_hash == draft.input_hash)
        reopen = {
            "state": State.PENDING.value,
            "failure": None,
            "failure_message": None,
            "user_told": False,
            "lease_owner": values["lease_owner"],
            "lease_until": values["lease_until"],
            "updated_at": values["updated_at"],
        }
        if values["reply_urls"] is not None:
            # A new submit brings new response URLs; the old ones may have expired.
            reopen["reply_urls"] = values["reply_urls"]
        failed = c.state == State.FAILED.value
        update = sa.update(submissions).where(same, failed).values(**reopen)
        opened = conn.execute(update).rowcount == 1
        row = conn.execute(sa.select(submissions).where(same)).one()
        return self._record(row), opened

    def get(self, submission_id: str) -> SubmissionRecord | None:
        """The submission, with its reply URLs decrypted, or None."""
        query = sa.select(submissions).where(submissions.c.id == submission_id)
        with database_errors("reading a submission"), self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else self._record(row)

    def claim(
        self, submission_id: str, *, owner: str, lease_seconds: float
    ) -> SubmissionRecord | None:
        """Lease an unfinished submission that nobody else holds; None if another does."""
        now = self._now()
        until = _until(now, lease_seconds)
        c = submissions.c
        free = sa.or_(_free(now), c.lease_owner == owner)
        statement = (
            sa.update(submissions)
            .where(c.id == submission_id, _needs_work(), free)
            .values(lease_owner=owner, lease_until=until, updated_at=now)
            .returning(*submissions.c)
        )
        with database_errors("claiming a submission"), self._engine.begin() as conn:
            row = conn.execute(statement).first()
        return None if row is None else self._record(row)

    def renew(self, submission_id: str, *, owner: str, lease_seconds: float) -> None:
        """Extend owner's lease; LeaseLost if it has expired or another process holds it."""
        now = self._now()
        until = _until(now, lease_seconds)
        statement = (
            sa.update(submissions)
            .where(submissions.c.id == submission_id, _held(owner, now))
            .values(lease_until=until, updated_at=now)
        )
        with database_errors("renewing a submission lease"), self._engine.begin() as conn:
            renewed = conn.execute(statement).rowcount == 1
        if not renewed:
            raise LeaseLost(f"submission {submission_id} is not leased to {owner}")

    def release(self, submission_id: str, *, owner: str) -> None:
        """Give up owner's lease so another process may resume at once; no-op if not held."""
        c = submissions.c
        statement = (
            sa.update(submissions)
            .where(c.id == submission_id, c.lease_owner == owner)
            .values(lease_until=None, updated_at=self._now())
        )
        with database_errors("releasing a submission lease"), self._engine.begin() as conn:
            conn.execute(statement)

    def keep_baseline(self, submission_id: str, segment_ids: frozenset[str]) -> None:
        """Record the namesakes Bunce had before the first POST; the first record stands."""
        with database_errors("keeping a baseline"), self._engine.begin() as conn:
            self._keep_baseline(submission_id, segment_ids, conn)

    def _keep_baseline(
        self, submission_id: str, segment_ids: frozenset[str], conn: Connection
    ) -> None:
        values = {
            "submission_id": submission_id,
            "segment_ids": json.dumps(sorted(segment_ids)),
            "created_at": self._now(),
        }
        dialect = conn.dialect.name
        if dialect not in _INSERTS:
            raise StoreError(f"submissions need SQLite or PostgreSQL, not {dialect}")
        statement = _INSERTS[dialect](baselines).values(**values)
        conn.execute(statement.on_conflict_do_nothing(index_elements=["submission_id"]))

    def baseline(self, submission_id: str) -> frozenset[str] | None:
        """What keep_baseline recorded, or None when no baseline was taken."""
        query = sa.select(baselines.c.segment_ids).where(baselines.c.submission_id == submission_id)
        with database_errors("reading a baseline"), self._engine.connect() as conn:
            raw = conn.execute(query).scalar_one_or_none()
        if raw is None:
            return None
        ids = json.loads(raw)
        return frozenset(str(i) for i in ids) if isinstance(ids, list) else None

    def mark_creating(
        self, submission_id: str, *, owner: str, baseline: frozenset[str] | None = None
    ) -> SubmissionRecord:
        """Record one more create attempt, just before the POST to Bunce, with the first
        attempt's baseline (keep_baseline's, in the same transaction)."""
        attempts = submissions.c.attempts + 1
        first: Callable[[Connection], None] | None = None
        if baseline is not None:
            first = functools.partial(self._keep_baseline, submission_id, baseline)
        return self._mark(submission_id, owner, State.CREATING, {"attempts": attempts}, first)

    def mark_created(
        self, submission_id: str, *, owner: str, segment_id: str, segment_name: str
    ) -> SubmissionRecord:
        """Record the segment Bunce created (or that reconciling found)."""
        values = {"segment_id": segment_id, "segment_name": segment_name}
        return self._mark(submission_id, owner, State.CREATED, values)

    def mark_announced(
        self,
        submission_id: str,
        *,
        owner: str,
        channel_id: str | None,
        ts: str | None,
        unconfirmed: bool = False,
    ) -> SubmissionRecord:
        """Record where the card went (None when it could not be posted anywhere); `unconfirmed`
        when Slack didn't answer the post (kept in `failure`, unused once announced)."""
        values = {
            "announced_channel_id": channel_id,
            "announced_ts": ts,
            "failure": ANNOUNCEMENT_UNCONFIRMED if unconfirmed else None,
        }
        return self._mark(submission_id, owner, State.ANNOUNCED, values)

    def mark_failed(
        self, submission_id: str, *, owner: str, failure: str, message: str | None
    ) -> SubmissionRecord:
        """Record that the segment was certainly not created, with a problem code and message."""
        if not failure or len(failure) > _FAILURE_LIMIT:
            raise ValueError(f"failure must be a problem code of 1 to {_FAILURE_LIMIT} characters")
        values = {"failure": failure, "failure_message": message and message[:_MESSAGE_LIMIT]}
        return self._mark(submission_id, owner, State.FAILED, values)

    def mark_told(
        self, submission_id: str, *, owner: str, release: bool = False
    ) -> SubmissionRecord:
        """Record that the user has seen the outcome, in the modal or privately; `release` also
        gives up the lease (the last step of a finished submission: one write, not two)."""
        values: dict[str, Any] = {"user_told": True}
        if release:
            values["lease_until"] = None
        return self._mark(submission_id, owner, None, values)

    def stale(self, *, limit: int = 50, idle_for: float = 0.0) -> list[str]:
        """Ids of submissions that need work and that nobody holds (and, with idle_for, that
        nobody has touched for that many seconds), oldest first."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        c = submissions.c
        now = self._now()
        query = (
            sa.select(c.id)
            .where(_free(now), _needs_work(), c.updated_at <= now - timedelta(seconds=idle_for))
            .order_by(c.created_at, c.id)
            .limit(limit)
        )
        with database_errors("finding stale submissions"), self._engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def beat(self, owner: str) -> None:
        """A worker process says it is alive (and taking submissions)."""
        now = self._now()
        c = worker_beats.c
        with database_errors("recording a worker's heartbeat"), self._engine.begin() as conn:
            touched = sa.update(worker_beats).where(c.owner == owner).values(seen_at=now)
            if conn.execute(touched).rowcount != 1:
                conn.execute(sa.insert(worker_beats).values(owner=owner, seen_at=now))

    def forget_worker(self, owner: str) -> None:
        """A worker process stops: web processes no longer count on it."""
        statement = sa.delete(worker_beats).where(worker_beats.c.owner == owner)
        with database_errors("removing a worker's heartbeat"), self._engine.begin() as conn:
            conn.execute(statement)

    def worker_alive(self, within: float) -> bool:
        """True when some worker process said it was alive in the last `within` seconds."""
        since = self._now() - timedelta(seconds=within)
        query = sa.select(worker_beats.c.owner).where(worker_beats.c.seen_at >= since).limit(1)
        with database_errors("looking for worker processes"), self._engine.connect() as conn:
            return conn.execute(query).first() is not None

    def counts(self) -> dict[State, int]:
        """How many submissions are in each state."""
        c = submissions.c
        query = sa.select(c.state, sa.func.count()).group_by(c.state)
        with database_errors("counting submissions"), self._engine.connect() as conn:
            found = {State(state): count for state, count in conn.execute(query)}
        return {state: found.get(state, 0) for state in State}

    def _mark(
        self,
        submission_id: str,
        owner: str,
        target: State | None,
        values: dict[str, Any],
        first: Callable[[Connection], None] | None = None,
    ) -> SubmissionRecord:
        """Move a held row to target (None: keep its state), after `first` in the same
        transaction; LeaseLost or ValueError otherwise."""
        now = self._now()
        c = submissions.c
        statement = sa.update(submissions).where(c.id == submission_id, _held(owner, now))
        if target is not None:
            sources = [s.value for s in _MARKS[target]]
            statement = statement.where(c.state.in_(sources)).values(state=target.value)
        statement = statement.values(**values, updated_at=now).returning(*submissions.c)
        with database_errors("updating a submission"), self._engine.begin() as conn:
            if first is not None:
                first(conn)
            row = conn.execute(statement).first()
            current = None if row is not None else self._lease_of(conn, submission_id)
        if row is not None:
            return self._record(row)
        if current is None or current.lease_owner != owner or not _still(current, now):
            raise LeaseLost(f"submission {submission_id} is not leased to {owner}")
        raise ValueError(f"a {current.state} submission cannot become {target}")

    @staticmethod
    def _lease_of(conn: Connection, submission_id: str) -> sa.Row[Any] | None:
        """The row's state and lease, to say why a conditional update matched nothing."""
        c = submissions.c
        query = sa.select(c.state, c.lease_owner, c.lease_until).where(c.id == submission_id)
        return conn.execute(query).first()

    def _values(self, draft: SubmissionDraft) -> dict[str, Any]:
        """The stored columns for draft, with its reply URLs encrypted."""
        if not draft.team_id and not draft.enterprise_id:
            raise ValueError("a submission needs a team_id or an enterprise_id")
        values = {f.name: getattr(draft, f.name) for f in fields(SubmissionDraft)}
        urls = {key: values.pop(key) for key in _URL_KEYS}
        present = {key: url for key, url in urls.items() if url is not None}
        encrypted = self._cipher.encrypt(json.dumps(present)) if present else None
        return values | {
            "team_id": draft.team_id or "",
            "enterprise_id": draft.enterprise_id or "",
            "reply_urls": encrypted,
        }

    def _record(self, row: sa.Row[Any]) -> SubmissionRecord:
        """A SubmissionRecord from a table row, its reply URLs decrypted."""
        values: dict[str, Any] = dict(row._mapping)
        encrypted = values.pop("reply_urls")
        urls: Mapping[str, str] = json.loads(self._cipher.decrypt(encrypted)) if encrypted else {}
        values |= {key: urls.get(key) for key in _URL_KEYS}
        values["team_id"] = values["team_id"] or None
        values["enterprise_id"] = values["enterprise_id"] or None
        values["state"] = State(values["state"])
        return SubmissionRecord(**values)

    def _now(self) -> datetime:
        """The clock's time, refusing a naive one."""
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("SubmissionStore's clock must return timezone-aware datetimes")
        return now.astimezone(UTC)


def _until(now: datetime, lease_seconds: float) -> datetime:
    """When a lease taken at now for lease_seconds runs out."""
    if lease_seconds <= 0:
        raise ValueError("lease_seconds must be positive")
    return now + timedelta(seconds=lease_seconds)


def _still(row: sa.Row[Any], now: datetime) -> bool:
    """True when the row's lease has not run out at now."""
    return row.lease_until is not None and row.lease_until >= now


_COLUMNS = frozenset(c.name for c in submissions.c) - {"reply_urls"}
_DRAFT_FIELDS = tuple(f.name for f in fields(SubmissionDraft))


@functools.cache
def _insert_new(dialect: str) -> sa.Executable:
    """An insert that does nothing when the same view and inputs are already recorded. Built once
    per dialect and run with the row as parameters: building and cache-keying a 30-column
    insert on every submit was most of the ack's own cost (py-spy, issue 15)."""
    if dialect not in _INSERTS:
        raise StoreError(f"submissions need SQLite or PostgreSQL, not {dialect}")
    statement = _INSERTS[dialect](submissions)
    statement = statement.on_conflict_do_nothing(index_elements=["view_id", "input_hash"])
    # RETURNING says whether a row went in: SQLAlchemy reports rowcount -1 here on psycopg.
    return statement.returning(submissions.c.id)


def _fresh(draft: SubmissionDraft, values: Mapping[str, Any]) -> SubmissionRecord:
    """The record of a row just inserted with values (its URLs are the draft's, in clear)."""
    stored = {k: v for k, v in values.items() if k != "reply_urls"}
    unset = dict.fromkeys(_COLUMNS - stored.keys())
    draft_fields = {name: getattr(draft, name) for name in _DRAFT_FIELDS}
    ids = {"team_id": draft.team_id or None, "enterprise_id": draft.enterprise_id or None}
    return SubmissionRecord(**(draft_fields | stored | unset | ids | {"state": State.PENDING}))
