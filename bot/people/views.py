"""Block Kit for adding people: the modal (who, which segment), progress, and the summary."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot import ids
from bot.slack.blocks import button, context, plain, section
from bot.slack.mrkdwn import fit, truncate
from bot.slack.notice import build_notice

if TYPE_CHECKING:
    from bot.people.job import FileNote

TITLE = "Add people"
CHOOSE_SEGMENT = "Choose a segment (or create one with “New segment…”, then choose it)."
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
    """`segment` preselects (id, name); `paste` adds a box to type people in (from a card)."""
    blocks: list[dict[str, Any]] = []
    if not paste:
        summary = f"*{count} valid*, {ignored_count} ignored."
        if ignored:
            shown = ", ".join(f"`{fit(value, 60)}`" for value in ignored[:5])
            summary += f" Ignored: {shown}{'…' if ignored_count > 5 else ''}"
        blocks.append(section(summary))
    for note in notes[:5]:
        blocks.append(context(f":warning: {note_text(note)}"))
    if not paste and count == 0:
        where = "could be read from" if notes else "were found in"
        blocks.append(section(f"No email addresses or customer ids {where} that message."))
        return _modal(private_metadata, blocks, submit=False)
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
    if paste:
        blocks.append(
            {
                "type": "input",
                "block_id": ids.ADD_PEOPLE_PASTE,
                "label": plain("People"),
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
            "Only each person's email or customer id is sent to Bunce, so nothing else about "
            "them changes."
        )
    )
    return _modal(private_metadata, blocks, submit=True)


def _modal(private_metadata: str, blocks: list[dict[str, Any]], *, submit: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": ids.ADD_PEOPLE_VIEW,
        "title": plain(TITLE),
        "close": plain("Cancel" if submit else "Close"),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }
    if submit:
        view["submit"] = plain("Add people")
    return view


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


def build_segment_options(segments: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """external_select options: "New segment…" first, then up to 99 matches."""
    new = {"text": plain("New segment…"), "value": ids.NEW_SEGMENT_OPTION}
    return [new] + [_option(value, name) for value, name in segments[:99]]


def build_progress_view(text: str, retry_value: str | None = None) -> dict[str, Any]:
    """Progress, then the summary; with a Retry when people are missing, as in the thread."""
    blocks = build_summary_message(text, retry_value)["blocks"]
    return build_notice(TITLE, text, callback_id=ids.ADD_PEOPLE_VIEW + "_progress", blocks=blocks)


def progress_text(added: int, total: int, segment_name: str) -> str:
    return (
        f":hourglass_flowing_sand: Added {added} of {total} people to *{fit(segment_name, 200)}*…"
    )


def summary_text(
    added: int, total: int, ignored_count: int, segment_name: str, problem: str | None
) -> str:
    """Exactly what happened, e.g. "Added 240 people to Spring VIPs; 3 were not valid"."""
    name = f"*{fit(segment_name, 200)}*"
    ignored = (
        f" {ignored_count} {'was' if ignored_count == 1 else 'were'} not valid emails or ids."
        if ignored_count
        else ""
    )
    if problem is None:
        return f":white_check_mark: Added {added} {_people(added)} to {name}.{ignored}"
    missing = total - added
    return (
        f":warning: Added {added} of {total} people to {name}; {missing} "
        f"{'was' if missing == 1 else 'were'} not added ({fit(problem, 200)}).{ignored} "
        "Retry adds only those."
    )


def _people(count: int) -> str:
    return "person" if count == 1 else "people"


def build_summary_message(text: str, retry_value: str | None) -> dict[str, Any]:
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
