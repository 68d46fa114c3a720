"""The audit trail: who did what, when, in which workspace; never a secret."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.store.db import UtcDateTime, database_errors, metadata
from bot.store.records import Action, AuditEvent

# A last line of defence: callers pass hints ("sk_live_…abcd"), and the ellipsis keeps those clear.
_SECRET = re.compile(r"sk_(live|test)_[A-Za-z0-9]{6,}|xox[abpre]-|xapp-")
_LIMITS = {"segment_name": 255, "detail": 500}


# No check constraint lists the actions: adding one would then need an ALTER, which SQLite lacks.
# enterprise_id and team_id are '' rather than NULL, as in workspace_keys, so equality finds them.
audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("enterprise_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("team_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("user_id", sa.String(64), nullable=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("channel_id", sa.String(64), nullable=True),
    sa.Column("segment_id", sa.String(255), nullable=True),
    sa.Column("segment_name", sa.String(255), nullable=True),
    sa.Column("detail", sa.String(500), nullable=True),
    sa.CheckConstraint("action <> ''", name="action"),
    sa.Index("ix_audit_events_workspace_at", "enterprise_id", "team_id", "at"),
    sa.Index("ix_audit_events_workspace_action_at", "enterprise_id", "team_id", "action", "at"),
    sa.Index("ix_audit_events_workspace_segment", "enterprise_id", "team_id", "segment_id"),
)


def _utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def _ids(team_id: str | None, enterprise_id: str | None) -> tuple[str, str]:
    """The stored (enterprise_id, team_id); team_id None means an org-wide install."""
    if not team_id and not enterprise_id:
        raise ValueError("an audit event needs a team_id or an enterprise_id")
    return enterprise_id or "", team_id or ""


def _workspace(team_id: str | None, enterprise_id: str | None) -> sa.ColumnElement[bool]:
    """The condition selecting one workspace's events."""
    enterprise, team = _ids(team_id, enterprise_id)
    return sa.and_(audit_events.c.enterprise_id == enterprise, audit_events.c.team_id == team)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """Values safe to store: nothing secret-looking (ValueError), long text truncated."""
    for name, value in values.items():
        if isinstance(value, str) and _SECRET.search(value):
            # The field name only: the value is the very thing that must not travel.
            raise ValueError(f"audit {name} looks like a secret; record a hint instead")
    return {
        name: value[: _LIMITS[name]] if name in _LIMITS and value is not None else value
        for name, value in values.items()
    }


def _event(fields: Mapping[str, Any]) -> AuditEvent:
    """An AuditEvent from a table row's mapping (or the values just inserted)."""
    action = fields["action"]
    action = Action(action) if action in Action._value2member_map_ else action
    return AuditEvent(
        **{**fields, "enterprise_id": fields["enterprise_id"] or None, "action": action}
    )


class AuditLog:
    """Records and reads audit events; every database failure is a StoreError."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = _utc_now) -> None:
        self._engine = engine
        self._clock = clock

    def record(
        self,
        action: Action,
        *,
        team_id: str | None,
        enterprise_id: str | None = None,
        user_id: str | None = None,
        channel_id: str | None = None,
        segment_id: str | None = None,
        segment_name: str | None = None,
        detail: str | None = None,
    ) -> AuditEvent:
        """Store one event; ValueError, and nothing written, if any value looks like a secret."""
        enterprise, team = _ids(team_id, enterprise_id)
        at = self._clock()
        if at.tzinfo is None:
            raise ValueError("AuditLog's clock must return timezone-aware datetimes")
        values = _clean(
            {
                "at": at.astimezone(UTC),
                "enterprise_id": enterprise,
                "team_id": team,
                "user_id": user_id,
                "action": Action(action).value,
                "channel_id": channel_id,
                "segment_id": segment_id,
                "segment_name": segment_name,
                "detail": detail,
            }
        )
        with database_errors("recording an audit event"), self._engine.begin() as conn:
            inserted = conn.execute(sa.insert(audit_events).values(**values))
        return _event(values | {"id": inserted.inserted_primary_key[0]})

    def recent(
        self,
        team_id: str | None,
        enterprise_id: str | None = None,
        *,
        actions: Iterable[Action] | None = None,
        limit: int = 10,
    ) -> list[AuditEvent]:
        """The workspace's latest events, newest first, optionally only the given actions."""
        if limit < 1:
            raise ValueError("limit must be at least 1")
        c = audit_events.c
        query = sa.select(audit_events).where(_workspace(team_id, enterprise_id))
        if actions is not None:
            query = query.where(c.action.in_([Action(a).value for a in actions]))
        query = query.order_by(c.at.desc(), c.id.desc()).limit(limit)
        with database_errors("reading audit events"), self._engine.connect() as conn:
            return [_event(row._mapping) for row in conn.execute(query)]

    def last(
        self, team_id: str | None, enterprise_id: str | None = None, *, action: Action | None = None
    ) -> AuditEvent | None:
        """The workspace's latest event of action (of any action when None), or None."""
        actions = None if action is None else [action]
        events = self.recent(team_id, enterprise_id, actions=actions, limit=1)
        return events[0] if events else None

    def creator_of(
        self, segment_id: str, team_id: str | None, enterprise_id: str | None = None
    ) -> str | None:
        """Who created the segment in this workspace (the first SEGMENT_CREATED), or None."""
        c = audit_events.c
        query = (
            sa.select(c.user_id)
            .where(_workspace(team_id, enterprise_id))
            .where(c.segment_id == segment_id, c.action == Action.SEGMENT_CREATED.value)
            .order_by(c.at, c.id)
            .limit(1)
        )
        with database_errors("reading a segment's creator"), self._engine.connect() as conn:
            return conn.execute(query).scalar()
