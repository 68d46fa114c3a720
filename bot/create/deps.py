"""What creating a segment works with: its own store, the workspace lookup, Bunce, the card."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from bot.bunce import BunceClientFactory
from bot.create.card import CardMaker
from bot.slack.metadata import MetadataSigner
from bot.store.audit import AuditLog
from bot.store.cards import CardStore
from bot.store.submissions import SubmissionStore
from bot.workspace.admins import AdminPolicy
from bot.workspace.lookup import WorkspaceLookup


@dataclass(frozen=True)
class CreateDeps:
    submissions: SubmissionStore
    lookup: WorkspaceLookup
    audit: AuditLog
    cards: CardStore
    bunce: BunceClientFactory
    signer: MetadataSigner
    card_maker: CardMaker
    background: Executor
    # Failures that need an admin name them.
    admins: AdminPolicy
