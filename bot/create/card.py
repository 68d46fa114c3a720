"""The segment's card: what the channel sees when a segment is created, shared or edited."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot import ids
from bot.bunce.models import Segment
from bot.create.marker import strip_marker
from bot.slack.blocks import Message, button, context, header, section
from bot.slack.metadata import MetadataSigner, sign_value
from bot.slack.mrkdwn import fit, truncate, when


@dataclass(frozen=True)
class CardMaker:
    """Builds cards with signed buttons; one per process (the signer and Bunce link are fixed)."""

    signer: MetadataSigner
    url_template: str | None = None

    def card(self, segment: Segment, creator_id: str, environment: str) -> Message:
        shown = dataclasses.replace(segment, description=strip_marker(segment.description))
        actions = card_actions(self.signer, segment.id, self.url_template)
        return build_segment_card(shown, creator_id, environment, actions=actions)


def build_segment_card(
    segment: Segment,
    creator_id: str,
    environment: str,
    *,
    actions: dict[str, Any] | None = None,
) -> Message:
    """The announcement posted in the channel; every Bunce- or user-supplied string escaped.

    `actions` is the card's button row (Edit, Add people, Open in Bunce), see card_actions.
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
    return when(moment)


def card_actions(
    signer: MetadataSigner, segment_id: str, url_template: str | None
) -> dict[str, Any]:
    """The card's buttons; who may use Edit is decided when it is clicked."""
    value = sign_value(signer, {"id": segment_id})
    elements = [
        button("Edit", ids.EDIT_ACTION, value=value),
        button("Add people", ids.ADD_PEOPLE_ACTION, value=value),
    ]
    if url_template:
        link = button("Open in Bunce", ids.OPEN_IN_BUNCE)
        link["url"] = url_template.replace("{id}", segment_id)
        elements.append(link)
    return {"type": "actions", "block_id": ids.CARD_ACTIONS, "elements": elements}
