"""The records the stores hand out: plain data, no database, so views may import them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class WorkspaceKeyInfo:
    """What may be shown about a stored key: where it belongs, its hint, who set it and when."""

    team_id: str
    enterprise_id: str | None
    environment: str
    hint: str
    set_by: str | None
    set_at: datetime


@dataclass(frozen=True)
class WorkspaceKey(WorkspaceKeyInfo):
    """A stored key with its plaintext, for calling Bunce; repr shows only the info."""

    key: str = field(repr=False)


class Action(StrEnum):
    """What happened; stored as its string value."""

    KEY_CONNECTED = "key_connected"
    KEY_REPLACED = "key_replaced"
    KEY_DISCONNECTED = "key_disconnected"
    KEY_VERIFIED = "key_verified"
    KEY_VERIFY_FAILED = "key_verify_failed"
    SEGMENT_CREATED = "segment_created"
    SETTINGS_CHANGED = "settings_changed"
    UNINSTALLED = "uninstalled"
    SEGMENT_EDITED = "segment_edited"
    PEOPLE_ADDED = "people_added"


@dataclass(frozen=True)
class AuditEvent:
    """One recorded event; action is a plain str when a newer version wrote one unknown here."""

    id: int
    at: datetime
    enterprise_id: str | None
    team_id: str
    user_id: str | None
    action: Action | str
    channel_id: str | None
    segment_id: str | None
    segment_name: str | None
    detail: str | None
