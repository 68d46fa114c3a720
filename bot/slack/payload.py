"""Small readers of Slack payloads, and opening a modal from a payload's trigger."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient

from bot.slack.calls import NETWORK_ERRORS, call
from bot.slack.posting import update_view

logger = logging.getLogger(__name__)

__all__ = [
    "ModalSlot",
    "action_value",
    "open_modal",
    "open_view",
    "safe_respond",
    "update_view",
    "user_id",
]


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


class ModalSlot:
    """Where a click's or command's modal goes: opened with its trigger, or updated in place once
    a loading modal holds the trigger (which dies 3 s after the click, while the checks that
    decide what to show, such as users.info, may take longer)."""

    def __init__(self, client: WebClient, trigger_id: object) -> None:
        self.client = client
        self.trigger_id = trigger_id
        self.view_id: str | None = None

    def hold(self, loading: dict[str, Any]) -> bool:
        """Open `loading` now; False if the trigger was refused or expired."""
        self.view_id = open_modal(self.client, self.trigger_id, loading)
        return self.view_id is not None

    def show(self, view: dict[str, Any]) -> bool:
        """Replace the held modal, or open `view`; False if the person can't see it."""
        if self.view_id is not None:
            return update_view(self.client, self.view_id, view)
        self.view_id = open_modal(self.client, self.trigger_id, view)
        return self.view_id is not None


def safe_respond(respond: Callable[..., Any]) -> Callable[..., bool]:
    """Bolt's respond for background work: a network error (respond posts to the response_url
    with urllib) is logged, not raised into a pool thread where nobody would see it; returns
    whether Slack took the message."""

    def send(**message: Any) -> bool:
        try:
            answer = respond(**message)
        except NETWORK_ERRORS as error:
            logger.warning("response_url post got no answer (%s)", type(error).__name__)
            return False
        status = getattr(answer, "status_code", 200)
        if status != 200:
            logger.warning("response_url post refused status=%s", status)
        return status == 200

    return send
