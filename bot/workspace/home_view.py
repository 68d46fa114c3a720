"""The App Home tab: connection status, admin controls, recent activity and settings."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.slack.blocks import button, context, divider, header, plain, section
from bot.slack.mrkdwn import fit, when
from bot.store.records import Action, AuditEvent
from bot.workspace.model import HomeModel


def who_can_connect(model: HomeModel) -> str:
    people = [f"<@{user}>" for user in (model.installer_id, *model.listed_admins) if user]
    named = ", ".join(dict.fromkeys(people))
    return "a workspace admin or owner" + (f", or {named}" if named else "")


def build_home(model: HomeModel) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        header("Bunce segments"),
        section(
            f"Type `{ids.COMMAND}` in any channel to create a customer segment in Bunce. "
            "The new segment is announced in the conversation you choose."
        ),
        divider(),
        *(_connected(model) if model.key else _not_connected(model)),
        divider(),
        *_activity(model.recent),
    ]
    if model.is_admin:
        blocks += [divider(), *_settings(model)]
    blocks.append(context(f"`{ids.COMMAND} help` lists everything you can do."))
    return {"type": "home", "blocks": blocks}


def _connected(model: HomeModel) -> list[dict[str, Any]]:
    key = model.key
    assert key is not None
    by = f" by <@{key.set_by}>" if key.set_by and key.set_by != "cli" else " from the server"
    text = (
        f":large_green_circle: *Connected* to Bunce *{key.environment}* · `{key.hint}`\n"
        f"Connected{by} {when(key.set_at)}"
    )
    if model.last_check is not None:
        ok = model.last_check.action == Action.KEY_VERIFIED
        outcome = "worked" if ok else "failed: " + fit(model.last_check.detail or "", 100)
        text += f"\nLast test {when(model.last_check.at)}: {outcome}"
    elements = [button("Test connection", ids.HOME_TEST)]
    if model.is_admin:
        elements.append(button("Replace key", ids.HOME_REPLACE))
        disconnect = button("Disconnect", ids.HOME_DISCONNECT, style="danger")
        disconnect["confirm"] = {
            "title": plain("Disconnect Bunce?"),
            "text": plain(
                "The workspace's Bunce key will be deleted. Nobody can create segments from "
                "Slack until an admin connects again."
            ),
            "confirm": plain("Disconnect"),
            "deny": plain("Cancel"),
            "style": "danger",
        }
        elements.append(disconnect)
    return [
        section(text, block_id=ids.HOME_STATUS),
        {"type": "actions", "block_id": ids.HOME_ACTIONS, "elements": elements},
    ]


def _not_connected(model: HomeModel) -> list[dict[str, Any]]:
    if model.is_admin:
        return [
            section(
                ":red_circle: *Not connected.* Connect this workspace to Bunce with its secret "
                "key (Bunce → Settings → API & Webhooks) so people can create segments here.",
                block_id=ids.HOME_STATUS,
            ),
            {
                "type": "actions",
                "block_id": ids.HOME_ACTIONS,
                "elements": [button("Connect Bunce", ids.HOME_CONNECT, style="primary")],
            },
        ]
    return [
        section(
            ":red_circle: *Not connected.* Segments can't be created from Slack until the "
            f"workspace is connected to Bunce. Ask {who_can_connect(model)} to connect it.",
            block_id=ids.HOME_STATUS,
        )
    ]


def _activity(recent: list[AuditEvent]) -> list[dict[str, Any]]:
    if not recent:
        return [
            section("*Recent segments*\nNone created from Slack yet.", block_id=ids.HOME_ACTIVITY)
        ]
    lines = []
    for event in recent[:10]:
        where = f" in <#{event.channel_id}>" if event.channel_id else ""
        by = f"<@{event.user_id}>" if event.user_id else "someone"
        lines.append(f"• *{fit(event.segment_name or '?', 120)}* by {by}{where}, {when(event.at)}")
    return [section("*Recent segments*\n" + "\n".join(lines), block_id=ids.HOME_ACTIVITY)]


def _settings(model: HomeModel) -> list[dict[str, Any]]:
    select: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": ids.HOME_DEFAULT_CHANNEL,
        "placeholder": plain("Choose a channel"),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    blocks = [
        section(
            "*Settings* (admins)\n*Default announcement channel*: offered first in the form, and "
            "used when `/segment` runs where I can't post.",
            block_id=ids.HOME_SETTINGS,
            accessory=select,
        )
    ]
    if model.default_channel_id:
        select["initial_conversation"] = model.default_channel_id
        blocks.append(
            {
                "type": "actions",
                "block_id": ids.HOME_CLEAR_DEFAULT,
                "elements": [button("Clear default channel", ids.HOME_CLEAR_DEFAULT)],
            }
        )
    return blocks
