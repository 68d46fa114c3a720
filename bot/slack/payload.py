"""Small readers of Slack payloads, and binding a feature's collaborators to its listeners."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def bind(handler: Callable[..., Any], **deps: Any) -> Callable[..., Any]:
    """`handler` with its collaborators fixed; Bolt injects the rest by parameter name (it reads
    only positional parameter names, so the keyword-only ones bound here stay ours)."""
    bound = functools.partial(handler, **deps)
    bound.__name__ = handler.__name__  # type: ignore[attr-defined]  # Bolt logs listener names
    return bound


def user_id(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def action_value(body: dict[str, Any]) -> object:
    """The clicked element's value (the first action: Slack sends one per click)."""
    actions = body.get("actions") or [{}]
    return actions[0].get("value") if isinstance(actions[0], dict) else None
