"""create_app: the Bolt App, wired to Slack's Web API and to our listeners. Wiring only."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot import ids
from bot.command import listeners as command_listeners
from bot.command.listeners import Features
from bot.config import Settings
from bot.create import listeners as create_listeners
from bot.create.worker import SubmissionWorker
from bot.deps import Services
from bot.manage import listeners as manage_listeners
from bot.people import listeners as people_listeners
from bot.slack.clients import configure
from bot.store.installations import oauth_state_store
from bot.workflow import listeners as workflow_listeners
from bot.workspace import listeners as workspace_listeners

LISTENER_THREADS = 16


def create_app(settings: Settings, services: Services, worker: SubmissionWorker) -> App:
    """Build the App; nothing here calls Slack (auth.test happens on the first request)."""
    app = App(
        token=None if settings.multi_workspace else settings.bot_token,
        signing_secret=settings.signing_secret or "",
        oauth_settings=_oauth_settings(settings, services),
        # Also given directly: Bolt's token rotation then uses this app's client (base_url).
        installation_store=services.installations,
        request_verification_enabled=not settings.socket_mode,
        token_verification_enabled=False,
        logger=logging.getLogger("bot.bolt"),
        # Sized for concurrent requests: each listener thread only acks and makes one fast
        # Slack call; Bunce work goes to services.background.
        listener_executor=ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="bolt"),
    )
    # Configure Bolt's own client rather than passing one: Bolt also reads SLACK_BOT_TOKEN from
    # the environment and warns when both are present. The OAuth flow, authorize and
    # per-request clients all use (or copy) this object.
    configure(app.client, settings)
    features = Features(
        create=services.create_deps(),
        manage=services.manage_deps(),
        workspace=services.workspace_deps(),
    )
    command_listeners.register(app, features)
    create_listeners.register(app, features.create, worker)
    manage_listeners.register(app, features.manage)
    people_listeners.register(app, services.people_deps(worker))
    workspace_listeners.register(app, features.workspace)
    workflow_listeners.register(app, services.workflow_deps(), worker)
    return app


def _oauth_settings(settings: Settings, services: Services) -> OAuthSettings | None:
    """Multi-workspace install: Bolt serves /slack/install and /slack/oauth_redirect."""
    if not settings.multi_workspace or services.installations is None:
        return None
    return OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(ids.BOT_SCOPES),
        installation_store=services.installations,
        state_store=oauth_state_store(services.engine),
        authorization_url=_authorization_url(settings.slack_api_url),
    )


def _authorization_url(slack_api_url: str) -> str:
    """Slack's consent page on the same host as its Web API (slack.com, or GovSlack's)."""
    parts = urlsplit(slack_api_url)
    return f"{parts.scheme}://{parts.netloc}/oauth/v2/authorize"
