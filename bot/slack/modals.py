"""Opening and replacing modals: with a payload's trigger (it dies 3 s after the click)."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.calls import SlackResult, call


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


def update_view(client: WebClient, view_id: str | None, view: dict[str, Any]) -> bool:
    """Replace a modal; False when it is gone (closed by the person, or expired) or Slack didn't
    answer (views.update can be repeated safely)."""
    return replace_view(client, view_id, view).ok


def replace_view(client: WebClient, view_id: str | None, view: dict[str, Any]) -> SlackResult:
    """update_view with Slack's answer, for callers that stop once the person closed the modal
    (`error == "not_found"`)."""
    if not view_id:
        return SlackResult(error="no_view")
    return call(client.views_update, view_id=view_id, view=view)
