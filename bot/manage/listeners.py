"""Managing existing segments: the list's paging, Share, Edit, and the global shortcut."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import ids
from bot.bunce import BunceError
from bot.create.form import SegmentForm, validate
from bot.create.marker import strip_marker
from bot.create.messages import NOT_CONNECTED, STORE_UNAVAILABLE, TAMPERED, ephemeral
from bot.create.origin import Origin, encode_metadata
from bot.create.views import build_create_modal, parse_create_form
from bot.deps import Services
from bot.manage.catalog import edit, load_segments, may_edit, refresh_cards, share
from bot.manage.views import (
    QUERY_MAX,
    build_edit_modal,
    build_edit_result_view,
    build_segment_list,
    page_of,
)
from bot.slack import payload
from bot.slack.metadata import read_value, sign_value
from bot.slack.mrkdwn import fit
from bot.slack.notice import build_loading_modal
from bot.store.db import StoreError
from bot.tenant import Workspace
from bot.workspace.lookup import find_key
from bot.workspace.views import build_refusal_view

logger = logging.getLogger(__name__)

NO_CHANNEL = "-"
BUNCE_DOWN = "Bunce didn't answer, so nothing changed. Try again in a minute."
NOT_EDITOR = "Only a workspace admin or the person who created this segment from Slack can edit it."


def send_list(
    services: Services,
    client: WebClient,
    workspace: Workspace,
    user_id: str,
    words: str,
    page: int,
    respond: Respond,
) -> None:
    """Fetch (off the ack path) and show one page of the list, replacing the previous one."""
    respond = payload.safe_respond(respond)
    words = words[:QUERY_MAX]  # the title shows what was searched
    try:
        key = find_key(services.keys, workspace)
        if key is None:
            respond(**ephemeral(NOT_CONNECTED), replace_original=True)
            return
        segments = load_segments(services.bunce.for_key(key.key), words)
        # Only the rows shown get Edit, so only they are checked (one audit read each).
        shown, _, _ = page_of(segments, page)
        admin = services.admins.is_admin(client, workspace, user_id)
        editable = {
            s.id
            for s in shown
            if admin or may_edit(client, workspace, user_id, s.id, services, admin=False)
        }
    except BunceError:
        respond(**ephemeral(BUNCE_DOWN), replace_original=True)
        return
    except StoreError:
        respond(**ephemeral(STORE_UNAVAILABLE), replace_original=True)
        return
    message = build_segment_list(
        segments, page=page, words=words, editable=editable, signer=services.signer
    )
    respond(**message, replace_original=True)


def register(app: App, services: Services) -> None:
    def handle_list_page(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
    ) -> None:
        ack()
        data = read_value(services.signer, payload.action_value(body))
        if data is None or not isinstance(data.get("p"), int):
            respond(**ephemeral(TAMPERED), replace_original=False)
            return
        workspace = Workspace.from_context(context)
        user_id = payload.user_id(body)
        words = str(data.get("q") or "")
        services.background.submit(
            send_list, services, client, workspace, user_id, words, data["p"], respond
        )

    def handle_share(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
    ) -> None:
        ack()
        segment_id = _segment_id(services, body)
        if segment_id is None:
            respond(**ephemeral(TAMPERED), replace_original=False)
            return
        channel = (body.get("channel") or {}).get("id")
        services.background.submit(
            _share,
            Workspace.from_context(context),
            payload.user_id(body),
            segment_id,
            channel,
            body.get("response_url"),
            client,
            respond,
        )

    def _share(
        workspace: Workspace,
        user_id: str,
        segment_id: str,
        channel: str | None,
        response_url: str | None,
        client: WebClient,
        respond: Respond,
    ) -> None:
        respond = payload.safe_respond(respond)
        try:
            key = find_key(services.keys, workspace)
            if key is None or not channel:
                respond(**ephemeral(NOT_CONNECTED), replace_original=False)
                return
            segment = services.bunce.for_key(key.key).get_segment(segment_id)
            delivery = share(
                client,
                workspace,
                user_id,
                segment,
                key.environment,
                channel,
                response_url,
                services,
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

    def handle_edit(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        workspace, user_id = Workspace.from_context(context), payload.user_id(body)
        segment_id = _segment_id(services, body)
        if segment_id is None:
            payload.open_view(client, body, build_refusal_view(TAMPERED))
            return
        # Open at once (the trigger lives 3 s; asking Slack whether this person is an admin may
        # take longer), then fill it once the rights are known and Bunce has answered.
        view_id = payload.open_view(client, body, build_loading_modal("Edit segment"))
        if view_id is None:
            return
        if not may_edit(client, workspace, user_id, segment_id, services):
            payload.update_view(client, view_id, build_refusal_view(NOT_EDITOR))
            return
        services.background.submit(_fill_edit, workspace, segment_id, view_id, client)

    def _fill_edit(workspace: Workspace, segment_id: str, view_id: str, client: WebClient) -> None:
        try:
            key = find_key(services.keys, workspace)
            if key is None:
                raise StoreError("not connected")
            segment = services.bunce.for_key(key.key).get_segment(segment_id)
        except (BunceError, StoreError):
            payload.update_view(client, view_id, build_edit_result_view(f":warning: {BUNCE_DOWN}"))
            return
        metadata = sign_value(services.signer, {"id": segment_id})
        description = strip_marker(segment.description) or ""
        payload.update_view(client, view_id, build_edit_modal(segment, description, metadata))

    def handle_edit_submission(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        view = body.get("view") or {}
        data = read_value(services.signer, view.get("private_metadata"))
        if data is None or not isinstance(data.get("id"), str):
            ack(response_action="errors", errors={ids.NAME: TAMPERED})
            return
        workspace, user_id = Workspace.from_context(context), payload.user_id(body)
        # Same inputs as the create form; there is no channel to choose, so validation gets one.
        form = parse_create_form(view, default_channel=NO_CHANNEL).normalised()
        errors = validate(form)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        # Rights are checked again (a crafted submission must change nothing), after the ack:
        # asking Slack may take longer than the 3 s a submission's answer may.
        ack(response_action="update", view=build_loading_modal("Edit segment", "Saving…"))
        services.background.submit(
            _save, workspace, user_id, data["id"], form, view.get("id"), client
        )

    def _save(
        workspace: Workspace,
        user_id: str,
        segment_id: str,
        form: SegmentForm,
        view_id: str,
        client: WebClient,
    ) -> None:
        try:
            if not may_edit(client, workspace, user_id, segment_id, services):
                payload.update_view(client, view_id, build_refusal_view(NOT_EDITOR))
                return
            key = find_key(services.keys, workspace)
            if key is None:
                raise StoreError("not connected")
            segment = edit(services.bunce.for_key(key.key), segment_id, form.name, form.description)
            updated = refresh_cards(client, workspace, segment, user_id, key.environment, services)
        except BunceError as error:
            detail = f" Bunce said: _{fit(error.message, 300)}_." if error.message else ""
            payload.update_view(
                client,
                view_id,
                build_edit_result_view(f":warning: Not saved.{detail} {BUNCE_DOWN}"),
            )
            return
        except StoreError:
            payload.update_view(
                client, view_id, build_edit_result_view(f":warning: {STORE_UNAVAILABLE}")
            )
            return
        cards = f" {updated} card{'s' if updated != 1 else ''} updated." if updated else ""
        text = f":white_check_mark: Saved *{fit(segment.name, 500)}*.{cards}"
        payload.update_view(client, view_id, build_edit_result_view(text))

    def handle_create_shortcut(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        workspace = Workspace.from_context(context)
        try:
            info = services.lookup.key_info(workspace)
            settings = services.lookup.settings(workspace)
        except StoreError:
            payload.open_view(client, body, build_refusal_view(STORE_UNAVAILABLE))
            return
        if info is None:
            payload.open_view(client, body, build_refusal_view(NOT_CONNECTED))
            return
        prefill = SegmentForm("", channel_id=settings.default_channel_id if settings else None)
        metadata = encode_metadata(services.signer, Origin())
        payload.open_view(client, body, build_create_modal(metadata, prefill, info.environment))

    def handle_link(ack: Ack) -> None:
        ack()  # "Open in Bunce" is a link; Slack still tells us it was clicked

    app.action(ids.LIST_PREV)(handle_list_page)
    app.action(ids.LIST_NEXT)(handle_list_page)
    app.action(ids.SHARE_ACTION)(handle_share)
    app.action(ids.EDIT_ACTION)(handle_edit)
    app.action(ids.OPEN_IN_BUNCE)(handle_link)
    app.view(ids.EDIT_VIEW)(handle_edit_submission)
    app.shortcut(ids.CREATE_SHORTCUT)(handle_create_shortcut)


def _segment_id(services: Services, body: dict[str, Any]) -> str | None:
    data = read_value(services.signer, payload.action_value(body))
    segment_id = data.get("id") if data else None
    return segment_id if isinstance(segment_id, str) and segment_id else None
