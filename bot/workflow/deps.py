"""What the workflow step works with: the submissions it records, the workspace lookup."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.submissions import SubmissionStore
from bot.workspace.admins import AdminPolicy
from bot.workspace.lookup import WorkspaceLookup


@dataclass(frozen=True)
class WorkflowDeps:
    submissions: SubmissionStore
    lookup: WorkspaceLookup
    # "Not connected" names who can connect.
    admins: AdminPolicy
