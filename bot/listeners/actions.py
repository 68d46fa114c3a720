"""Buttons: "Edit and retry" on the error view brings the form back with what was typed."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids
from bot.services import Services
from bot.ui.metadata import decode_metadata, encode_metadata
from bot.ui.modals import build_create_modal

logger = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    def handle_retry_action(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body.get("view") or {}
        origin, form = decode_metadata(view.get("private_metadata"))
        modal = build_create_modal(encode_metadata(origin), form)
        try:
            client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=modal)
        except SlackApiError as error:
            logger.info("retry views.update failed error=%s", error.response.get("error"))

    app.action(ids.RETRY_ACTION)(handle_retry_action)
