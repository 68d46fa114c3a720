"""Turning a valid create form into a recorded submission, before the ack.

Recorded before the ack: from then on a crash or a restart can't lose it, and a second submit
of the same view attaches to the same row instead of creating again.
"""

from __future__ import annotations

import logging
from typing import Any

from bot import ids
from bot.create import messages
from bot.create.deps import CreateDeps
from bot.create.form import SegmentForm, input_hash
from bot.create.origin import Origin, encode_metadata
from bot.create.outcome import form_of, success_view
from bot.create.views import NextStep, build_error_view, build_progress_view
from bot.store.db import StoreError
from bot.store.submissions import State, SubmissionDraft, SubmissionRecord
from bot.tenant import Workspace

logger = logging.getLogger(__name__)


def open_submission(
    deps: CreateDeps,
    form: SegmentForm,
    origin: Origin,
    workspace: Workspace,
    body: dict[str, Any],
    owner: str | None,
    lease_seconds: float,
) -> tuple[dict[str, Any], SubmissionRecord | None]:
    """The view to ack with, and the record to work when this submit is new (else None)."""
    try:
        record, fresh = deps.submissions.open(
            draft_of(form, origin, workspace, body), owner=owner, lease_seconds=lease_seconds
        )
    except StoreError:
        logger.exception("could not record submission %s", workspace.log_fields())
        metadata = encode_metadata(deps.signer, origin, form)
        return build_error_view(messages.STORE_DOWN, form, metadata, NextStep.TRY_AGAIN), None
    if not fresh:
        logger.info("second submit of view=%s attached to %s", record.view_id, record.id)
        return view_of(record, deps), None
    return build_progress_view(form), record


def draft_of(
    form: SegmentForm, origin: Origin, workspace: Workspace, body: dict[str, Any]
) -> SubmissionDraft:
    view = body.get("view") or {}
    return SubmissionDraft(
        view_id=str(view.get("id")),
        input_hash=input_hash(form),
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
        is_enterprise_install=workspace.is_enterprise_install,
        user_id=str((body.get("user") or {}).get("id") or ""),
        name=form.name,
        description=form.description,
        add_all_customers=form.add_all_customers,
        channel_id=form.stored_channel,
        origin_channel_id=origin.channel_id,
        thread_ts=origin.thread_ts,
        response_url=origin.response_url,
        announce_response_url=_response_url(body, form.channel_id),
        return_to=origin.return_to,
    )


def _response_url(body: dict[str, Any], channel_id: str | None) -> str | None:
    """The modal's response_url for the chosen conversation (Bolt and Slack put it top-level)."""
    for entry in body.get("response_urls") or []:
        if not isinstance(entry, dict) or entry.get("block_id") != ids.ANNOUNCE:
            continue
        if not channel_id or entry.get("channel_id") in (None, channel_id):
            url = entry.get("response_url")
            return url if isinstance(url, str) else None
    return None


def view_of(record: SubmissionRecord, deps: CreateDeps) -> dict[str, Any]:
    """What a repeated submit shows: the outcome if known, else the same progress view."""
    if record.state == State.ANNOUNCED:
        return success_view(record, None, deps)
    return build_progress_view(form_of(record))
