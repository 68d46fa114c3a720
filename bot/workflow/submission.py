"""A workflow step as a submission: the same row, rules and worker as the create modal's."""

from __future__ import annotations

from typing import Any

from bot.create.form import SegmentForm, input_hash
from bot.sentences import not_connected
from bot.store.db import StoreError
from bot.store.records import SubmissionDraft
from bot.tenant import WORKFLOW_PREFIX, Workspace
from bot.workflow import step
from bot.workflow.deps import WorkflowDeps


def why_not(deps: WorkflowDeps, workspace: Workspace) -> str | None:
    """A reason the step can't run here (not connected, the database down), else None."""
    try:
        if deps.lookup.key_info(workspace, cached=False) is None:
            return step.plain(not_connected(deps.admins.who(workspace)))
    except StoreError:
        return step.STORE_DOWN
    return None


def step_draft(form: SegmentForm, workspace: Workspace, event: dict[str, Any]) -> SubmissionDraft:
    """Keyed by the execution (view_id): Slack redelivers events, and a repeat must attach."""
    return SubmissionDraft(
        view_id=str(event.get("function_execution_id")),
        input_hash=input_hash(form),
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
        is_enterprise_install=workspace.is_enterprise_install,
        user_id=f"{WORKFLOW_PREFIX}{event.get('workflow_execution_id') or '?'}"[:64],
        name=form.name,
        description=form.description,
        add_all_customers=form.add_all_customers,
        channel_id=form.stored_channel,
        origin_channel_id=None,
        thread_ts=None,
        return_to=step.return_path(event),
    )
