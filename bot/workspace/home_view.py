"""The App Home tab: a place to start (Create segment), the connection as it really is, recent
segments that lead somewhere, and the admins' settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot import ids
from bot.slack.blocks import button, context, divider, header, plain, section
from bot.slack.mrkdwn import escape, fit, when
from bot.store.records import Action, AuditEvent
from bot.tenant import author
from bot.workspace.model import HomeModel, who_can

RECENT_ROWS = 10
SECTION_LIMIT = 3000  # characters of a section's text (Block Kit)
URL_LIMIT = 1000  # a longer Bunce link is left out rather than crowd the rows out of a section


def who_can_connect(model: HomeModel) -> str:
    return who_can(model.installer_id, model.listed_admins)


def last_test_outcome(model: HomeModel) -> str | None:
    """ "ok", "rejected", "unavailable" or "failed" (an older row we can't read), None untested.

    check_connection records "<outcome> <hint>"; only the outcome word is ever read, so no raw
    detail reaches the tab.
    """
    check = model.last_check
    if check is None:
        return None
    if check.action == Action.KEY_VERIFIED:
        return "ok"
    word = (check.detail or "").split(" ", 1)[0]
    return word if word in ("rejected", "unavailable") else "failed"


def last_test_failed(model: HomeModel) -> bool:
    """A key whose last test failed is not plainly "Connected": the Home and status warn."""
    return last_test_outcome(model) not in (None, "ok")


def last_test_sentence(model: HomeModel, *, on_home: bool = True) -> str:
    """The last test as a sentence with the next step for this reader ("" when untested).

    Admins get the Home's own buttons; everyone else is told whom to ask. `on_home=False` is
    for `/segment status`, which has no buttons and doesn't know whether the reader is an admin.
    """
    outcome = last_test_outcome(model)
    if outcome is None or model.last_check is None:
        return ""
    tested = f"Tested {when(model.last_check.at)}"
    test_again = "*Test connection*" + ("" if on_home else " on the app's Home tab")
    if outcome == "ok":
        return f"{tested}: Bunce accepted the key."
    if outcome == "rejected":
        if model.is_admin and on_home:
            return (
                f"{tested}: Bunce rejected the key. Replace it with *Replace key*, or press "
                f"{test_again} again once it's fixed in Bunce."
            )
        how = "" if on_home else f" (`{ids.COMMAND} connect`)"
        return (
            f"{tested}: Bunce rejected the key. An admin should replace it{how}: "
            f"ask {who_can_connect(model)}."
        )
    said = "Bunce didn't answer" if outcome == "unavailable" else "the test failed"
    text = f"{tested}: {said}. Try {test_again} again in a few minutes."
    if not (model.is_admin and on_home):
        text += f" If it keeps failing, ask {who_can_connect(model)}."
    return text


def build_home(model: HomeModel) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        header("Bunce segments"),
        *_start(model),
        divider(),
        *(_connected(model) if model.key else _not_connected(model)),
        divider(),
        *_activity(model),
    ]
    if model.is_admin:
        blocks += [divider(), *_settings(model)]
    blocks.append(context(f"`{ids.COMMAND} help` lists everything you can do."))
    return {"type": "home", "blocks": blocks}


def _start(model: HomeModel) -> list[dict[str, Any]]:
    """The first thing on the tab: Create segment, once there is a connection to create with."""
    if model.key is None:
        return [
            section(
                "Create customer segments in Bunce without leaving Slack, once this workspace "
                "is connected to Bunce."
            )
        ]
    return [
        section(
            "Create customer segments in Bunce without leaving Slack: press *Create segment*, "
            f"or type `{ids.COMMAND}` in any channel. You choose where each new segment is shared."
        ),
        {
            "type": "actions",
            "block_id": ids.HOME_CREATE,
            "elements": [button("Create segment", ids.HOME_CREATE, style="primary")],
        },
    ]


def _connected(model: HomeModel) -> list[dict[str, Any]]:
    lines = [
        ":warning: *Connected, but the last test failed.*"
        if last_test_failed(model)
        else ":large_green_circle: *Connected* to Bunce."
    ]
    if model.is_admin:
        lines.append(_key_line(model))
    elif not last_test_failed(model):
        lines.append("Anyone here can create segments.")
    if model.last_check is not None:
        lines.append(last_test_sentence(model))
    elements = [button("Test connection", ids.HOME_TEST)]
    if model.is_admin:
        elements += [button("Replace key", ids.HOME_REPLACE), _disconnect_button()]
    return [
        section("\n".join(lines), block_id=ids.HOME_STATUS),
        {"type": "actions", "block_id": ids.HOME_ACTIONS, "elements": elements},
    ]


def _key_line(model: HomeModel) -> str:
    """For admins only: which key, and who connected it when."""
    key = model.key
    assert key is not None
    by = f" by <@{key.set_by}>" if key.set_by and key.set_by != "cli" else " from the server"
    return f"Bunce *{key.environment}* · `{key.hint}`, connected{by} {when(key.set_at)}."


def _disconnect_button() -> dict[str, Any]:
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
    return disconnect


def _not_connected(model: HomeModel) -> list[dict[str, Any]]:
    if model.is_admin:
        return [
            section(
                ":red_circle: *Not connected.* Connect this workspace to Bunce with its secret "
                "key (Bunce → Settings → API & Webhooks) so everyone here can create segments.",
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


def _activity(model: HomeModel) -> list[dict[str, Any]]:
    title = "*Recent segments*"
    if not model.recent:
        empty = (
            "No segments yet. Create your first one: press *Create segment* above, or type "
            f"`{ids.COMMAND}` in any channel."
            if model.key
            else "None created from Slack yet."
        )
        return [section(f"{title}\n{empty}", block_id=ids.HOME_ACTIVITY)]
    lines = [_row(model, event) for event in model.recent[:RECENT_ROWS]]
    return _sections(title, lines)


def _row(model: HomeModel, event: AuditEvent) -> str:
    """One segment: its name (a link to Bunce when the operator set the URL template), where
    its card was shared (a channel link: Slack renders `<#C>` on every surface), who, when."""
    name = fit(event.segment_name or "?", 120)
    url = _segment_url(model.segment_url_template, event.segment_id)
    parts = [f"*<{url}|{name}>*" if url else f"*{name}*"]
    card = model.cards.get(event.segment_id or "")
    by = f"by {author(event.user_id) or 'someone'}"
    if card is not None:
        parts.append(f"Shared in <#{card.channel_id}>")
    elif event.channel_id:
        by += f" in <#{event.channel_id}>"
    parts.append(f"{by}, {when(event.at)}")
    return "• " + " · ".join(parts)


def _segment_url(template: str | None, segment_id: str | None) -> str | None:
    """The segment in Bunce, as card.py's "Open in Bunce" builds it; made safe for a mrkdwn link
    (the id is quoted, the URL escaped and kept free of the `|` that ends a link's address)."""
    if not template or not segment_id:
        return None
    url = escape(template.replace("{id}", quote(segment_id, safe=""))).replace("|", "%7C")
    return url if len(url) <= URL_LIMIT else None


def _sections(title: str, lines: list[str]) -> list[dict[str, Any]]:
    """The rows in as few sections as fit Block Kit's 3,000 characters, the first titled."""
    blocks: list[dict[str, Any]] = []
    text = title
    for line in lines:
        if len(text) + 1 + len(line) > SECTION_LIMIT:
            blocks.append(section(text, block_id=_activity_block(len(blocks))))
            text = line
        else:
            text += "\n" + line
    blocks.append(section(text, block_id=_activity_block(len(blocks))))
    return blocks


def _activity_block(index: int) -> str:
    return ids.HOME_ACTIVITY if index == 0 else f"{ids.HOME_ACTIVITY}_{index}"


def _settings(model: HomeModel) -> list[dict[str, Any]]:
    select: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": ids.HOME_DEFAULT_CHANNEL,
        "placeholder": plain("Choose a channel"),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    blocks = [
        section(
            "*Settings* (admins)\n*Default channel for cards*: offered first in the form, and "
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
