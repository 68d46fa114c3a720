"""Each workspace's Bunce key, encrypted at rest: one row per (enterprise, team)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from bot.bunce.keys import environment_of, key_hint
from bot.store.crypto import KeyCipher
from bot.store.db import StoreError, UtcDateTime, database_errors, metadata
from bot.store.records import WorkspaceKey, WorkspaceKeyInfo

# enterprise_id and team_id are '' rather than NULL when absent: NULLs never collide in a primary
# key or unique constraint, so NULL would let one workspace hold several keys.
workspace_keys = sa.Table(
    "workspace_keys",
    metadata,
    sa.Column("enterprise_id", sa.String(64), primary_key=True),
    sa.Column("team_id", sa.String(64), primary_key=True),
    sa.Column("encrypted_key", sa.Text, nullable=False),
    sa.Column("environment", sa.String(16), nullable=False),
    sa.Column("key_hint", sa.String(64), nullable=False, key="hint"),
    sa.Column("set_by", sa.String(64), nullable=True),
    sa.Column("set_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("environment IN ('live', 'sandbox')", name="environment"),
)

_INFO_COLUMNS = [c for c in workspace_keys.c if c.key != "encrypted_key"]
_INFO_FIELDS = [c.key for c in _INFO_COLUMNS]
_PRIMARY_KEY = ("enterprise_id", "team_id")
_INSERTS: dict[str, Callable[[sa.Table], Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


def _utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def _ids(team_id: str | None, enterprise_id: str | None) -> tuple[str, str]:
    """The stored (enterprise_id, team_id); team_id None means an org-wide install."""
    if not team_id and not enterprise_id:
        raise ValueError("a workspace key needs a team_id or an enterprise_id")
    return enterprise_id or "", team_id or ""


def _where(team_id: str | None, enterprise_id: str | None) -> sa.ColumnElement[bool]:
    """The primary-key condition for one workspace."""
    enterprise, team = _ids(team_id, enterprise_id)
    return sa.and_(workspace_keys.c.enterprise_id == enterprise, workspace_keys.c.team_id == team)


def _info(row: sa.Row[Any]) -> dict[str, Any]:
    """WorkspaceKeyInfo fields from a table row."""
    fields = {name: row._mapping[name] for name in _INFO_FIELDS}
    return fields | {"enterprise_id": row.enterprise_id or None}


def _upsert(dialect: str, values: dict[str, Any]) -> sa.Executable:
    """An insert that replaces the workspace's existing row, in the dialect's own syntax."""
    if dialect not in _INSERTS:
        raise StoreError(f"workspace keys need SQLite or PostgreSQL, not {dialect}")
    statement = _INSERTS[dialect](workspace_keys).values(**values)
    replaced = {name: statement.excluded[name] for name in values if name not in _PRIMARY_KEY}
    return statement.on_conflict_do_update(index_elements=list(_PRIMARY_KEY), set_=replaced)


class KeyStore:
    """Stores, reads and rotates workspace Bunce keys; every database failure is a StoreError."""

    def __init__(
        self, engine: Engine, cipher: KeyCipher, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self._engine = engine
        self._cipher = cipher
        self._clock = clock

    def get(self, team_id: str | None, enterprise_id: str | None = None) -> WorkspaceKey | None:
        """The workspace's key, decrypted, or None when none is stored."""
        row = self._first(sa.select(workspace_keys), team_id, enterprise_id)
        if row is None:
            return None
        return WorkspaceKey(**_info(row), key=self._cipher.decrypt(row.encrypted_key))

    def info(
        self, team_id: str | None, enterprise_id: str | None = None
    ) -> WorkspaceKeyInfo | None:
        """The workspace's key info without the key, or None when none is stored."""
        row = self._first(sa.select(*_INFO_COLUMNS), team_id, enterprise_id)
        return None if row is None else WorkspaceKeyInfo(**_info(row))

    def put(
        self,
        team_id: str | None,
        key: str,
        *,
        enterprise_id: str | None = None,
        set_by: str | None = None,
    ) -> WorkspaceKeyInfo:
        """Store (or replace) the workspace's key; InvalidKeyError if it is not a Bunce key."""
        enterprise, team = _ids(team_id, enterprise_id)
        environment, set_at = environment_of(key), self._clock()
        if set_at.tzinfo is None:
            raise ValueError("KeyStore's clock must return timezone-aware datetimes")
        info = WorkspaceKeyInfo(
            team, enterprise or None, environment, key_hint(key), set_by, set_at.astimezone(UTC)
        )
        values = asdict(info) | {
            "enterprise_id": enterprise,
            "encrypted_key": self._cipher.encrypt(key),
        }
        with database_errors("storing a workspace key"), self._engine.begin() as conn:
            conn.execute(_upsert(conn.dialect.name, values))
        return info

    def delete(self, team_id: str | None, enterprise_id: str | None = None) -> bool:
        """Remove the workspace's key; True if there was one."""
        statement = sa.delete(workspace_keys).where(_where(team_id, enterprise_id))
        with database_errors("deleting a workspace key"), self._engine.begin() as conn:
            return conn.execute(statement).rowcount > 0

    def list(self) -> list[WorkspaceKeyInfo]:
        """Every stored key's info, without keys, sorted by enterprise then team."""
        c = workspace_keys.c
        query = sa.select(*_INFO_COLUMNS).order_by(c.enterprise_id, c.team_id)
        with database_errors("listing workspace keys"), self._engine.connect() as conn:
            return [WorkspaceKeyInfo(**_info(row)) for row in conn.execute(query)]

    def reencrypt_all(self) -> int:
        """Re-encrypt every stored key with the first ENCRYPTION_KEY; how many rows changed."""
        c = workspace_keys.c
        rewritten = 0
        with database_errors("re-encrypting workspace keys"), self._engine.begin() as conn:
            for row in conn.execute(sa.select(c.enterprise_id, c.team_id, c.encrypted_key)).all():
                # Compare-and-set: a key replaced since we read it is already encrypted afresh
                # and must not be overwritten with the old one.
                statement = (
                    sa.update(workspace_keys)
                    .where(c.enterprise_id == row.enterprise_id, c.team_id == row.team_id)
                    .where(c.encrypted_key == row.encrypted_key)
                    .values(encrypted_key=self._cipher.rotate(row.encrypted_key))
                )
                rewritten += conn.execute(statement).rowcount
        return rewritten

    def _first(
        self, query: sa.Select[Any], team_id: str | None, enterprise_id: str | None
    ) -> sa.Row[Any] | None:
        """The first row of query for one workspace (a primary-key lookup)."""
        query = query.where(_where(team_id, enterprise_id))
        with database_errors("reading a workspace key"), self._engine.connect() as conn:
            return conn.execute(query).first()
