"""The workspace feature's work after an ack: connect, disconnect, test, settings, uninstall.

Each runs off Bolt's listener threads (admin checks ask Slack, verification asks Bunce: either
can outlast Slack's 3 s) and ends by showing its outcome: a modal replaced, the Home redrawn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.sentences import STORE_UNAVAILABLE
from bot.slack.modals import ModalSlot, update_view
from bot.slack.notice import build_loading_modal
from bot.store.db import StoreError
from bot.store.records import Action
from bot.tenant import Workspace
from bot.workspace.connection import check_connection, connect, disconnect, forget
from bot.workspace.deps import WorkspaceDeps
from bot.workspace.home import publish_home
from bot.workspace.views import (
    CONNECT_ERRORS,
    NOTHING_TO_DISCONNECT,
    build_connect_modal,
    build_connected_view,
    build_disconnect_modal,
    build_disconnected_view,
    build_refusal_view,
    not_admin,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Click:
    """An admin's click on a Home control, once their rights are known. Its modal, if any, goes
    in the slot (a loading modal may already hold the click's trigger)."""

    body: dict[str, Any]
    client: WebClient
    workspace: Workspace
    user_id: str
    slot: ModalSlot
    deps: WorkspaceDeps


# A Home control's effect; True when the tab must be redrawn afterwards.
Effect = Callable[[Click], bool]


def _not_admin_view(workspace: Workspace, deps: WorkspaceDeps) -> dict[str, Any]:
    """Refused: who can change the connection, by name where the app knows them."""
    return build_refusal_view(not_admin(deps.admins.who(workspace)))


def finish_connect(
    client: WebClient,
    workspace: Workspace,
    user_id: str,
    text: str,
    view_id: str,
    deps: WorkspaceDeps,
) -> None:
    """Admin check (again: a crafted submission must change nothing), verify, store, show."""
    if not deps.admins.is_admin(client, workspace, user_id):
        update_view(client, view_id, _not_admin_view(workspace, deps))
        return
    replacing = None
    try:
        replacing = deps.lookup.key_info(workspace, cached=False)
        result = connect(workspace, user_id, text, deps)
    except StoreError:
        logger.exception("storing the key failed %s", workspace.log_fields())
        update_view(client, view_id, build_connect_modal(replacing, STORE_UNAVAILABLE))
        return
    if result.info is None:
        problem = CONNECT_ERRORS[result.problem] if result.problem else STORE_UNAVAILABLE
        update_view(client, view_id, build_connect_modal(replacing, problem))
        return
    logger.info("bunce key connected %s user=%s", workspace.log_fields(), user_id)
    update_view(client, view_id, build_connected_view(result.info, result.replaced))
    publish_home(client, workspace, user_id, deps)


def finish_disconnect(
    client: WebClient, workspace: Workspace, user_id: str, view_id: str, deps: WorkspaceDeps
) -> None:
    if not deps.admins.is_admin(client, workspace, user_id):
        update_view(client, view_id, _not_admin_view(workspace, deps))
        return
    try:
        disconnect(workspace, user_id, deps)
    except StoreError:
        logger.exception("disconnect failed %s", workspace.log_fields())
        update_view(client, view_id, build_refusal_view(STORE_UNAVAILABLE))
        return
    update_view(client, view_id, build_disconnected_view())
    publish_home(client, workspace, user_id, deps)


def test_then_publish(
    client: WebClient, workspace: Workspace, user_id: str, deps: WorkspaceDeps
) -> None:
    try:
        check_connection(workspace, user_id, deps)
    except StoreError:
        logger.exception("connection test failed %s", workspace.log_fields())
    publish_home(client, workspace, user_id, deps)


def open_admin_modal(
    name: str,
    client: WebClient,
    workspace: Workspace,
    user_id: str | None,
    trigger_id: object,
    known: bool | None,
    deps: WorkspaceDeps,
) -> bool:
    """`/segment connect|disconnect`: the form for admins, a refusal for anyone else; False if
    the person can't see either (the trigger expired). `known`: AdminPolicy.known's answer."""
    slot = ModalSlot(client, trigger_id)
    title = "Connect Bunce" if name == "connect" else "Disconnect Bunce"
    # Asking Slack (users.info) can outlast the trigger's 3 s: hold it with a modal first.
    held = known is True or slot.hold(build_loading_modal(title))
    return held and slot.show(_admin_view(name, client, workspace, user_id, known, deps))


def _admin_view(
    name: str,
    client: WebClient,
    workspace: Workspace,
    user_id: str | None,
    known: bool | None,
    deps: WorkspaceDeps,
) -> dict[str, Any]:
    admin = known if known is not None else deps.admins.ask(client, workspace, user_id or "")
    if not admin:
        return _not_admin_view(workspace, deps)
    try:
        info = deps.lookup.key_info(workspace, cached=False)
    except StoreError:
        return build_refusal_view(STORE_UNAVAILABLE)
    if name == "connect":
        return build_connect_modal(replacing=info)
    if info is None:
        return build_refusal_view(NOTHING_TO_DISCONNECT)
    return build_disconnect_modal(info)


def run_admin_control(
    effect: Effect,
    opens: str | None,
    body: dict[str, Any],
    client: WebClient,
    workspace: Workspace,
    user_id: str,
    deps: WorkspaceDeps,
) -> None:
    """Home controls change the connection: refuse anyone else, even with a crafted payload.

    Asking Slack who is an admin (users.info) can outlast the click's 3 s trigger, so a control
    that `opens` a modal opens a loading one first when the answer isn't known.
    """
    slot = ModalSlot(client, body.get("trigger_id"))
    known = deps.admins.known(workspace, user_id)
    if opens and known is None and not slot.hold(build_loading_modal(opens)):
        return
    admin = known if known is not None else deps.admins.ask(client, workspace, user_id)
    if not admin:
        logger.warning("refused admin action %s user=%s", workspace.log_fields(), user_id)
        _refuse(slot, _not_admin_view(workspace, deps), client, workspace, user_id, deps)
        return
    try:
        changed = effect(Click(body, client, workspace, user_id, slot, deps))
    except StoreError:
        logger.exception("home action failed %s", workspace.log_fields())
        _refuse(slot, build_refusal_view(STORE_UNAVAILABLE), client, workspace, user_id, deps)
        return
    if changed:
        publish_home(client, workspace, user_id, deps)


def _refuse(
    slot: ModalSlot,
    view: dict[str, Any],
    client: WebClient,
    workspace: Workspace,
    user_id: str,
    deps: WorkspaceDeps,
) -> None:
    """Say why in a modal; if the trigger expired meanwhile, redraw the tab, which then shows
    this person what they may do."""
    if not slot.show(view):
        publish_home(client, workspace, user_id, deps)


# -- the Home controls' effects -----------------------------------------------------------------
def open_connect(click: Click) -> bool:
    click.slot.show(build_connect_modal(click.deps.lookup.key_info(click.workspace, cached=False)))
    return False  # the connect submission redraws the tab


def remove_key(click: Click) -> bool:
    disconnect(click.workspace, click.user_id, click.deps)
    return True


def set_default(click: Click) -> bool:
    actions = click.body.get("actions") or [{}]
    channel = actions[0].get("selected_conversation") if isinstance(actions[0], dict) else None
    chosen = channel if isinstance(channel, str) else None
    set_default_channel(click.workspace, click.user_id, chosen, click.deps)
    return True


def clear_default(click: Click) -> bool:
    set_default_channel(click.workspace, click.user_id, None, click.deps)
    return True


def set_default_channel(ws: Workspace, user: str, channel: str | None, deps: WorkspaceDeps) -> None:
    deps.workspaces.set_default_channel(
        ws.team_id, channel, enterprise_id=ws.enterprise_id, user_id=user
    )
    deps.lookup.forget(ws)
    deps.audit.record(
        Action.SETTINGS_CHANGED,
        team_id=ws.team_id,
        enterprise_id=ws.enterprise_id,
        user_id=user,
        channel_id=channel,
        detail="default channel for cards " + ("set" if channel else "cleared"),
    )


def forget_workspace(workspace: Workspace, reason: str, deps: WorkspaceDeps) -> None:
    """After app_uninstalled or tokens_revoked: every secret of the workspace is deleted."""
    try:
        forget(workspace, deps)
    except StoreError:
        logger.exception("could not forget workspace after %s %s", reason, workspace.log_fields())
        return
    logger.info("workspace forgotten after %s %s", reason, workspace.log_fields())
