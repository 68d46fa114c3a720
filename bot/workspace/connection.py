"""A workspace's Bunce connection: connect (verified), test, disconnect, and forget on uninstall."""

from __future__ import annotations

import logging

from bot.bunce import BunceAuthError, BunceClientFactory, BunceError, InvalidKeyError
from bot.bunce.keys import environment_of, key_hint
from bot.store.records import Action
from bot.tenant import Workspace
from bot.workspace.deps import WorkspaceDeps
from bot.workspace.lookup import delete_keys
from bot.workspace.model import ConnectProblem, ConnectResult

logger = logging.getLogger(__name__)


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


def connect(workspace: Workspace, user_id: str, text: str, deps: WorkspaceDeps) -> ConnectResult:
    """Check the prefix, verify with Bunce, then store (encrypted) and audit; else store nothing.

    Runs after the ack, so Bunce gets its ordinary timeouts rather than a share of Slack's 3 s.
    """
    key = text.strip()
    try:
        environment = environment_of(key)
    except InvalidKeyError:
        return ConnectResult(problem=ConnectProblem.NOT_A_KEY)
    problem = verify_key(key, deps.bunce)
    if problem is not None:
        return ConnectResult(problem=problem)
    deps.lookup.forget(workspace)
    replaced = deps.lookup.key_info(workspace, cached=False) is not None
    info = deps.keys.put(
        workspace.team_id, key, enterprise_id=workspace.enterprise_id, set_by=user_id
    )
    deps.audit.record(
        Action.KEY_REPLACED if replaced else Action.KEY_CONNECTED,
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
        user_id=user_id,
        detail=f"{environment} {key_hint(key)}",
    )
    return ConnectResult(info=info, replaced=replaced)


def check_connection(workspace: Workspace, user_id: str, deps: WorkspaceDeps) -> bool | None:
    """Verify the stored key now and record the outcome; None when no key is stored."""
    stored = deps.lookup.key(workspace)
    if stored is None:
        return None
    problem = verify_key(stored.key, deps.bunce)
    outcome = {None: "ok", ConnectProblem.REJECTED: "rejected"}.get(problem, "unavailable")
    deps.audit.record(
        Action.KEY_VERIFIED if problem is None else Action.KEY_VERIFY_FAILED,
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
        user_id=user_id,
        detail=f"{outcome} {stored.hint}",
    )
    return problem is None


def disconnect(workspace: Workspace, user_id: str, deps: WorkspaceDeps) -> bool:
    """Delete the workspace's key (and a Grid workspace's team-only key); False if none."""
    deps.lookup.forget(workspace)
    info = deps.lookup.key_info(workspace, cached=False)
    deleted = delete_keys(deps.keys, workspace)
    deps.lookup.forget(workspace)
    if deleted:
        deps.audit.record(
            Action.KEY_DISCONNECTED,
            team_id=workspace.team_id,
            enterprise_id=workspace.enterprise_id,
            user_id=user_id,
            detail=info.hint if info else None,
        )
    return deleted


def forget(workspace: Workspace, deps: WorkspaceDeps) -> bool:
    """On uninstall or revocation: delete every secret of the workspace. Safe to repeat.

    Slack may deliver app_uninstalled and tokens_revoked at once; only the call that actually
    deleted the key records the event, so the trail says "uninstalled" once.
    """
    deleted = delete_keys(deps.keys, workspace)
    deps.workspaces.delete(workspace.team_id, workspace.enterprise_id)
    deps.lookup.forget(workspace)
    deps.cards.delete_workspace(workspace.team_id, workspace.enterprise_id)
    if deps.installations is not None:
        deps.installations.delete_workspace(
            enterprise_id=workspace.enterprise_id,
            team_id=workspace.team_id,
            is_enterprise_install=workspace.is_enterprise_install,
        )
    if deleted:
        deps.audit.record(
            Action.UNINSTALLED,
            team_id=workspace.team_id,
            enterprise_id=workspace.enterprise_id,
            user_id="slack",
        )
    return deleted
