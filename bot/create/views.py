"""The create modal and the views that replace it (progress, success, error), and its parser."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.bunce.models import Segment
from bot.create.form import DESCRIPTION_MAX, NAME_MAX, SegmentForm
from bot.slack.blocks import button, context, plain, section
from bot.slack.mrkdwn import fit, truncate
from bot.slack.notice import build_notice

View = dict[str, Any]
TITLE = "Create segment"


def build_create_modal(
    private_metadata: str, prefill: SegmentForm | None = None, environment: str | None = None
) -> View:
    """The create form; `prefill` carries `/segment <name>` or the values to retry."""
    form = prefill or SegmentForm(name="")
    name: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.NAME,
        "max_length": NAME_MAX,
        "placeholder": plain("e.g. Spring launch VIPs"),
    }
    if form.name:
        name["initial_value"] = form.name[:NAME_MAX]
    description: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.DESCRIPTION,
        "multiline": True,
        "max_length": DESCRIPTION_MAX,
        "placeholder": plain("Who is in it and what it is for"),
    }
    if form.description:
        description["initial_value"] = form.description[:DESCRIPTION_MAX]
    add_all_option = {
        "text": plain("Add every existing customer to this segment"),
        "value": ids.ADD_ALL_OPTION,
    }
    add_all: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": ids.ADD_ALL,
        "options": [add_all_option],
    }
    if form.add_all_customers:
        add_all["initial_options"] = [add_all_option]
    announce: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": ids.ANNOUNCE,
        "default_to_current_conversation": True,
        "response_url_enabled": True,
        "placeholder": plain("Choose a conversation"),
    }
    if form.channel_id:
        announce["initial_conversation"] = form.channel_id
    blocks: list[dict[str, Any]] = [
        _input(ids.NAME, "Segment name", name),
        _input(ids.DESCRIPTION, "Description", description, optional=True),
        _input(
            ids.ADD_ALL,
            "Add all customers",
            add_all,
            optional=True,
            hint="Ticked, Bunce puts every customer you already have into the new segment. "
            "Leave it unticked to start with an empty segment.",
        ),
        _input(
            ids.ANNOUNCE,
            "Announce in",
            announce,
            hint="A card announcing the new segment is posted here.",
        ),
    ]
    if environment == "sandbox":
        blocks.append(context(":test_tube: This workspace is connected to a Bunce *sandbox*."))
    return {
        "type": "modal",
        "callback_id": ids.CREATE_VIEW,
        "title": plain(TITLE),
        "submit": plain("Create"),
        "close": plain("Cancel"),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = ""
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def parse_create_form(view: object, default_channel: str | None = None) -> SegmentForm:
    """Read the submitted state whatever its shape; missing or odd values read as empty."""
    values = _dig(view, "state", "values")

    def value(block_id: str, key: str) -> object:
        return _dig(values, block_id, block_id, key)

    selected = value(ids.ADD_ALL, "selected_options")
    add_all = isinstance(selected, list) and any(
        isinstance(option, dict) and option.get("value") == ids.ADD_ALL_OPTION
        for option in selected
    )
    channel = value(ids.ANNOUNCE, "selected_conversation")
    return SegmentForm(
        name=_text(value(ids.NAME, "value")),
        description=_text(value(ids.DESCRIPTION, "value")),
        add_all_customers=add_all,
        channel_id=channel if isinstance(channel, str) and channel else default_channel,
    )


def _dig(data: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def build_progress_view(form: SegmentForm) -> View:
    """Shown the moment a valid form is submitted, while Bunce works."""
    return {
        "type": "modal",
        "callback_id": ids.PROGRESS_VIEW,
        "title": plain(TITLE),
        "close": plain("Close"),
        "blocks": [
            section(f":hourglass_flowing_sand: Creating segment *{fit(form.name, 2800)}*…"),
            context("You can close this window: you will be told how it went either way."),
        ],
    }


def build_unconfirmed_view(name: str) -> View:
    """Bunce stopped answering mid-way: whether the segment exists is not known yet."""
    text = (
        f":hourglass_flowing_sand: Bunce isn't answering, so I can't yet tell whether "
        f"*{fit(name, 2800)}* was created. I'll keep checking and tell you here or by "
        "direct message. Please don't create it again meanwhile."
    )
    return build_notice(TITLE, text, callback_id=ids.PROGRESS_VIEW)


def build_success_view(segment: Segment, announcement: str) -> View:
    """The outcome: what Bunce created, and where the card went (`announcement` is mrkdwn)."""
    return {
        "type": "modal",
        "callback_id": ids.RESULT_VIEW,
        "title": plain("Segment created"),
        "close": plain("Done"),
        "blocks": [
            section(f":white_check_mark: *{fit(segment.name, 2800)}* was created in Bunce."),
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Segment ID*\n`{fit(segment.id, 1900)}`"},
                    {
                        "type": "mrkdwn",
                        "text": f"*All customers*\n{'Yes' if segment.all_customers else 'No'}",
                    },
                ],
            },
            context(announcement),
        ],
    }


def build_error_view(sentence: str, form: SegmentForm, private_metadata: str) -> View:
    """A failure that keeps what was typed, with a way back to the form."""
    typed = f"*Name:* {fit(form.name, 300)}"
    if form.description:
        typed += f"\n*Description:* {fit(truncate(form.description, 1000), 2500)}"
    return {
        "type": "modal",
        "callback_id": ids.RESULT_VIEW,
        "title": plain("Segment not created"),
        "close": plain("Close"),
        "private_metadata": private_metadata,
        "blocks": [
            section(f":warning: {sentence}"),
            section(typed),
            {
                "type": "actions",
                "block_id": ids.RETRY_ACTION,
                "elements": [button("Edit and retry", ids.RETRY_ACTION, style="primary")],
            },
        ],
    }
