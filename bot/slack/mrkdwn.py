"""Escaping and fitting untrusted text for Slack mrkdwn, so it shows as text and pings nobody."""

from __future__ import annotations

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Escape Slack's three control characters; `<!channel>` then renders as text, not a ping."""
    return "".join(_ENTITIES.get(ch, ch) for ch in text)


def truncate(text: str, limit: int) -> str:
    """Shorten plain text to at most `limit` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def fit(text: str, limit: int) -> str:
    """Escape, then shorten so the *escaped* form fits `limit` without cutting an entity in half."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    out: list[str] = []
    used = 0
    for ch in text:
        piece = _ENTITIES.get(ch, ch)
        if used + len(piece) > limit - 1:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip() + ELLIPSIS
