"""Adding people to a segment: the message shortcut, the card button, segment search, the job."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import ids
from bot.bunce import BunceError
from bot.create.messages import NOT_CONNECTED, STORE_UNAVAILABLE, TAMPERED
from bot.create.origin import Origin, encode_metadata
from bot.create.views import build_create_modal
from bot.create.worker import SubmissionWorker
from bot.deps import Services
from bot.people.job import Progress, read_attachments, run
from bot.people.recipients import Recipients, merge, parse_message_text
from bot.people.views import (
    build_add_people_modal,
    build_progress_view,
    build_segment_options,
    build_summary_message,
    progress_text,
    summary_text,
)
from bot.slack import payload
from bot.slack.calls import SlackResult, call
from bot.slack.metadata import read_value, sign_value
from bot.slack.notice import build_loading_modal
from bot.slack.posting import notify_user
from bot.store.audit import Action
from bot.store.db import StoreError
from bot.store.people import PeopleJob
from bot.tenant import Workspace
from bot.workspace.lookup import find_key, find_key_info
from bot.workspace.views import build_refusal_view

logger = logging.getLogger(__name__)

CHOOSE_SEGMENT = "Choose a segment (or create one with “New segment…”, then choose it)."
NOBODY = "No email addresses or customer ids found: paste some, one per line."
# Segment search answers Slack within 3 s: a page (quick client: 1 s connect + 1.6 s read at
# worst, usually far less) may start only within the first second; Slack shows 100 options.
OPTIONS_BUDGET = 1.0
OPTIONS_PER_PAGE = 100
OPTIONS_MATCHES = 100
OPTIONS_MAX_SEGMENTS = 1000


def register(app: App, services: Services, worker: SubmissionWorker) -> None:
    def handle_message_shortcut(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        workspace = Workspace.from_context(context)
        if not _connected(services, workspace):
            payload.open_view(client, body, build_refusal_view(NOT_CONNECTED))
            return
        # Open at once (the trigger lives 3 s); attachments are read afterwards.
        view_id = payload.open_view(
            client, body, build_loading_modal("Add people", "Reading the message…")
        )
        if view_id:
            services.background.submit(_prepare, workspace, body, client, view_id)

    def _prepare(workspace: Workspace, body: dict[str, Any], client: WebClient, view_id: str):  # type: ignore[no-untyped-def]
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id")
        found, notes = read_attachments(client, message.get("files"), channel)
        people = merge(parse_message_text(str(message.get("text") or "")), found)
        thread = message.get("thread_ts") or message.get("ts")
        try:
            job = _record(workspace, payload.user_id(body), channel, thread, people)
        except StoreError:
            _update_view(client, view_id, build_refusal_view(STORE_UNAVAILABLE))
            return
        # The shortcut's response_url rides along (signed) for when the thread and the modal
        # can't show the summary; it is not worth a column: it lives 30 minutes.
        metadata = sign_value(services.signer, {"job": job.id, "response_url": _response_url(body)})
        view = build_add_people_modal(
            metadata,
            count=people.count,
            ignored=list(people.ignored),
            ignored_count=people.ignored_count,
            notes=notes,
        )
        _update_view(client, view_id, view)

    def _record(
        workspace: Workspace,
        user_id: str,
        channel: str | None,
        thread: str | None,
        people: Recipients,
    ) -> PeopleJob:
        return services.people.create(
            team_id=workspace.team_id,
            enterprise_id=workspace.enterprise_id,
            user_id=user_id,
            channel_id=channel,
            thread_ts=thread,
            people=people.identifiers(),
            ignored=list(people.ignored),
            ignored_count=people.ignored_count,
        )

    def handle_card_button(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        data = read_value(services.signer, payload.action_value(body))
        if data is None or not isinstance(data.get("id"), str):
            payload.open_view(client, body, build_refusal_view(TAMPERED))
            return
        message = body.get("message") or {}
        name = _card_name(message) or "This segment"
        metadata = sign_value(
            services.signer,
            {
                "channel": (body.get("channel") or {}).get("id"),
                "thread": message.get("ts"),
                "response_url": _response_url(body),
            },
        )
        view = build_add_people_modal(
            metadata,
            count=0,
            ignored=[],
            ignored_count=0,
            notes=[],
            segment=(data["id"], name),
            paste=True,
        )
        payload.open_view(client, body, view)

    def handle_segment_options(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """Search the workspace's segments while the person types (Slack allows 3 s).

        Pages are read until there are enough matches to show, or no new page may start
        within the budget; whatever was found by then (or before a failure) is offered.
        """
        started = time.monotonic()
        workspace = Workspace.from_context(context)
        query = str(body.get("value") or "").lower()
        segments: list[tuple[str, str]] = []
        try:
            key = find_key(services.keys, workspace)
            found = (
                services.bunce_quick.for_key(key.key).iter_segments(
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
        ack(options=build_segment_options(segments))

    def handle_segment_chosen(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        actions = body.get("actions") or [{}]
        chosen = (actions[0].get("selected_option") or {}).get("value") if actions else None
        if chosen != ids.NEW_SEGMENT_OPTION:
            return
        workspace = Workspace.from_context(context)
        info = find_key_info(services.keys, workspace)
        metadata = encode_metadata(services.signer, Origin())
        call(
            client.views_push,
            trigger_id=body.get("trigger_id"),
            view=build_create_modal(metadata, environment=info.environment if info else None),
        )

    def handle_submission(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        view = body.get("view") or {}
        data = read_value(services.signer, view.get("private_metadata"))
        if data is None:
            ack(response_action="errors", errors={ids.ADD_PEOPLE_SEGMENT: TAMPERED})
            return
        values = (view.get("state") or {}).get("values") or {}
        option = ((values.get(ids.ADD_PEOPLE_SEGMENT) or {}).get(ids.ADD_PEOPLE_SEGMENT) or {}).get(
            "selected_option"
        ) or {}
        segment_id = option.get("value")
        if not isinstance(segment_id, str) or segment_id == ids.NEW_SEGMENT_OPTION:
            ack(response_action="errors", errors={ids.ADD_PEOPLE_SEGMENT: CHOOSE_SEGMENT})
            return
        segment_name = str((option.get("text") or {}).get("text") or segment_id)
        workspace, user_id = Workspace.from_context(context), payload.user_id(body)
        try:
            job = _job_for(data, values, workspace, user_id)
            if job is None:
                ack(response_action="errors", errors={ids.ADD_PEOPLE_PASTE: NOBODY})
                return
            services.people.update(job.id, segment_id=segment_id, segment_name=segment_name)
        except StoreError:
            ack(response_action="errors", errors={ids.ADD_PEOPLE_SEGMENT: STORE_UNAVAILABLE})
            return
        ack(
            response_action="update",
            view=build_progress_view(progress_text(0, len(job.people), segment_name)),
        )
        services.background.submit(
            _run_job, job.id, workspace, client, view.get("id"), data.get("response_url")
        )

    def _job_for(
        data: dict[str, Any], values: dict[str, Any], workspace: Workspace, user_id: str
    ) -> PeopleJob | None:
        if isinstance(data.get("job"), str):
            return services.people.get(data["job"])
        typed = ((values.get(ids.ADD_PEOPLE_PASTE) or {}).get(ids.ADD_PEOPLE_PASTE) or {}).get(
            "value"
        )
        people = parse_message_text(typed if isinstance(typed, str) else "")
        if people.count == 0:
            return None
        return _record(workspace, user_id, data.get("channel"), data.get("thread"), people)

    def _run_job(
        job_id: str,
        workspace: Workspace,
        client: WebClient,
        view_id: str | None,
        response_url: str | None,
    ) -> None:
        """Send the people, showing progress in the thread and the modal; the summary always
        reaches the person: thread, else modal, else the response_url, else a DM."""
        job = services.people.get(job_id)
        key = find_key(services.keys, workspace)
        if job is None or key is None:
            return
        name = job.segment_name or job.segment_id or ""
        status_ts = job.status_ts
        if status_ts is None and job.channel_id:
            # Posted once: when no answer comes Slack may have posted it, so no second try;
            # the summary then goes by the fallbacks below.
            status_ts = _post_status(client, job, progress_text(0, len(job.people), name))
            if status_ts:
                services.people.update(job.id, status_ts=status_ts)
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
                services.bunce.for_key(key.key),
                save=lambda done: services.people.update(job.id, batches_done=done),
                report=report,
                sleep=worker.sleep,
                policy=worker.policy,
            )
        except BunceError:
            progress = Progress(0, len(job.people), "Bunce was unavailable")
        text = summary_text(
            progress.added, progress.total, job.ignored_count, name, progress.problem
        )
        retry = None if progress.finished else sign_value(services.signer, {"job": job.id})
        if not show(text, retry):
            # Ephemeral via the response_url, else a DM; an unanswered post counts as told.
            summary = build_summary_message(text, retry)
            if not notify_user(client, job.user_id, summary, response_url=response_url):
                logger.warning("people summary not delivered job=%s", job.id)
        services.audit.record(
            Action.PEOPLE_ADDED,
            team_id=workspace.team_id,
            enterprise_id=workspace.enterprise_id,
            user_id=job.user_id,
            channel_id=job.channel_id,
            segment_id=job.segment_id,
            segment_name=job.segment_name,
            detail=f"{progress.added} of {progress.total} added",
        )

    def handle_retry(
        ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        ack()
        data = read_value(services.signer, payload.action_value(body))
        if data is None or not isinstance(data.get("job"), str):
            return
        view = body.get("view") or {}
        view_id = view.get("id") if view.get("type") == "modal" else None
        services.background.submit(
            _run_job,
            data["job"],
            Workspace.from_context(context),
            client,
            view_id,
            _response_url(body),
        )

    app.message_shortcut(ids.ADD_PEOPLE_SHORTCUT)(handle_message_shortcut)
    app.action(ids.ADD_PEOPLE_ACTION)(handle_card_button)
    app.options(ids.ADD_PEOPLE_SEGMENT)(handle_segment_options)
    app.action(ids.ADD_PEOPLE_SEGMENT)(handle_segment_chosen)
    app.view(ids.ADD_PEOPLE_VIEW)(handle_submission)
    app.action(ids.ADD_PEOPLE_RETRY)(handle_retry)


def _connected(services: Services, workspace: Workspace) -> bool:
    try:
        return services.lookup.key_info(workspace) is not None
    except StoreError:
        return False


def _response_url(body: dict[str, Any]) -> str | None:
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


def _card_name(message: dict[str, Any]) -> str | None:
    for block in message.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "header":
            return str((block.get("text") or {}).get("text") or "") or None
    return None
