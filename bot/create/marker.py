"""The marker the app writes at the start of a description, so a segment can be found again.

Bunce has no idempotency key; the marker is how a create that got no answer recognises its own
segment (see once.py), and how an edit keeps it.
"""

from __future__ import annotations

import re

MARKER_TEXT = "via Slack #"
_MARKER = re.compile(r"via Slack #([0-9a-f]{8})(?![0-9a-zA-Z])")


def with_marker(description: str, marker: str, *, limit: int | None = None) -> str:
    """The description Bunce stores: the marker that finds it again, then what was typed."""
    tag = f"{MARKER_TEXT}{marker}"
    text = f"{tag} · {description}" if description else tag
    return text[:limit].rstrip() if limit else text


def marker_of(description: str | None) -> str | None:
    """The marker in a description we wrote (first, or last as older versions put it)."""
    found = _MARKER.search(description or "")
    return found.group(1) if found else None


def strip_marker(description: str | None) -> str | None:
    """What the person typed, for display: the marker is the app's bookkeeping, not theirs."""
    if not description:
        return description
    found = _MARKER.search(description)
    if not found:
        return description
    rest = (description[: found.start()] + description[found.end() :]).strip()
    return rest.removeprefix("·").removesuffix("·").strip() or None
