"""The Slack half of a submission: the card in the channel, and telling the person the outcome."""

from __future__ import annotations

import dataclasses
import logging

from slack_sdk import WebClient

from bot.bunce import Segment
from bot.create import messages
from bot.create.deps import CreateDeps
from bot.create.form import NO_SHARE, CreateResult, Problem, SegmentForm
from bot.create.marker import strip_marker
from bot.create.origin import Origin, encode_metadata
from bot.create.views import (
    NextStep,
    build_error_view,
    build_success_view,
    build_unconfirmed_view,
)
from bot.slack.metadata import sign_value
from bot.slack.modals import update_view
from bot.slack.posting import Delivery, announce, notify_user
from bot.store.db import StoreError
from bot.store.records import Action
from bot.store.submissions import State, SubmissionRecord
from bot.tenant import Workspace

logger = logging.getLogger(__name__)


def announce_segment(
    client: WebClient,
    record: SubmissionRecord,
    segment: Segment,
    environment: str,
    deps: CreateDeps,
) -> Delivery:
    """To the chosen conversation (in the command's thread only there), else the fallbacks;
    nowhere when the person chose not to share a card."""
    if record.channel_id == NO_SHARE:
        return Delivery(None, "none", error="not_shared")
    card = deps.card_maker.card(fresh(segment), environment, creator_id=record.user_id)
    channel = record.channel_id or record.origin_channel_id or ""
    same_place = channel == record.origin_channel_id
    return announce(
        client,
        card,
        channel,
        thread_ts=record.thread_ts if same_place else None,
        response_url=record.announce_response_url or (record.response_url if same_place else None),
        fallback_channel=_default_channel(record, deps),
    )


def _default_channel(record: SubmissionRecord, deps: CreateDeps) -> str | None:
    try:
        settings = deps.lookup.settings(workspace_of(record), cached=False)
    except StoreError:
        return None
    return settings.default_channel_id if settings else None


def audit_created(record: SubmissionRecord, deps: CreateDeps) -> None:
    """For App Home's recent activity; losing this row loses no segment."""
    try:
        deps.audit.record(
            Action.SEGMENT_CREATED,
            team_id=record.team_id,
            enterprise_id=record.enterprise_id,
            user_id=record.user_id,
            channel_id=record.announced_channel_id or form_of(record).channel_id,
            segment_id=record.segment_id,
            segment_name=record.segment_name,
        )
    except (StoreError, ValueError):
        logger.exception("could not audit segment creation submission=%s", record.id)


def tell_outcome(
    client: WebClient, record: SubmissionRecord, segment: Segment | None, deps: CreateDeps
) -> bool:
    """In the modal if it is still open, else privately; False if neither reached the person.
    A submission another feature opened is handed back to it first (CreateDeps.returns), and
    the views are built only if the person is still to be told here."""
    failed = record.state == State.FAILED
    sentence = _failure_sentence(record, deps) if failed else None
    shown = None if failed else segment or segment_from_record(record)
    handed = _hand_back(client, record, shown, sentence, deps)
    if handed is not None:
        return handed
    if sentence is not None:
        view, notice = _failure(record, sentence, deps)
    else:
        view, notice = _success(record, segment, deps)
    if update_view(client, record.view_id, view):
        return True
    return notify_user(client, record.user_id, notice, response_url=record.response_url)


def _hand_back(
    client: WebClient,
    record: SubmissionRecord,
    segment: Segment | None,
    sentence: str | None,
    deps: CreateDeps,
) -> bool | None:
    if not record.return_to or deps.returns is None:
        return None
    return deps.returns(client, record, segment, sentence)


def _failure_sentence(record: SubmissionRecord, deps: CreateDeps) -> str:
    problem = _problem(record.failure)
    result = CreateResult(problem=problem, bunce_message=record.failure_message)
    # Naming the admins reads the installer: only where an admin must act.
    if messages.next_step(problem) is NextStep.NONE:
        return messages.sentence_for(result, deps.admins.who(workspace_of(record)))
    return messages.sentence_for(result)


def _failure(record: SubmissionRecord, sentence: str, deps: CreateDeps) -> tuple[dict, dict]:
    form = form_of(record)
    metadata = encode_metadata(deps.signer, _origin(record), form)
    step = messages.next_step(_problem(record.failure))
    view = build_error_view(sentence, form, metadata, step)
    return view, messages.failed_notice(record.name, sentence)


def success_view(record: SubmissionRecord, segment: Segment | None, deps: CreateDeps) -> dict:
    return _success(record, segment, deps)[0]


def _success(
    record: SubmissionRecord, segment: Segment | None, deps: CreateDeps
) -> tuple[dict, dict]:
    shown = fresh(segment or segment_from_record(record))
    shown = dataclasses.replace(shown, description=strip_marker(shown.description))
    posted, unconfirmed = bool(record.announced_channel_id), record.announcement_unconfirmed
    channel = record.announced_channel_id or form_of(record).channel_id

    def note(how: str) -> str:
        chose_not = record.channel_id == NO_SHARE
        said = messages.card_note(
            channel, posted=posted, unconfirmed=unconfirmed, chose_not=chose_not, how=how
        )
        return f"{said} {messages.CHOSEN_THERE}" if record.return_to else said

    # "Share its card in…" wherever the card is not known to be in the channel; "Add customers"
    # for a segment created empty.
    share = None if posted and not unconfirmed else sign_value(deps.signer, {"id": shown.id})
    empty = not shown.all_customers and shown.customers_count == 0
    add = sign_value(deps.signer, {"id": shown.id, "n": shown.name[:150]}) if empty else None
    url = deps.card_maker.bunce_url(shown.id)
    view = build_success_view(
        shown, note(messages.BELOW), bunce_url=url, share_value=share, add_value=add
    )
    return view, messages.created_notice(shown, note(messages.FROM_LIST), url)


def fresh(segment: Segment) -> Segment:
    """A segment just created without "all customers" is empty, whether or not Bunce said so."""
    if segment.all_customers or segment.customers_count is not None:
        return segment
    return dataclasses.replace(segment, customers_count=0)


def tell_unconfirmed(client: WebClient, record: SubmissionRecord, deps: CreateDeps) -> bool:
    """Bunce can't say yet whether the segment exists: say so, and that we'll keep checking.
    True when that was the final word (a workflow step past its deadline has been ended)."""
    handed = _hand_back(client, record, None, None, deps)
    if handed is not None:
        return handed
    update_view(client, record.view_id, build_unconfirmed_view(record.name))
    return False


def _origin(record: SubmissionRecord) -> Origin:
    return Origin(record.origin_channel_id, record.thread_ts, record.response_url, record.return_to)


def _problem(code: str | None) -> Problem:
    try:
        return Problem(code)
    except ValueError:
        return Problem.UNEXPECTED


def form_of(record: SubmissionRecord) -> SegmentForm:
    return SegmentForm.from_stored(
        record.name, record.description, record.add_all_customers, record.channel_id
    )


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


def workspace_of(record: SubmissionRecord) -> Workspace:
    return Workspace(record.team_id, record.enterprise_id, record.is_enterprise_install)
