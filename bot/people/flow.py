"""The add-people feature's work: reading a message's people, the search, the job's run.

The run sends people to Bunce in batches (minutes for a large file), showing progress in the
thread and the modal, and its summary always reaches the person.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_sdk import WebClient

from bot import ids
from bot.bunce import BunceError
from bot.people.deps import PeopleDeps
from bot.people.job import Progress, read_attachments, run
from bot.people.recipients import Recipients, merge, parse_message_text
from bot.people.views import (
    NOBODY,
    build_add_people_modal,
    build_progress_view,
    build_summary_message,
    progress_text,
    summary_text,
)
from bot.sentences import STORE_UNAVAILABLE
from bot.slack.calls import SlackResult, call
from bot.slack.metadata import sign_value
from bot.slack.payload import user_id
from bot.slack.posting import notify_user
from bot.store.db import StoreError
from bot.store.people import PeopleJob
from bot.store.records import Action
from bot.tenant import Workspace
from bot.workspace.views import build_refusal_view

logger = logging.getLogger(__name__)

# Segment search answers Slack within 3 s: a page (quick client: 1 s connect + 1.6 s read at
# worst, usually far less) may start only within the first second; Slack shows 100 options.
OPTIONS_BUDGET = 1.0
OPTIONS_PER_PAGE = 100
OPTIONS_MATCHES = 100
OPTIONS_MAX_SEGMENTS = 1000


def prepare(
    deps: PeopleDeps, workspace: Workspace, body: dict[str, Any], client: WebClient, view_id: str
) -> None:
    """Read the message (text and files), record the job, and show the modal."""
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    found, notes = read_attachments(client, message.get("files"), channel)
    people = merge(parse_message_text(str(message.get("text") or "")), found)
    thread = message.get("thread_ts") or message.get("ts")
    try:
        job = record_job(deps, workspace, user_id(body), channel, thread, people)
    except StoreError:
        _update_view(client, view_id, build_refusal_view(STORE_UNAVAILABLE))
        return
    # The shortcut's response_url rides along (signed) for when the thread and the modal
    # can't show the summary; it is not worth a column: it lives 30 minutes.
    metadata = sign_value(deps.signer, {"job": job.id, "response_url": response_url_of(body)})
    view = build_add_people_modal(
        metadata,
        count=people.count,
        ignored=list(people.ignored),
        ignored_count=people.ignored_count,
        notes=notes,
    )
    _update_view(client, view_id, view)


def record_job(
    deps: PeopleDeps,
    workspace: Workspace,
    user: str,
    channel: str | None,
    thread: str | None,
    people: Recipients,
) -> PeopleJob:
    return deps.people.create(
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
        user_id=user,
        channel_id=channel,
        thread_ts=thread,
        people=people.identifiers(),
        ignored=list(people.ignored),
        ignored_count=people.ignored_count,
    )


def search_segments(deps: PeopleDeps, workspace: Workspace, query: str) -> list[tuple[str, str]]:
    """Search the workspace's segments while the person types (Slack allows 3 s).

    Pages are read until there are enough matches to show, or no new page may start
    within the budget; whatever was found by then (or before a failure) is offered.
    """
    started = time.monotonic()
    query = query.lower()
    segments: list[tuple[str, str]] = []
    try:
        key = deps.lookup.key(workspace)
        found = (
            deps.bunce_quick.for_key(key.key).iter_segments(
                per_page=OPTIONS_PER_PAGE, max_segments=OPTIONS_MAX_SEGMENTS
            )
            if key
            else iter(())
        )
        for segment in found:
            if query in segment.name.lower():
                segments.append((segment.id, segment.name))
            # Checked after each segment, so no page is asked for once the budget is spent.
            if len(segments) >= OPTIONS_MATCHES or time.monotonic() - started > OPTIONS_BUDGET:
                break
    except (BunceError, StoreError):
        pass
    return segments


def job_for(
    deps: PeopleDeps, data: dict[str, Any], values: dict[str, Any], workspace: Workspace, user: str
) -> PeopleJob | None:
    if isinstance(data.get("job"), str):
        return deps.people.get(data["job"])
    typed = ((values.get(ids.ADD_PEOPLE_PASTE) or {}).get(ids.ADD_PEOPLE_PASTE) or {}).get("value")
    people = parse_message_text(typed if isinstance(typed, str) else "")
    if people.count == 0:
        return None
    return record_job(deps, workspace, user, data.get("channel"), data.get("thread"), people)


def run_job(
    deps: PeopleDeps,
    job_id: str,
    workspace: Workspace,
    client: WebClient,
    view_id: str | None,
    response_url: str | None,
) -> None:
    """Send the people, showing progress in the thread and the modal; the summary always
    reaches the person: thread, else modal, else the response_url, else a DM."""
    job = deps.people.get(job_id)
    key = deps.lookup.key(workspace)
    if job is None or key is None:
        return
    name = job.segment_name or job.segment_id or ""
    status_ts = job.status_ts
    if status_ts is None and job.channel_id:
        # Posted once: when no answer comes Slack may have posted it, so no second try;
        # the summary then goes by the fallbacks below.
        status_ts = _post_status(client, job, progress_text(0, len(job.people), name))
        if status_ts:
            deps.people.update(job.id, status_ts=status_ts)
    modal = [view_id] if view_id else []  # emptied once the person closes it

    def show(text: str, retry: str | None) -> bool:
        shown = _edit_status(client, job, status_ts, build_summary_message(text, retry))
        if modal:
            answer = _update_view(client, modal[0], build_progress_view(text, retry))
            if answer.error == "not_found":
                modal.clear()
            shown = shown or answer.ok
        return shown

    def report(progress: Progress) -> None:
        show(progress_text(progress.added, progress.total, name), None)

    try:
        progress = run(
            job,
            deps.bunce.for_key(key.key),
            save=lambda done: deps.people.update(job.id, batches_done=done),
            report=report,
            sleep=deps.worker.sleep,
            policy=deps.worker.policy,
        )
    except BunceError:
        progress = Progress(0, len(job.people), "Bunce was unavailable")
    text = summary_text(progress.added, progress.total, job.ignored_count, name, progress.problem)
    retry = None if progress.finished else sign_value(deps.signer, {"job": job.id})
    if not show(text, retry):
        # Ephemeral via the response_url, else a DM; an unanswered post counts as told.
        summary = build_summary_message(text, retry)
        if not notify_user(client, job.user_id, summary, response_url=response_url):
            logger.warning("people summary not delivered job=%s", job.id)
    deps.audit.record(
        Action.PEOPLE_ADDED,
        team_id=workspace.team_id,
        enterprise_id=workspace.enterprise_id,
        user_id=job.user_id,
        channel_id=job.channel_id,
        segment_id=job.segment_id,
        segment_name=job.segment_name,
        detail=f"{progress.added} of {progress.total} added",
    )


def connected(deps: PeopleDeps, workspace: Workspace) -> bool:
    try:
        return deps.lookup.key_info(workspace) is not None
    except StoreError:
        return False


def response_url_of(body: dict[str, Any]) -> str | None:
    """Message shortcuts and message buttons carry one (30 minutes, 5 posts)."""
    url = body.get("response_url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def _update_view(client: WebClient, view_id: str | None, view: dict[str, Any]) -> SlackResult:
    """Replace the modal; `error == "not_found"` once the person has closed it."""
    if not view_id:
        return SlackResult(error="no_view")
    return call(client.views_update, view_id=view_id, view=view)


def _post_status(client: WebClient, job: PeopleJob, text: str) -> str | None:
    """The thread message that shows progress and, at the end, the summary."""
    answer = call(
        client.chat_postMessage,
        channel=job.channel_id,
        thread_ts=job.thread_ts,
        text=text,
        blocks=build_summary_message(text, None)["blocks"],
    )
    if answer.unknown:
        logger.warning("status post unanswered job=%s: not posting it again", job.id)
    return answer.get("ts")


def _edit_status(
    client: WebClient, job: PeopleJob, ts: str | None, message: dict[str, Any]
) -> bool:
    if not ts or not job.channel_id:
        return False
    answer = call(
        client.chat_update,
        channel=job.channel_id,
        ts=ts,
        text=message["text"],
        blocks=message["blocks"],
    )
    return answer.ok


def chosen_segment(values: dict[str, Any]) -> tuple[str, str] | None:
    """The segment picked in the modal (id, name); None while "New segment…" is selected."""
    block = (values.get(ids.ADD_PEOPLE_SEGMENT) or {}).get(ids.ADD_PEOPLE_SEGMENT) or {}
    option = block.get("selected_option") or {}
    segment_id = option.get("value")
    if not isinstance(segment_id, str) or segment_id == ids.NEW_SEGMENT_OPTION:
        return None
    return segment_id, str((option.get("text") or {}).get("text") or segment_id)


def ready_job(
    deps: PeopleDeps,
    data: dict[str, Any],
    values: dict[str, Any],
    workspace: Workspace,
    user: str,
    segment: tuple[str, str],
) -> tuple[PeopleJob | None, dict[str, str]]:
    """The job with its segment set, or the inline errors to answer the submission with."""
    try:
        job = job_for(deps, data, values, workspace, user)
        if job is None:
            return None, {ids.ADD_PEOPLE_PASTE: NOBODY}
        deps.people.update(job.id, segment_id=segment[0], segment_name=segment[1])
    except StoreError:
        return None, {ids.ADD_PEOPLE_SEGMENT: STORE_UNAVAILABLE}
    return job, {}
