"""A workspace's Bunce connection: connect (verified), test, disconnect, and forget on uninstall."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import Enum

from bot.bunce import BunceAuthError, BunceClientFactory, BunceError, InvalidKeyError
from bot.bunce.keys import environment_of, key_hint
from bot.deps import Services
from bot.store.audit import Action
from bot.store.keys import WorkspaceKeyInfo
from bot.tenant import Workspace
from bot.workspace.lookup import delete_keys, find_key, find_key_info

logger = logging.getLogger(__name__)


class ConnectProblem(Enum):
    """Why a key was not stored; each becomes an inline error on the connect modal."""

    NOT_A_KEY = "not_a_key"
    REJECTED = "rejected"
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class ConnectResult:
    info: WorkspaceKeyInfo | None = None
    problem: ConnectProblem | None = None
    replaced: bool = False


def verify_key(key: str, bunce: BunceClientFactory) -> ConnectProblem | None:
    """Ask Bunce whether the key works in its own environment (the cheapest authenticated read)."""
    try:
        bunce.for_key(key).verify()
    except InvalidKeyError:
        return ConnectProblem.NOT_A_KEY
    except BunceAuthError:
        return ConnectProblem.REJECTED
    except BunceError:
        logger.info("key not verified: Bunce unavailable", exc_info=True)
        return ConnectProblem.UNVERIFIED
    return None


def looks_like_key(text: str) -> bool:
    """The prefix check alone: cheap enough to answer inline before the ack."""
    try:
        environment_of(text.strip())
    except InvalidKeyError:
        return False
    return True


def connect(workspace: Workspace, user_id: str, text: str, services: Services) -> ConnectResult:
    """Check the prefix, verify with Bunce, then store (encrypted) and audit; else store nothing.

    Runs after the ack, so Bunce gets its ordinary timeouts rather than a share of Slack's 3 s.
    """
    key = text.strip()
    try:
        environment = environment_of(key)
    except InvalidKeyError:
        return ConnectResult(problem=ConnectProblem.NOT_A_KEY)
    problem = verify_key(key, services.bunce)
    if problem is not None:
        return ConnectResult(problem=problem)
    services.lookup.forget(workspace)
    replaced = find_key_info(services.keys, workspace) is not None
    info = services.keys.put(
        workspace.team_id, key, enterprise_id=workspace.enterprise_id, set_by=user_id
    )
    services.audit.record(
        Action.KEY_REPLACED if replaced else Action.KEY_CONNECTED,
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
        user_id=user_id,
        detail=f"{environment} {key_hint(key)}",
    )
    return ConnectResult(info=info, replaced=replaced)


def check_connection(workspace: Workspace, user_id: str, services: Services) -> bool | None:
    """Verify the stored key now and record the outcome; None when no key is stored."""
    stored = find_key(services.keys, workspace)
    if stored is None:
        return None
    problem = verify_key(stored.key, services.bunce)
    outcome = {None: "ok", ConnectProblem.REJECTED: "rejected"}.get(problem, "unavailable")
    services.audit.record(
        Action.KEY_VERIFIED if problem is None else Action.KEY_VERIFY_FAILED,
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
        user_id=user_id,
        detail=f"{outcome} {stored.hint}",
    )
    return problem is None


def disconnect(workspace: Workspace, user_id: str, services: Services) -> bool:
    """Delete the workspace's key (and a Grid workspace's team-only key); False if none."""
    services.lookup.forget(workspace)
    info = find_key_info(services.keys, workspace)
    deleted = delete_keys(services.keys, workspace)
    services.lookup.forget(workspace)
    if deleted:
        services.audit.record(
            Action.KEY_DISCONNECTED,
            team_id=workspace.team_id,
            enterprise_id=workspace.enterprise_id,
            user_id=user_id,
            detail=info.hint if info else None,
        )
    return deleted


def forget(workspace: Workspace, services: Services) -> bool:
    """On uninstall or revocation: delete every secret of the workspace. Safe to repeat.

    Slack may deliver app_uninstalled and tokens_revoked at once; only the call that actually
    deleted the key records the event, so the trail says "uninstalled" once.
    """
    deleted = delete_keys(services.keys, workspace)
    services.workspaces.delete(workspace.team_id, workspace.enterprise_id)
    services.lookup.forget(workspace)
    services.cards.delete_workspace(workspace.team_id, workspace.enterprise_id)
    if services.installations is not None:
        services.installations.delete_workspace(
            enterprise_id=workspace.enterprise_id,
            team_id=workspace.team_id,
            is_enterprise_install=workspace.is_enterprise_install,
        )
    if deleted:
        services.audit.record(
            Action.UNINSTALLED,
            team_id=workspace.team_id,
            enterprise_id=workspace.enterprise_id,
            user_id="slack",
        )
    return deleted
