"""The manage feature's work after an ack: the list, sharing a card, filling and saving an edit.

Each reads Bunce (seconds, at worst) so runs off Bolt's listener threads, and ends by showing
its outcome: the list replaced, an ephemeral note, or the edit modal updated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.bunce import BunceAuthError, BunceError, BunceValidationError, Segment
from bot.create.form import SegmentForm
from bot.create.marker import strip_marker
from bot.create.messages import shared_in
from bot.create.views import build_success_view
from bot.manage.catalog import edit, load_segments, may_edit, refresh_cards, share
from bot.manage.deps import ManageDeps
from bot.manage.views import (
    BUNCE_DOWN,
    QUERY_MAX,
    build_edit_modal,
    build_edit_result_view,
    build_not_editor_view,
    build_segment_list,
    not_editor,
    page_of,
    saved,
)
from bot.sentences import NOT_CONNECTED, STORE_UNAVAILABLE, not_connected
from bot.slack.blocks import ephemeral
from bot.slack.metadata import sign_value
from bot.slack.modals import update_view
from bot.slack.mrkdwn import fit
from bot.slack.posting import safe_respond
from bot.store.db import StoreError
from bot.tenant import Workspace

Respond = Callable[..., Any]


def send_list(
    deps: ManageDeps,
    client: WebClient,
    workspace: Workspace,
    user_id: str,
    words: str,
    page: int,
    respond: Respond,
    lead: str = "",
) -> None:
    """Fetch and show one page of the list, replacing the previous one. `lead` is the `list`
    word as typed, so a search can offer the whole text as a name."""
    respond = safe_respond(respond)
    words = words[:QUERY_MAX]  # the title shows what was searched
    try:
        key = deps.lookup.key(workspace)
        if key is None:
            respond(**ephemeral(NOT_CONNECTED), replace_original=True)
            return
        segments = load_segments(deps.bunce.for_key(key.key), words)
        # Only the rows shown get Edit, so only they are checked (one audit read each).
        shown, _, _ = page_of(segments, page)
        admin = deps.admins.is_admin(client, workspace, user_id)
        editable = {
            s.id
            for s in shown
            if admin or may_edit(client, workspace, user_id, s.id, deps, admin=False)
        }
    except BunceError:
        respond(**ephemeral(BUNCE_DOWN), replace_original=True)
        return
    except StoreError:
        respond(**ephemeral(STORE_UNAVAILABLE), replace_original=True)
        return
    message = build_segment_list(
        segments, page=page, words=words, editable=editable, signer=deps.signer, lead=lead
    )
    respond(**message, replace_original=True)


def share_card(
    deps: ManageDeps,
    workspace: Workspace,
    user_id: str,
    segment_id: str,
    channel: str | None,
    response_url: str | None,
    client: WebClient,
    respond: Respond,
) -> None:
    """Post the segment's card where the list is; tell only the person how it went."""
    respond = safe_respond(respond)
    try:
        key = deps.lookup.key(workspace)
        if key is None or not channel:
            respond(**ephemeral(NOT_CONNECTED), replace_original=False)
            return
        segment = deps.bunce.for_key(key.key).get_segment(segment_id)
        delivery = share(
            client, workspace, user_id, segment, key.environment, channel, response_url, deps
        )
    except BunceError:
        respond(**ephemeral(BUNCE_DOWN), replace_original=False)
        return
    text = (
        f"Shared *{fit(segment.name, 500)}* in <#{channel}>."
        if delivery.posted
        else f"I couldn't post in <#{channel}>: invite me with `/invite @bunce`."
    )
    respond(**ephemeral(text), replace_original=False)


def fill_edit(
    deps: ManageDeps, workspace: Workspace, segment_id: str, view_id: str, client: WebClient
) -> None:
    """Replace the loading modal with the edit form, filled from Bunce's copy."""
    try:
        key = deps.lookup.key(workspace)
        if key is None:
            update_view(client, view_id, build_edit_result_view(f":warning: {NOT_CONNECTED}"))
            return
        segment = deps.bunce.for_key(key.key).get_segment(segment_id)
    except (BunceError, StoreError):
        update_view(client, view_id, build_edit_result_view(f":warning: {BUNCE_DOWN}"))
        return
    metadata = sign_value(deps.signer, {"id": segment_id})
    description = strip_marker(segment.description) or ""
    update_view(client, view_id, build_edit_modal(segment, description, metadata))


