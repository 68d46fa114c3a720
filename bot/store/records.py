"""The records the stores hand out: plain data, no database, so views may import them."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
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


class State(StrEnum):
    """How far a submission got; stored as its string value."""

    PENDING = "pending"
    CREATING = "creating"
    CREATED = "created"
    ANNOUNCED = "announced"
    FAILED = "failed"


# The failure column of an announced submission whose card Slack never confirmed.
ANNOUNCEMENT_UNCONFIRMED = "announce_unconfirmed"


@dataclass(frozen=True)
class SubmissionDraft:
    """What a valid submit carries: where it came from, the form, and where to reply."""

    view_id: str
    input_hash: str
    team_id: str | None
    enterprise_id: str | None
    is_enterprise_install: bool
    user_id: str
    name: str
    description: str
    add_all_customers: bool
    channel_id: str | None
    origin_channel_id: str | None
    thread_ts: str | None
    response_url: str | None = field(default=None, repr=False)
    announce_response_url: str | None = field(default=None, repr=False)
    # Where to take the person back to afterwards (see create/origin.py), kept with the URLs.
    return_to: str | None = field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True)
class SubmissionRecord(SubmissionDraft):
    """A stored submission: the draft plus how far it got and who is working on it."""

    id: str
    marker: str
    state: State
    segment_id: str | None
    segment_name: str | None
    failure: str | None
    failure_message: str | None
    attempts: int
    user_told: bool
    announced_channel_id: str | None
    announced_ts: str | None
    lease_owner: str | None
    lease_until: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def announcement_unconfirmed(self) -> bool:
        """The card was posted to Slack but no answer came back: it may or may not be there."""
        return self.state == State.ANNOUNCED and self.failure == ANNOUNCEMENT_UNCONFIRMED

    @property
    def draft(self) -> SubmissionDraft:
        """The submission as it was drafted, for code that works on drafts."""
        return SubmissionDraft(**{f.name: getattr(self, f.name) for f in fields(SubmissionDraft)})
