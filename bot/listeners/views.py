"""Submissions of the create modal: validate, ack within 3 s, then create off the ack path."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import ids
from bot.segments import validate
from bot.services import Services
from bot.submission import Submission, SubmissionGuard, run_submission
from bot.ui.metadata import decode_metadata
from bot.ui.modals import build_progress_view, parse_create_form
from bot.workspace import Workspace

logger = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    guard = SubmissionGuard()

    def handle_create_submission(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        view = body.get("view") or {}
        origin, _ = decode_metadata(view.get("private_metadata"))
        form = parse_create_form(view, default_channel=origin.channel_id).normalised()
        errors = validate(form)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=build_progress_view(form))
        submission = Submission(
            view_id=str(view.get("id")),
            user_id=str((body.get("user") or {}).get("id")),
            workspace=Workspace.from_context(context),
            form=form,
            origin=origin,
            response_url=_response_url(body, form.channel_id),
        )
        if not guard.claim(submission):
            logger.info("duplicate submission ignored view=%s", submission.view_id)
            return
        services.background.submit(_finish, submission, client, services, guard)

    app.view(ids.CREATE_VIEW)(handle_create_submission)


def _finish(
    submission: Submission, client: WebClient, services: Services, guard: SubmissionGuard
) -> None:
    """The background half; the outermost boundary, so it logs instead of raising into a pool."""
    try:
        result = run_submission(submission, client, services)
    except Exception:
        logger.exception("submission failed view=%s", submission.view_id)
        guard.release(submission)
        return
    if result.segment is None:
        guard.release(submission)


def _response_url(body: dict[str, Any], channel_id: str | None) -> str | None:
    """The modal's response_url for the chosen conversation (Bolt and Slack put it top-level)."""
    for entry in body.get("response_urls") or []:
        if not isinstance(entry, dict) or entry.get("block_id") != ids.ANNOUNCE:
            continue
        if not channel_id or entry.get("channel_id") in (None, channel_id):
            url = entry.get("response_url")
            return url if isinstance(url, str) else None
    return None
