"""Finding, sharing and editing a workspace's existing segments."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_sdk import WebClient

from bot.bunce import BunceClient, Segment
from bot.bunce.errors import TooManySegments
from bot.create.marker import marker_of, with_marker
from bot.manage.deps import ManageDeps
from bot.slack.calls import call
from bot.slack.posting import Delivery, announce
from bot.store.records import Action
from bot.tenant import Workspace

PER_PAGE = 100
MAX_PAGES = 10  # at most 1,000 segments are searched; Bunce documents no search endpoint


def load_segments(client: BunceClient, words: str) -> list[Segment]:
    """Every segment (bounded), filtered by all words in the name, newest first where known."""
    found: list[Segment] = []
    try:
        for segment in client.iter_segments(per_page=PER_PAGE, max_segments=PER_PAGE * MAX_PAGES):
            found.append(segment)
    except TooManySegments:
        pass  # as documented: the first 1,000 are searched
    terms = words.lower().split()
    if terms:
        found = [s for s in found if all(term in s.name.lower() for term in terms)]
    oldest = datetime.min.replace(tzinfo=UTC)
    # Bunce documents no order: sort by created_at, keeping Bunce's order among equals.
    return sorted(found, key=lambda s: s.created_at or oldest, reverse=True)


def may_edit(
    client: WebClient,
    workspace: Workspace,
    user_id: str,
    segment_id: str,
    deps: ManageDeps,
    *,
    admin: bool | None = None,
) -> bool:
    """Admins, and the person who created the segment from Slack (per the audit trail).
    `admin` passes an answer the caller already has, to ask Slack once per list."""
    creator = deps.audit.creator_of(segment_id, workspace.team_id, workspace.enterprise_id)
    if creator and creator == user_id:
        return True
    if admin is not None:
        return admin
    return deps.admins.is_admin(client, workspace, user_id)


def share(
    slack: WebClient,
    workspace: Workspace,
    user_id: str,
    segment: Segment,
    environment: str,
    channel_id: str,
    response_url: str | None,
    deps: ManageDeps,
) -> Delivery:
    """Post the segment's card where the list was asked for; remember it for later edits."""
    creator = deps.audit.creator_of(segment.id, workspace.team_id, workspace.enterprise_id)
    card = deps.card_maker.card(segment, environment, creator_id=creator, shared_by=user_id)
    delivery = announce(slack, card, channel_id, response_url=response_url)
    if delivery.ts:
        deps.cards.add(
            workspace.team_id, workspace.enterprise_id, segment.id, channel_id, delivery.ts
        )
    return delivery


def edit(client: BunceClient, segment_id: str, name: str, description: str) -> Segment:
    """PATCH name and description, keeping the creation marker if Bunce's copy has one."""
    current = client.get_segment(segment_id)
    marker = marker_of(current.description)
    stored = with_marker(description, marker) if marker else description
    return client.update_segment(segment_id, name=name, description=stored)


def refresh_cards(
    slack: WebClient,
    workspace: Workspace,
    segment: Segment,
    editor_id: str,
    environment: str,
    deps: ManageDeps,
) -> int:
    """chat.update every card of the segment the bot posted; returns how many were updated."""
    creator = deps.audit.creator_of(segment.id, workspace.team_id, workspace.enterprise_id)
    card = deps.card_maker.card(segment, environment, creator_id=creator)
    updated = 0
    for where in deps.cards.of(workspace.team_id, workspace.enterprise_id, segment.id):
        result = call(
            slack.chat_update,
            channel=where.channel_id,
            ts=where.ts,
            text=card["text"],
            blocks=card["blocks"],
        )
        updated += result.ok
    deps.audit.record(
        Action.SEGMENT_EDITED,
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
        user_id=editor_id,
        segment_id=segment.id,
        segment_name=segment.name,
    )
    return updated
