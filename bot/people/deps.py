"""What adding customers to a segment works with."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field

from bot.bunce import BunceClientFactory
from bot.create.worker import SubmissionWorker
from bot.people.segment_cache import SegmentCache
from bot.slack.metadata import MetadataSigner
from bot.store.audit import AuditLog
from bot.store.people import PeopleJobStore
from bot.workspace.lookup import WorkspaceLookup


@dataclass(frozen=True)
class PeopleDeps:
    """The collaborators the composition root fills by name, and `segments`, the feature's own
    SegmentCache (one per app, so a test's app starts empty)."""

    people: PeopleJobStore
    lookup: WorkspaceLookup
    # Also reads the segment list for search, in the background (no 3 s limit there).
    bunce: BunceClientFactory
    audit: AuditLog
    signer: MetadataSigner
    background: Executor
    # The job waits out Bunce's limits as creates do: same policy, same stop-aware sleep.
    worker: SubmissionWorker
    segments: SegmentCache = field(default_factory=SegmentCache)
