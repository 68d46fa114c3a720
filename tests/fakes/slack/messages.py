"""The messages surface of the fake Slack: chat.* methods and response_url webhooks.

chat.postMessage/postEphemeral/update with the channel rules a bot posts under, the checks Slack
applies to a message's text and blocks (also on webhook posts), and response_urls with their use
and age limits. Tests set up response_urls here and read back what was posted.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from tests.fakes.slack.base import _Base, _measure
from tests.fakes.slack.models import (
    APP_ID,
    Channel,
    ResponsePost,
    Workspace,
    _Fault,
    _Refusal,
    _ResponseUrl,
)

RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL = 30 * 60.0
MAX_MESSAGE_BLOCKS = 50
MAX_TEXT_CHARS = 40_000
MAX_VALUE_CHARS = 2000


def _check_blocks(blocks: Any, unit: str = "chars") -> None:
    if not isinstance(blocks, list):
        raise _Refusal("invalid_blocks_format")
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        messages = ["[ERROR] no more than 50 items allowed [json-pointer:/blocks]"]
        raise _Refusal("invalid_blocks", response_metadata={"messages": messages})
    if any(not isinstance(b, dict) or "type" not in b for b in blocks):
        messages = ["[ERROR] missing required field: type [json-pointer:/blocks]"]
        raise _Refusal("invalid_blocks", response_metadata={"messages": messages})
    for index, block in enumerate(blocks):
        for position, element in enumerate(block.get("elements") or []):
            value = element.get("value") if isinstance(element, dict) else None
            # Button value: "Maximum length for this field is 2000 characters"
            # (api.slack.com/reference/block-kit/block-elements#button).
            if isinstance(value, str) and _measure(value, unit) > MAX_VALUE_CHARS:
                pointer = f"/blocks/{index}/elements/{position}/value"
                messages = [f"[ERROR] must be less than 2001 characters [json-pointer:{pointer}]"]
                raise _Refusal("invalid_blocks", response_metadata={"messages": messages})


def _message_content(args: dict[str, Any], unit: str = "chars") -> dict[str, Any]:
    """Validate and pick the content fields of a chat.* call."""
    text, blocks = args.get("text"), args.get("blocks")
    if not text and not blocks and not args.get("attachments"):
        raise _Refusal("no_text")
    if blocks is not None:
        _check_blocks(blocks, unit)
    if text is not None and len(str(text)) > MAX_TEXT_CHARS:
        raise _Refusal("msg_too_long")
    keep = ("text", "blocks", "attachments", "thread_ts", "metadata")
    return copy.deepcopy({k: args[k] for k in keep if k in args})


class MessagesMixin(_Base):
    """chat.* methods, response_url posts and the messages they leave behind."""

    # ---- world set-up ----------------------------------------------------------------------

    def response_url(self, token: str | None = None) -> str:
        """A fresh response_url on the fake (5 uses, 30 minutes)."""
        token = token or secrets.token_urlsafe(12)
        with self._lock:
            self._response_urls[token] = _ResponseUrl(self.now())
        return f"{self.root_url}/response/{token}"

    def expire_response_url(self, url_or_token: str) -> None:
        """Age a response_url past 30 minutes without waiting."""
        with self._lock:
            self._response_urls[url_or_token.rsplit("/", 1)[-1]].created_at = float("-inf")

    # ---- inspection ------------------------------------------------------------------------

    def response_posts(self, token: str | None = None) -> list[ResponsePost]:
        """Recorded response_url posts (accepted or not), optionally for one URL or token."""
        key = token.rsplit("/", 1)[-1] if token else None
        with self._lock:
            return [p for p in self._posts if key is None or p.token == key]

    def wait_for_response_posts(
        self, count: int = 1, timeout: float = 5.0, token: str | None = None
    ) -> list[ResponsePost]:
        """Block until `count` response_url posts arrived, or fail listing what did."""
        if self._wait(lambda: len(self.response_posts(token)) >= count, timeout):
            return self.response_posts(token)
        seen = [(p.token, p.status, p.body) for p in self.response_posts()]
        raise AssertionError(
            f"expected {count} response_url posts within {timeout}s; received: {seen}"
        )

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages the bot posted (and updated) in a channel, oldest first."""
        with self._lock:
            return copy.deepcopy(self._messages.get(channel_id, []))

    def ephemerals(self, channel_id: str) -> list[dict[str, Any]]:
        """Ephemeral messages the bot sent in a channel, oldest first."""
        with self._lock:
            return copy.deepcopy(self._ephemerals.get(channel_id, []))

    # ---- rules -----------------------------------------------------------------------------

    def _webhook_answer(
        self, token: str, body: Any, fault: _Fault | None, at: float
    ) -> tuple[int, str]:
        if fault is not None and fault.answers:
            return fault.status, fault.error or ""
        url = self._response_urls.get(token)
        if url is None:
            return 404, "no_service"
        if at - url.created_at > RESPONSE_URL_TTL:
            return 404, "expired_url"
        if url.uses >= RESPONSE_URL_MAX_USES:
            return 404, "used_url"
        if not isinstance(body, dict):
            return 400, "invalid_payload"
        content = ("text", "blocks", "attachments", "delete_original")
        if not any(body.get(k) for k in content):
            return 400, "no_text"
        if body.get("blocks") is not None:
            # Webhooks refuse bad blocks with 400 and a one-word body (api.slack.com/messaging/
            # webhooks#handling_errors: invalid_blocks, invalid_blocks_format).
            try:
                _check_blocks(body["blocks"], self.text_unit)
            except _Refusal as refused:
                return 400, refused.error
        url.uses += 1
        return 200, "ok"

    def _visible_channel(self, ws: Workspace, channel_id: Any) -> Channel:
        """The channel as the bot sees it: private ones and DMs it is not in do not exist."""
        channel = self._channels.get(str(channel_id or ""))
        if channel is None or channel.team_id not in (None, ws.team_id):
            raise _Refusal("channel_not_found")
        if (channel.is_private or channel.is_im) and not channel.is_member:
            raise _Refusal("channel_not_found")
        return channel

    def _postable_channel(self, ws: Workspace, channel_id: Any) -> Channel:
        if str(channel_id) in self._users:
            return self._open_im(ws, str(channel_id))  # a user id posts into the app's DM with them
        channel = self._visible_channel(ws, channel_id)
        if channel.is_archived:
            raise _Refusal("is_archived")
        if not channel.is_member and "chat:write.public" not in ws.scopes:
            raise _Refusal("not_in_channel")
        return channel

    # ---- methods ---------------------------------------------------------------------------

    def _chat_post_message(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._postable_channel(ws, args.get("channel"))
        content = _message_content(args, self.text_unit)
        message = {"type": "message", "user": ws.bot_user_id, "bot_id": ws.bot_id}
        message |= {"app_id": APP_ID, "team": ws.team_id, "ts": self._next_ts(), **content}
        self._messages.setdefault(channel.id, []).append(message)
        return {"channel": channel.id, "ts": message["ts"], "message": message}

    def _chat_post_ephemeral(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._postable_channel(ws, args.get("channel"))
        if not args.get("user"):
            raise _Refusal("user_not_found")
        content = _message_content(args, self.text_unit)
        message = {"user": args["user"], "message_ts": self._next_ts(), **content}
        self._ephemerals.setdefault(channel.id, []).append(message)
        return {"message_ts": message["message_ts"]}

    def _chat_update(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible_channel(ws, args.get("channel"))
        content = _message_content(args, self.text_unit)
        for message in self._messages.get(channel.id, []):
            if message["ts"] == args.get("ts"):
                message.update(content, edited={"user": ws.bot_user_id})
                return {"channel": channel.id, "ts": message["ts"], "message": message}
        raise _Refusal("message_not_found")
