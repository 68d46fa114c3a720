"""What creating a segment works with: its own store, the workspace lookup, Bunce, the card."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

from slack_sdk import WebClient

from bot.bunce import BunceClientFactory
from bot.bunce.models import Segment
from bot.create.card import CardMaker
from bot.create.namesakes import NamesakeCache
from bot.slack.metadata import MetadataSigner
from bot.store.audit import AuditLog
from bot.store.cards import CardStore
from bot.store.records import SubmissionRecord
from bot.store.submissions import SubmissionStore
from bot.workspace.admins import AdminPolicy
from bot.workspace.lookup import WorkspaceLookup

# Called with the outcome of a submission another feature opened (Origin.return_to): the segment
# (created), a sentence (failed) or neither (Bunce hasn't answered yet). None means "tell the
# person as usual too"; a bool means the feature told them itself (a workflow step has no one
# to tell: completing the step is the telling), and whether that reached Slack.
Returns = Callable[[WebClient, SubmissionRecord, Segment | None, str | None], bool | None]


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
    # See Returns: Add customers chooses the new segment, a workflow step completes.
    returns: Returns | None = None
    # One read of Bunce's list per key a minute serves every create's baseline.
    namesakes: NamesakeCache = field(default_factory=NamesakeCache)
