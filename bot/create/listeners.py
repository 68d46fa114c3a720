"""Modal submissions: create (validate, ack, then create off the ack path), connect, disconnect."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import ids
from bot.create import messages
from bot.create.form import input_hash, validate
from bot.create.messages import STORE_UNAVAILABLE, TAMPERED
from bot.create.origin import decode_metadata, encode_metadata
from bot.create.outcome import form_of, segment_from_record
from bot.create.views import (
    build_error_view,
    build_progress_view,
    build_success_view,
    parse_create_form,
)
from bot.create.worker import SubmissionWorker
from bot.deps import Services
from bot.slack import payload
from bot.slack.notice import build_loading_modal
from bot.store.db import StoreError
from bot.store.submissions import State, SubmissionDraft, SubmissionRecord
from bot.tenant import Workspace
from bot.workspace.connection import ConnectProblem, connect, disconnect, looks_like_key
from bot.workspace.home import publish_home
from bot.workspace.lookup import find_key_info
from bot.workspace.views import (
    CONNECT_ERRORS,
    build_connect_modal,
    build_connected_view,
    build_disconnected_view,
    build_refusal_view,
    parse_connect_key,
)

logger = logging.getLogger(__name__)


def register(app: App, services: Services, worker: SubmissionWorker) -> None:
    def handle_create_submission(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        view = body.get("view") or {}
        decoded = decode_metadata(services.signer, view.get("private_metadata"))
        if decoded is None:
            # Only a crafted payload gets here: Slack returns our metadata untouched.
            logger.warning("refused submission: private_metadata failed its signature check")
            ack(response_action="errors", errors={ids.NAME: TAMPERED})
            return
        origin, _ = decoded
        form = parse_create_form(view, default_channel=origin.channel_id).normalised()
        errors = validate(form)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        workspace = Workspace.from_context(context)
        draft = SubmissionDraft(
            view_id=str(view.get("id")),
            input_hash=input_hash(form),
            team_id=workspace.team_id,
            enterprise_id=workspace.enterprise_id,
            is_enterprise_install=workspace.is_enterprise_install,
            user_id=payload.user_id(body),
            name=form.name,
            description=form.description,
            add_all_customers=form.add_all_customers,
            channel_id=form.channel_id,
            origin_channel_id=origin.channel_id,
            thread_ts=origin.thread_ts,
            response_url=origin.response_url,
            announce_response_url=_response_url(body, form.channel_id),
        )
        # Recorded before the ack: from here on a crash or a restart can't lose it, and a
        # second submit of the same view attaches to this row instead of creating again.
        try:
            record, fresh = services.submissions.open(
                draft, owner=worker.owner, lease_seconds=worker.lease_seconds
            )
        except StoreError:
            logger.exception("could not record submission %s", workspace.log_fields())
            metadata = encode_metadata(services.signer, origin, form)
            ack(response_action="update", view=build_error_view(STORE_UNAVAILABLE, form, metadata))
            return
        if not fresh:
            logger.info("second submit of view=%s attached to %s", draft.view_id, record.id)
            ack(response_action="update", view=_view_of(record))
            return
        ack(response_action="update", view=build_progress_view(form))
        worker.submit(record, client)

    def handle_connect_submission(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        workspace, user_id = Workspace.from_context(context), payload.user_id(body)
        view = body.get("view") or {}
        text = parse_connect_key(view)
        if not looks_like_key(text):  # no need to ask anyone: say so inline, at once
            ack(
                response_action="errors",
                errors={ids.CONNECT_KEY: CONNECT_ERRORS[ConnectProblem.NOT_A_KEY]},
            )
            return
        # Admin rights (users.info) and Bunce's verdict can each outlast Slack's 3 s: answer
        # now, decide in the background, then replace the view with the outcome.
        ack(
            response_action="update",
            view=build_loading_modal("Connect Bunce", "Checking the key with Bunce…"),
        )
        services.background.submit(
            _finish_connect, client, workspace, user_id, text, str(view.get("id")), services
        )

    def handle_disconnect_submission(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        workspace, user_id = Workspace.from_context(context), payload.user_id(body)
        view_id = str((body.get("view") or {}).get("id"))
        ack(
            response_action="update", view=build_loading_modal("Disconnect Bunce", "Disconnecting…")
        )
        services.background.submit(
            _finish_disconnect, client, workspace, user_id, view_id, services
        )

    app.view(ids.CREATE_VIEW)(handle_create_submission)
    app.view(ids.CONNECT_VIEW)(handle_connect_submission)
    app.view(ids.DISCONNECT_VIEW)(handle_disconnect_submission)


def _finish_connect(
    client: WebClient,
    workspace: Workspace,
    user_id: str,
    text: str,
    view_id: str,
    services: Services,
) -> None:
    """Admin check (again: a crafted submission must change nothing), verify, store, show."""
    if not services.admins.is_admin(client, workspace, user_id):
        payload.update_view(client, view_id, build_refusal_view())
        return
    replacing = None
    try:
        replacing = find_key_info(services.keys, workspace)
        result = connect(workspace, user_id, text, services)
    except StoreError:
        logger.exception("storing the key failed %s", workspace.log_fields())
        payload.update_view(client, view_id, build_connect_modal(replacing, STORE_UNAVAILABLE))
        return
    if result.info is None:
        problem = CONNECT_ERRORS[result.problem] if result.problem else STORE_UNAVAILABLE
        payload.update_view(client, view_id, build_connect_modal(replacing, problem))
        return
    logger.info("bunce key connected %s user=%s", workspace.log_fields(), user_id)
    payload.update_view(client, view_id, build_connected_view(result.info, result.replaced))
    publish_home(client, workspace, user_id, services)


def _finish_disconnect(
    client: WebClient, workspace: Workspace, user_id: str, view_id: str, services: Services
) -> None:
    if not services.admins.is_admin(client, workspace, user_id):
        payload.update_view(client, view_id, build_refusal_view())
        return
    try:
        disconnect(workspace, user_id, services)
    except StoreError:
        logger.exception("disconnect failed %s", workspace.log_fields())
        payload.update_view(client, view_id, build_refusal_view(STORE_UNAVAILABLE))
        return
    payload.update_view(client, view_id, build_disconnected_view())
    publish_home(client, workspace, user_id, services)


def _response_url(body: dict[str, Any], channel_id: str | None) -> str | None:
    """The modal's response_url for the chosen conversation (Bolt and Slack put it top-level)."""
    for entry in body.get("response_urls") or []:
        if not isinstance(entry, dict) or entry.get("block_id") != ids.ANNOUNCE:
            continue
        if not channel_id or entry.get("channel_id") in (None, channel_id):
            url = entry.get("response_url")
            return url if isinstance(url, str) else None
    return None


def _view_of(record: SubmissionRecord) -> dict[str, Any]:
    """What a repeated submit shows: the outcome if known, else the same progress view."""
    if record.state == State.ANNOUNCED:
        note = messages.announcement_note(
            record.announced_channel_id or record.channel_id,
            posted=bool(record.announced_channel_id),
            unconfirmed=record.announcement_unconfirmed,
        )
        return build_success_view(segment_from_record(record), note)
    return build_progress_view(form_of(record))
