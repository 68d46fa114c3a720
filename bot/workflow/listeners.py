"""The workflow step's listener: `function_executed` for "Create a Bunce segment"."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.create.worker import SubmissionWorker
from bot.slack.payload import bind
from bot.store.db import StoreError
from bot.tenant import Workspace
from bot.workflow import step
from bot.workflow.deps import WorkflowDeps
from bot.workflow.submission import step_draft, why_not

logger = logging.getLogger(__name__)


def register(app: App, deps: WorkflowDeps, worker: SubmissionWorker) -> None:
    # Bolt acks function_executed at once (auto_acknowledge); this runs after the ack.
    app.function(step.STEP)(bind(handle_step, deps=deps, worker=worker))


def handle_step(
    event: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    deps: WorkflowDeps,
    worker: SubmissionWorker,
) -> None:
    """Validate, record (before anything goes to Bunce), and hand the rest to the worker; a
    redelivered event attaches to the same submission and starts nothing new."""
    execution_id = str(event.get("function_execution_id") or "")
    workspace = Workspace.from_context(context)
    form, problem = step.form_from_inputs(event.get("inputs") or {})
    problem = problem or why_not(deps, workspace)
    if form is None or problem:
        step.fail_now(client, execution_id, problem or "")
        return
    draft = step_draft(form, workspace, event)
    try:
        record, fresh = deps.submissions.open(
            draft, owner=worker.owner_for_new, lease_seconds=worker.lease_seconds
        )
    except StoreError:
        logger.exception("could not record workflow step %s", workspace.log_fields())
        step.fail_now(client, execution_id, step.STORE_DOWN)
        return
    if fresh:
        worker.submit(record)  # the card and the completion use the app's own clients
