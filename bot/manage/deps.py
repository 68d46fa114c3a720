"""What managing existing segments (list, share, edit) works with."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from bot.bunce import BunceClientFactory
from bot.create.card import CardMaker
from bot.slack.metadata import MetadataSigner
from bot.store.audit import AuditLog
from bot.store.cards import CardStore
from bot.workspace.admins import AdminPolicy
from bot.workspace.lookup import WorkspaceLookup


@dataclass(frozen=True)
class ManageDeps:
    lookup: WorkspaceLookup
    bunce: BunceClientFactory
    audit: AuditLog
    cards: CardStore
    admins: AdminPolicy
    signer: MetadataSigner
    card_maker: CardMaker
    background: Executor
