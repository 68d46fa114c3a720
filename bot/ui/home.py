"""The App Home tab: what the app does and whether this workspace is connected."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.store.keys import WorkspaceKeyInfo
from bot.ui.blocks import context, divider, header, section


def build_home(info: WorkspaceKeyInfo | None) -> dict[str, Any]:
    """Connected: environment and key hint (never the key). Not connected: how to connect."""
    if info is None:
        status = (
            ":red_circle: *Not connected.* An admin connects this workspace by storing its "
            "Bunce secret key on the server: `python -m bot keys set <TEAM_ID>`."
        )
    else:
        status = (
            f":large_green_circle: *Connected* to Bunce {info.environment} · `{info.hint}` · "
            f"since {info.set_at:%Y-%m-%d}"
        )
    return {
        "type": "home",
        "blocks": [
            header("Bunce segments"),
            section(
                f"Type `{ids.COMMAND}` in any channel to create a customer segment in Bunce. "
                "The new segment is announced in the channel you choose."
            ),
            divider(),
            section(status),
            context(f"`{ids.COMMAND} help` lists everything you can do."),
        ],
    }
