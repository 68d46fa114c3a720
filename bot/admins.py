"""Who may manage a workspace's Bunce connection, decided on the server for every admin action."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.store.db import StoreError
from bot.workspace import Workspace

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

    def is_admin(self, client: WebClient, workspace: Workspace, user_id: str | None) -> bool:
        if not user_id:
            return False
        if user_id in self.listed or user_id == self.installer_of(workspace):
            return True
        key = (workspace.enterprise_id, workspace.team_id, user_id)
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        decision = self._ask_slack(client, user_id)
        if decision is not None:
            with self._lock:
                self._cache[key] = (decision, now + CACHE_SECONDS)
        return bool(decision)

    @staticmethod
    def _ask_slack(client: WebClient, user_id: str) -> bool | None:
        """Slack's own answer, or None when Slack couldn't be asked (then: not an admin)."""
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            logger.warning(
                "users.info failed user=%s error=%s", user_id, error.response.get("error")
            )
            return None
        return any(user.get(flag) is True for flag in ("is_admin", "is_owner", "is_primary_owner"))
