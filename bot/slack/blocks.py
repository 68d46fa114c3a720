"""Tiny constructors for Block Kit's repetitive text objects and blocks; plain dicts out."""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]


def plain(text: str, *, emoji: bool = True) -> dict[str, Any]:
    """A plain_text object: Slack renders it literally, so it needs no escaping."""
    return {"type": "plain_text", "text": text, "emoji": emoji}


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn object; callers escape untrusted parts with slack.mrkdwn.fit/escape first."""
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def section(text: str, *, block_id: str | None = None, **extra: Any) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text), **extra}
    if block_id:
        block["block_id"] = block_id
    return block


def context(*texts: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "context", "elements": [mrkdwn(text) for text in texts]}
    if block_id:
        block["block_id"] = block_id
    return block


def header(text: str, *, block_id: str | None = None) -> Block:
    block: Block = {"type": "header", "text": plain(text)}
    if block_id:
        block["block_id"] = block_id
    return block


def button(
    text: str, action_id: str, *, value: str | None = None, style: str | None = None
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text), "action_id": action_id}
    if value is not None:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def divider() -> Block:
    return {"type": "divider"}


Message = dict[str, Any]


def ephemeral(text: str) -> Message:
    """An only-you message (the slash command's reply): one mrkdwn section plus its fallback."""
    return {"response_type": "ephemeral", "text": text, "blocks": [section(text)]}
