"""create_app: the Bolt App, wired to Slack's Web API and to our listeners. Wiring only."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.config import Settings
from bot.listeners import actions, commands, events, views
from bot.services import Services

LISTENER_THREADS = 16
SLACK_TIMEOUT = 10  # seconds; a Slack call on the ack path must never hang a listener


def create_app(settings: Settings, services: Services) -> App:
    """Build the App; nothing here calls Slack (auth.test happens on the first request)."""
    app = App(
        token=settings.bot_token,
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=not settings.socket_mode,
        token_verification_enabled=False,
        logger=logging.getLogger("bot.bolt"),
        # Sized for concurrent requests: each listener thread only acks and makes one fast
        # Slack call; Bunce work goes to services.background.
        listener_executor=ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="bolt"),
    )
    # Configure Bolt's own client rather than passing one: Bolt also reads SLACK_BOT_TOKEN from
    # the environment and warns when both are present. Per-request clients copy these settings.
    app.client.base_url = settings.slack_api_url.rstrip("/") + "/"
    app.client.timeout = SLACK_TIMEOUT
    app.client.retry_handlers = [ConnectionErrorRetryHandler(), RateLimitErrorRetryHandler()]
    commands.register(app, services)
    views.register(app, services)
    actions.register(app, services)
    events.register(app, services)
    return app
