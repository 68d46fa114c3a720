"""The sentences of creating a segment: outcomes, where the card went, private notices."""

from __future__ import annotations

from bot import ids
from bot.bunce.models import Segment
from bot.create.form import CreateResult, Problem
from bot.sentences import NOT_CONNECTED, STORE_UNAVAILABLE
from bot.slack.blocks import Message, ephemeral
from bot.slack.mrkdwn import fit

_SENTENCES = {
    Problem.NOT_CONNECTED: NOT_CONNECTED,
    Problem.KEY_REJECTED: (
        "Bunce rejected this workspace's Bunce key, so the segment was not created. "
        "Ask an admin to reconnect Bunce with a valid key, then try again."
    ),
    Problem.RATE_LIMITED: (
        "Bunce is busy (too many requests right now), so the segment was not created. "
        "Wait a minute, then try again."
    ),
    Problem.UNAVAILABLE: (
        "Bunce is unavailable right now, so the segment was not created. Try again in a few "
        "minutes."
    ),
    Problem.STORE_UNAVAILABLE: STORE_UNAVAILABLE,
}


def sentence_for(result: CreateResult) -> str:
    """What went wrong and what to do, as mrkdwn; Bunce's own words only for its 4xx answers."""
    if result.problem is Problem.INVALID:
        detail = fit(result.bunce_message or "it did not accept the form", 1500)
        return f"Bunce didn't accept this segment: _{detail}_. Edit it and try again."
    if result.problem in _SENTENCES:
        return _SENTENCES[result.problem]
    detail = f" (Bunce said: _{fit(result.bunce_message, 500)}_)" if result.bunce_message else ""
    return f"Something unexpected happened, so the segment was not created{detail}. Try again."


def announced_in(channel_id: str) -> str:
    return f":mega: Announced in <#{channel_id}>."


def announcement_note(channel_id: str | None, *, posted: bool, unconfirmed: bool) -> str:
    """Where the card is, as far as we know; never claims a post that Slack didn't confirm."""
    if unconfirmed:
        return unconfirmed_announcement(channel_id)
    if posted and channel_id:
        return announced_in(channel_id)
    return not_announced(channel_id)


def unconfirmed_announcement(channel_id: str | None) -> str:
    """Slack took the card but never answered: it is probably there, and posting it again could
    show it twice, so the person checks and shares it if it's missing."""
    where = f"in <#{channel_id}>" if channel_id else "in that conversation"
    return (
        f":grey_question: The segment was created. Slack didn't confirm its card {where}, so "
        f"I didn't post it again. If it's missing, share it from `{ids.COMMAND} list`."
    )


def not_announced(channel_id: str | None) -> str:
    """The segment exists; only the card is missing. Say where it is and how to fix it."""
    where = f"in <#{channel_id}>" if channel_id else "in that conversation"
    return (
        f":warning: The segment was created, but I couldn't post its card {where}. "
        "Invite me with `/invite @bunce` (or pick a channel I'm in) next time."
    )


def created_notice(segment: Segment, announcement: str) -> Message:
    """Told by DM or ephemeral when the modal is gone: the segment exists, here it is."""
    text = (
        f":white_check_mark: Your segment *{fit(segment.name, 1000)}* was created in Bunce "
        f"(ID `{fit(segment.id, 200)}`). {announcement}"
    )
    return ephemeral(text)


def failed_notice(segment_name: str, sentence: str) -> Message:
    """Told by DM or ephemeral when the modal is gone and the segment was not created."""
    return ephemeral(f":warning: *{fit(segment_name, 1000)}*: {sentence}")
