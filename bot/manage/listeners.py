"""The manage feature's listeners: the list's paging, Share, Edit, and "Open in Bunce"."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import ids
from bot.create.form import validate
from bot.create.views import parse_create_form
from bot.manage import jobs
from bot.manage.catalog import may_edit
from bot.manage.deps import ManageDeps
from bot.sentences import TAMPERED
from bot.slack.blocks import ephemeral
from bot.slack.metadata import MetadataSigner, read_value
from bot.slack.modals import open_view
from bot.slack.notice import build_loading_modal
from bot.slack.payload import action_value, bind, user_id
from bot.tenant import Workspace
from bot.workspace.views import build_refusal_view

NO_CHANNEL = "-"


def register(app: App, deps: ManageDeps) -> None:
    app.action(ids.LIST_PREV)(bind(handle_list_page, deps=deps))
    app.action(ids.LIST_NEXT)(bind(handle_list_page, deps=deps))
    app.action(ids.SHARE_ACTION)(bind(handle_share, deps=deps))
    app.action(ids.EDIT_ACTION)(bind(handle_edit, deps=deps))
    app.action(ids.OPEN_IN_BUNCE)(handle_link)
    app.view(ids.EDIT_VIEW)(bind(handle_edit_submission, deps=deps))
    app.action(ids.SHARE_PICK)(bind(handle_share_pick, deps=deps))


def handle_list_page(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    *,
    deps: ManageDeps,
) -> None:
    ack()
    data = read_value(deps.signer, action_value(body))
    if data is None or not isinstance(data.get("p"), int):
        respond(**ephemeral(TAMPERED), replace_original=False)
        return
    workspace, words = Workspace.from_context(context), str(data.get("q") or "")
    lead = data.get("l") if isinstance(data.get("l"), str) else ""  # older lists have none
    job = (deps, client, workspace, user_id(body), words, data["p"], respond, lead)
    deps.background.submit(jobs.send_list, *job)


def handle_share(
    ack: Ack,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    respond: Respond,
    *,
    deps: ManageDeps,
) -> None:
    ack()
    segment_id = _segment_id(deps.signer, body)
    if segment_id is None:
        respond(**ephemeral(TAMPERED), replace_original=False)
        return
    channel = (body.get("channel") or {}).get("id")
    workspace, url = Workspace.from_context(context), body.get("response_url")
    deps.background.submit(
        jobs.share_card, deps, workspace, user_id(body), segment_id, channel, url, client, respond
    )


def handle_edit(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: ManageDeps
) -> None:
    ack()
    workspace, user = Workspace.from_context(context), user_id(body)
    segment_id = _segment_id(deps.signer, body)
    if segment_id is None:
        open_view(client, body, build_refusal_view(TAMPERED))
        return
    # Open at once (the trigger lives 3 s; asking Slack whether this person is an admin may
    # take longer), then fill it once the rights are known and Bunce has answered.
    view_id = open_view(client, body, build_loading_modal("Edit segment"))
    if view_id is None:
        return
    if not may_edit(client, workspace, user, segment_id, deps):
        jobs.refuse_edit(deps, workspace, segment_id, view_id, client)
        return
    deps.background.submit(jobs.fill_edit, deps, workspace, segment_id, view_id, client)


def handle_edit_submission(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: ManageDeps
) -> None:
    view = body.get("view") or {}
    data = read_value(deps.signer, view.get("private_metadata"))
    if data is None or not isinstance(data.get("id"), str):
        ack(response_action="errors", errors={ids.NAME: TAMPERED})
        return
    # Same inputs as the create form; there is no channel to choose, so validation gets one.
    form = parse_create_form(view, default_channel=NO_CHANNEL).normalised()
    errors = validate(form)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    # Rights are checked after the ack: asking Slack may take longer than the 3 s allowed.
    ack(response_action="update", view=build_loading_modal("Edit segment", "Saving…"))
    workspace, user, view_id = Workspace.from_context(context), user_id(body), view.get("id")
    deps.background.submit(jobs.save_edit, deps, workspace, user, data["id"], form, view_id, client)


def handle_share_pick(
    ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext, *, deps: ManageDeps
) -> None:
    """A conversation picked in the success view: share the new segment's card there."""
    ack()
    view = body.get("view") or {}
    data = read_value(deps.signer, view.get("private_metadata"))
    actions = body.get("actions") or [{}]
    channel = actions[0].get("selected_conversation") if isinstance(actions[0], dict) else None
    if data is None or not isinstance(data.get("id"), str) or not isinstance(channel, str):
        return
    workspace, user, view_id = Workspace.from_context(context), user_id(body), view.get("id")
    deps.background.submit(
        jobs.share_from_view, deps, workspace, user, data["id"], channel, view_id, client
    )


def handle_link(ack: Ack) -> None:
    ack()  # "Open in Bunce" is a link; Slack still tells us it was clicked


def _segment_id(signer: MetadataSigner, body: dict[str, Any]) -> str | None:
    data = read_value(signer, action_value(body))
    segment_id = data.get("id") if data else None
    return segment_id if isinstance(segment_id, str) and segment_id else None
