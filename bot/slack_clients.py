"""Slack Web API clients outside a request: for a workspace's background work (recovery, DMs)."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.config import Settings
from bot.store.installations import EncryptedInstallationStore
from bot.workspace import Workspace

SLACK_TIMEOUT = 10  # seconds

ClientFor = Callable[[Workspace], WebClient | None]


def configure(client: WebClient, settings: Settings) -> WebClient:
    """The same base URL, timeout and retries for every client the app uses."""
    client.base_url = settings.slack_api_url.rstrip("/") + "/"
    client.timeout = SLACK_TIMEOUT
    client.retry_handlers = [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler()]
    return client


def client_factory(
    settings: Settings, installations: EncryptedInstallationStore | None
) -> ClientFor:
    """One bot token for a single workspace; each workspace's own token with OAuth installs."""

    def client_for(workspace: Workspace) -> WebClient | None:
        if installations is None:
            return configure(WebClient(token=settings.bot_token), settings)
        bot = installations.find_bot(
            enterprise_id=workspace.enterprise_id,
            team_id=workspace.team_id,
            is_enterprise_install=workspace.is_enterprise_install,
        )
        if bot is None:
            return None
        return configure(WebClient(token=bot.bot_token), settings)

    return client_for