def refuse_edit(
    deps: ManageDeps, workspace: Workspace, segment_id: str, view_id: str, client: WebClient
) -> None:
    """Say who can edit (the creator, the admins), and what this person can do instead."""
    try:
        creator = deps.audit.creator_of(segment_id, workspace.team_id, workspace.enterprise_id)
    except StoreError:
        creator = None
    text = not_editor(creator, deps.admins.who(workspace))
    url = deps.card_maker.bunce_url(segment_id)
    update_view(client, view_id, build_not_editor_view(text, url))


def save_edit(
    deps: ManageDeps,
    workspace: Workspace,
    user_id: str,
    segment_id: str,
    form: SegmentForm,
    view_id: str,
    client: WebClient,
) -> None:
    """Rights checked again (a crafted submission must change nothing), then PATCH, then every
    card of the segment updated. A failed save shows the form again with what was typed."""
    try:
        if not may_edit(client, workspace, user_id, segment_id, deps):
            refuse_edit(deps, workspace, segment_id, view_id, client)
            return
        key = deps.lookup.key(workspace)
        if key is None:
            problem = not_connected(deps.admins.who(workspace))
            update_view(client, view_id, build_edit_result_view(f":warning: {problem}"))
            return
        segment = edit(deps.bunce.for_key(key.key), segment_id, form.name, form.description)
        updated = refresh_cards(client, workspace, segment, user_id, key.environment, deps)
    except BunceError as error:
        _form_again(deps, segment_id, form, _edit_problem(error, deps, workspace), view_id, client)
        return
    except StoreError:
        _form_again(deps, segment_id, form, STORE_UNAVAILABLE, view_id, client)
        return
    update_view(client, view_id, build_edit_result_view(saved(segment.name, updated)))


def _form_again(
    deps: ManageDeps,
    segment_id: str,
    form: SegmentForm,
    problem: str,
    view_id: str,
    client: WebClient,
) -> None:
    """The edit form again, with what was typed and why it wasn't saved."""
    typed = Segment(segment_id, form.name, None, None, False, None, None)
    metadata = sign_value(deps.signer, {"id": segment_id})
    update_view(client, view_id, build_edit_modal(typed, form.description, metadata, problem))


def _edit_problem(error: BunceError, deps: ManageDeps, workspace: Workspace) -> str:
    """One cause per failure: Bunce's refusal of the values, a rejected key, or no answer."""
    if isinstance(error, BunceValidationError):
        detail = fit(error.message or "it did not accept the change", 300)
        return f"Not saved: Bunce didn't accept the change (_{detail}_). Change it and save again."
    if isinstance(error, BunceAuthError):
        return (
            "Not saved: Bunce rejected this workspace's key. "
            f"Ask {deps.admins.who(workspace)} to replace it."
        )
    return "Not saved: Bunce didn't answer. Save again in a minute."


def share_from_view(
    deps: ManageDeps,
    workspace: Workspace,
    user_id: str,
    segment_id: str,
    channel: str,
    view_id: str,
    client: WebClient,
) -> None:
    """The success view's "Share its card in…": post the card there, then say so in the view
    (keeping the picker if it didn't work, so another conversation can be tried)."""
    try:
        key = deps.lookup.key(workspace)
        if key is None:
            update_view(client, view_id, build_edit_result_view(f":warning: {NOT_CONNECTED}"))
            return
        segment = deps.bunce.for_key(key.key).get_segment(segment_id)
        delivery = share(client, workspace, user_id, segment, key.environment, channel, None, deps)
    except (BunceError, StoreError):
        update_view(client, view_id, build_edit_result_view(f":warning: {BUNCE_DOWN}"))
        return
    if delivery.posted:
        note, again = shared_in(channel), None
    else:
        note = (
            f":warning: I couldn't post in <#{channel}>: invite me with `/invite @Bunce`, "
            "or pick another conversation."
        )
        again = sign_value(deps.signer, {"id": segment_id})
    url = deps.card_maker.bunce_url(segment.id)
    view = build_success_view(segment, note, bunce_url=url, share_value=again)
    update_view(client, view_id, view)
