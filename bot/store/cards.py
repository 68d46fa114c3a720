"""Where each segment's announcement cards were posted, so an edit can update them in place."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.store.db import UtcDateTime, database_errors, metadata

segment_cards = sa.Table(
    "segment_cards",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("enterprise_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("team_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("segment_id", sa.String(255), nullable=False),
    sa.Column("channel_id", sa.String(64), nullable=False),
    sa.Column("ts", sa.String(32), nullable=False),
    sa.Column("posted_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("channel_id", "ts"),
    sa.Index("ix_segment_cards_segment", "enterprise_id", "team_id", "segment_id"),
)


@dataclass(frozen=True)
class CardLocation:
    channel_id: str
    ts: str


class CardStore:
    """Remembers (channel, ts) of every card the bot posted itself (not via response_url)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._engine = engine
        self._clock = clock

    def add(
        self,
        team_id: str | None,
        enterprise_id: str | None,
        segment_id: str,
        channel_id: str,
        ts: str,
    ) -> None:
        values = {
            "enterprise_id": enterprise_id or "",
            "team_id": team_id or "",
            "segment_id": segment_id,
            "channel_id": channel_id,
            "ts": ts,
            "posted_at": self._clock(),
        }
        with database_errors("recording a card"), self._engine.begin() as conn:
            exists = conn.execute(
                sa.select(segment_cards.c.id).where(
                    segment_cards.c.channel_id == channel_id, segment_cards.c.ts == ts
                )
            ).first()
            if exists is None:
                conn.execute(sa.insert(segment_cards).values(**values))

    def of(
        self, team_id: str | None, enterprise_id: str | None, segment_id: str
    ) -> list[CardLocation]:
        c = segment_cards.c
        query = (
            sa.select(c.channel_id, c.ts)
            .where(
                c.enterprise_id == (enterprise_id or ""),
                c.team_id == (team_id or ""),
                c.segment_id == segment_id,
            )
            .order_by(c.id)
        )
        with database_errors("reading cards"), self._engine.connect() as conn:
            return [CardLocation(row.channel_id, row.ts) for row in conn.execute(query)]

    def first_of_each(
        self, team_id: str | None, enterprise_id: str | None, segment_ids: Collection[str]
    ) -> dict[str, CardLocation]:
        """Each segment's first posted card (its announcement), in one read: App Home links its
        recent segments to them. Segments with no card the bot posted itself are absent."""
        wanted = sorted(set(segment_ids))
        if not wanted:
            return {}
        c = segment_cards.c
        query = (
            sa.select(c.segment_id, c.channel_id, c.ts)
            .where(
                c.enterprise_id == (enterprise_id or ""),
                c.team_id == (team_id or ""),
                c.segment_id.in_(wanted),
            )
            .order_by(c.id.desc())
        )
        with database_errors("reading cards"), self._engine.connect() as conn:
            # Newest first, so the oldest card of each segment is the one left in the dict.
            return {
                row.segment_id: CardLocation(row.channel_id, row.ts) for row in conn.execute(query)
            }

    def delete_workspace(self, team_id: str | None, enterprise_id: str | None) -> None:
        c = segment_cards.c
        where = sa.and_(c.enterprise_id == (enterprise_id or ""), c.team_id == (team_id or ""))
        with database_errors("forgetting cards"), self._engine.begin() as conn:
            conn.execute(sa.delete(segment_cards).where(where))
