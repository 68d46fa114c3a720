"""Events: App Home, and uninstall (the workspace's Bunce key is deleted with the app)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.store.db import StoreError
from bot.ui.home import build_home
from bot.workspace import Workspace, find_key_info

logger = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    def handle_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        if event.get("tab") != "home":
            return
        try:
            info = find_key_info(services.keys, Workspace.from_context(context))
        except StoreError:
            logger.warning("home not published: store unavailable")
            return
        try:
            client.views_publish(user_id=event["user"], view=build_home(info))
        except SlackApiError as error:
            logger.info("views.publish failed error=%s", error.response.get("error"))

    def handle_app_uninstalled(context: BoltContext) -> None:
        workspace = Workspace.from_context(context)
        try:
            services.keys.delete(workspace.team_id, workspace.enterprise_id)
        except StoreError:
            logger.exception("could not delete key on uninstall %s", workspace.log_fields())
            return
        logger.info("app uninstalled; key deleted %s", workspace.log_fields())

    def handle_tokens_revoked() -> None:
        """Nothing stored per token in single-workspace mode; acked so Slack doesn't retry."""

    app.event("app_home_opened")(handle_home_opened)
    app.event("app_uninstalled")(handle_app_uninstalled)
    app.event("tokens_revoked")(handle_tokens_revoked)
