"""Per-workspace settings chosen by admins: one row per (enterprise, team)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bot.store.db import StoreError, UtcDateTime, database_errors, metadata

# '' rather than NULL for absent ids, as in workspace_keys: NULLs never collide in a primary key.
# A future setting gets its own table: SQLite cannot add a column to a table init_db already made.
workspace_settings = sa.Table(
    "workspace_settings",
    metadata,
    sa.Column("enterprise_id", sa.String(64), primary_key=True),
    sa.Column("team_id", sa.String(64), primary_key=True),
    sa.Column("default_channel_id", sa.String(64), nullable=True),
    sa.Column("updated_by", sa.String(64), nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

_PRIMARY_KEY = ("enterprise_id", "team_id")
_INSERTS: dict[str, Callable[[sa.Table], Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


@dataclass(frozen=True)
class WorkspaceSettings:
    """A workspace's settings, and who changed them last and when."""

    team_id: str
    enterprise_id: str | None
    default_channel_id: str | None
    updated_by: str | None
    updated_at: datetime


def _utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def _ids(team_id: str | None, enterprise_id: str | None) -> tuple[str, str]:
    """The stored (enterprise_id, team_id); team_id None means an org-wide install."""
    if not team_id and not enterprise_id:
        raise ValueError("workspace settings need a team_id or an enterprise_id")
    return enterprise_id or "", team_id or ""


def _where(team_id: str | None, enterprise_id: str | None) -> sa.ColumnElement[bool]:
    """The primary-key condition for one workspace."""
    enterprise, team = _ids(team_id, enterprise_id)
    c = workspace_settings.c
    return sa.and_(c.enterprise_id == enterprise, c.team_id == team)


def _upsert(dialect: str, values: dict[str, Any]) -> sa.Executable:
    """An insert that replaces the workspace's existing row, in the dialect's own syntax."""
    if dialect not in _INSERTS:
        raise StoreError(f"workspace settings need SQLite or PostgreSQL, not {dialect}")
    statement = _INSERTS[dialect](workspace_settings).values(**values)
    replaced = {name: statement.excluded[name] for name in values if name not in _PRIMARY_KEY}
    return statement.on_conflict_do_update(index_elements=list(_PRIMARY_KEY), set_=replaced)


class WorkspaceSettingsStore:
    """Reads and writes workspace settings; every database failure is a StoreError."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = _utc_now) -> None:
        self._engine = engine
        self._clock = clock

    def get(
        self, team_id: str | None, enterprise_id: str | None = None
    ) -> WorkspaceSettings | None:
        """The workspace's settings, or None when none were ever set."""
        query = sa.select(workspace_settings).where(_where(team_id, enterprise_id))
        with database_errors("reading workspace settings"), self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return WorkspaceSettings(**{**row._mapping, "enterprise_id": row.enterprise_id or None})

    def set_default_channel(
        self,
        team_id: str | None,
        channel_id: str | None,
        *,
        enterprise_id: str | None = None,
        user_id: str | None = None,
    ) -> WorkspaceSettings:
        """Set (or, with None, clear) where announcements go when the command gives no channel."""
        enterprise, team = _ids(team_id, enterprise_id)
        updated_at = self._clock()
        if updated_at.tzinfo is None:
            raise ValueError("WorkspaceSettingsStore's clock must return timezone-aware datetimes")
        settings = WorkspaceSettings(
            team, enterprise or None, channel_id, user_id, updated_at.astimezone(UTC)
        )
        values = asdict(settings) | {"enterprise_id": enterprise}
        with database_errors("storing workspace settings"), self._engine.begin() as conn:
            conn.execute(_upsert(conn.dialect.name, values))
        return settings

    def delete(self, team_id: str | None, enterprise_id: str | None = None) -> bool:
        """Forget the workspace's settings (on uninstall); True if there were any."""
        statement = sa.delete(workspace_settings).where(_where(team_id, enterprise_id))
        with database_errors("deleting workspace settings"), self._engine.begin() as conn:
            return conn.execute(statement).rowcount > 0
