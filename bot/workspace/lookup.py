"""Finding a workspace's Bunce key and settings: the one lookup rule every feature uses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from bot.store.keys import KeyStore, WorkspaceKey, WorkspaceKeyInfo
from bot.store.workspaces import WorkspaceSettings, WorkspaceSettingsStore
from bot.tenant import Workspace

T = TypeVar("T")


def key_rows(workspace: Workspace) -> list[tuple[str | None, str | None]]:
    """The (team, enterprise) rows that may hold the workspace's key, first match wins.

    A Grid workspace's key may have been stored without its org id (`keys set T…` from the CLI),
    so lookups fall back to the team alone; deleting must then delete both, or a disconnected
    or uninstalled workspace keeps a working key.
    """
    rows = [(workspace.team_id, workspace.enterprise_id)]
    if workspace.enterprise_id and workspace.team_id:
        rows.append((workspace.team_id, None))
    return rows


def find_key_info(keys: KeyStore, workspace: Workspace) -> WorkspaceKeyInfo | None:
    """The workspace's key metadata (see key_rows)."""
    return _first(keys.info, workspace)


def find_key(keys: KeyStore, workspace: Workspace) -> WorkspaceKey | None:
    """The workspace's decrypted key (see key_rows)."""
    return _first(keys.get, workspace)


def _first(read: Callable[[str | None, str | None], T | None], workspace: Workspace) -> T | None:
    for team_id, enterprise_id in key_rows(workspace):
        found = read(team_id, enterprise_id)
        if found is not None:
            return found
    return None


def delete_keys(keys: KeyStore, workspace: Workspace) -> bool:
    """Delete every row a lookup for the workspace could find; True if any existed."""
    deleted = [keys.delete(team, enterprise) for team, enterprise in key_rows(workspace)]
    return any(deleted)


class WorkspaceLookup:
    """Key metadata and settings per workspace, cached briefly: every /segment reads both before
    its ack, and they change only when an admin acts (which calls forget)."""

    def __init__(
        self,
        keys: KeyStore,
        settings: WorkspaceSettingsStore,
        ttl: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys, self._settings, self._ttl, self._clock = keys, settings, ttl, clock
        self._cache: dict[tuple[str, Workspace], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def key_info(self, workspace: Workspace, *, cached: bool = True) -> WorkspaceKeyInfo | None:
        """Key metadata; `cached=False` where a decision must see another process's change."""
        if not cached:
            return find_key_info(self._keys, workspace)
        return self._cached("key", workspace, lambda: find_key_info(self._keys, workspace))

    def key(self, workspace: Workspace) -> WorkspaceKey | None:
        """The decrypted key, never cached: it is read only just before Bunce is called."""
        return find_key(self._keys, workspace)

    def settings(self, workspace: Workspace, *, cached: bool = True) -> WorkspaceSettings | None:
        def load() -> WorkspaceSettings | None:
            return self._settings.get(workspace.team_id, workspace.enterprise_id)

        return self._cached("settings", workspace, load) if cached else load()

    def forget(self, workspace: Workspace) -> None:
        with self._lock:
            for kind in ("key", "settings"):
                self._cache.pop((kind, workspace), None)
                self._cache.pop((kind, Workspace(workspace.team_id, workspace.enterprise_id)), None)

    def _cached(self, kind: str, workspace: Workspace, load: Callable[[], Any]) -> Any:
        now = self._clock()
        with self._lock:
            hit = self._cache.get((kind, workspace))
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        with self._lock:
            self._cache[(kind, workspace)] = (now + self._ttl, value)
        return value
