"""Slack Web API clients outside a request: for a workspace's background work (recovery, DMs)."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.config import Settings
from bot.slack.calls import NETWORK_ERRORS, RetryUnlessPosting
from bot.store.db import StoreError
from bot.store.installations import EncryptedInstallationStore
from bot.tenant import Workspace

logger = logging.getLogger(__name__)

# Bolt's default refresh window (OAuthSettings.token_rotation_expiration_minutes = 120).
ROTATION_MINUTES = 120
# Refusals that mean "try again later", not "this refresh token is dead": Slack's generic
# server-side errors (internal_error and fatal_error, as in the error table of
# https://api.slack.com/methods/oauth.v2.exchange) and rate limiting.
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable"}
)

ClientFor = Callable[[Workspace], WebClient | None]


def configure(client: WebClient, settings: Settings) -> WebClient:
    """The same base URL, timeout and retries for every client the app uses."""
    client.base_url = settings.slack_api_url.rstrip("/") + "/"
    client.timeout = settings.slack_timeout  # type: ignore[assignment]  # urllib takes floats
    client.retry_handlers = [RetryUnlessPosting(), RateLimitErrorRetryHandler()]
    return client


def client_factory(
    settings: Settings, installations: EncryptedInstallationStore | None
) -> ClientFor:
    """One bot token for a single workspace; each workspace's own token with OAuth installs."""
    if installations is None:

        def client_for(workspace: Workspace) -> WebClient | None:
            return configure(WebClient(token=settings.bot_token), settings)

        return client_for
    return _InstalledClients(settings, installations)


