"""Gathering what the App Home tab shows for one person, and publishing it."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.slack.calls import call
from bot.store.records import Action, AuditEvent
from bot.tenant import Workspace
from bot.workspace.deps import WorkspaceDeps
from bot.workspace.home_view import build_home
from bot.workspace.model import HomeModel, PostedCard

RECENT_SEGMENTS = 10


def home_model(workspace: Workspace, is_admin: bool, deps: WorkspaceDeps) -> HomeModel:
    """Key metadata, recent segments and their cards, last test and settings: a few indexed
    reads (the cards of every recent segment in one)."""
    team, enterprise = workspace.team_id, workspace.enterprise_id
    key = deps.lookup.key_info(workspace, cached=False)
    recent = deps.audit.recent(
        team, enterprise, actions=[Action.SEGMENT_CREATED], limit=RECENT_SEGMENTS
    )
    checks = deps.audit.recent(
        team, enterprise, actions=[Action.KEY_VERIFIED, Action.KEY_VERIFY_FAILED], limit=1
    )
    # A test of a key that has since been replaced says nothing about the current one.
    last_check = checks[0] if checks and key and checks[0].at >= key.set_at else None
    settings = deps.workspaces.get(team, enterprise)
    return HomeModel(
        key=key,
        is_admin=is_admin,
        recent=recent,
        last_check=last_check,
        default_channel_id=settings.default_channel_id if settings else None,
        installer_id=deps.admins.installer_of(workspace),
        listed_admins=tuple(sorted(deps.admins.listed)),
        cards=_cards_of(workspace, recent, deps),
        segment_url_template=deps.segment_url_template,
    )


def _cards_of(
    workspace: Workspace, recent: list[AuditEvent], deps: WorkspaceDeps
) -> dict[str, PostedCard]:
    """Where each recent segment's card was posted, so its row can lead to it."""
    segment_ids = [event.segment_id for event in recent if event.segment_id]
    found = deps.cards.first_of_each(workspace.team_id, workspace.enterprise_id, segment_ids)
    return {segment: PostedCard(card.channel_id, card.ts) for segment, card in found.items()}


def publish_home(
    client: WebClient, workspace: Workspace, user_id: str, deps: WorkspaceDeps
) -> None:
    """Draw the tab for this person (admin controls only for admins)."""
    is_admin = deps.admins.is_admin(client, workspace, user_id)
    view = build_home(home_model(workspace, is_admin, deps))
    call(client.views_publish, user_id=user_id, view=view)
