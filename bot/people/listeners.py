"""The add-customers feature's listeners: the message shortcut, the card button, segment search,
the modal's submission and Retry."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import ids
from bot.create.origin import Origin, encode_metadata
from bot.create.views import build_create_modal
from bot.people import flow, search
from bot.people.deps import PeopleDeps
from bot.people.views import (
    TITLE,
    build_add_people_modal,
    build_progress_view,
    build_segment_options,
    card_name,
    progress_text,
)
from bot.sentences import NOT_CONNECTED, TAMPERED
from bot.slack.calls import call
from bot.slack.metadata import read_value, sign_value
from bot.slack.modals import open_view
from bot.slack.notice import build_loading_modal
from bot.slack.payload import action_value, bind, user_id
from bot.tenant import Workspace
from bot.workspace.views import build_refusal_view


def register(app: App, deps: PeopleDeps) -> None:
    app.message_shortcut(ids.ADD_PEOPLE_SHORTCUT)(bind(handle_message_shortcut, deps=deps))
    app.action(ids.ADD_PEOPLE_ACTION)(bind(handle_card_button, deps=deps))
    app.options(ids.ADD_PEOPLE_SEGMENT)(bind(handle_segment_options, deps=deps))
    app.action(ids.ADD_PEOPLE_SEGMENT)(bind(handle_segment_chosen, deps=deps))
    app.view(ids.ADD_PEOPLE_VIEW)(bind(handle_submission, deps=deps))
    app.action(ids.ADD_PEOPLE_RETRY)(bind(handle_retry, deps=deps))


def handle_message_shortcut(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: PeopleDeps
) -> None:
    ack()
    workspace = Workspace.from_context(context)
    if not flow.connected(deps, workspace):
        open_view(client, body, build_refusal_view(NOT_CONNECTED))
        return
    # Open at once (the trigger lives 3 s); attachments are read afterwards.
    loading = build_loading_modal(TITLE, "Reading the message…")
    view_id = open_view(client, body, loading)
    if view_id:
        deps.background.submit(flow.prepare, deps, workspace, body, client, view_id)


def handle_card_button(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: PeopleDeps
) -> None:
    ack()
    data = read_value(deps.signer, action_value(body))
    if data is None or not isinstance(data.get("id"), str):
        open_view(client, body, build_refusal_view(TAMPERED))
        return
    message = body.get("message") or {}
    where = {
        "channel": (body.get("channel") or {}).get("id"),
        "thread": message.get("ts"),
        "response_url": flow.response_url_of(body),
    }
    named = data.get("n") if isinstance(data.get("n"), str) else None
    segment = (data["id"], named or card_name(message) or "This segment")
    view = build_add_people_modal(
        sign_value(deps.signer, where),
        count=0,
        ignored=[],
        ignored_count=0,
        notes=[],
        segment=segment,
        paste=True,
    )
    flow.show_over(client, body, view)
    search.warm_segments(deps, Workspace.from_context(context))


def handle_segment_options(
    ack: Ack, body: dict[str, Any], context: BoltContext, *, deps: PeopleDeps
) -> None:
    query = str(body.get("value") or "")
    found = search.search_segments(deps, Workspace.from_context(context))
    options = build_segment_options(
        found.matching(query), state=found.state, known=len(found.segments)
    )
    ack(options=options)


def handle_segment_chosen(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: PeopleDeps
) -> None:
    ack()
    actions = body.get("actions") or [{}]
    chosen = (actions[0].get("selected_option") or {}).get("value") if actions else None
    if chosen != ids.NEW_SEGMENT_OPTION:
        return
    workspace = Workspace.from_context(context)
    deps.segments.forget(workspace)  # the segment about to be created must be found next
    info = deps.lookup.key_info(workspace, cached=False)
    back = flow.return_to(deps.signer, body.get("view") or {})
    metadata = encode_metadata(deps.signer, Origin(return_to=back))
    view = build_create_modal(metadata, environment=info.environment if info else None)
    call(client.views_push, trigger_id=body.get("trigger_id"), view=view)


def handle_submission(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: PeopleDeps
) -> None:
    view = body.get("view") or {}
    data = read_value(deps.signer, view.get("private_metadata"))
    values = (view.get("state") or {}).get("values") or {}
    segment, problem = flow.chosen_segment(values)
    if data is None or segment is None:
        error = TAMPERED if data is None else problem
        ack(response_action="errors", errors={ids.ADD_PEOPLE_SEGMENT: error})
        return
    workspace = Workspace.from_context(context)
    job, errors = flow.ready_job(deps, data, values, workspace, user_id(body), segment)
    if job is None:
        ack(response_action="errors", errors=errors)
        return
    progress = build_progress_view(progress_text(0, len(job.people), segment[1]))
    ack(response_action="update", view=progress)
    url = data.get("response_url")
    deps.background.submit(flow.run_job, deps, job.id, workspace, client, view.get("id"), url)


def handle_retry(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: PeopleDeps
) -> None:
    ack()
    data = read_value(deps.signer, action_value(body))
    if data is None or not isinstance(data.get("job"), str):
        return
    view = body.get("view") or {}
    view_id = view.get("id") if view.get("type") == "modal" else None
    workspace, url = Workspace.from_context(context), flow.response_url_of(body)
    deps.background.submit(flow.run_job, deps, data["job"], workspace, client, view_id, url)
