"""Modal submissions: create (validate, ack, then create off the ack path), connect, disconnect."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import ids
from bot.connection import connect, disconnect
from bot.home import publish_home
from bot.segments import validate
from bot.services import Services
from bot.store.db import StoreError
from bot.submission import Submission, SubmissionGuard, run_submission
from bot.ui.connect import (
    CONNECT_ERRORS,
    NOT_ADMIN,
    build_connected_view,
    build_disconnected_view,
    build_refusal_view,
    parse_connect_key,
)
from bot.ui.messages import STORE_UNAVAILABLE
from bot.ui.metadata import decode_metadata
from bot.ui.modals import build_progress_view, parse_create_form
from bot.workspace import Workspace

logger = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    guard = SubmissionGuard()

    def handle_create_submission(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        view = body.get("view") or {}
        origin, _ = decode_metadata(view.get("private_metadata"))
        form = parse_create_form(view, default_channel=origin.channel_id).normalised()
        errors = validate(form)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=build_progress_view(form))
        submission = Submission(
            view_id=str(view.get("id")),
            user_id=_user_id(body),
            workspace=Workspace.from_context(context),
            form=form,
            origin=origin,
            response_url=_response_url(body, form.channel_id),
        )
        if not guard.claim(submission):
            logger.info("duplicate submission ignored view=%s", submission.view_id)
            return
        services.background.submit(_finish, submission, client, services, guard)

    def handle_connect_submission(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        workspace, user_id = Workspace.from_context(context), _user_id(body)
        # Admin rights are checked here too: a crafted submission must change nothing.
        if not services.admins.is_admin(client, workspace, user_id):
            ack(response_action="errors", errors={ids.CONNECT_KEY: NOT_ADMIN})
            return
        text = parse_connect_key(body.get("view"))
        try:
            result = connect(workspace, user_id, text, services)
        except StoreError:
            logger.exception("storing the key failed %s", workspace.log_fields())
            ack(response_action="errors", errors={ids.CONNECT_KEY: STORE_UNAVAILABLE})
            return
        if result.info is None:
            error = CONNECT_ERRORS[result.problem] if result.problem else STORE_UNAVAILABLE
            ack(response_action="errors", errors={ids.CONNECT_KEY: error})
            return
        ack(response_action="update", view=build_connected_view(result.info, result.replaced))
        logger.info("bunce key connected %s user=%s", workspace.log_fields(), user_id)
        services.background.submit(publish_home, client, workspace, user_id, services)

    def handle_disconnect_submission(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        workspace, user_id = Workspace.from_context(context), _user_id(body)
        if not services.admins.is_admin(client, workspace, user_id):
            ack(response_action="update", view=build_refusal_view())
            return
        try:
            disconnect(workspace, user_id, services)
        except StoreError:
            logger.exception("disconnect failed %s", workspace.log_fields())
            ack(response_action="update", view=build_refusal_view(STORE_UNAVAILABLE))
            return
        ack(response_action="update", view=build_disconnected_view())
        services.background.submit(publish_home, client, workspace, user_id, services)

    app.view(ids.CREATE_VIEW)(handle_create_submission)
    app.view(ids.CONNECT_VIEW)(handle_connect_submission)
    app.view(ids.DISCONNECT_VIEW)(handle_disconnect_submission)


def _user_id(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _finish(
    submission: Submission, client: WebClient, services: Services, guard: SubmissionGuard
) -> None:
    """The background half; the outermost boundary, so it logs instead of raising into a pool."""
    try:
        result = run_submission(submission, client, services)
    except Exception:
        logger.exception("submission failed view=%s", submission.view_id)
        guard.release(submission)
        return
    if result.segment is None:
        guard.release(submission)


def _response_url(body: dict[str, Any], channel_id: str | None) -> str | None:
    """The modal's response_url for the chosen conversation (Bolt and Slack put it top-level)."""
    for entry in body.get("response_urls") or []:
        if not isinstance(entry, dict) or entry.get("block_id") != ids.ANNOUNCE:
            continue
        if not channel_id or entry.get("channel_id") in (None, channel_id):
            url = entry.get("response_url")
            return url if isinstance(url, str) else None
    return None
