"""What creating a segment works with: its own store, the workspace lookup, Bunce, the card."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.bunce import BunceClientFactory
from bot.bunce.models import Segment
from bot.create.card import CardMaker
from bot.slack.metadata import MetadataSigner
from bot.store.audit import AuditLog
from bot.store.cards import CardStore
from bot.store.submissions import SubmissionStore
from bot.workspace.admins import AdminPolicy
from bot.workspace.lookup import WorkspaceLookup

Returns = Callable[[WebClient, str, Segment], None]


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
    # Called once a segment opened from another feature's form exists (Origin.return_to): that
    # feature takes the person back (Add customers chooses the new segment).
    returns: Returns | None = None
