"""Which workspace a request belongs to, taken only from Bolt's signed-request context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.store.keys import KeyStore, WorkspaceKey, WorkspaceKeyInfo


@dataclass(frozen=True)
class Workspace:
    """A tenant: Slack team ids are globally unique; Enterprise Grid adds the org id."""

    team_id: str | None
    enterprise_id: str | None = None
    is_enterprise_install: bool = False

    @classmethod
    def from_context(cls, context: Any) -> Workspace:
        """From Bolt's context, which Bolt fills from the verified payload, never from user text."""
        if context.get("is_enterprise_install"):
            return cls(None, context.get("enterprise_id"), is_enterprise_install=True)
        return cls(team_id=context.get("team_id"), enterprise_id=context.get("enterprise_id"))

    def log_fields(self) -> str:
        return f"team={self.team_id or '-'} enterprise={self.enterprise_id or '-'}"


def find_key_info(keys: KeyStore, workspace: Workspace) -> WorkspaceKeyInfo | None:
    """The workspace's key metadata; a Grid workspace may have been stored without its org id."""
    info = keys.info(workspace.team_id, workspace.enterprise_id)
    if info is None and workspace.enterprise_id and workspace.team_id:
        info = keys.info(workspace.team_id, None)
    return info


def find_key(keys: KeyStore, workspace: Workspace) -> WorkspaceKey | None:
    """The workspace's decrypted key, with the same lookup rule as find_key_info."""
    key = keys.get(workspace.team_id, workspace.enterprise_id)
    if key is None and workspace.enterprise_id and workspace.team_id:
        key = keys.get(workspace.team_id, None)
    return key
