"""After a valid submit is acked: create the segment, show the outcome, announce it."""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.announce import Delivery, announce, notify_user
from bot.segments import CreateResult, Problem, SegmentForm, create_segment
from bot.services import Services
from bot.store.audit import Action
from bot.store.db import StoreError
from bot.ui import messages
from bot.ui.metadata import Origin, encode_metadata
from bot.ui.modals import build_error_view, build_success_view
from bot.workspace import Workspace, find_key

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """One valid submit of the create modal, with everything needed to finish it after the ack."""

    view_id: str
    user_id: str
    workspace: Workspace
    form: SegmentForm
    origin: Origin
    response_url: str | None = None  # from the modal's conversations_select, for form.channel_id

    @property
    def fingerprint(self) -> str:
        data = [self.view_id, self.form.name, self.form.description, self.form.add_all_customers]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()


class SubmissionGuard:
    """Within one process, the same view submitted twice with the same values calls Bunce once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._claimed: set[str] = set()

    def claim(self, submission: Submission) -> bool:
        with self._lock:
            if submission.fingerprint in self._claimed:
                return False
            self._claimed.add(submission.fingerprint)
            return True

    def release(self, submission: Submission) -> None:
        """After a failure, so that "Edit and retry" with the same values may run again."""
        with self._lock:
            self._claimed.discard(submission.fingerprint)


def run_submission(submission: Submission, client: WebClient, services: Services) -> CreateResult:
    """Create once, then show the result in the modal (or privately if it was closed)."""
    result, environment = _create(submission, services)
    if result.segment is not None:
        card = messages.build_segment_card(result.segment, submission.user_id, environment)
        delivery = _announce(submission, client, card, _default_channel(submission, services))
        _audit_created(submission, services, result, delivery)
        note = (
            messages.announced_in(delivery.channel_id or "")
            if delivery.posted
            else messages.not_announced(delivery.channel_id)
        )
        view = build_success_view(result.segment, note)
        notice = messages.created_notice(result.segment, note)
    else:
        sentence = messages.sentence_for(result)
        metadata = encode_metadata(submission.origin, submission.form)
        view = build_error_view(sentence, submission.form, metadata)
        notice = messages.failed_notice(submission.form.name, sentence)
    if not _show(client, submission.view_id, view):
        notify_user(client, submission.user_id, notice, response_url=submission.origin.response_url)
    return result


def _create(submission: Submission, services: Services) -> tuple[CreateResult, str]:
    """The outcome, and the Bunce environment it happened in (for the card's label)."""
    try:
        key = find_key(services.keys, submission.workspace)
    except StoreError:
        logger.exception("key lookup failed %s", submission.workspace.log_fields())
        return CreateResult(problem=Problem.STORE_UNAVAILABLE), "live"
    if key is None:
        return CreateResult(problem=Problem.NOT_CONNECTED), "live"
    result = create_segment(submission.form, key.key, services.bunce)
    logger.info(
        "segment create %s user=%s view=%s outcome=%s",
        submission.workspace.log_fields(),
        submission.user_id,
        submission.view_id,
        result.problem.value if result.problem else "created",
    )
    return result, key.environment


def _announce(
    submission: Submission, client: WebClient, card: dict[str, Any], fallback: str | None
) -> Delivery:
    """To the chosen conversation; in the command's thread only when it is the same place."""
    channel = submission.form.channel_id or submission.origin.channel_id or ""
    same_place = channel == submission.origin.channel_id
    return announce(
        client,
        card,
        channel,
        thread_ts=submission.origin.thread_ts if same_place else None,
        response_url=submission.response_url
        or (submission.origin.response_url if same_place else None),
        fallback_channel=fallback,
    )


def _default_channel(submission: Submission, services: Services) -> str | None:
    """The workspace's default announcement channel, the last place to try."""
    workspace = submission.workspace
    try:
        settings = services.workspaces.get(workspace.team_id, workspace.enterprise_id)
    except StoreError:
        return None
    return settings.default_channel_id if settings else None


def _audit_created(
    submission: Submission, services: Services, result: CreateResult, delivery: Delivery
) -> None:
    """Record the creation for App Home's recent activity; a failure here loses no segment."""
    assert result.segment is not None
    try:
        services.audit.record(
            Action.SEGMENT_CREATED,
            team_id=submission.workspace.team_id,
            enterprise_id=submission.workspace.enterprise_id,
            user_id=submission.user_id,
            channel_id=delivery.channel_id if delivery.posted else submission.form.channel_id,
            segment_id=result.segment.id,
            segment_name=result.segment.name,
        )
    except (StoreError, ValueError):
        logger.exception("could not audit segment creation view=%s", submission.view_id)


def _show(client: WebClient, view_id: str, view: dict[str, Any]) -> bool:
    """Replace the modal; False when it is gone (closed by the person, or expired)."""
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as error:
        logger.info("views.update failed view=%s error=%s", view_id, error.response.get("error"))
        return False
    return True
