"""Who may manage a workspace's Bunce connection, decided on the server for every admin action."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient

from bot.slack.calls import call
from bot.store.db import StoreError
from bot.tenant import Workspace
from bot.workspace.model import who_can

logger = logging.getLogger(__name__)

CACHE_SECONDS = 60.0  # users.info is Tier 4; a demoted admin loses rights within a minute

InstallerLookup = Callable[[Workspace], str | None]


class AdminPolicy:
    """Slack admins and owners, the installer, and BUNCE_ADMIN_USER_IDS; nobody else."""

    def __init__(
        self,
        listed: frozenset[str],
        installer: InstallerLookup | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.listed = listed
        self._installer = installer
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[str | None, str | None, str], tuple[bool, float]] = {}

    def installer_of(self, workspace: Workspace) -> str | None:
        if self._installer is None:
            return None
        try:
            return self._installer(workspace)
        except StoreError:
            logger.warning("installer lookup failed %s", workspace.log_fields())
            return None

    def who(self, workspace: Workspace) -> str:
        """Who can manage the connection, as mrkdwn: named where the app knows them."""
        return who_can(self.installer_of(workspace), sorted(self.listed))

    def is_admin(self, client: WebClient, workspace: Workspace, user_id: str | None) -> bool:
        """Decided without Slack when possible; otherwise users.info, which may be slow: callers
        holding a trigger_id open their modal first (see `known`)."""
        known = self.known(workspace, user_id)
        return known if known is not None else self.ask(client, workspace, str(user_id))

    def ask(self, client: WebClient, workspace: Workspace, user_id: str) -> bool:
        """Slack's answer (users.info), remembered for a minute; for callers that already tried
        `known` (it is not repeated here)."""
        decision = self._ask_slack(client, user_id)
        if decision is not None:
            with self._lock:
                self._cache[self._key(workspace, user_id)] = (
                    decision,
                    self._clock() + CACHE_SECONDS,
                )
        return bool(decision)

    def known(self, workspace: Workspace, user_id: str | None) -> bool | None:
        """The answer when no call to Slack is needed (listed, installer, asked lately)."""
        if not user_id:
            return False
        if user_id in self.listed or user_id == self.installer_of(workspace):
            return True
        with self._lock:
            cached = self._cache.get(self._key(workspace, user_id))
        if cached is not None and cached[1] > self._clock():
            return cached[0]
        return None

    @staticmethod
    def _key(workspace: Workspace, user_id: str) -> tuple[str | None, str | None, str]:
        return (workspace.enterprise_id, workspace.team_id, user_id)

    @staticmethod
    def _ask_slack(client: WebClient, user_id: str) -> bool | None:
        """Slack's own answer, or None when Slack couldn't be asked (then: not an admin)."""
        answer = call(client.users_info, user=user_id)
        user = answer.get("user")
        if not isinstance(user, dict):
            logger.warning("users.info failed user=%s error=%s", user_id, answer.error)
            return None
        # Grid org admins and owners manage every workspace of the org; Slack reports those
        # roles only under enterprise_user (docs.slack.dev/reference/objects/user-object).
        org = user.get("enterprise_user") if isinstance(user.get("enterprise_user"), dict) else {}
        return any(
            role.get(flag) is True
            for role in (user, org)
            for flag in ("is_admin", "is_owner", "is_primary_owner")
        )
