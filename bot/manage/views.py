"""Block Kit for managing segments: the list, the edit form, card buttons, signed button values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import ids
from bot.bunce.models import Segment
from bot.create.form import DESCRIPTION_MAX, NAME_MAX
from bot.slack.blocks import button, context, plain, section
from bot.slack.metadata import MetadataSigner, sign_value
from bot.slack.mrkdwn import fit, truncate, when
from bot.slack.notice import build_notice
from bot.tenant import by_workflow

PAGE_SIZE = 10
BUNCE_DOWN = "Bunce didn't answer, so nothing changed. Try again in a minute."
# The search words ride in the paging buttons' signed values, which Slack caps at 2,000
# characters: 150 characters stay under it even if every one is escaped as \uXXXX\uXXXX.
QUERY_MAX = 150


# -- the list ---------------------------------------------------------------------------------
def page_of(segments: list[Segment], page: int) -> tuple[list[Segment], int, int]:
    """The rows of a page (clamped to the pages there are), the page, and the page count."""
    pages = max(1, -(-len(segments) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    return segments[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, pages


def build_segment_list(
    segments: list[Segment],
    *,
    page: int,
    words: str,
    editable: set[str],
    signer: MetadataSigner,
    lead: str = "",
) -> dict[str, Any]:
    """One page (10 rows) of the workspace's segments, with Share/Edit and Previous/Next.

    `lead` is the `list` word as typed: a search then also offers to create a segment named
    by everything typed (`/segment List of VIPs` meant a name as often as a search)."""
    shown, page, pages = page_of(segments, page)
    title = f"matching “{fit(words, 100)}”" if words else "in this workspace's Bunce account"
    offer = _offer(offer_name(lead, words), signer)
    if not segments:
        text = f"No segments {title}."
        return {"response_type": "ephemeral", "text": text, "blocks": [section(text), *offer]}
    blocks: list[dict[str, Any]] = [
        section(f"*{len(segments)} segment{'s' if len(segments) != 1 else ''}* {title}")
    ]
    for segment in shown:
        blocks += _row(segment, segment.id in editable, signer)
    blocks += _nav(page, pages, words, lead, signer) + offer
    blocks.append(context(f"Page {page} of {pages} · newest first where Bunce says when"))
    plural = "s" if len(segments) != 1 else ""
    text = f"{len(segments)} Bunce segment{plural} {title} (page {page} of {pages})"
    return {"response_type": "ephemeral", "text": text, "blocks": blocks}


def offer_name(lead: str, words: str) -> str:
    """The name a search offers: what was typed after /segment, `List of VIPs` (none without
    search words). Capped like the search words, so its signed value fits a button's too."""
    return f"{lead} {words}"[: len("list ") + QUERY_MAX] if lead and words else ""


def _offer(name: str, signer: MetadataSigner) -> list[dict[str, Any]]:
    """Create segment “<name>”, one click to the create form prefilled (or nothing)."""
    if not name:
        return []
    # A button's text holds 75 characters: 16 + 56 + 1.
    label = f"Create segment “{truncate(name, 56)}”"
    element = button(label, ids.CREATE_NAMED, value=sign_value(signer, {"n": name}))
    return [{"type": "actions", "block_id": "segments_list_offer", "elements": [element]}]


def _nav(
    page: int, pages: int, words: str, lead: str, signer: MetadataSigner
) -> list[dict[str, Any]]:
    """Previous/Next; their values carry the search, and the `list` word for the offer."""
    nav = []
    for label, action_id, target in (
        ("Previous", ids.LIST_PREV, page - 1),
        ("Next", ids.LIST_NEXT, page + 1),
    ):
        if 1 <= target <= pages:
            data: dict[str, Any] = {"q": words, "p": target, **({"l": lead} if lead else {})}
            nav.append(button(label, action_id, value=sign_value(signer, data)))
    return [{"type": "actions", "block_id": "segments_list_nav", "elements": nav}] if nav else []


def _row(segment: Segment, editable: bool, signer: MetadataSigner) -> list[dict[str, Any]]:
    facts = [
        fit(segment.type or "manual", 40),
        "all customers" if segment.all_customers else "chosen customers",
        f"created {when(segment.created_at)}" if isinstance(segment.created_at, datetime) else "",
    ]
    value = sign_value(signer, {"id": segment.id})
    elements = [button("Share in channel", ids.SHARE_ACTION, value=value)]
    if editable:
        elements.append(button("Edit", ids.EDIT_ACTION, value=value))
    return [
        section(f"*{fit(segment.name, 300)}*\n" + " · ".join(f for f in facts if f)),
        {"type": "actions", "block_id": f"row_{segment.id[:200]}", "elements": elements},
    ]


# -- edit -------------------------------------------------------------------------------------
def build_edit_modal(
    segment: Segment, description: str, private_metadata: str, problem: str | None = None
) -> dict[str, Any]:
    """Name and description prefilled; the same limits as the create form. `problem` (mrkdwn)
    heads the form when a save failed: what was typed stays, ready to save again."""
    name: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.NAME,
        "max_length": NAME_MAX,
        "initial_value": segment.name[:NAME_MAX],
    }
    about: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.DESCRIPTION,
        "multiline": True,
        "max_length": DESCRIPTION_MAX,
    }
    if description:
        about["initial_value"] = description[:DESCRIPTION_MAX]
    return {
        "type": "modal",
        "callback_id": ids.EDIT_VIEW,
        "title": plain("Edit segment"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "private_metadata": private_metadata,
        "blocks": [
            *([section(f":warning: {problem}")] if problem else []),
            {
                "type": "input",
                "block_id": ids.NAME,
                "label": plain("Segment name"),
                "element": name,
            },
            {
                "type": "input",
                "block_id": ids.DESCRIPTION,
                "label": plain("Description"),
                "element": about,
                "optional": True,
            },
            context(f"Segment ID `{fit(segment.id, 200)}`. Its cards in Slack are updated too."),
        ],
    }


def saved(name: str, cards_updated: int) -> str:
    """What a successful edit says: the new name, and how many cards followed it."""
    plural = "s" if cards_updated != 1 else ""
    cards = f" {cards_updated} card{plural} updated." if cards_updated else ""
    return f":white_check_mark: Saved *{fit(name, 500)}*.{cards}"


def build_edit_result_view(text: str) -> dict[str, Any]:
    return build_notice("Edit segment", text, callback_id=ids.EDIT_RESULT_VIEW)


def not_editor(creator_id: str | None, who: str) -> str:
    """Who may edit this segment, by name where the app knows them."""
    person = creator_id and not by_workflow(creator_id)
    creator = f"<@{creator_id}> (who created it from Slack)" if person else None
    return "Only " + (f"{creator} or {who}" if creator else who) + " can edit this segment."


def build_not_editor_view(text: str, bunce_url: str | None) -> dict[str, Any]:
    """The Edit button is on every card; for someone who can't edit, say who can and what they
    can do instead."""
    instead = (
        "You can still add customers to it from its card, or look at it in Bunce."
        if bunce_url
        else "You can still add customers to it from its card."
    )
    blocks: list[dict[str, Any]] = [section(f":lock: {text}"), section(instead)]
    if bunce_url:
        link = button("Open in Bunce", ids.OPEN_IN_BUNCE)
        link["url"] = bunce_url
        blocks.append({"type": "actions", "block_id": ids.OPEN_IN_BUNCE, "elements": [link]})
    return build_notice("Edit segment", text, callback_id=ids.EDIT_RESULT_VIEW, blocks=blocks)
