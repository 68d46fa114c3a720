"""Events: App Home, and uninstall/revocation (every secret of the workspace is deleted)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.deps import Services
from bot.store.db import StoreError
from bot.tenant import Workspace
from bot.workspace.connection import forget
from bot.workspace.home import publish_home

logger = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    def handle_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("tab") != "home":
            return
        try:
            publish_home(client, Workspace.from_context(context), event["user"], services)
        except StoreError:
            logger.warning("home not published: store unavailable")

    def handle_app_uninstalled(context: BoltContext) -> None:
        _forget(Workspace.from_context(context), "app_uninstalled")

    def handle_tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
        """Bot tokens revoked: the app can't act here any more, so forget the workspace.

        Only user tokens revoked: drop those users' installations, keep the workspace.
        """
        tokens = event.get("tokens") or {}
        workspace = Workspace.from_context(context)
        if tokens.get("bot"):
            _forget(workspace, "tokens_revoked")
        elif services.installations is not None:
            for user_id in tokens.get("oauth") or []:
                services.installations.delete_installation(
                    enterprise_id=workspace.enterprise_id,
                    team_id=workspace.team_id,
                    user_id=user_id,
                )

    def _forget(workspace: Workspace, reason: str) -> None:
        try:
            forget(workspace, services)
        except StoreError:
            logger.exception(
                "could not forget workspace after %s %s", reason, workspace.log_fields()
            )
            return
        logger.info("workspace forgotten after %s %s", reason, workspace.log_fields())

    app.event("app_home_opened")(handle_home_opened)
    app.event("app_uninstalled")(handle_app_uninstalled)
    app.event("tokens_revoked")(handle_tokens_revoked)
