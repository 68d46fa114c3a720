"""Delivering messages to Slack with fallbacks: the channel card, and notices to one person."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

logger = logging.getLogger(__name__)

# Errors after which the bot can't post by itself; the response_url may still reach the channel.
_CANNOT_POST = {"channel_not_found", "not_in_channel", "is_archived", "restricted_action"}


@dataclass(frozen=True)
class Delivery:
    """Where a card ended up: `via` is chat, join, response_url, default_channel, or none."""

    channel_id: str | None
    via: str
    ts: str | None = None
    error: str | None = None

    @property
    def posted(self) -> bool:
        return self.via != "none"


def announce(
    client: WebClient,
    message: dict[str, Any],
    channel_id: str,
    *,
    thread_ts: str | None = None,
    response_url: str | None = None,
    fallback_channel: str | None = None,
) -> Delivery:
    """Post (joining a public channel if needed), else via the response_url, else the default."""
    delivery = _post_or_join(client, message, channel_id, thread_ts)
    if delivery.posted:
        return delivery
    if (
        delivery.error in _CANNOT_POST
        and response_url
        and _post_to_response_url(
            response_url, {**message, "response_type": "in_channel", "replace_original": False}
        )
    ):
        return Delivery(channel_id, "response_url")
    if fallback_channel and fallback_channel != channel_id:
        fallback = _post_or_join(client, message, fallback_channel, None)
        if fallback.posted:
            return Delivery(fallback_channel, "default_channel", ts=fallback.ts)
    logger.warning("announcement not delivered channel=%s error=%s", channel_id, delivery.error)
    return delivery


def _post_or_join(
    client: WebClient, message: dict[str, Any], channel_id: str, thread_ts: str | None
) -> Delivery:
    """Post; on not_in_channel, join (public channels only) and post once more."""
    error = _post(client, message, channel_id, thread_ts)
    if isinstance(error, dict):
        return Delivery(channel_id, "chat", ts=error.get("ts"))
    if error == "not_in_channel" and _join(client, channel_id):
        retried = _post(client, message, channel_id, thread_ts)
        if isinstance(retried, dict):
            return Delivery(channel_id, "join", ts=retried.get("ts"))
        error = retried
    return Delivery(channel_id, "none", error=error)


def _post(
    client: WebClient, message: dict[str, Any], channel_id: str, thread_ts: str | None
) -> dict[str, Any] | str:
    """The posted message (a dict with ts) or Slack's error code."""
    try:
        response = client.chat_postMessage(
            channel=channel_id,
            thread_ts=thread_ts,
            text=message["text"],
            blocks=message.get("blocks"),
            unfurl_links=False,
            unfurl_media=False,
        )
    except SlackApiError as exc:
        return str(exc.response.get("error") or "unknown_error")
    return {"ts": response.get("ts")}


def _join(client: WebClient, channel_id: str) -> bool:
    try:
        client.conversations_join(channel=channel_id)
    except SlackApiError as exc:
        error = exc.response.get("error")
        logger.info("conversations.join failed channel=%s error=%s", channel_id, error)
        return False
    return True


def _post_to_response_url(url: str, body: dict[str, Any]) -> bool:
    try:
        response = WebhookClient(url, timeout=10).send_dict(body)
    except Exception:  # a network failure here only means: try the next route
        logger.warning("response_url post failed", exc_info=True)
        return False
    return response.status_code == 200


def notify_user(
    client: WebClient, user_id: str, message: dict[str, Any], *, response_url: str | None = None
) -> bool:
    """Tell one person privately: ephemeral via the command's response_url, else a DM."""
    if response_url and _post_to_response_url(
        response_url, {**message, "response_type": "ephemeral", "replace_original": False}
    ):
        return True
    try:
        channel = client.conversations_open(users=user_id)["channel"]["id"]
        client.chat_postMessage(channel=channel, text=message["text"], blocks=message.get("blocks"))
    except SlackApiError as exc:
        logger.warning("could not notify user=%s error=%s", user_id, exc.response.get("error"))
        return False
    return True


def update_view(client: WebClient, view_id: str | None, view: dict[str, Any]) -> bool:
    """Replace a modal; False when it is gone (closed by the person, or expired)."""
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as error:
        logger.info("views.update failed view=%s error=%s", view_id, error.response.get("error"))
        return False
    return True
