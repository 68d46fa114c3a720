"""The sentences of creating a segment: outcomes, where the card went, private notices."""

from __future__ import annotations

from bot import ids
from bot.bunce.models import Segment
from bot.create.form import CreateResult, Problem
from bot.create.views import NextStep
from bot.sentences import not_connected
from bot.slack.blocks import Message, ephemeral
from bot.slack.mrkdwn import fit

STORE_DOWN = (
    "Sorry, I can't reach my database right now, so the segment was not created. "
    "Please try again in a minute."
)

_SENTENCES = {
    Problem.RATE_LIMITED: (
        "Bunce is busy (too many requests right now), so the segment was not created. "
        "Wait a minute, then try again."
    ),
    Problem.UNAVAILABLE: (
        "Bunce is unavailable right now, so the segment was not created. Try again in a few "
        "minutes."
    ),
    Problem.STORE_UNAVAILABLE: STORE_DOWN,
}


def sentence_for(result: CreateResult, who: str = "a workspace admin or owner") -> str:
    """What went wrong and what to do, as mrkdwn; Bunce's own words only for its 4xx answers.
    `who` names the people who can fix the connection (AdminPolicy.who)."""
    if result.problem is Problem.INVALID:
        detail = fit(result.bunce_message or "it did not accept the form", 1500)
        return f"Bunce didn't accept this segment: _{detail}_. Edit it and try again."
    if result.problem is Problem.NOT_CONNECTED:
        return not_connected(who)
    if result.problem is Problem.KEY_REJECTED:
        return (
            "Bunce rejected this workspace's Bunce key, so the segment was not created. "
            f"Ask {who} to replace the key (App Home → Replace key), then try again."
        )
    if result.problem in _SENTENCES:
        return _SENTENCES[result.problem]
    detail = f" (Bunce said: _{fit(result.bunce_message, 500)}_)" if result.bunce_message else ""
    return f"Something unexpected happened, so the segment was not created{detail}. Try again."


def next_step(problem: Problem | None) -> NextStep:
    """Only a form the person can fix is offered for editing; a passing failure is offered
    again as it was; a missing or rejected key needs an admin first."""
    if problem is Problem.INVALID:
        return NextStep.EDIT
    if problem in (Problem.NOT_CONNECTED, Problem.KEY_REJECTED):
        return NextStep.NONE
    return NextStep.TRY_AGAIN


def shared_in(channel_id: str) -> str:
    return f":mega: Shared in <#{channel_id}>."


# Said when the form was opened from Add customers' "New segment…" (Origin.return_to).
CHOSEN_THERE = "It's chosen in *Add customers*: close this to go back and add them."

# How to share a card after the fact: the success view has a picker; a DM points at the list.
BELOW = "below"
FROM_LIST = f"with `{ids.COMMAND} list`"


def card_note(
    channel_id: str | None,
    *,
    posted: bool,
    unconfirmed: bool,
    chose_not: bool = False,
    how: str = BELOW,
) -> str:
    """Where the card is, as far as we know; never claims a post that Slack didn't confirm."""
    if chose_not:
        return f"Not shared in a channel, as you chose. Share its card {how} if that changes."
    if unconfirmed:
        where = f"in <#{channel_id}>" if channel_id else "in that conversation"
        # Slack took the card but never answered: it is probably there, and posting it again
        # could show it twice, so the person checks.
        return (
            f":grey_question: Slack didn't confirm the segment's card {where}, so I didn't post "
            f"it again. If it's missing, share it {how}."
        )
    if posted and channel_id:
        return shared_in(channel_id)
    where = f"in <#{channel_id}>" if channel_id else "in that conversation"
    return (
        f":warning: I couldn't post the segment's card {where}. Share it {how} in a channel "
        "I'm in, or invite me there with `/invite @Bunce`."
    )


def created_notice(segment: Segment, note: str, bunce_url: str | None = None) -> Message:
    """Told by DM or ephemeral when the modal is gone: the segment exists, here it is."""
    link = f" <{bunce_url}|Open it in Bunce>." if bunce_url else ""
    text = (
        f":white_check_mark: Your segment *{fit(segment.name, 1000)}* is in Bunce "
        f"(ID `{fit(segment.id, 200)}`).{link} {note}"
    )
    return ephemeral(text)


def failed_notice(segment_name: str, sentence: str) -> Message:
    """Told by DM or ephemeral when the modal is gone and the segment was not created."""
    return ephemeral(f":warning: *{fit(segment_name, 1000)}*: {sentence}")
