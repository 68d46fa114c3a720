"""Sentences every feature may say: not connected, a forged form, the database down.

Each feature keeps its own sentences beside its views; only these are shared.
"""

from __future__ import annotations

from bot import ids

NOT_CONNECTED = (
    "This workspace isn't connected to Bunce yet, so segments can't be created from Slack. "
    f"A workspace admin connects it with `{ids.COMMAND} connect` or from the app's Home tab."
)

TAMPERED = (
    f"This form could not be verified, so nothing was done. Close it and run `{ids.COMMAND}` again."
)

STORE_UNAVAILABLE = (
    "Sorry, the app can't reach its database right now, so nothing was created. "
    "Please try again in a minute."
)
