"""Small readers of Slack payloads, and opening a modal from a payload's trigger."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.announce import update_view

__all__ = ["action_value", "open_view", "update_view", "user_id"]

logger = logging.getLogger(__name__)


def user_id(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def action_value(body: dict[str, Any]) -> object:
    """The clicked element's value (the first action: Slack sends one per click)."""
    actions = body.get("actions") or [{}]
    return actions[0].get("value") if isinstance(actions[0], dict) else None


def open_view(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> str | None:
    """views.open with the payload's trigger; the new view's id, or None if Slack refused."""
    try:
        return client.views_open(trigger_id=body.get("trigger_id"), view=view)["view"]["id"]
    except SlackApiError as error:
        logger.info("views.open failed error=%s", error.response.get("error"))
        return None
