"""The one notice modal: a title, a sentence and a close button (loading, refused, done)."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.slack.blocks import plain, section

View = dict[str, Any]


def build_notice(
    title: str,
    text: str,
    *,
    callback_id: str,
    close: str = "Close",
    blocks: list[dict[str, Any]] | None = None,
) -> View:
    """A modal with nothing to submit; `blocks` replaces the single sentence when given."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title),
        "close": plain(close),
        "blocks": blocks if blocks is not None else [section(text)],
    }


def build_loading_modal(title: str, text: str = "One moment…") -> View:
    """Holds a trigger (it dies 3 s after the click) while slower checks decide what to show."""
    return build_notice(title, f":hourglass_flowing_sand: {text}", callback_id=ids.EDIT_RESULT_VIEW)
