"""What `/segment help` answers: the sub-commands, and the rule that leaves names free."""

from __future__ import annotations

from bot import ids
from bot.slack.blocks import Message, ephemeral

_C = ids.COMMAND
USAGE = (
    f"*{_C}* creates a customer segment in Bunce and shares its card here.\n"
    f"• `{_C}` opens the form\n"
    f"• `{_C} Spring launch VIPs` opens it with the name filled in\n"
    f"• `{_C} list [words]` lists the workspace's segments, or those matching the words "
    "(share or edit them)\n"
    f"• `{_C} status` says whether this workspace is connected to Bunce\n"
    f"• `{_C} connect` / `{_C} disconnect` (admins) manage the Bunce key\n"
    f"• `{_C} help` shows this message\n"
    "*Names that start with these words:* `help`, `status`, `connect` and `disconnect` are "
    f"commands only when typed alone, so `{_C} Help desk users` creates “Help desk users”. "
    f"`{_C} list VIPs` searches, and its answer offers *Create segment “list VIPs”*. "
    f'Quote a name to be explicit: `{_C} "List of VIPs"`.\n'
    "Shortcuts: *Create Bunce segment* (⚡ menu) and, on any message, *Add customers to "
    "segment*. My Home tab shows recent segments and has a *Create segment* button."
)


def build_help_message() -> Message:
    return ephemeral(USAGE)
