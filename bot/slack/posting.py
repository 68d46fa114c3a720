"""Delivering messages to Slack with fallbacks: the channel card, and notices to one person."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.slack.calls import NETWORK_ERRORS, SlackResult, call

logger = logging.getLogger(__name__)

# Errors after which the bot can't post by itself; the response_url may still reach the channel.
_CANNOT_POST = {"channel_not_found", "not_in_channel", "is_archived", "restricted_action"}


@dataclass(frozen=True)
class Delivery:
    """Where a card ended up: `via` is chat, join, response_url, default_channel, none, or
    unknown (Slack didn't answer: the card may be in `channel_id`, and is never posted again)."""

    channel_id: str | None
    via: str
    ts: str | None = None
    error: str | None = None

    @property
    def posted(self) -> bool:
        return self.via not in ("none", UNKNOWN)

    @property
    def unknown(self) -> bool:
        return self.via == UNKNOWN


UNKNOWN = "unknown"


def announce(
    client: WebClient,
    message: dict[str, Any],
    channel_id: str,
    *,
    thread_ts: str | None = None,
    response_url: str | None = None,
    fallback_channel: str | None = None,
) -> Delivery:
    """Post (joining a public channel if needed), else via the response_url, else the default.

    A post that got no answer may have been made: it ends the chain as `unknown`, since any
    further route could put a second card in front of the channel.
    """
    delivery = _post_or_join(client, message, channel_id, thread_ts)
    if delivery.posted or delivery.unknown:
        return delivery
    if delivery.error in _CANNOT_POST and response_url:
        sent = _post_to_response_url(
            response_url, {**message, "response_type": "in_channel", "replace_original": False}
        )
        if sent is not False:
            return Delivery(channel_id, "response_url" if sent else UNKNOWN)
    if fallback_channel and fallback_channel != channel_id:
        fallback = _post_or_join(client, message, fallback_channel, None)
        if fallback.posted:
            return Delivery(fallback_channel, "default_channel", ts=fallback.ts)
        if fallback.unknown:
            return fallback
    logger.warning("announcement not delivered channel=%s error=%s", channel_id, delivery.error)
    return delivery


def _post_or_join(
    client: WebClient, message: dict[str, Any], channel_id: str, thread_ts: str | None
) -> Delivery:
    """Post; on not_in_channel, join (public channels only) and post once more."""
    posted = _post(client, message, channel_id, thread_ts)
    via = "chat"
    if posted.error == "not_in_channel" and call(client.conversations_join, channel=channel_id).ok:
        posted, via = _post(client, message, channel_id, thread_ts), "join"
    if posted.ok:
        return Delivery(channel_id, via, ts=posted.get("ts"))
    if posted.unknown:
        logger.warning("announcement unconfirmed channel=%s: Slack didn't answer", channel_id)
        return Delivery(channel_id, UNKNOWN, error=posted.error)
    return Delivery(channel_id, "none", error=posted.error)


def _post(
    client: WebClient, message: dict[str, Any], channel_id: str, thread_ts: str | None
) -> SlackResult:
    return call(
        client.chat_postMessage,
        channel=channel_id,
        thread_ts=thread_ts,
        text=message["text"],
        blocks=message.get("blocks"),
        unfurl_links=False,
        unfurl_media=False,
    )


def _post_to_response_url(url: str, body: dict[str, Any]) -> bool | None:
    """True when Slack took it, False when it refused, None when it didn't answer (it may have
    posted). Never retried: slack_sdk's default retry after a reset could post twice."""
    try:
        response = WebhookClient(url, timeout=10, retry_handlers=[]).send_dict(body)
    except NETWORK_ERRORS as error:
        logger.warning("response_url post got no answer (%s)", type(error).__name__)
        return None
    except ValueError:  # not a URL at all
        logger.warning("response_url post failed: not a usable URL")
        return False
    return response.status_code == 200


def notify_user(
    client: WebClient, user_id: str, message: dict[str, Any], *, response_url: str | None = None
) -> bool:
    """Tell one person privately: ephemeral via the command's response_url, else a DM.

    A notice that may have arrived (no answer) counts as told: a second copy is worse than none.
    """
    if response_url:
        sent = _post_to_response_url(
            response_url, {**message, "response_type": "ephemeral", "replace_original": False}
        )
        if sent is not False:
            return True
    opened = call(client.conversations_open, users=user_id)
    channel = (opened.get("channel") or {}).get("id")
    if not channel:
        logger.warning("could not notify user=%s error=%s", user_id, opened.error)
        return False
    posted = call(
        client.chat_postMessage, channel=channel, text=message["text"], blocks=message.get("blocks")
    )
    return posted.ok or posted.unknown


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
