"""Block Kit for adding customers: the modal (who, which segment), the segment search's
options, progress, and the summary."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot import ids
from bot.slack.blocks import button, context, plain, section
from bot.slack.mrkdwn import fit, truncate
from bot.slack.notice import build_notice

if TYPE_CHECKING:
    from bot.people.job import FileNote

TITLE = "Add customers"
CHOOSE_SEGMENT = "Choose a segment (or create one with “New segment…”, then choose it)."
# What choosing an option that stands for no segment gets, inline, when the form is submitted.
STILL_LOADING = "Your segments were still loading. Type in Segment again, then choose one."
UNREACHABLE = (
    "I couldn't list your segments, so nothing was chosen. Type in Segment again to retry, "
    "then choose one."
)
RETRY_SENTENCE = "Retry adds only those."
NOBODY = "No email addresses or customer ids found: paste some, one per line."
INVITE = "/invite @Bunce"  # the manifest's bot user; Slack matches the name case-insensitively
_CONVERSATION_ID = re.compile(r"[CDG][A-Z0-9]{2,20}")


def build_add_people_modal(
    private_metadata: str,
    *,
    count: int,
    ignored: list[str],
    ignored_count: int,
    notes: list[FileNote],
    segment: tuple[str, str] | None = None,
    paste: bool = False,
) -> dict[str, Any]:
    """`segment` preselects (id, name). `paste` (from a card) adds a box to type customers in;
    a message with none gets the box too, with a sentence saying so, so the form always goes on."""
    blocks: list[dict[str, Any]] = []
    if not paste:
        blocks.append(section(_found_text(count, ignored, ignored_count, bool(notes))))
    for note in notes[:5]:
        blocks.append(context(f":warning: {note_text(note)}"))
    select: dict[str, Any] = {
        "type": "external_select",
        "action_id": ids.ADD_PEOPLE_SEGMENT,
        "placeholder": plain("Search your segments"),
        "min_query_length": 0,
    }
    if segment is not None:
        select["initial_option"] = _option(*segment)
    blocks.append(
        {
            "type": "input",
            "block_id": ids.ADD_PEOPLE_SEGMENT,
            "label": plain("Segment"),
            "element": select,
            "dispatch_action": True,
        }
    )
    if paste or count == 0:
        blocks.append(
            {
                "type": "input",
                "block_id": ids.ADD_PEOPLE_PASTE,
                "label": plain("Customers"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.ADD_PEOPLE_PASTE,
                    "multiline": True,
                    "placeholder": plain("Emails or customer_id:… separated by spaces or lines"),
                },
            }
        )
    blocks.append(
        context(
            "Only each customer's email or customer id is sent to Bunce, so nothing else about "
            "them changes."
        )
    )
    return {
        "type": "modal",
        "callback_id": ids.ADD_PEOPLE_VIEW,
        "title": plain(TITLE),
        "submit": plain(TITLE),
        "close": plain("Cancel"),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }


def _found_text(count: int, ignored: list[str], ignored_count: int, notes: bool) -> str:
    """What the message held: "*3 valid*, 1 ignored", or that it held nobody and what to do."""
    shown = ", ".join(f"`{fit(value, 60)}`" for value in ignored[:5])
    skipped = f" Ignored: {shown}{'…' if ignored_count > 5 else ''}" if ignored else ""
    if count:
        return f"*{count} valid*, {ignored_count} ignored.{skipped}"
    where = "could be read from" if notes else "were found in"
    return (
        f"No email addresses or customer ids {where} that message.{skipped} Paste the "
        "customers' emails or customer ids below, then choose a segment."
    )


def note_text(note: FileNote) -> str:
    """mrkdwn for a file that was not read; the channel is a <#C…> mention so it is a link."""
    name = fit(note.name, 80)
    channel = note.channel_id
    if channel and _CONVERSATION_ID.fullmatch(channel):
        if channel.startswith("D"):  # a DM between people: the bot can't be invited there
            return (
                f"I can't read {name}: it was shared in a direct message I'm not in. "
                "Share it in a channel I'm in and try again."
            )
        return (
            f"I can't read {name}: I'm not in <#{channel}>. Invite me with {INVITE} and try again."
        )
    if channel:
        return f"I can't read {name}: I'm not in that conversation. Invite me and try again."
    return f"I can't read {name}: {fit(note.problem, 200)}"


