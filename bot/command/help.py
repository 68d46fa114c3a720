"""What `/segment help` (and an unknown sub-command) answers."""

from __future__ import annotations

from bot import ids
from bot.slack.blocks import Message, ephemeral

USAGE = (
    f"*{ids.COMMAND}* creates a customer segment in Bunce and announces it here.\n"
    f"• `{ids.COMMAND}` opens the form\n"
    f"• `{ids.COMMAND} Spring launch VIPs` opens it with the name filled in\n"
    f'• `{ids.COMMAND} "List of VIPs"`: quote a name that starts with a reserved word\n'
    f"• `{ids.COMMAND} list [words]` lists the workspace's segments (share or edit them)\n"
    f"• `{ids.COMMAND} status` says whether this workspace is connected to Bunce\n"
    f"• `{ids.COMMAND} connect` / `{ids.COMMAND} disconnect` (admins) manage the Bunce key\n"
    f"• `{ids.COMMAND} help` shows this message\n"
    "Shortcuts: *Create Bunce segment* (⚡ menu) and, on any message, *Add people to "
    "segment*. The app's Home tab shows recent segments."
)


def build_help_message() -> Message:
    return ephemeral(USAGE)
