"""The /segment slash command: sub-commands answer at once; otherwise the create modal opens."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.segments import SegmentForm
from bot.services import Services
from bot.store.db import StoreError
from bot.ui.command import parse_command_text
from bot.ui.messages import NOT_CONNECTED, STORE_UNAVAILABLE, build_help_message, ephemeral
from bot.ui.metadata import Origin, encode_metadata
from bot.ui.modals import build_create_modal
from bot.workspace import Workspace, find_key_info

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
        if parsed.subcommand is not None:
            ack(**build_help_message())
            return
        workspace = Workspace.from_context(context)
        try:
            info = find_key_info(services.keys, workspace)
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
        view = build_create_modal(
            encode_metadata(origin), SegmentForm(name=parsed.rest), info.environment
        )
        try:
            client.views_open(trigger_id=command.get("trigger_id"), view=view)
        except SlackApiError as error:
            logger.warning(
                "views.open failed error=%s %s",
                error.response.get("error"),
                workspace.log_fields(),
            )
            respond(**ephemeral(MODAL_FAILED))

    app.command(ids.COMMAND)(handle_segment_command)
