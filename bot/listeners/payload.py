"""Small readers of Slack payloads, and opening a modal from a payload's trigger."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.announce import update_view
from bot.slack_calls import call

__all__ = ["action_value", "open_modal", "open_view", "update_view", "user_id"]


def user_id(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def action_value(body: dict[str, Any]) -> object:
    """The clicked element's value (the first action: Slack sends one per click)."""
    actions = body.get("actions") or [{}]
    return actions[0].get("value") if isinstance(actions[0], dict) else None


def open_view(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> str | None:
    """views.open with the payload's trigger; the new view's id, or None if it didn't open."""
    return open_modal(client, body.get("trigger_id"), view)


def open_modal(client: WebClient, trigger_id: object, view: dict[str, Any]) -> str | None:
    """views.open; the new view's id, or None (refused, trigger expired, or no answer)."""
    opened = call(client.views_open, trigger_id=trigger_id, view=view)
    return (opened.get("view") or {}).get("id")
