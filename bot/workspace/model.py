"""What the workspace feature decides and its views draw: plain data, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from bot.store.records import AuditEvent, WorkspaceKeyInfo


class ConnectProblem(Enum):
    """Why a key was not stored; each becomes an inline error on the connect modal."""

    NOT_A_KEY = "not_a_key"
    REJECTED = "rejected"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class ConnectResult:
    info: WorkspaceKeyInfo | None = None
    problem: ConnectProblem | None = None
    replaced: bool = False


@dataclass(frozen=True)
class PostedCard:
    """Where the app posted a segment's card (it knows only those it posted itself)."""

    channel_id: str
    ts: str


@dataclass(frozen=True)
class HomeModel:
    """Everything the tab shows for one person; gathered by bot.workspace.home, drawn here.

    `cards` maps a recent segment's id to its first posted card, and `segment_url_template`
    (the operator's BUNCE_SEGMENT_URL_TEMPLATE) links a segment to Bunce: each recent row
    leads somewhere.
    """

    key: WorkspaceKeyInfo | None
    is_admin: bool
    recent: list[AuditEvent] = field(default_factory=list)
    last_check: AuditEvent | None = None
    default_channel_id: str | None = None
    installer_id: str | None = None
    listed_admins: tuple[str, ...] = ()
    cards: dict[str, PostedCard] = field(default_factory=dict)
    segment_url_template: str | None = None


def who_can(installer_id: str | None, listed: Iterable[str]) -> str:
    """Who can manage the connection, as mrkdwn: named where the app knows them (the installer,
    BUNCE_ADMIN_USER_IDS), always with Slack's own admins and owners."""
    people = [f"<@{user}>" for user in (installer_id, *listed) if user]
    named = ", ".join(dict.fromkeys(people))
    return "a workspace admin or owner" + (f", or {named}" if named else "")
