"""Views and messages for connecting, checking and disconnecting the workspace's Bunce key."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.slack.blocks import Message, context, ephemeral, plain, section
from bot.slack.mrkdwn import when
from bot.slack.notice import build_notice
from bot.store.records import WorkspaceKeyInfo
from bot.workspace.home_view import last_test_failed, last_test_sentence, who_can_connect
from bot.workspace.model import ConnectProblem, HomeModel

CONNECT_ERRORS = {
    ConnectProblem.NOT_A_KEY: "That isn't a Bunce secret key: it starts with sk_live_ (live) or "
    "sk_test_ (sandbox). Copy it from Bunce → Settings → API & Webhooks.",
    ConnectProblem.REJECTED: "Bunce rejected this key: it may be revoked, mistyped, or for the "
    "other environment. Nothing was saved.",
    ConnectProblem.UNVERIFIED: "Couldn't verify the key: Bunce didn't answer in time or is busy. "
    "Nothing was saved; try again in a minute.",
}

NOT_ADMIN = (
    "Sorry, only a workspace admin or owner, the person who installed the app, or someone the "
    "app's operator listed can change the Bunce connection. Nothing was changed."
)


def not_admin(who: str) -> str:
    """The refusal naming who can change the connection (AdminPolicy.who)."""
    return f"Sorry, only {who} can change the Bunce connection. Nothing was changed."


NOTHING_TO_DISCONNECT = "This workspace isn't connected to Bunce: nothing to disconnect."


def build_connect_modal(
    replacing: WorkspaceKeyInfo | None = None, problem: str | None = None
) -> dict[str, Any]:
    """Slack has no masked input, so the hint says the key shows while typed and how to rotate.

    `problem` is why the last key wasn't saved (shown above an empty field: the key that was
    typed is never sent back to Slack).
    """
    intro = "Paste the workspace's Bunce secret key. Everyone here then creates segments with it."
    if replacing is not None:
        intro = (
            f"This replaces the current {replacing.environment} key `{replacing.hint}` "
            "once the new one is verified."
        )
    notice = [section(f":warning: {problem}")] if problem else []
    return {
        "type": "modal",
        "callback_id": ids.CONNECT_VIEW,
        "title": plain("Replace Bunce key" if replacing else "Connect Bunce"),
        "submit": plain("Connect"),
        "close": plain("Cancel"),
        "blocks": [
            *notice,
            section(intro),
            {
                "type": "input",
                "block_id": ids.CONNECT_KEY,
                "label": plain("Bunce secret key"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.CONNECT_KEY,
                    "placeholder": plain("sk_live_… or sk_test_…"),
                    "max_length": 200,
                },
                "hint": plain(
                    "Slack has no hidden input, so the key is visible while you type it. It is "
                    "checked with Bunce, stored encrypted, and never shown again. If it was "
                    "exposed, rotate it in Bunce and connect the new one."
                ),
            },
            context("Find it in Bunce → Settings → API & Webhooks. sk_test_ keys use the sandbox."),
        ],
    }


def parse_connect_key(view: object) -> str:
    """The typed key, or "" whatever the payload's shape."""
    values = view.get("state", {}).get("values", {}) if isinstance(view, dict) else {}
    field = (
        values.get(ids.CONNECT_KEY, {}).get(ids.CONNECT_KEY, {}) if isinstance(values, dict) else {}
    )
    value = field.get("value") if isinstance(field, dict) else None
    return value if isinstance(value, str) else ""


def build_connected_view(info: WorkspaceKeyInfo, replaced: bool) -> dict[str, Any]:
    verb = "Replaced" if replaced else "Connected"
    return {
        "type": "modal",
        "callback_id": ids.CONNECTED_VIEW,
        "title": plain("Bunce connected"),
        "close": plain("Close"),
        "blocks": [
            section(
                f":large_green_circle: {verb}: Bunce *{info.environment}* · `{info.hint}`. "
                f"Anyone here can now run `{ids.COMMAND}`."
            )
        ],
    }


def build_disconnect_modal(info: WorkspaceKeyInfo) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.DISCONNECT_VIEW,
        "title": plain("Disconnect Bunce"),
        "submit": plain("Disconnect"),
        "close": plain("Cancel"),
        "blocks": [
            section(
                f"This deletes the workspace's Bunce key `{info.hint}` ({info.environment}). "
                "Nobody can create segments from Slack until an admin connects again. "
                "Segments already in Bunce are not touched."
            )
        ],
    }


def build_disconnected_view() -> dict[str, Any]:
    return build_notice(
        "Bunce disconnected",
        ":white_circle: Disconnected. The workspace's Bunce key was deleted.",
        callback_id=ids.CONNECTED_VIEW,
        close="Close",
    )


def build_status_message(model: HomeModel) -> Message:
    """`/segment status`: for anyone; a key hint at most, never the key. Says what the Home says
    about the connection: a failed last test is a warning with its next step."""
    key = model.key
    if key is None:
        return ephemeral(
            ":red_circle: This workspace isn't connected to Bunce. "
            f"Ask {who_can_connect(model)} to connect it with `{ids.COMMAND} connect` "
            "or from the app's Home tab."
        )
    connected = f"Connected to Bunce *{key.environment}* · `{key.hint}`"
    if last_test_failed(model):  # the Home's truth: a key Bunce refused isn't plainly connected
        text = f":warning: {connected} since {when(key.set_at)}, but the last test failed."
    else:
        text = f":large_green_circle: {connected}, since {when(key.set_at)}."
    if model.last_check is not None:
        text += " " + last_test_sentence(model, on_home=False)
    if model.default_channel_id:
        text += f" Default channel for cards: <#{model.default_channel_id}>."
    return ephemeral(text)


def build_refusal_view(text: str = NOT_ADMIN) -> dict[str, Any]:
    """Replaces a modal whose action was refused (a non-admin, or the database is down)."""
    return build_notice("Bunce", f":no_entry: {text}", callback_id=ids.CONNECTED_VIEW)
