"""What the workspace feature (connection, admins, Home, uninstall) works with."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from bot.bunce import BunceClientFactory
from bot.store.audit import AuditLog
from bot.store.cards import CardStore
from bot.store.installations import EncryptedInstallationStore
from bot.store.keys import KeyStore
from bot.store.workspaces import WorkspaceSettingsStore
from bot.workspace.admins import AdminPolicy
from bot.workspace.lookup import WorkspaceLookup


@dataclass(frozen=True)
class WorkspaceDeps:
    keys: KeyStore
    workspaces: WorkspaceSettingsStore
    lookup: WorkspaceLookup
    audit: AuditLog
    admins: AdminPolicy
    bunce: BunceClientFactory
    cards: CardStore
    installations: EncryptedInstallationStore | None
    background: Executor
    # The operator's BUNCE_SEGMENT_URL_TEMPLATE: App Home links recent segments to Bunce with it.
    segment_url_template: str | None = None
