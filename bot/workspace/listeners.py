"""The workspace feature's listeners: connect and disconnect forms, App Home, uninstall events."""

from __future__ import annotations

import functools
import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import ids
from bot.slack.notice import build_loading_modal
from bot.slack.payload import bind, user_id
from bot.store.db import StoreError
from bot.tenant import Workspace
from bot.workspace import jobs
from bot.workspace.connection import looks_like_key
from bot.workspace.deps import WorkspaceDeps
from bot.workspace.home import publish_home
from bot.workspace.model import ConnectProblem
from bot.workspace.views import CONNECT_ERRORS, parse_connect_key

logger = logging.getLogger(__name__)


def register(app: App, deps: WorkspaceDeps) -> None:
    app.view(ids.CONNECT_VIEW)(bind(handle_connect_submission, deps=deps))
    app.view(ids.DISCONNECT_VIEW)(bind(handle_disconnect_submission, deps=deps))
    app.action(ids.HOME_TEST)(bind(handle_test_action, deps=deps))
    controls = {
        ids.HOME_CONNECT: (jobs.open_connect, "Connect Bunce"),
        ids.HOME_REPLACE: (jobs.open_connect, "Connect Bunce"),
        ids.HOME_DISCONNECT: (jobs.remove_key, None),
        ids.HOME_DEFAULT_CHANNEL: (jobs.set_default, None),
        ids.HOME_CLEAR_DEFAULT: (jobs.clear_default, None),
    }
    for action_id, (effect, opens) in controls.items():
        control = functools.partial(jobs.run_admin_control, effect, opens)
        app.action(action_id)(bind(handle_admin_control, control=control, deps=deps))
    app.event("app_home_opened")(bind(handle_home_opened, deps=deps))
    app.event("app_uninstalled")(bind(handle_app_uninstalled, deps=deps))
    app.event("tokens_revoked")(bind(handle_tokens_revoked, deps=deps))


def handle_connect_submission(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: WorkspaceDeps
) -> None:
    view = body.get("view") or {}
    text = parse_connect_key(view)
    if not looks_like_key(text):  # no need to ask anyone: say so inline, at once
        error = CONNECT_ERRORS[ConnectProblem.NOT_A_KEY]
        ack(response_action="errors", errors={ids.CONNECT_KEY: error})
        return
    # Admin rights (users.info) and Bunce's verdict can each outlast Slack's 3 s: answer now,
    # decide in the background, then replace the view with the outcome.
    loading = build_loading_modal("Connect Bunce", "Checking the key with Bunce…")
    ack(response_action="update", view=loading)
    workspace, user = Workspace.from_context(context), user_id(body)
    view_id = str(view.get("id"))
    deps.background.submit(jobs.finish_connect, client, workspace, user, text, view_id, deps)


def handle_disconnect_submission(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: WorkspaceDeps
) -> None:
    ack(response_action="update", view=build_loading_modal("Disconnect Bunce", "Disconnecting…"))
    workspace, user = Workspace.from_context(context), user_id(body)
    view_id = str((body.get("view") or {}).get("id"))
    deps.background.submit(jobs.finish_disconnect, client, workspace, user, view_id, deps)


def handle_test_action(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: WorkspaceDeps
) -> None:
    ack()
    workspace = Workspace.from_context(context)
    deps.background.submit(jobs.test_then_publish, client, workspace, user_id(body), deps)


def handle_admin_control(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    control: Any,
    deps: WorkspaceDeps,
) -> None:
    ack()
    control(body, client, Workspace.from_context(context), user_id(body), deps)


def handle_home_opened(
    event: dict[str, Any], client: WebClient, context: BoltContext, *, deps: WorkspaceDeps
) -> None:
    if event.get("tab") != "home":
        return
    try:
        publish_home(client, Workspace.from_context(context), event["user"], deps)
    except StoreError:
        logger.warning("home not published: store unavailable")


def handle_app_uninstalled(context: BoltContext, *, deps: WorkspaceDeps) -> None:
    jobs.forget_workspace(Workspace.from_context(context), "app_uninstalled", deps)


def handle_tokens_revoked(
    event: dict[str, Any], context: BoltContext, *, deps: WorkspaceDeps
) -> None:
    """Bot tokens revoked: the app can't act here any more, so forget the workspace.

    Only user tokens revoked: drop those users' installations, keep the workspace.
    """
    tokens = event.get("tokens") or {}
    workspace = Workspace.from_context(context)
    if tokens.get("bot"):
        jobs.forget_workspace(workspace, "tokens_revoked", deps)
    elif deps.installations is not None:
        for user in tokens.get("oauth") or []:
            deps.installations.delete_installation(
                enterprise_id=workspace.enterprise_id, team_id=workspace.team_id, user_id=user
            )
