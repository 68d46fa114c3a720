"""The create feature's listeners: the modal's submission, "Edit and retry", the shortcut."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import ids
from bot.create.deps import CreateDeps
from bot.create.form import SegmentForm, validate
from bot.create.origin import Origin, decode_metadata, encode_metadata
from bot.create.submission import open_submission
from bot.create.views import (
    build_create_modal,
    parse_create_form,
)
from bot.create.worker import SubmissionWorker
from bot.sentences import STORE_UNAVAILABLE, TAMPERED, not_connected
from bot.slack.calls import call
from bot.slack.metadata import read_value
from bot.slack.modals import open_view
from bot.slack.payload import action_value, bind
from bot.store.db import StoreError
from bot.tenant import Workspace
from bot.workspace.views import build_refusal_view

logger = logging.getLogger(__name__)


def register(app: App, deps: CreateDeps, worker: SubmissionWorker) -> None:
    app.view(ids.CREATE_VIEW)(bind(handle_create_submission, deps=deps, worker=worker))
    app.action(ids.RETRY_ACTION)(bind(handle_retry_action, deps=deps))
    app.shortcut(ids.CREATE_SHORTCUT)(bind(handle_create_shortcut, deps=deps))
    app.action(ids.HOME_CREATE)(bind(handle_create_button, deps=deps))
    app.action(ids.CREATE_NAMED)(bind(handle_create_button, deps=deps))


def handle_create_submission(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    deps: CreateDeps,
    worker: SubmissionWorker,
) -> None:
    view = body.get("view") or {}
    decoded = decode_metadata(deps.signer, view.get("private_metadata"))
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
    # Recorded before the ack: a crash can't lose it, and a second submit attaches to it.
    workspace = Workspace.from_context(context)
    owner, lease = worker.owner_for_new, worker.lease_seconds
    view, record = open_submission(deps, form, origin, workspace, body, owner, lease)
    ack(response_action="update", view=view)
    if record is not None:
        worker.submit(record, client)


def handle_retry_action(
    ack: Ack, body: dict[str, Any], client: WebClient, *, deps: CreateDeps
) -> None:
    ack()
    view = body.get("view") or {}
    decoded = decode_metadata(deps.signer, view.get("private_metadata"))
    if decoded is None:
        logger.warning("refused retry: private_metadata failed its signature check")
        open_view(client, body, build_refusal_view(TAMPERED))
        return
    origin, form = decoded
    modal = build_create_modal(encode_metadata(deps.signer, origin), form)
    call(client.views_update, view_id=view.get("id"), hash=view.get("hash"), view=modal)


def handle_create_shortcut(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: CreateDeps
) -> None:
    ack()
    form = create_form(Workspace.from_context(context), Origin(), "", deps)
    open_view(client, body, build_refusal_view(form) if isinstance(form, str) else form)


def handle_create_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: CreateDeps
) -> None:
    """App Home's "Create segment", and the list's offer to create a segment by that name."""
    ack()
    data = read_value(deps.signer, action_value(body)) or {}
    name = data.get("n") if isinstance(data.get("n"), str) else ""
    channel = (body.get("channel") or {}).get("id")
    origin = Origin(channel_id=channel, response_url=body.get("response_url") if channel else None)
    form = create_form(Workspace.from_context(context), origin, name, deps)
    open_view(client, body, build_refusal_view(form) if isinstance(form, str) else form)


def create_form(
    workspace: Workspace, origin: Origin, name: str, deps: CreateDeps
) -> dict[str, Any] | str:
    """The create modal, prefilled; or the sentence that says why it can't be offered (not
    connected, the database down). Two cached reads: it is built before an ack."""
    try:
        info = deps.lookup.key_info(workspace)
        settings = deps.lookup.settings(workspace)
    except StoreError:
        logger.exception("key lookup failed %s", workspace.log_fields())
        return STORE_UNAVAILABLE
    if info is None:
        return not_connected(deps.admins.who(workspace))
    channel = settings.default_channel_id if settings else None
    prefill = SegmentForm(name=name, channel_id=channel)
    return build_create_modal(encode_metadata(deps.signer, origin), prefill, info.environment)
