"""The segment's card: what the channel sees when a segment is created, shared or edited."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bot import ids
from bot.bunce.models import Segment
from bot.create.marker import strip_marker
from bot.slack.blocks import Message, button, context, header, section
from bot.slack.metadata import MetadataSigner, sign_value
from bot.slack.mrkdwn import fit, truncate, when
from bot.tenant import author


@dataclass(frozen=True)
class CardMaker:
    """Builds cards with signed buttons; one per process (the signer and Bunce link are fixed)."""

    signer: MetadataSigner
    url_template: str | None = None

    def card(
        self,
        segment: Segment,
        environment: str,
        *,
        creator_id: str | None,
        shared_by: str | None = None,
    ) -> Message:
        """`creator_id` only when the audit trail knows who created it from Slack; `shared_by`
        for a card posted from the list or after the fact."""
        shown = dataclasses.replace(segment, description=strip_marker(segment.description))
        actions = card_actions(self.signer, segment.id, self.url_template)
        return build_segment_card(
            shown, environment, creator_id=creator_id, shared_by=shared_by, actions=actions
        )

    def bunce_url(self, segment_id: str) -> str | None:
        return self.url_template.replace("{id}", segment_id) if self.url_template else None


def customers_text(segment: Segment) -> str:
    """Who is in the segment, as far as Bunce said (its count, when it gives one)."""
    count = segment.customers_count
    if segment.all_customers:
        return f"All customers ({count:,})" if count else "All customers"
    if count:
        return f"{count:,} customer{'s' if count != 1 else ''}"
    if count == 0:
        return "None yet: add some with *Add customers*"
    return "Chosen one by one"


def build_segment_card(
    segment: Segment,
    environment: str,
    *,
    creator_id: str | None = None,
    shared_by: str | None = None,
    actions: dict[str, Any] | None = None,
) -> Message:
    """The card posted in a channel; it states only what is known (no creator the audit trail
    doesn't know, no date Bunce didn't give), every Bunce- or user-supplied string escaped.

    `actions` is the card's button row (Edit, Add customers, Open in Bunce), see card_actions.
    """
    fields = [f"*Customers*\n{customers_text(segment)}"]
    creator = author(creator_id)
    if creator:
        fields.append(f"*Created by*\n{creator}")
    if segment.created_at is not None:
        fields.append(f"*Created*\n{when(segment.created_at)}")
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
    about = f"Segment ID `{fit(segment.id, 200)}` · {where}"
    if shared_by:
        about += f" · Shared by <@{shared_by}>"
    blocks.append(context(about, block_id=ids.CARD_CONTEXT))
    if actions is not None:
        blocks.append(actions)
    name = fit(segment.name, 1000)
    if shared_by:
        text = f"Bunce segment: {name}, shared by <@{shared_by}>"
    elif creator:
        text = f"New Bunce segment: {name}, created by {creator}"
    else:
        text = f"Bunce segment: {name}"
    return {"text": text, "blocks": blocks}


def card_actions(
    signer: MetadataSigner, segment_id: str, url_template: str | None
) -> dict[str, Any]:
    """The card's buttons; who may use Edit is decided when it is clicked."""
    value = sign_value(signer, {"id": segment_id})
    elements = [
        button("Edit", ids.EDIT_ACTION, value=value),
        button("Add customers", ids.ADD_PEOPLE_ACTION, value=value),
    ]
    if url_template:
        link = button("Open in Bunce", ids.OPEN_IN_BUNCE)
        link["url"] = url_template.replace("{id}", segment_id)
        elements.append(link)
    return {"type": "actions", "block_id": ids.CARD_ACTIONS, "elements": elements}
