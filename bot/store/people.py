"""Jobs that add people to a segment in batches, so a retry adds only what is missing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.store.db import UtcDateTime, database_errors, metadata

people_jobs = sa.Table(
    "people_jobs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("enterprise_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("team_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("channel_id", sa.String(64), nullable=True),
    sa.Column("thread_ts", sa.String(32), nullable=True),
    # The identifiers to add ([{"email": ...} | {"customer_id": ...}]) and what was ignored.
    sa.Column("people", sa.Text, nullable=False),
    sa.Column("ignored", sa.Text, nullable=False),
    sa.Column("ignored_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("segment_id", sa.String(255), nullable=True),
    sa.Column("segment_name", sa.String(255), nullable=True),
    sa.Column("batches_done", sa.Integer, nullable=False, server_default="0"),
    sa.Column("status_ts", sa.String(32), nullable=True),  # the thread message we keep updating
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)


@dataclass(frozen=True)
class PeopleJob:
    id: str
    team_id: str | None
    enterprise_id: str | None
    user_id: str
    channel_id: str | None
    thread_ts: str | None
    people: list[dict[str, str]] = field(repr=False)
    ignored: list[str] = field(repr=False)
    ignored_count: int
    segment_id: str | None
    segment_name: str | None
    batches_done: int
    status_ts: str | None


class PeopleJobStore:
    """Jobs are written once with their people; then only their progress changes."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._engine = engine
        self._clock = clock

    def create(
        self,
        *,
        team_id: str | None,
        enterprise_id: str | None,
        user_id: str,
        channel_id: str | None,
        thread_ts: str | None,
        people: Sequence[dict[str, str]],
        ignored: Sequence[str],
        ignored_count: int,
    ) -> PeopleJob:
        now = self._clock()
        values = {
            "id": uuid.uuid4().hex,
            "enterprise_id": enterprise_id or "",
            "team_id": team_id or "",
            "user_id": user_id,
            "channel_id": channel_id,
            "thread_ts": thread_ts,
            "people": json.dumps(list(people)),
            "ignored": json.dumps(list(ignored)[:1000]),
            "ignored_count": ignored_count,
            "batches_done": 0,
            "created_at": now,
            "updated_at": now,
        }
        with database_errors("recording people to add"), self._engine.begin() as conn:
            conn.execute(sa.insert(people_jobs).values(**values))
        job = self.get(values["id"])
        assert job is not None
        return job

    def get(self, job_id: str) -> PeopleJob | None:
        query = sa.select(people_jobs).where(people_jobs.c.id == job_id)
        with database_errors("reading people to add"), self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return PeopleJob(
            id=row.id,
            team_id=row.team_id or None,
            enterprise_id=row.enterprise_id or None,
            user_id=row.user_id,
            channel_id=row.channel_id,
            thread_ts=row.thread_ts,
            people=json.loads(row.people),
            ignored=json.loads(row.ignored),
            ignored_count=row.ignored_count,
            segment_id=row.segment_id,
            segment_name=row.segment_name,
            batches_done=row.batches_done,
            status_ts=row.status_ts,
        )

    def update(self, job_id: str, **values: object) -> None:
        allowed = {"segment_id", "segment_name", "batches_done", "status_ts"}
        if not set(values) <= allowed:
            raise ValueError(f"only {sorted(allowed)} change after a job is created")
        statement = (
            sa.update(people_jobs)
            .where(people_jobs.c.id == job_id)
            .values(**values, updated_at=self._clock())
        )
        with database_errors("recording progress"), self._engine.begin() as conn:
            conn.execute(statement)
