"""What adding people to a segment works with."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

from bot.bunce import BunceClientFactory
from bot.create.worker import SubmissionWorker
from bot.slack.metadata import MetadataSigner
from bot.store.audit import AuditLog
from bot.store.people import PeopleJobStore
from bot.workspace.lookup import WorkspaceLookup


@dataclass(frozen=True)
class PeopleDeps:
    people: PeopleJobStore
    lookup: WorkspaceLookup
    bunce: BunceClientFactory
    # Segment search answers inside Slack's 3 s: its client gives up well before that.
    bunce_quick: BunceClientFactory
    audit: AuditLog
    signer: MetadataSigner
    background: Executor
    # The job waits out Bunce's limits as creates do: same policy, same stop-aware sleep.
    worker: SubmissionWorker
