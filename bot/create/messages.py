"""Every sentence and message a person reads: help, errors, and the announcement card."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import ids
from bot.bunce import Segment
from bot.create.form import CreateResult, Problem
from bot.slack.blocks import context, header, section
from bot.slack.mrkdwn import fit, truncate

Message = dict[str, Any]

USAGE = (
    f"*{ids.COMMAND}* creates a customer segment in Bunce and announces it here.\n"
    f"• `{ids.COMMAND}` opens the form\n"
    f"• `{ids.COMMAND} Spring launch VIPs` opens it with the name filled in\n"
    f'• `{ids.COMMAND} "List of VIPs"`: quote a name that starts with a reserved word\n'
    f"• `{ids.COMMAND} list [words]` lists the workspace's segments (share or edit them)\n"
    f"• `{ids.COMMAND} status` says whether this workspace is connected to Bunce\n"
    f"• `{ids.COMMAND} connect` / `{ids.COMMAND} disconnect` (admins) manage the Bunce key\n"
    f"• `{ids.COMMAND} help` shows this message\n"
    "Shortcuts: *Create Bunce segment* (⚡ menu) and, on any message, *Add people to "
    "segment*. The app's Home tab shows recent segments."
)

NOT_CONNECTED = (
    "This workspace isn't connected to Bunce yet, so segments can't be created from Slack. "
    f"A workspace admin connects it with `{ids.COMMAND} connect` or from the app's Home tab."
)

TAMPERED = (
    f"This form could not be verified, so nothing was done. Close it and run `{ids.COMMAND}` again."
)

STORE_UNAVAILABLE = (
    "Sorry, the app can't reach its database right now, so nothing was created. "
    "Please try again in a minute."
)

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


def ephemeral(text: str) -> Message:
    """An only-you message (the slash command's reply): one mrkdwn section plus its fallback."""
    return {"response_type": "ephemeral", "text": text, "blocks": [section(text)]}


def build_help_message() -> Message:
    return ephemeral(USAGE)


def build_segment_card(
    segment: Segment,
    creator_id: str,
    environment: str,
    *,
    actions: dict[str, Any] | None = None,
) -> Message:
    """The announcement posted in the channel; every Bunce- or user-supplied string escaped.

    `actions` is the card's button row (Edit, Add people, Open in Bunce), built by ui.manage.
    """
    fields = [
        f"*All customers*\n{'Yes' if segment.all_customers else 'No'}",
        f"*Type*\n{fit(segment.type or 'manual', 1900)}",
        f"*Created by*\n<@{creator_id}>",
        f"*Created*\n{_date(segment.created_at)}",
    ]
    blocks = [header(truncate(segment.name, 150), block_id=ids.CARD_HEADER)]
    if segment.description:
        blocks.append(section(fit(segment.description, 3000), block_id=ids.CARD_DESCRIPTION))
    blocks.append(
        {
            "type": "section",
            "block_id": ids.CARD_FIELDS,
            "fields": [{"type": "mrkdwn", "text": text} for text in fields],
        }
    )
    where = "Bunce sandbox" if environment == "sandbox" else "Bunce"
    blocks.append(
        context(f"Segment ID `{fit(segment.id, 200)}` · {where}", block_id=ids.CARD_CONTEXT)
    )
    if actions is not None:
        blocks.append(actions)
    text = f"New Bunce segment: {fit(segment.name, 1000)}, created by <@{creator_id}>"
    return {"text": text, "blocks": blocks}


def _date(moment: datetime | None) -> str:
    if moment is None:
        return "just now"
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


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
