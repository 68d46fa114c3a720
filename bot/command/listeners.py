"""The /segment slash command: sub-commands answer at once; otherwise the create modal opens."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import ids
from bot.command.parse import parse_command_text
from bot.create.form import SegmentForm
from bot.create.messages import NOT_CONNECTED, STORE_UNAVAILABLE, build_help_message, ephemeral
from bot.create.origin import Origin, encode_metadata
from bot.create.views import build_create_modal
from bot.deps import Services
from bot.manage.listeners import send_list
from bot.slack.notice import build_loading_modal
from bot.slack.payload import ModalSlot, open_modal
from bot.store.db import StoreError
from bot.tenant import Workspace
from bot.workspace.home import home_model
from bot.workspace.lookup import find_key_info
from bot.workspace.views import (
    NOT_ADMIN,
    NOTHING_TO_DISCONNECT,
    build_connect_modal,
    build_disconnect_modal,
    build_refusal_view,
    build_status_message,
)

logger = logging.getLogger(__name__)

MODAL_FAILED = (
    "Sorry, the form couldn't be opened (Slack answered too late or the request expired). "
    f"Please run `{ids.COMMAND}` again."
)


def register(app: App, services: Services) -> None:
    def handle_segment_command(
        ack: Ack, command: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond
    ) -> None:
        parsed = parse_command_text(command.get("text"))
        workspace = Workspace.from_context(context)
        if parsed.subcommand in ("connect", "disconnect"):
            ack()
            _admin_subcommand(parsed.subcommand, command, client, workspace, respond)
            return
        if parsed.subcommand == "status":
            _status(ack, workspace)
            return
        if parsed.subcommand == "list":
            ack(**ephemeral(":mag: Looking up segments in Bunce…"))
            services.background.submit(
                send_list,
                services,
                client,
                workspace,
                command.get("user_id", ""),
                parsed.rest,
                1,
                respond,
            )
            return
        if parsed.subcommand is not None:
            ack(**build_help_message())
            return
        _create(ack, command, client, workspace, parsed.rest, respond)

    def _create(
        ack: Ack,
        command: dict[str, Any],
        client: WebClient,
        workspace: Workspace,
        name: str,
        respond: Respond,
    ) -> None:
        try:
            info = services.lookup.key_info(workspace)
            settings = services.lookup.settings(workspace)
        except StoreError:
            logger.exception("key lookup failed %s", workspace.log_fields())
            ack(**ephemeral(STORE_UNAVAILABLE))
            return
        if info is None:
            ack(**ephemeral(NOT_CONNECTED))
            return
        ack()
        # The trigger_id lives 3 s: open the modal now, before anything slow.
        origin = Origin(
            channel_id=command.get("channel_id"), response_url=command.get("response_url")
        )
        prefill = SegmentForm(
            name=name, channel_id=settings.default_channel_id if settings else None
        )
        metadata = encode_metadata(services.signer, origin)
        view = build_create_modal(metadata, prefill, info.environment)
        if open_modal(client, command.get("trigger_id"), view) is None:
            logger.warning("modal not opened %s", workspace.log_fields())
            respond(**ephemeral(MODAL_FAILED))

    def _status(ack: Ack, workspace: Workspace) -> None:
        try:
            model = home_model(workspace, False, services)
        except StoreError:
            ack(**ephemeral(STORE_UNAVAILABLE))
            return
        ack(**build_status_message(model))

    def _admin_subcommand(
        name: str,
        command: dict[str, Any],
        client: WebClient,
        workspace: Workspace,
        respond: Respond,
    ) -> None:
        user_id = command.get("user_id")
        known = services.admins.known(workspace, user_id)
        if known is False:
            respond(**ephemeral(NOT_ADMIN))
            return
        slot = ModalSlot(client, command.get("trigger_id"))
        title = "Connect Bunce" if name == "connect" else "Disconnect Bunce"
        # Asking Slack (users.info) can outlast the trigger's 3 s: hold it with a modal first.
        held = known is True or slot.hold(build_loading_modal(title))
        if not (held and slot.show(_admin_view(name, client, workspace, user_id, known))):
            logger.warning("modal not opened %s", workspace.log_fields())
            respond(**ephemeral(MODAL_FAILED))

    def _admin_view(
        name: str,
        client: WebClient,
        workspace: Workspace,
        user_id: str | None,
        known: bool | None,
    ) -> dict[str, Any]:
        admin = (
            known if known is not None else services.admins.ask(client, workspace, user_id or "")
        )
        if not admin:
            return build_refusal_view()
        try:
            info = find_key_info(services.keys, workspace)
        except StoreError:
            return build_refusal_view(STORE_UNAVAILABLE)
        if name == "connect":
            return build_connect_modal(replacing=info)
        if info is None:
            return build_refusal_view(NOTHING_TO_DISCONNECT)
        return build_disconnect_modal(info)

    app.command(ids.COMMAND)(handle_segment_command)