class _InstalledClients:
    """client_for with OAuth installs: the workspace's bot token, refreshed first if it expires.

    Bolt refreshes rotating tokens (https://api.slack.com/authentication/rotation: they expire
    every 12 hours) only on incoming requests, in its authorize step; background work (recovery
    after a restart) has none, so it refreshes here. Copied from Bolt's InstallationStoreAuthorize
    (slack_bolt/authorization/authorize.py, v1.30): find_installation first, find_bot when that
    has no bot token; slack_sdk's TokenRotator with Bolt's default 120 minutes before expiry
    (slack_bolt/oauth/oauth_settings.py, token_rotation_expiration_minutes); the refreshed
    installation saved with save() (save_bot() for a bot record); a SlackTokenRotationError gives
    no token (Bolt's authorize returns None).

    Slack revokes a refresh token once it is exchanged (same guide: "The refresh token is then
    revoked"), so two refreshes of one installation cannot both succeed. In this process they
    are serialised per workspace; against other processes (or Bolt's own refresh) the loser's
    refusal is followed by a re-read of the store, where the winner saved the new tokens. If the
    winner has not saved yet, this call gives None and the worker retries later.
    """

    def __init__(self, settings: Settings, installations: EncryptedInstallationStore) -> None:
        self._settings = settings
        self._store = installations
        self._rotator: TokenRotator | None = None
        if settings.client_id and settings.client_secret:
            # The refresh goes to SLACK_API_URL, like every other call the app makes.
            self._rotator = TokenRotator(
                client_id=settings.client_id,
                client_secret=settings.client_secret,
                client=configure(WebClient(), settings),
            )
        self._guard = threading.Lock()
        self._locks: dict[Workspace, threading.Lock] = {}
        # Digests (never the tokens) of refresh tokens Slack refused: not sent again.
        self._refused: set[str] = set()
        # Refreshed records the database would not take: their refresh token exists nowhere else.
        self._unsaved: dict[Workspace, Installation | Bot] = {}

    def __call__(self, workspace: Workspace) -> WebClient | None:
        """A client with the workspace's working bot token, or None (not installed, refused)."""
        with self._lock_for(workspace):
            token = self._bot_token(workspace)
        return None if token is None else configure(WebClient(token=token), self._settings)

    def _lock_for(self, workspace: Workspace) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(workspace, threading.Lock())

    def _bot_token(self, workspace: Workspace) -> str | None:
        pending = self._unsaved.get(workspace)
        if pending is not None:
            if not self._save(workspace, pending):
                return pending.bot_token
            del self._unsaved[workspace]
        current = self._find(workspace)
        if current is None or current.bot_token is None:
            return None
        if current.bot_refresh_token is None or self._rotator is None:
            return current.bot_token  # not a rotating token
        if _digest(current.bot_refresh_token) in self._refused:
            logger.warning(
                "no Slack client for %s: its token refresh was refused; reinstall the app",
                workspace.log_fields(),
            )
            return None
        try:
            refreshed = self._rotate(current)
        except SlackTokenRotationError as refusal:
            return self._after_refusal(workspace, current, refusal)
        except NETWORK_ERRORS as error:
            # Slack may have exchanged the refresh token and only the answer was lost; nothing
            # can recover that. The current token may still have a while to live.
            logger.warning(
                "bot token refresh for %s got no answer from Slack (%s)",
                workspace.log_fields(),
                type(error).__name__,
            )
            return current.bot_token if _still_valid(current) else None
        if refreshed is None:
            return current.bot_token  # not expiring yet
        if not self._save(workspace, refreshed):
            self._unsaved[workspace] = refreshed
        logger.info("refreshed the bot token of %s", workspace.log_fields())
        return refreshed.bot_token

    def _find(self, workspace: Workspace) -> Installation | Bot | None:
        """Bolt's lookup: the latest installation, or the latest bot when it has no bot token."""
        found: Installation | Bot | None = self._store.find_installation(
            enterprise_id=workspace.enterprise_id,
            team_id=workspace.team_id,
            is_enterprise_install=workspace.is_enterprise_install,
        )
        if found is None or found.bot_token is None:
            found = self._store.find_bot(
                enterprise_id=workspace.enterprise_id,
                team_id=workspace.team_id,
                is_enterprise_install=workspace.is_enterprise_install,
            )
        return found

    def _rotate(self, record: Installation | Bot) -> Installation | Bot | None:
        """The refreshed record, or None when the token is not within Bolt's refresh window."""
        assert self._rotator is not None
        if isinstance(record, Installation):
            return self._rotator.perform_token_rotation(
                installation=record, minutes_before_expiration=ROTATION_MINUTES
            )
        return self._rotator.perform_bot_token_rotation(
            bot=record, minutes_before_expiration=ROTATION_MINUTES
        )

    def _save(self, workspace: Workspace, record: Installation | Bot) -> bool:
        """Store a refreshed record (sealed by the store); False if the database refused."""
        try:
            if isinstance(record, Installation):
                self._store.save(record)
            else:
                self._store.save_bot(record)
        except StoreError:
            logger.error(
                "could not store the refreshed bot token of %s; kept in memory, will retry",
                workspace.log_fields(),
            )
            return False
        return True

    def _after_refusal(
        self, workspace: Workspace, spent: Installation | Bot, refusal: SlackTokenRotationError
    ) -> str | None:
        """Slack refused the refresh: a spent token (another refresher won) or a revoked app."""
        error = str(refusal.api_error.response.get("error") or "unknown_error")
        if error in TRANSIENT_ERRORS:
            logger.warning(
                "bot token refresh for %s failed error=%s; will retry",
                workspace.log_fields(),
                error,
            )
            return spent.bot_token if _still_valid(spent) else None
        again = self._find(workspace)
        if again is not None and again.bot_token and again.bot_token != spent.bot_token:
            logger.info("bot token of %s was refreshed elsewhere; using it", workspace.log_fields())
            return again.bot_token
        assert spent.bot_refresh_token is not None
        self._refused.add(_digest(spent.bot_refresh_token))
        logger.error(
            "Slack refused to refresh the bot token of %s (error=%s): the app was probably "
            "uninstalled or its tokens revoked; it must be reinstalled",
            workspace.log_fields(),
            error,
        )
        return None


def _still_valid(record: Installation | Bot) -> bool:
    """The token's own expiry (we refresh two hours early) has not passed."""
    expires_at = record.bot_token_expires_at
    return expires_at is None or expires_at > time.time()


def _digest(secret: str) -> str:
    """Remember a token without holding it."""
    return hashlib.sha256(secret.encode()).hexdigest()
