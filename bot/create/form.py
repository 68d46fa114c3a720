"""The domain of creating a segment: the form, its rules, and what Bunce's answer means."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from enum import Enum

from bot import ids
from bot.bunce.models import Segment

NAME_MAX = 255
DESCRIPTION_MAX = 1000

# Stored as the submission's channel when the person chose not to share a card (a test or a
# private segment): the column predates the choice, and no Slack conversation id is "-".
NO_SHARE = "-"

# Bidirectional overrides and isolates can make a name read differently from what it is.
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class SegmentForm:
    """What the person typed in the create modal, trimmed. `share`: post the segment's card in
    `channel_id` (the default; unticked for a test or private segment)."""

    name: str
    description: str = ""
    add_all_customers: bool = False
    channel_id: str | None = None
    share: bool = True

    def normalised(self) -> SegmentForm:
        return SegmentForm(
            name=self.name.strip(),
            description=self.description.strip(),
            add_all_customers=self.add_all_customers,
            channel_id=self.channel_id or None,
            share=self.share,
        )

    @property
    def stored_channel(self) -> str | None:
        """The submission's channel column: where to share, or NO_SHARE."""
        return self.channel_id if self.share else NO_SHARE

    @classmethod
    def from_stored(
        cls, name: str, description: str, add_all: bool, channel: str | None
    ) -> SegmentForm:
        share = channel != NO_SHARE
        return cls(name, description, add_all, channel if share else None, share)


class Problem(Enum):
    """Why a segment was not created; create/messages.py turns each into a sentence."""

    NOT_CONNECTED = "not_connected"
    KEY_REJECTED = "key_rejected"
    INVALID = "invalid"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    STORE_UNAVAILABLE = "store_unavailable"
    UNEXPECTED = "unexpected"
    # Not a failure: Bunce could not be asked whether an earlier attempt created the segment.
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True)
class CreateResult:
    """Either the created segment, or the problem (with Bunce's own message for 4xx)."""

    segment: Segment | None = None
    problem: Problem | None = None
    bunce_message: str | None = None


def _bad_characters(text: str, *, allow_newlines: bool) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_newlines else set()
    for ch in text:
        if ch in allowed:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS:
            return True
    return False


def input_hash(form: SegmentForm) -> str:
    """Identifies what was submitted: the same view with the same values is one submission."""
    data: list[object] = [form.name, form.description, form.add_all_customers, form.channel_id]
    if not form.share:
        data.append(False)  # appended only then: hashes of shared forms stay as they were
    return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def validate(form: SegmentForm) -> dict[str, str]:
    """Every problem with the form at once, keyed by the input's block_id; empty when valid."""
    errors: dict[str, str] = {}
    name, description = form.name.strip(), form.description.strip()
    if not name:
        errors[ids.NAME] = "Enter a name for the segment."
    elif len(name) > NAME_MAX:
        errors[ids.NAME] = f"Use {NAME_MAX} characters or fewer (this name has {len(name)})."
    elif _bad_characters(name, allow_newlines=False):
        errors[ids.NAME] = "Remove control characters (such as tabs or line breaks) from the name."
    if len(description) > DESCRIPTION_MAX:
        errors[ids.DESCRIPTION] = (
            f"Use {DESCRIPTION_MAX} characters or fewer (this description has {len(description)})."
        )
    elif _bad_characters(description, allow_newlines=True):
        errors[ids.DESCRIPTION] = "Remove control characters from the description."
    if form.share and not form.channel_id:
        errors[ids.ANNOUNCE] = (
            "Choose a conversation to share the segment's card in, or tick “Don't share a card”."
        )
    return errors
