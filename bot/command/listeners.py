"""The /segment router: sub-commands answer at once; otherwise the create modal opens."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import ids
from bot.command.help import build_help_message
from bot.command.parse import parse_command_text
from bot.create.deps import CreateDeps
from bot.create.listeners import create_form
from bot.create.origin import Origin
from bot.manage.deps import ManageDeps
from bot.manage.jobs import send_list
from bot.sentences import STORE_UNAVAILABLE
from bot.slack.blocks import ephemeral
from bot.slack.modals import open_modal
from bot.slack.payload import bind
from bot.store.db import StoreError
from bot.tenant import Workspace
from bot.workspace.deps import WorkspaceDeps
from bot.workspace.home import home_model
from bot.workspace.jobs import open_admin_modal
from bot.workspace.views import build_status_message, not_admin

logger = logging.getLogger(__name__)

MODAL_FAILED = (
    "Sorry, the form couldn't be opened (Slack answered too late or the request expired). "
    f"Please run `{ids.COMMAND}` again."
)


@dataclass(frozen=True)
class Features:
    """The features a sub-command hands over to."""

    create: CreateDeps
    manage: ManageDeps
    workspace: WorkspaceDeps


def register(app: App, features: Features) -> None:
    app.command(ids.COMMAND)(bind(handle_segment_command, features=features))


def handle_segment_command(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    *,
    features: Features,
) -> None:
    parsed = parse_command_text(command.get("text"))
    workspace, user = Workspace.from_context(context), command.get("user_id") or ""
    if parsed.subcommand in ("connect", "disconnect"):
        ack()
        _admin(parsed.subcommand, command, client, workspace, respond, features.workspace)
    elif parsed.subcommand == "status":
        _status(ack, workspace, features.workspace)
    elif parsed.subcommand == "list":
        ack(**ephemeral(":mag: Looking up segments in Bunce…"))
        job = (features.manage, client, workspace, user, parsed.rest, 1, respond, parsed.lead)
        features.manage.background.submit(send_list, *job)
    elif parsed.subcommand == "help":
        ack(**build_help_message())
    else:
        _create(ack, command, client, workspace, parsed.rest, respond, features.create)


def _create(
    ack: Ack,
    command: dict[str, Any],
    client: WebClient,
    workspace: Workspace,
    name: str,
    respond: Respond,
    deps: CreateDeps,
) -> None:
    origin = Origin(channel_id=command.get("channel_id"), response_url=command.get("response_url"))
    view = create_form(workspace, origin, name, deps)
    if isinstance(view, str):
        ack(**ephemeral(view))
        return
    ack()
    # The trigger_id lives 3 s: open the modal now, before anything slow.
    if open_modal(client, command.get("trigger_id"), view) is None:
        logger.warning("modal not opened %s", workspace.log_fields())
        respond(**ephemeral(MODAL_FAILED))


def _status(ack: Ack, workspace: Workspace, deps: WorkspaceDeps) -> None:
    try:
        model = home_model(workspace, False, deps)
    except StoreError:
        ack(**ephemeral(STORE_UNAVAILABLE))
        return
    ack(**build_status_message(model))


def _admin(
    name: str,
    command: dict[str, Any],
    client: WebClient,
    workspace: Workspace,
    respond: Respond,
    deps: WorkspaceDeps,
) -> None:
    user, trigger = command.get("user_id"), command.get("trigger_id")
    known = deps.admins.known(workspace, user)
    if known is False:
        respond(**ephemeral(not_admin(deps.admins.who(workspace))))
    elif not open_admin_modal(name, client, workspace, user, trigger, known, deps):
        logger.warning("modal not opened %s", workspace.log_fields())
        respond(**ephemeral(MODAL_FAILED))
