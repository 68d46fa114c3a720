"""The Slack half of a submission: the card in the channel, and telling the person the outcome."""

from __future__ import annotations

import dataclasses
import logging

from slack_sdk import WebClient

from bot.bunce import Segment
from bot.create import messages
from bot.create.form import CreateResult, Problem, SegmentForm
from bot.create.marker import strip_marker
from bot.create.origin import Origin, encode_metadata
from bot.create.views import build_error_view, build_success_view, build_unconfirmed_view
from bot.deps import Services
from bot.manage.catalog import card_for
from bot.slack.metadata import MetadataSigner
from bot.slack.posting import Delivery, announce, notify_user, update_view
from bot.store.audit import Action
from bot.store.db import StoreError
from bot.store.submissions import State, SubmissionRecord

logger = logging.getLogger(__name__)


def announce_segment(
    client: WebClient,
    record: SubmissionRecord,
    segment: Segment,
    environment: str,
    services: Services,
) -> Delivery:
    """To the chosen conversation (in the command's thread only there), else the fallbacks."""
    card = card_for(segment, record.user_id, environment, services)
    channel = record.channel_id or record.origin_channel_id or ""
    same_place = channel == record.origin_channel_id
    return announce(
        client,
        card,
        channel,
        thread_ts=record.thread_ts if same_place else None,
        response_url=record.announce_response_url or (record.response_url if same_place else None),
        fallback_channel=_default_channel(record, services),
    )


def _default_channel(record: SubmissionRecord, services: Services) -> str | None:
    try:
        settings = services.workspaces.get(record.team_id, record.enterprise_id)
    except StoreError:
        return None
    return settings.default_channel_id if settings else None


def audit_created(record: SubmissionRecord, services: Services) -> None:
    """For App Home's recent activity; losing this row loses no segment."""
    try:
        services.audit.record(
            Action.SEGMENT_CREATED,
            team_id=record.team_id,
            enterprise_id=record.enterprise_id,
            user_id=record.user_id,
            channel_id=record.announced_channel_id or record.channel_id,
            segment_id=record.segment_id,
            segment_name=record.segment_name,
        )
    except (StoreError, ValueError):
        logger.exception("could not audit segment creation submission=%s", record.id)


def tell_outcome(
    client: WebClient, record: SubmissionRecord, segment: Segment | None, signer: MetadataSigner
) -> bool:
    """In the modal if it is still open, else privately; False if neither reached the person."""
    if record.state == State.FAILED:
        result = CreateResult(
            problem=_problem(record.failure), bunce_message=record.failure_message
        )
        sentence = messages.sentence_for(result)
        form = SegmentForm(
            record.name, record.description, record.add_all_customers, record.channel_id
        )
        view = build_error_view(sentence, form, encode_metadata(signer, _origin(record), form))
        notice = messages.failed_notice(record.name, sentence)
    else:
        shown = segment or segment_from_record(record)
        shown = dataclasses.replace(shown, description=strip_marker(shown.description))
        note = messages.announcement_note(
            record.announced_channel_id or record.channel_id,
            posted=bool(record.announced_channel_id),
            unconfirmed=record.announcement_unconfirmed,
        )
        view = build_success_view(shown, note)
        notice = messages.created_notice(shown, note)
    if update_view(client, record.view_id, view):
        return True
    return notify_user(client, record.user_id, notice, response_url=record.response_url)


def tell_unconfirmed(client: WebClient, record: SubmissionRecord) -> None:
    """Bunce can't say yet whether the segment exists: say so, and that we'll keep checking."""
    update_view(client, record.view_id, build_unconfirmed_view(record.name))


def _origin(record: SubmissionRecord) -> Origin:
    return Origin(record.origin_channel_id, record.thread_ts, record.response_url)


def _problem(code: str | None) -> Problem:
    try:
        return Problem(code)
    except ValueError:
        return Problem.UNEXPECTED


def form_of(record: SubmissionRecord) -> SegmentForm:
    return SegmentForm(record.name, record.description, record.add_all_customers, record.channel_id)


def segment_from_record(record: SubmissionRecord) -> Segment:
    """The segment as far as our record knows it (after a restart Bunce's answer is gone)."""
    return Segment(
        id=record.segment_id or "",
        name=record.segment_name or record.name,
        description=strip_marker(record.description) or None,
        type="automatic" if record.add_all_customers else "manual",
        all_customers=record.add_all_customers,
        created_at=record.created_at,
        customers_count=None,
    )
