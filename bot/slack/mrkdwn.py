"""Slack mrkdwn: untrusted text escaped and fitted (it shows as text, pings nobody), and dates."""

from __future__ import annotations

from datetime import datetime

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


def when(moment: datetime) -> str:
    """A date Slack renders in the reader's time zone, with a UTC fallback."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
