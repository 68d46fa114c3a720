"""The create modal and the views that replace it (progress, success, error), and its parser."""

from __future__ import annotations

from enum import Enum
from typing import Any

from bot import ids
from bot.bunce.models import Segment
from bot.create.card import customers_text
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
    no_share_option = {
        "text": plain("Don't share a card"),
        "description": plain("For a test segment, or one the channel doesn't need to see."),
        "value": ids.NO_SHARE_OPTION,
    }
    no_share: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": ids.NO_SHARE,
        "options": [no_share_option],
    }
    if not form.share:
        no_share["initial_options"] = [no_share_option]
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
            "Share in",
            announce,
            optional=True,
            hint="A card about the new segment is posted here, so the channel knows it exists.",
        ),
        _input(ids.NO_SHARE, "Card", no_share, optional=True),
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

    channel = value(ids.ANNOUNCE, "selected_conversation")
    return SegmentForm(
        name=_text(value(ids.NAME, "value")),
        description=_text(value(ids.DESCRIPTION, "value")),
        add_all_customers=_ticked(value(ids.ADD_ALL, "selected_options"), ids.ADD_ALL_OPTION),
        channel_id=channel if isinstance(channel, str) and channel else default_channel,
        share=not _ticked(value(ids.NO_SHARE, "selected_options"), ids.NO_SHARE_OPTION),
    )


def _ticked(selected: object, option_value: str) -> bool:
    return isinstance(selected, list) and any(
        isinstance(option, dict) and option.get("value") == option_value for option in selected
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


def build_success_view(
    segment: Segment,
    note: str,
    *,
    bunce_url: str | None = None,
    share_value: str | None = None,
    add_value: str | None = None,
) -> View:
    """The outcome: what Bunce created and what to do next. `note` (mrkdwn) says where the card
    went; `share_value` (the signed segment id) adds "Share it in…" when no card was posted."""
    blocks: list[dict[str, Any]] = [
        section(f":white_check_mark: *{fit(segment.name, 2800)}* is in Bunce."),
        section(f"*Customers*\n{customers_text(segment)}"),
        context(note),
    ]
    if share_value is not None:
        picker = {
            "type": "conversations_select",
            "action_id": ids.SHARE_PICK,
            "placeholder": plain("Share its card in…"),
            "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        }
        blocks.append({"type": "actions", "block_id": ids.SHARE_PICK, "elements": [picker]})
    # Next steps: customers for a segment created empty (`add_value`, the signed id and name),
    # and the segment in Bunce.
    steps = [button("Add customers", ids.ADD_PEOPLE_ACTION, value=add_value)] if add_value else []
    if bunce_url:
        link = button("Open in Bunce", ids.OPEN_IN_BUNCE)
        link["url"] = bunce_url
        steps.append(link)
    if steps:
        blocks.append({"type": "actions", "block_id": ids.OPEN_IN_BUNCE, "elements": steps})
    blocks.append(context(f"Segment ID `{fit(segment.id, 200)}`"))
    view: View = {
        "type": "modal",
        "callback_id": ids.RESULT_VIEW,
        "title": plain("Segment created"),
        "close": plain("Close"),
        "blocks": blocks,
    }
    if share_value is not None:
        view["private_metadata"] = share_value
    return view


class NextStep(Enum):
    """What a failed create offers: fixing the form, trying it again, or nothing (an admin must
    act first; the sentence says who)."""

    EDIT = "Edit and retry"
    TRY_AGAIN = "Try again"
    NONE = ""


def build_error_view(
    sentence: str, form: SegmentForm, private_metadata: str, step: NextStep = NextStep.EDIT
) -> View:
    """A failure that keeps what was typed; a way back to the form only where it can help."""
    typed = f"*Name:* {fit(form.name, 300)}"
    if form.description:
        typed += f"\n*Description:* {fit(truncate(form.description, 1000), 2500)}"
    blocks: list[dict[str, Any]] = [section(f":warning: {sentence}"), section(typed)]
    if step is not NextStep.NONE:
        retry = button(step.value, ids.RETRY_ACTION, style="primary")
        blocks.append({"type": "actions", "block_id": ids.RETRY_ACTION, "elements": [retry]})
    return {
        "type": "modal",
        "callback_id": ids.RESULT_VIEW,
        "title": plain("Segment not created"),
        "close": plain("Close"),
        "private_metadata": private_metadata,
        "blocks": blocks,
    }