def _option(value: str, name: str) -> dict[str, Any]:
    """plain_text shows `&` and `<` as typed: truncate, never escape (the name is read back)."""
    return {"text": plain(truncate(name, 75)), "value": value[:150]}


def build_segment_options(
    matches: list[tuple[str, str]], *, state: str = "complete", known: int = 0
) -> list[dict[str, Any]]:
    """external_select options (Slack shows 100): "New segment…" first; then, when the list
    is not every segment (`state`, with `known` read so far), an option saying why and what to
    do; then the matches."""
    options = [{"text": plain("New segment…"), "value": ids.NEW_SEGMENT_OPTION}]
    status = segment_status(state, known)
    if status is not None:
        options.append(status)
    return options + [_option(value, name) for value, name in matches[: 100 - len(options)]]


def segment_status(state: str, known: int) -> dict[str, Any] | None:
    """The option that says the search could not see every segment; it stands for none."""
    if state == "loading":
        text = f"Still loading your segments ({known:,} so far): type again in a moment"
        return {"text": plain(text), "value": ids.SEGMENTS_LOADING_OPTION}
    texts = {
        "failed": "I couldn't reach Bunce: type again to retry",
        "store_down": "I couldn't reach my database: type again to retry",
    }
    if state in texts:
        return {"text": plain(texts[state]), "value": ids.SEGMENTS_UNREACHABLE_OPTION}
    return None


def build_progress_view(text: str, retry_value: str | None = None) -> dict[str, Any]:
    """Progress, then the summary; with Retry when customers are missing, as in the thread."""
    blocks = build_summary_message(text, retry_value)["blocks"]
    return build_notice(TITLE, text, callback_id=ids.ADD_PEOPLE_VIEW + "_progress", blocks=blocks)


def progress_text(added: int, total: int, segment_name: str) -> str:
    return (
        f":hourglass_flowing_sand: {added} of {total} customers added to "
        f"*{fit(segment_name, 200)}* so far…"
    )


def summary_text(
    added: int, total: int, ignored_count: int, segment_name: str, problem: str | None
) -> str:
    """Exactly what happened, e.g. "240 customers added to Spring VIPs. 3 were not valid…".

    It never mentions Retry: build_summary_message adds that sentence with the button, so no
    surface promises a Retry it doesn't show."""
    name = f"*{fit(segment_name, 200)}*"
    ignored = (
        (
            " 1 was not a valid email or customer id."
            if ignored_count == 1
            else f" {ignored_count} were not valid emails or customer ids."
        )
        if ignored_count
        else ""
    )
    if problem is None:
        return f":white_check_mark: {added} {_customers(added)} added to {name}.{ignored}"
    missing = total - added
    return (
        f":warning: {added} of {total} customers added to {name}; {missing} "
        f"{'was' if missing == 1 else 'were'} not added ({fit(problem, 200)}).{ignored}"
    )


def _customers(count: int) -> str:
    return "customer" if count == 1 else "customers"


def build_summary_message(text: str, retry_value: str | None) -> dict[str, Any]:
    """The summary for the thread, the modal and the private fallbacks alike: with a Retry
    value, the sentence about Retry and its button come together, so each surface has both."""
    if retry_value:
        text = f"{text} {RETRY_SENTENCE}"
    blocks: list[dict[str, Any]] = [section(text)]
    if retry_value:
        blocks.append(
            {
                "type": "actions",
                "block_id": ids.ADD_PEOPLE_RETRY,
                "elements": [button("Retry", ids.ADD_PEOPLE_RETRY, value=retry_value)],
            }
        )
    return {"text": text, "blocks": blocks}


def card_name(message: dict[str, Any]) -> str | None:
    """The segment's name as its card shows it (the header)."""
    for block in message.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "header":
            return str((block.get("text") or {}).get("text") or "") or None
    return None
