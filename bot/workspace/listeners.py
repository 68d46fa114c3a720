"""Buttons: "Edit and retry" on the error view, and the App Home controls."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import ids
from bot.create.messages import STORE_UNAVAILABLE, TAMPERED
from bot.create.origin import decode_metadata, encode_metadata
from bot.create.views import build_create_modal
from bot.deps import Services
from bot.slack import payload
from bot.slack.calls import call
from bot.slack.notice import build_loading_modal
from bot.store.audit import Action
from bot.store.db import StoreError
from bot.tenant import Workspace
from bot.workspace.connection import check_connection, disconnect
from bot.workspace.home import publish_home
from bot.workspace.lookup import find_key_info
from bot.workspace.views import build_connect_modal, build_refusal_view

logger = logging.getLogger(__name__)

# A Home control's effect; True when the tab must be redrawn afterwards. Its modal, if any, goes
# in the slot (a loading modal may already hold the click's trigger).
Handler = Callable[[dict[str, Any], WebClient, Workspace, str, payload.ModalSlot], bool]


def register(app: App, services: Services) -> None:
    def handle_retry_action(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body.get("view") or {}
        decoded = decode_metadata(services.signer, view.get("private_metadata"))
        if decoded is None:
            logger.warning("refused retry: private_metadata failed its signature check")
            payload.open_view(client, body, build_refusal_view(TAMPERED))
            return
        origin, form = decoded
        modal = build_create_modal(encode_metadata(services.signer, origin), form)
        call(client.views_update, view_id=view.get("id"), hash=view.get("hash"), view=modal)

    def handle_test_action(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        workspace, user_id = Workspace.from_context(context), payload.user_id(body)
        services.background.submit(_test_then_publish, client, workspace, user_id, services)

    def admin_only(handler: Handler, *, opens: str | None = None) -> Callable[..., None]:
        """Home controls change the connection: refuse anyone else, even with a crafted payload.

        Asking Slack who is an admin (users.info) can outlast the click's 3 s trigger, so a
        control that `opens` a modal opens a loading one first when the answer isn't known.
        """

        def listener(
            ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
        ) -> None:
            ack()
            workspace, user_id = Workspace.from_context(context), payload.user_id(body)
            slot = payload.ModalSlot(client, body.get("trigger_id"))
            known = services.admins.known(workspace, user_id)
            if opens and known is None and not slot.hold(build_loading_modal(opens)):
                return
            admin = known if known is not None else services.admins.ask(client, workspace, user_id)
            if not admin:
                logger.warning("refused admin action %s user=%s", workspace.log_fields(), user_id)
                _refuse(slot, build_refusal_view(), client, workspace, user_id)
                return
            try:
                changed = handler(body, client, workspace, user_id, slot)
            except StoreError:
                logger.exception("home action failed %s", workspace.log_fields())
                _refuse(slot, build_refusal_view(STORE_UNAVAILABLE), client, workspace, user_id)
                return
            if changed:
                publish_home(client, workspace, user_id, services)

        return listener

    def _refuse(
        slot: payload.ModalSlot,
        view: dict[str, Any],
        client: WebClient,
        workspace: Workspace,
        user_id: str,
    ) -> None:
        """Say why in a modal; if the trigger expired meanwhile, redraw the tab, which then
        shows this person what they may do."""
        if not slot.show(view):
            publish_home(client, workspace, user_id, services)

    def open_connect(
        body: dict[str, Any], client: WebClient, ws: Workspace, user: str, slot: payload.ModalSlot
    ) -> bool:
        slot.show(build_connect_modal(find_key_info(services.keys, ws)))
        return False  # the connect submission redraws the tab

    def remove_key(
        body: dict[str, Any], client: WebClient, ws: Workspace, user: str, _: payload.ModalSlot
    ) -> bool:
        disconnect(ws, user, services)
        return True

    def set_default(
        body: dict[str, Any], client: WebClient, ws: Workspace, user: str, _: payload.ModalSlot
    ) -> bool:
        actions = body.get("actions") or [{}]
        channel = actions[0].get("selected_conversation") if isinstance(actions[0], dict) else None
        _set_default_channel(ws, user, channel if isinstance(channel, str) else None)
        return True

    def clear_default(
        body: dict[str, Any], client: WebClient, ws: Workspace, user: str, _: payload.ModalSlot
    ) -> bool:
        _set_default_channel(ws, user, None)
        return True

    def _set_default_channel(ws: Workspace, user: str, channel: str | None) -> None:
        services.workspaces.set_default_channel(
            ws.team_id, channel, enterprise_id=ws.enterprise_id, user_id=user
        )
        services.lookup.forget(ws)
        services.audit.record(
            Action.SETTINGS_CHANGED,
            team_id=ws.team_id,
            enterprise_id=ws.enterprise_id,
            user_id=user,
            channel_id=channel,
            detail="default announcement channel " + ("set" if channel else "cleared"),
        )

    app.action(ids.RETRY_ACTION)(handle_retry_action)
    app.action(ids.HOME_TEST)(handle_test_action)
    app.action(ids.HOME_CONNECT)(admin_only(open_connect, opens="Connect Bunce"))
    app.action(ids.HOME_REPLACE)(admin_only(open_connect, opens="Connect Bunce"))
    app.action(ids.HOME_DISCONNECT)(admin_only(remove_key))
    app.action(ids.HOME_DEFAULT_CHANNEL)(admin_only(set_default))
    app.action(ids.HOME_CLEAR_DEFAULT)(admin_only(clear_default))


def _test_then_publish(
    client: WebClient, workspace: Workspace, user_id: str, services: Services
) -> None:
    try:
        check_connection(workspace, user_id, services)
    except StoreError:
        logger.exception("connection test failed %s", workspace.log_fields())
    publish_home(client, workspace, user_id, services)
