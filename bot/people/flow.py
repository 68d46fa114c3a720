"""The add-customers feature's work: reading a message's customers, the segment search, the
job's run.

The search answers from each workspace's segment list, read in the background (search.py)
from the moment the modal opens. The run sends customers to Bunce in batches (minutes for a large
file), showing progress in the thread and the modal, and its summary always reaches the person.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot import ids
from bot.bunce import BunceError
from bot.bunce.models import Segment
from bot.people.deps import PeopleDeps
from bot.people.job import Progress, read_attachments, run
from bot.people.recipients import Recipients, merge, parse_message_text
from bot.people.search import warm_segments
from bot.people.views import (
    CHOOSE_SEGMENT,
    NOBODY,
    STILL_LOADING,
    UNREACHABLE,
    build_add_people_modal,
    build_progress_view,
    build_summary_message,
    progress_text,
    summary_text,
)
from bot.sentences import NOT_CONNECTED, STORE_UNAVAILABLE
from bot.slack.blocks import ephemeral
from bot.slack.calls import call
from bot.slack.metadata import MetadataSigner, read_value, sign_value
from bot.slack.modals import open_view, replace_view
from bot.slack.payload import user_id
from bot.slack.posting import notify_user
from bot.store.db import StoreError
from bot.store.people import PeopleJob, PeopleJobStore
from bot.store.records import Action, SubmissionRecord
from bot.tenant import Workspace
from bot.workspace.views import build_refusal_view

logger = logging.getLogger(__name__)


def prepare(
    deps: PeopleDeps, workspace: Workspace, body: dict[str, Any], client: WebClient, view_id: str
) -> None:
    """Read the message (text and files), record the job, and show the modal; a message with
    nobody in it gets a box to paste them instead (the job is then recorded on submit)."""
    warm_segments(deps, workspace)
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    found, notes = read_attachments(client, message.get("files"), channel)
    people = merge(parse_message_text(str(message.get("text") or "")), found)
    thread = message.get("thread_ts") or message.get("ts")
    # The shortcut's response_url rides along (signed) for when the thread and the modal
    # can't show the summary; it is not worth a column: it lives 30 minutes.
    where: dict[str, Any] = {"response_url": response_url_of(body)}
    if people.count == 0:
        where.update(channel=channel, thread=thread)
    else:
        try:
            where["job"] = record_job(deps, workspace, user_id(body), channel, thread, people).id
        except StoreError:
            replace_view(client, view_id, build_refusal_view(STORE_UNAVAILABLE))
            return
    view = build_add_people_modal(
        sign_value(deps.signer, where),
        count=people.count,
        ignored=list(people.ignored),
        ignored_count=people.ignored_count,
        notes=notes,
    )
    replace_view(client, view_id, view)


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
    """Send the customers, showing progress in the thread and the modal; the summary always
    reaches the person (thread, else modal, else the response_url, else a DM), and wherever
    it lands, a summary with customers missing carries its Retry (build_summary_message)."""
    job = deps.people.get(job_id)
    key = deps.lookup.key(workspace)
    if job is None:
        logger.warning("add-customers job %s not found: nothing to run", job_id)
        return
    if key is None:  # disconnected since: say so where the person is, not nothing
        notify_user(client, job.user_id, ephemeral(NOT_CONNECTED), response_url=response_url)
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
            answer = replace_view(client, modal[0], build_progress_view(text, retry))
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


# Options that stand for no segment, and what submitting with one of them says.
_NOT_SEGMENTS = {
    ids.NEW_SEGMENT_OPTION: CHOOSE_SEGMENT,
    ids.SEGMENTS_LOADING_OPTION: STILL_LOADING,
    ids.SEGMENTS_UNREACHABLE_OPTION: UNREACHABLE,
}


def chosen_segment(values: dict[str, Any]) -> tuple[tuple[str, str] | None, str]:
    """The segment picked in the modal (id, name), or None and the inline error to show."""
    block = (values.get(ids.ADD_PEOPLE_SEGMENT) or {}).get(ids.ADD_PEOPLE_SEGMENT) or {}
    option = block.get("selected_option") or {}
    segment_id = option.get("value")
    if not isinstance(segment_id, str):
        return None, CHOOSE_SEGMENT
    if segment_id in _NOT_SEGMENTS:
        return None, _NOT_SEGMENTS[segment_id]
    return (segment_id, str((option.get("text") or {}).get("text") or segment_id)), ""


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


def show_over(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Open the modal from a message button; from a button inside a modal (the create success
    view's "Add customers"), push it on that modal's stack: Slack opens a second modal only so
    (docs.slack.dev/reference/methods/views.push)."""
    if (body.get("view") or {}).get("type") == "modal":
        call(client.views_push, trigger_id=body.get("trigger_id"), view=view)
    else:
        open_view(client, body, view)


RETURN_KIND = "people"


def return_to(signer: MetadataSigner, view: dict[str, Any]) -> str:
    """For the create form opened from this modal's "New segment…": this modal's id and its
    signed state, so the new segment can be chosen here once it exists."""
    token = sign_value(signer, {"view": view.get("id"), "meta": view.get("private_metadata")})
    return f"{RETURN_KIND}:{token}"


def returns(
    signer: MetadataSigner,
    people: PeopleJobStore,
    client: WebClient,
    record: SubmissionRecord,
    segment: Segment | None,
    sentence: str | None,
) -> None:
    """The create feature's hand-back (CreateDeps.returns): a new segment is chosen in the
    Add customers modal; the person is told the outcome as usual either way (None)."""
    token = (record.return_to or "").removeprefix(f"{RETURN_KIND}:")
    if segment is not None:
        return_with_segment(signer, people, client, token, segment)


def return_with_segment(
    signer: MetadataSigner,
    people: PeopleJobStore,
    client: WebClient,
    token: str,
    segment: Segment,
) -> None:
    """Show the Add customers modal again (under the create form's result) with the new
    segment chosen and what it already held: the customers found, or the paste box."""
    data = read_value(signer, token)
    view_id, meta = (data or {}).get("view"), (data or {}).get("meta")
    state = read_value(signer, meta) if isinstance(meta, str) else None
    if not isinstance(view_id, str) or state is None:
        return
    job = None
    if isinstance(state.get("job"), str):
        try:
            job = people.get(state["job"])
        except StoreError:
            logger.warning("add-customers form not refreshed: database unavailable")
            return
    count = len(job.people) if job else 0
    view = build_add_people_modal(
        str(meta),
        count=count,
        ignored=list(job.ignored) if job else [],
        ignored_count=job.ignored_count if job else 0,
        notes=[],
        segment=(segment.id, segment.name),
        paste=count == 0,
    )
    call(client.views_update, view_id=view_id, view=view)
