"""Sentences every feature may say: not connected, a forged form, the database down.

Each feature keeps its own sentences beside its views; only these are shared.
"""

from __future__ import annotations

from bot import ids

NOT_CONNECTED = (
    "This workspace isn't connected to Bunce yet, so segments can't be created from Slack. "
    f"A workspace admin connects it with `{ids.COMMAND} connect` or from the app's Home tab."
)


def not_connected(who: str) -> str:
    """NOT_CONNECTED naming who can connect (AdminPolicy.who)."""
    return (
        "This workspace isn't connected to Bunce yet, so segments can't be created from Slack. "
        f"Ask {who} to connect it with `{ids.COMMAND} connect` or from the app's Home tab."
    )


TAMPERED = (
    f"This form could not be verified, so nothing was done. Close it and run `{ids.COMMAND}` again."
)

STORE_UNAVAILABLE = (
    "Sorry, I can't reach my database right now, so nothing changed. Please try again in a minute."
)
