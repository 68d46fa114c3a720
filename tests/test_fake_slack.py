"""Faithfulness tests for FakeSlackApi, driven through slack_sdk's real clients."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from slack_bolt import App, BoltRequest
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web import SlackResponse
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack import APP_ID, DEFAULT_SCOPES, FILES_SCOPES, FakeSlackApi

TOKEN = "xoxb-t1"
ALL_BUT_PUBLIC = ("commands", "chat:write", "channels:join", "users:read", "im:write")


class ManualClock:
    """A clock tests move by hand, so expiry needs no sleeping."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.t += seconds


@pytest.fixture
def clock() -> ManualClock:
    """A hand-moved clock for the fake."""
    return ManualClock()


@pytest.fixture
def fake(clock: ManualClock) -> Iterator[FakeSlackApi]:
    """A running fake with one workspace T1 holding every default scope."""
    with FakeSlackApi(now=clock) as api:
        api.add_workspace("T1", TOKEN)
        yield api


@pytest.fixture
def client(fake: FakeSlackApi) -> WebClient:
    """The real slack_sdk client, pointed at the fake."""
    return WebClient(token=TOKEN, base_url=fake.base_url)


def modal(title: str = "Segment", blocks: list[dict[str, Any]] | None = None, **extra: Any) -> dict:
    """A minimal valid modal view."""
    section = {"type": "section", "block_id": "b", "text": {"type": "mrkdwn", "text": "hi"}}
    view = {
        "type": "modal",
        "callback_id": "seg",
        "title": {"type": "plain_text", "text": title},
        "blocks": [section] if blocks is None else blocks,
    }
    return view | extra


def slack_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    """The `error` field of a failed Slack call."""
    return excinfo.value.response["error"]


# ---- views.open and triggers ---------------------------------------------------------------


def test_views_open_with_fresh_trigger_returns_and_stores_the_view(fake, client):
    trigger = fake.issue_trigger()
    response = client.views_open(trigger_id=trigger, view=modal(private_metadata="C1"))
    view = response["view"]
    assert view["id"].startswith("V")
    assert view["root_view_id"] == view["id"]
    assert view["team_id"] == "T1"
    assert view["state"] == {"values": {}}
    assert view["private_metadata"] == "C1"
    assert view["hash"]
    assert fake.views[view["id"]]["callback_id"] == "seg"
    call = fake.wait_for("views.open")[0]
    assert call.args["view"] == modal(private_metadata="C1")
    assert call.token == TOKEN


def test_views_open_with_unknown_trigger_is_invalid_trigger_id(client):
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id="1.2.nope", view=modal())
    assert slack_error(excinfo) == "invalid_trigger_id"


def test_views_open_after_expire_trigger_is_expired_trigger_id(fake, client):
    trigger = fake.issue_trigger()
    fake.expire_trigger(trigger)
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=trigger, view=modal())
    assert slack_error(excinfo) == "expired_trigger_id"


def test_trigger_expires_when_the_clock_passes_its_ttl(fake, client, clock):
    late, in_time = fake.issue_trigger(ttl=3.0), fake.issue_trigger(ttl=3.0)
    clock.advance(2.9)
    assert client.views_open(trigger_id=in_time, view=modal())["ok"]
    clock.advance(0.2)
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=late, view=modal())
    assert slack_error(excinfo) == "expired_trigger_id"


def test_trigger_used_twice_is_exchanged_trigger_id(fake, client):
    trigger = fake.issue_trigger()
    client.views_open(trigger_id=trigger, view=modal())
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=trigger, view=modal())
    assert slack_error(excinfo) == "exchanged_trigger_id"


INPUT = {
    "type": "input",
    "block_id": "q",
    "label": {"type": "plain_text", "text": "Query"},
    "element": {"type": "plain_text_input", "action_id": "q"},
}


@pytest.mark.parametrize(
    "view",
    [
        pytest.param({"type": "modal", "blocks": []}, id="no-title"),
        pytest.param({k: v for k, v in modal().items() if k != "blocks"}, id="no-blocks"),
        pytest.param({k: v for k, v in modal().items() if k != "type"}, id="no-type"),
        pytest.param(modal(title="x" * 25), id="title-25-chars"),
        pytest.param(modal(blocks=[{"type": "divider"}] * 101), id="101-blocks"),
        pytest.param(modal(private_metadata="x" * 3001), id="metadata-3001"),
        pytest.param(modal(blocks=[INPUT]), id="input-without-submit"),
        pytest.param(modal(blocks=[{"text": "no type"}]), id="block-without-type"),
    ],
)
def test_views_open_rejects_invalid_views(fake, client, view):
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=fake.issue_trigger(), view=view)
    assert slack_error(excinfo) == "invalid_arguments"
    assert excinfo.value.response["response_metadata"]["messages"]


def test_views_open_accepts_limits_exactly(fake, client):
    view = modal(
        title="x" * 24,
        blocks=[INPUT] + [{"type": "divider"}] * 99,
        private_metadata="x" * 3000,
        submit={"type": "plain_text", "text": "Run"},
    )
    assert client.views_open(trigger_id=fake.issue_trigger(), view=view)["ok"]


def test_rejected_view_leaves_the_trigger_usable(fake, client):
    trigger = fake.issue_trigger()
    with pytest.raises(SlackApiError):
        client.views_open(trigger_id=trigger, view=modal(title="x" * 30))
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]


# ---- views.update / push / publish ---------------------------------------------------------


def test_views_update_unknown_view_is_not_found(client):
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id="V404", view=modal())
    assert slack_error(excinfo) == "not_found"


def test_views_update_with_current_hash_then_stale_hash(fake, client):
    opened = client.views_open(trigger_id=fake.issue_trigger(), view=modal())["view"]
    updated = client.views_update(
        view_id=opened["id"], hash=opened["hash"], view=modal(title="Working…")
    )["view"]
    assert updated["id"] == opened["id"]
    assert updated["hash"] != opened["hash"]
    assert fake.views[opened["id"]]["title"]["text"] == "Working…"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal())
    assert slack_error(excinfo) == "hash_conflict"


def test_views_update_by_external_id(fake, client):
    client.views_open(trigger_id=fake.issue_trigger(), view=modal(external_id="run-1"))
    updated = client.views_update(external_id="run-1", view=modal(title="Done"))["view"]
    assert updated["title"]["text"] == "Done"
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("views.update", json={"view_id": updated["id"], "external_id": "run-1"})
    assert slack_error(excinfo) == "invalid_arguments"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(external_id="run-2", view=modal())
    assert slack_error(excinfo) == "not_found"


def test_views_open_with_a_taken_external_id_is_duplicate_external_id(fake, client):
    client.views_open(trigger_id=fake.issue_trigger(), view=modal(external_id="run-1"))
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=fake.issue_trigger(), view=modal(external_id="run-1"))
    assert slack_error(excinfo) == "duplicate_external_id"


def test_views_update_after_user_closed_the_modal_is_not_found(fake, client):
    opened = client.views_open(trigger_id=fake.issue_trigger(), view=modal())["view"]
    fake.close_view(opened["id"])
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id=opened["id"], view=modal())
    assert slack_error(excinfo) == "not_found"


def test_views_update_of_another_workspaces_view_is_not_found(fake, client):
    fake.add_workspace("T2", "xoxb-t2")
    opened = client.views_open(trigger_id=fake.issue_trigger(), view=modal())["view"]
    other = WebClient(token="xoxb-t2", base_url=fake.base_url)
    with pytest.raises(SlackApiError) as excinfo:
        other.views_update(view_id=opened["id"], view=modal())
    assert slack_error(excinfo) == "not_found"


def test_views_push_stacks_at_most_three_views(fake, client):
    root = client.views_open(trigger_id=fake.issue_trigger(), view=modal())["view"]
    second = client.views_push(trigger_id=fake.issue_trigger(view_id=root["id"]), view=modal())
    assert second["view"]["root_view_id"] == root["id"]
    assert second["view"]["previous_view_id"] == root["id"]
    third_trigger = fake.issue_trigger(view_id=second["view"]["id"])
    client.views_push(trigger_id=third_trigger, view=modal())
    with pytest.raises(SlackApiError) as excinfo:
        client.views_push(trigger_id=fake.issue_trigger(view_id=root["id"]), view=modal())
    assert slack_error(excinfo) == "push_limit_reached"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_push(trigger_id=third_trigger, view=modal())
    assert slack_error(excinfo) == "exchanged_trigger_id"


def test_views_publish_home_tab(fake, client):
    home = {"type": "home", "blocks": [{"type": "divider"}]}
    first = client.views_publish(user_id="U1", view=home)["view"]
    again = client.views_publish(user_id="U1", view=home)["view"]
    assert again["id"] == first["id"]
    assert fake.home_views["U1"]["type"] == "home"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(user_id="U1", view=modal())
    assert slack_error(excinfo) == "invalid_arguments"


# ---- chat.postMessage membership and content -----------------------------------------------


@pytest.mark.parametrize(
    ("channel", "scopes", "expected"),
    [
        pytest.param({"is_member": True}, None, "ok", id="public-member"),
        pytest.param({}, None, "ok", id="public-nonmember-with-chat-write-public"),
        pytest.param({}, ALL_BUT_PUBLIC, "not_in_channel", id="public-nonmember-without"),
        pytest.param({"is_private": True}, None, "channel_not_found", id="private-nonmember"),
        pytest.param({"is_private": True, "is_member": True}, None, "ok", id="private-member"),
        pytest.param({"is_im": True}, None, "channel_not_found", id="im-nonmember"),
        pytest.param({"is_archived": True}, None, "is_archived", id="archived"),
        pytest.param({"team_id": "T9"}, None, "channel_not_found", id="other-workspace"),
    ],
)
def test_chat_post_message_membership_rules(fake, channel, scopes, expected):
    fake.add_workspace("T1", TOKEN, scopes=scopes or ("chat:write", "chat:write.public"))
    fake.add_channel("C1", **channel)
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    try:
        outcome = client.chat_postMessage(channel="C1", text="hello")["channel"]
    except SlackApiError as err:
        outcome = err.response["error"]
    assert outcome == ("C1" if expected == "ok" else expected)
    assert len(fake.messages("C1")) == (1 if expected == "ok" else 0)


def test_chat_post_message_to_unknown_channel(client):
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C404", text="hello")
    assert slack_error(excinfo) == "channel_not_found"


def test_chat_post_message_returns_and_stores_the_message(fake, client):
    fake.add_channel("C1", is_member=True)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*done*"}}]
    first = client.chat_postMessage(channel="C1", text="done", blocks=blocks)
    reply = client.chat_postMessage(channel="C1", text="more", thread_ts=first["ts"])
    assert first["message"]["blocks"] == blocks
    assert first["message"]["user"] == "UBOT"
    assert reply["ts"] != first["ts"]
    assert [m["text"] for m in fake.messages("C1")] == ["done", "more"]
    assert fake.messages("C1")[1]["thread_ts"] == first["ts"]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        pytest.param({}, "no_text", id="no-text-no-blocks"),
        pytest.param({"text": "x", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
        pytest.param({"text": "x", "blocks": [{"text": "untyped"}]}, "invalid_blocks"),
        pytest.param({"text": "x" * 40_001}, "msg_too_long", id="text-40001"),
    ],
)
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
def test_chat_post_message_content_rules(fake, client, kwargs, error):
    fake.add_channel("C1", is_member=True)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", **kwargs)
    assert slack_error(excinfo) == error


def test_chat_post_message_accepts_fifty_blocks(fake, client):
    fake.add_channel("C1", is_member=True)
    assert client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "divider"}] * 50)["ok"]


def test_chat_post_message_to_a_user_id_lands_in_the_apps_dm(fake, client):
    fake.add_user("U1")
    response = client.chat_postMessage(channel="U1", text="hi")
    assert response["channel"] == "DU1"
    assert fake.messages("DU1")[0]["text"] == "hi"


def test_chat_post_ephemeral_follows_the_same_membership_rules(fake, client):
    fake.add_channel("G1", is_private=True)
    fake.add_channel("C1", is_member=True)
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postEphemeral(channel="G1", user="U1", text="only you")
    assert slack_error(excinfo) == "channel_not_found"
    response = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert response["message_ts"]
    assert fake.ephemerals("C1") == [
        {"user": "U1", "message_ts": response["message_ts"], "text": "only you"}
    ]
    assert fake.messages("C1") == []


def test_chat_update(fake, client):
    fake.add_channel("C1", is_member=True)
    posted = client.chat_postMessage(channel="C1", text="working…")
    client.chat_update(channel="C1", ts=posted["ts"], text="done")
    assert [m["text"] for m in fake.messages("C1")] == ["done"]
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel="C1", ts="1.000001", text="done")
    assert slack_error(excinfo) == "message_not_found"


# ---- conversations.join / open, users.info, auth -------------------------------------------


def test_join_public_channel_makes_the_bot_a_member(fake):
    fake.add_workspace("T1", TOKEN, scopes=ALL_BUT_PUBLIC)
    fake.add_channel("C1", name="general")
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    joined = client.conversations_join(channel="C1")
    assert joined["channel"]["id"] == "C1"
    assert "warning" not in joined
    assert fake.is_member("C1")
    assert client.chat_postMessage(channel="C1", text="now I can")["ok"]
    again = client.conversations_join(channel="C1")
    assert again["warning"] == "already_in_channel"


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        pytest.param({"is_private": True}, "method_not_supported_for_channel_type", id="private"),
        pytest.param({"is_archived": True}, "is_archived", id="archived"),
        pytest.param(None, "channel_not_found", id="unknown"),
    ],
)
def test_join_refusals(fake, client, channel, error):
    if channel is not None:
        fake.add_channel("C1", **channel)
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_join(channel="C1")
    assert slack_error(excinfo) == error


def test_join_without_channels_join_scope_is_missing_scope(fake):
    fake.add_workspace("T1", TOKEN, scopes=("chat:write",))
    fake.add_channel("C1")
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_join(channel="C1")
    assert excinfo.value.response["error"] == "missing_scope"
    assert excinfo.value.response["needed"] == "channels:join"
    assert excinfo.value.response["provided"] == "chat:write"
    assert not fake.is_member("C1")


def test_conversations_open_returns_a_dm_the_bot_can_post_in(fake, client):
    fake.add_user("U1")
    opened = client.conversations_open(users="U1")
    assert opened["channel"]["id"] == "DU1"
    assert client.chat_postMessage(channel="DU1", text="hello")["ok"]
    assert client.conversations_open(users=["U1"])["already_open"] is True
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_open(users="U404")
    assert slack_error(excinfo) == "user_not_found"


def test_conversations_open_needs_im_write(fake):
    fake.add_workspace("T1", TOKEN, scopes=("chat:write",))
    fake.add_user("U1")
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(token=TOKEN, base_url=fake.base_url).conversations_open(users="U1")
    assert excinfo.value.response["needed"] == "im:write"


def test_users_info(fake, client):
    fake.add_user("U1", is_admin=True, name="ada")
    user = client.users_info(user="U1")["user"]
    assert user["id"] == "U1"
    assert user["team_id"] == "T1"
    assert (user["is_admin"], user["is_owner"], user["is_bot"]) == (True, False, False)
    assert user["name"] == "ada"
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U404")
    assert slack_error(excinfo) == "user_not_found"


def test_users_info_as_a_get_query_string(fake):
    fake.add_user("U1")
    request = urllib.request.Request(
        f"{fake.base_url}users.info?user=U1", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = json.loads(response.read())
    assert body["user"]["id"] == "U1"
    call = fake.calls("users.info")[0]
    assert (call.http_method, call.args) == ("GET", {"user": "U1"})


def test_auth_test_describes_the_bot_in_its_workspace(fake):
    fake.add_workspace("T2", "xoxb-t2", enterprise_id="E1", bot_user_id="UB2")
    response = WebClient(token="xoxb-t2", base_url=fake.base_url).auth_test()
    assert (response["team_id"], response["user_id"], response["enterprise_id"]) == (
        "T2",
        "UB2",
        "E1",
    )
    assert response["bot_id"]
    assert "chat:write" in response.headers["X-OAuth-Scopes"]


@pytest.mark.parametrize(
    ("token", "error"),
    [(None, "not_authed"), ("xoxb-unknown", "invalid_auth")],
)
def test_bad_tokens(fake, token, error):
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(token=token, base_url=fake.base_url).auth_test()
    assert slack_error(excinfo) == error


def test_revoked_token(fake, client):
    fake.revoke_token(TOKEN)
    with pytest.raises(SlackApiError) as excinfo:
        client.auth_test()
    assert slack_error(excinfo) == "token_revoked"


def test_any_bot_token_works_until_a_workspace_is_added():
    with FakeSlackApi() as fake:
        assert WebClient(token="xoxb-x", base_url=fake.base_url).auth_test()["team_id"] == "T0001"
        with pytest.raises(SlackApiError) as excinfo:
            WebClient(token="xoxp-user", base_url=fake.base_url).auth_test()
        assert slack_error(excinfo) == "invalid_auth"


def test_unknown_method(client):
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("bunce.nothing")
    assert slack_error(excinfo) == "unknown_method"


# ---- files ---------------------------------------------------------------------------------

CSV = b"email\r\nann@example.com\r\n"


@pytest.fixture
def files_fake(fake: FakeSlackApi) -> FakeSlackApi:
    """The fake with T1 allowed to read files."""
    fake.add_workspace("T1", TOKEN, scopes=FILES_SCOPES)
    return fake


def download(url: str, token: str | None = TOKEN, **kwargs: Any) -> requests.Response:
    """GET a file URL the way the app should: Bearer token, redirects not followed."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(url, headers=headers, timeout=5, allow_redirects=False, **kwargs)


def test_files_scopes_add_files_read_to_the_defaults():
    assert set(FILES_SCOPES) - set(DEFAULT_SCOPES) == {"files:read"}
    assert "files:read" not in DEFAULT_SCOPES


def test_files_info_describes_an_uploaded_file(files_fake, client):
    added = files_fake.add_file("F1", CSV, name="vip list.csv")
    file = client.files_info(file="F1")["file"]
    assert file == added
    assert (file["id"], file["name"], file["filetype"], file["mimetype"], file["size"]) == (
        "F1",
        "vip list.csv",
        "csv",
        "text/csv",
        len(CSV),
    )
    root = files_fake.root_url
    assert file["url_private_download"] == f"{root}/files-pri/T0001-F1/download/vip%20list.csv"
    assert file["url_private"] == f"{root}/files-pri/T0001-F1/vip%20list.csv"
    assert files_fake.calls("files.info")[0].args == {"file": "F1"}


def test_files_info_needs_files_read(fake, client):
    fake.add_file("F1", CSV)
    with pytest.raises(SlackApiError) as excinfo:
        client.files_info(file="F1")
    assert slack_error(excinfo) == "missing_scope"
    assert excinfo.value.response["needed"] == "files:read"


def test_files_info_unknown_or_other_workspaces_file_is_file_not_found(files_fake, client):
    files_fake.add_file("F2", CSV, team_id="T9")
    for file_id in ("F404", "F2"):
        with pytest.raises(SlackApiError) as excinfo:
            client.files_info(file=file_id)
        assert slack_error(excinfo) == "file_not_found"


def test_download_with_the_bot_token_returns_the_bytes(files_fake):
    file = files_fake.add_file("F1", CSV, team_id="T1")
    assert file["url_private_download"].startswith(f"{files_fake.root_url}/files-pri/T1-F1/")
    response = download(file["url_private_download"])
    assert response.status_code == 200
    assert response.content == CSV
    assert response.headers["Content-Type"] == "text/csv"
    assert response.headers["Content-Length"] == str(len(CSV))
    assert download(file["url_private"]).content == CSV
    recorded = files_fake.wait_for_downloads(2)
    assert [(d.file_id, d.token, d.status) for d in recorded] == [("F1", TOKEN, 200)] * 2
    assert recorded[0].path == "/files-pri/T1-F1/download/people.csv"


@pytest.mark.parametrize(
    ("token", "file_team"),
    [
        pytest.param(None, "T1", id="no-token"),
        pytest.param("xoxb-unknown", "T1", id="unknown-token"),
        pytest.param("xoxb-t2", "T2", id="token-without-files-read"),
        pytest.param("xoxb-t3", "T1", id="other-workspaces-token"),
    ],
)
def test_download_without_a_usable_token_redirects_to_sign_in(files_fake, token, file_team):
    files_fake.add_workspace("T2", "xoxb-t2")
    files_fake.add_workspace("T3", "xoxb-t3", scopes=FILES_SCOPES)
    url = files_fake.add_file("F1", CSV, team_id=file_team)["url_private_download"]
    response = download(url, token)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{files_fake.root_url}/?redir=")
    assert response.headers["Content-Type"].startswith("text/html")
    assert CSV not in response.content
    assert [(d.token, d.status) for d in files_fake.downloads("F1")] == [(token, 302)]


def test_following_the_sign_in_redirect_gets_html_not_the_file(files_fake):
    url = files_fake.add_file("F1", CSV)["url_private_download"]
    files_fake.revoke_token(TOKEN)
    response = requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    assert response.status_code == 200  # what a client that follows redirects blindly sees
    assert response.headers["Content-Type"].startswith("text/html")
    assert b"<html" in response.content
    assert [d.status for d in files_fake.downloads()] == [302]


def test_download_of_an_unknown_file_is_404(files_fake):
    response = download(f"{files_fake.root_url}/files-pri/T1-F404/download/x.csv")
    assert response.status_code == 404
    assert files_fake.downloads()[0].file_id is None


def test_fail_next_file_download(files_fake):
    url = files_fake.add_file("F1", CSV)["url_private_download"]
    files_fake.fail_next("file_download", status=503, error="unavailable")
    failed = download(url)
    assert (failed.status_code, failed.text) == (503, "unavailable")
    assert download(url).content == CSV
    assert [d.status for d in files_fake.downloads()] == [503, 200]


# ---- scripted faults -----------------------------------------------------------------------


def test_fail_next_429_surfaces_status_and_retry_after(fake, client):
    fake.add_channel("C1", is_member=True)
    fake.fail_next(
        "chat.postMessage", status=429, error="ratelimited", headers={"Retry-After": "1"}
    )
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="C1", text="hello")
    assert excinfo.value.response.status_code == 429
    assert excinfo.value.response.headers["Retry-After"] == "1"
    assert slack_error(excinfo) == "ratelimited"
    assert fake.messages("C1") == []
    assert client.chat_postMessage(channel="C1", text="hello")["ok"]
    assert [c.status for c in fake.calls("chat.postMessage")] == [429, 200]


def test_fail_next_times_and_other_methods_untouched(fake, client):
    fake.fail_next("views.open", times=2)
    assert client.auth_test()["ok"]
    for _ in range(2):
        with pytest.raises(SlackApiError) as excinfo:
            client.views_open(trigger_id=fake.issue_trigger(), view=modal())
        assert slack_error(excinfo) == "internal_error"
    assert client.views_open(trigger_id=fake.issue_trigger(), view=modal())["ok"]


def test_fail_next_delay_is_cut_short_by_stop(clock):
    fake = FakeSlackApi(now=clock).start()
    fake.fail_next("auth.test", error=None, delay=60.0)
    outcome: list[object] = []
    client = WebClient(token="xoxb-x", base_url=fake.base_url, timeout=30)
    caller = threading.Thread(target=lambda: outcome.append(client.auth_test()["ok"]))
    caller.start()
    fake.wait_for("auth.test")
    started = time.monotonic()
    fake.stop()
    caller.join(timeout=10)
    assert time.monotonic() - started < 10
    assert outcome == [True]  # the real answer, delivered once the delay was interrupted


# ---- response_url --------------------------------------------------------------------------


def test_response_url_allows_five_posts_then_used_url(fake):
    url = fake.response_url()
    webhook = WebhookClient(url)
    answers = [webhook.send(text=f"post {n}") for n in range(6)]
    assert [(a.status_code, a.body) for a in answers[:5]] == [(200, "ok")] * 5
    assert (answers[5].status_code, answers[5].body) == (404, "used_url")
    posts = fake.wait_for_response_posts(6, token=url)
    assert posts[0].body == {"text": "post 0"}
    assert [p.status for p in posts] == [200] * 5 + [404]


def test_response_url_expires_after_thirty_minutes(fake, clock):
    fresh, stale = fake.response_url(), fake.response_url()
    clock.advance(30 * 60 - 1)
    assert WebhookClient(fresh).send(text="in time").status_code == 200
    clock.advance(2)
    answer = WebhookClient(stale).send(text="late")
    assert (answer.status_code, answer.body) == (404, "expired_url")


def test_response_url_unknown_token_and_json_blocks(fake):
    assert WebhookClient(f"{fake.root_url}/response/nope").send(text="x").status_code == 404
    url = fake.response_url("tok")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    WebhookClient(url).send(text="hi", blocks=blocks, response_type="in_channel")
    post = fake.response_posts("tok")[0]
    assert post.body == {"text": "hi", "blocks": blocks, "response_type": "in_channel"}


def test_response_url_post_without_content_is_no_text_and_costs_no_use(fake):
    url = fake.response_url()
    webhook = WebhookClient(url)
    answer = webhook.send_dict({"response_type": "ephemeral"})
    assert (answer.status_code, answer.body) == (400, "no_text")
    statuses = [webhook.send_dict({"delete_original": True}).status_code for _ in range(5)]
    assert statuses == [200] * 5


def test_wait_for_names_what_arrived_when_it_times_out(fake, client):
    client.auth_test()
    with pytest.raises(AssertionError, match=r"auth\.test"):
        fake.wait_for("views.open", timeout=0.05)


# ---- encodings -----------------------------------------------------------------------------


def test_args_are_decoded_whatever_the_encoding(fake, client):
    fake.add_channel("C1", is_member=True)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "a"}}]
    client.chat_postMessage(channel="C1", text="json", blocks=blocks)
    client.api_call(
        "chat.postMessage",
        params={"channel": "C1", "text": "form", "blocks": json.dumps(blocks)},
    )
    client.api_call(
        "views.open", data={"trigger_id": fake.issue_trigger(), "view": json.dumps(modal())}
    )
    json_call, form_call = fake.wait_for("chat.postMessage", 2)
    assert json_call.headers["content-type"].startswith("application/json")
    assert form_call.headers["content-type"] == "application/x-www-form-urlencoded"
    assert json_call.args["blocks"] == form_call.args["blocks"] == blocks
    assert fake.calls("views.open")[0].args["view"] == modal()
    assert fake.messages("C1")[1]["blocks"] == blocks


def test_token_may_ride_in_the_form_body(fake):
    response = WebClient(base_url=fake.base_url).api_call("auth.test", params={"token": TOKEN})
    assert response["team_id"] == "T1"
    call = fake.calls("auth.test")[0]
    assert call.token == TOKEN
    assert "token" not in call.args


# ---- OAuth v2 ------------------------------------------------------------------------------

CLIENT_ID, CLIENT_SECRET = "111.222", "client-secret"


def exchange(fake: FakeSlackApi, code: str, **kwargs: Any) -> SlackResponse:
    """oauth.v2.access with a code, the way Bolt's OAuthFlow.run_installation calls it."""
    client = WebClient(base_url=fake.base_url)
    return client.oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code, **kwargs
    )


def refresh(fake: FakeSlackApi, refresh_token: str) -> SlackResponse:
    """oauth.v2.access with a refresh token, the way slack_sdk's TokenRotator calls it."""
    return WebClient(base_url=fake.base_url).oauth_v2_access(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        grant_type="refresh_token",
        refresh_token=refresh_token,
    )


def auth_error(fake: FakeSlackApi, token: str) -> str | None:
    """auth.test's error for a token, or None when the token works."""
    try:
        WebClient(token=token, base_url=fake.base_url).auth_test()
    except SlackApiError as err:
        return err.response["error"]
    return None


def test_code_exchange_mints_a_registered_bot_token(fake):
    fake.configure_oauth(CLIENT_ID, CLIENT_SECRET)
    code = fake.issue_code(
        "T2", installer_user_id="U9", scopes=["commands", "chat:write"], team_name="Acme"
    )
    body = exchange(fake, code).data
    token = body["access_token"]
    assert token.startswith("xoxb-")
    assert body == {
        "ok": True,
        "access_token": token,
        "token_type": "bot",
        "scope": "commands,chat:write",
        "bot_user_id": "UBT2",
        "app_id": APP_ID,
        "team": {"id": "T2", "name": "Acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "authed_user": {"id": "U9"},
    }
    call = fake.oauth_calls()[0]
    assert call.headers["authorization"].startswith("Basic ")  # slack_sdk's client auth
    assert call.args == {"code": code}
    assert fake.installed_tokens("T2") == [token]
    who = WebClient(token=token, base_url=fake.base_url).auth_test()
    assert (who["team_id"], who["team"], who["user_id"], who["bot_id"]) == (
        "T2",
        "Acme",
        "UBT2",
        "BT2",
    )
    assert who["is_enterprise_install"] is False
    assert who.headers["X-OAuth-Scopes"] == "chat:write,commands"


def test_code_exchange_accepts_credentials_in_the_form_body(fake):
    fake.configure_oauth(CLIENT_ID, CLIENT_SECRET)
    code = fake.issue_code("T2", installer_user_id="U9")
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "code": code}
    body = WebClient(base_url=fake.base_url).api_call("oauth.v2.access", data=form)
    assert body["team"]["id"] == "T2"
    assert "authorization" not in fake.oauth_calls()[0].headers


@pytest.mark.parametrize(
    ("client_id", "client_secret", "error"),
    [
        pytest.param("999.999", CLIENT_SECRET, "invalid_client_id", id="wrong-id"),
        pytest.param(CLIENT_ID, "guess", "bad_client_secret", id="wrong-secret"),
    ],
)
def test_code_exchange_with_bad_client_credentials(fake, client_id, client_secret, error):
    fake.configure_oauth(CLIENT_ID, CLIENT_SECRET)
    code = fake.issue_code("T2", installer_user_id="U9")
    client = WebClient(base_url=fake.base_url)
    with pytest.raises(SlackApiError) as excinfo:
        client.oauth_v2_access(client_id=client_id, client_secret=client_secret, code=code)
    assert slack_error(excinfo) == error
    assert fake.installed_tokens("T2") == []
    assert exchange(fake, code)["ok"]  # the refused attempt did not spend the code


def test_code_exchange_before_configure_oauth_is_invalid_client_id(fake):
    code = fake.issue_code("T2", installer_user_id="U9")
    with pytest.raises(SlackApiError) as excinfo:
        exchange(fake, code)
    assert slack_error(excinfo) == "invalid_client_id"


def test_code_is_single_use_and_unknown_codes_are_invalid(fake):
    fake.configure_oauth(CLIENT_ID, CLIENT_SECRET)
    code = fake.issue_code("T2", installer_user_id="U9")
    first = exchange(fake, code)["access_token"]
    for bad in (code, "1.2.nope"):
        with pytest.raises(SlackApiError) as excinfo:
            exchange(fake, bad)
        assert slack_error(excinfo) == "invalid_code"
    assert fake.installed_tokens("T2") == [first]


def test_code_expires_after_ten_minutes(fake, clock):
    fake.configure_oauth(CLIENT_ID, CLIENT_SECRET)
    in_time, late = (fake.issue_code("T2", installer_user_id="U9") for _ in range(2))
    clock.advance(599)
    assert exchange(fake, in_time)["ok"]
    clock.advance(2)
    with pytest.raises(SlackApiError) as excinfo:
        exchange(fake, late)
    assert slack_error(excinfo) == "invalid_code"


def test_code_issued_with_a_redirect_uri_needs_the_same_one(fake):
    fake.configure_oauth(CLIENT_ID, CLIENT_SECRET)
    redirect = "https://bunce.example/slack/oauth_redirect"
    code = fake.issue_code("T2", installer_user_id="U9", redirect_uri=redirect)
    for wrong in ({}, {"redirect_uri": "https://evil.example/cb"}):
        with pytest.raises(SlackApiError) as excinfo:
            exchange(fake, code, **wrong)
        assert slack_error(excinfo) == "bad_redirect_uri"
    assert exchange(fake, code, redirect_uri=redirect)["ok"]


def test_rotation_mints_expiring_tokens_and_single_use_refresh_tokens(fake):
    fake.configure_oauth(CLIENT_ID, CLIENT_SECRET, token_rotation=True)
    first = exchange(fake, fake.issue_code("T2", installer_user_id="U9"))
    assert first["access_token"].startswith("xoxe.xoxb-1-")
    assert first["refresh_token"].startswith("xoxe-1-")
    assert first["expires_in"] == 43200
    second = refresh(fake, first["refresh_token"])
    assert second["token_type"] == "bot"  # TokenRotator ignores answers of another type
    assert second["expires_in"] == 43200
    assert second["access_token"].startswith("xoxe.xoxb-1-")
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert (second["team"], second["bot_user_id"]) == (first["team"], first["bot_user_id"])
    # The replaced access token keeps working until its own expiry.
    assert auth_error(fake, first["access_token"]) is None
    assert auth_error(fake, second["access_token"]) is None
    for spent in (first["refresh_token"], "xoxe-1-unknown"):
        with pytest.raises(SlackApiError) as excinfo:
            refresh(fake, spent)
        assert slack_error(excinfo) == "invalid_refresh_token"
    assert fake.installed_tokens("T2") == [first["access_token"], second["access_token"]]
    assert [c.args.get("grant_type") for c in fake.oauth_calls()] == [
        None,
        "refresh_token",
        "refresh_token",
        "refresh_token",
    ]


def test_rotated_tokens_expire_by_the_fake_clock(fake, clock):
    fake.configure_oauth(CLIENT_ID, CLIENT_SECRET, token_rotation=True, token_ttl=3600)
    first = exchange(fake, fake.issue_code("T2", installer_user_id="U9"))
    clock.advance(3599)
    assert auth_error(fake, first["access_token"]) is None
    second = refresh(fake, first["refresh_token"])
    assert second["expires_in"] == 3600
    clock.advance(2)
    assert auth_error(fake, first["access_token"]) == "token_expired"
    assert auth_error(fake, second["access_token"]) is None
    assert fake.installed_tokens("T2", valid_only=True) == [second["access_token"]]
    clock.advance(3600)
    assert auth_error(fake, second["access_token"]) == "token_expired"
    third = refresh(fake, second["refresh_token"])  # an expired token can still be refreshed
    assert auth_error(fake, third["access_token"]) is None
    assert auth_error(fake, TOKEN) is None  # tokens without rotation never expire
    fake.expire_token(third["access_token"])
    assert auth_error(fake, third["access_token"]) == "token_expired"


def test_org_wide_install_has_no_team(fake):
    fake.configure_oauth(CLIENT_ID, CLIENT_SECRET)
    code = fake.issue_code(
        "T2", installer_user_id="W9", enterprise_id="E1", is_enterprise_install=True
    )
    body = exchange(fake, code).data
    assert body["team"] is None
    assert body["enterprise"] == {"id": "E1", "name": "Org E1"}
    assert body["is_enterprise_install"] is True
    assert body["authed_user"] == {"id": "W9"}
    who = WebClient(token=body["access_token"], base_url=fake.base_url).auth_test()
    assert (who["enterprise_id"], who["is_enterprise_install"]) == ("E1", True)
    assert who["url"] == "https://e1.enterprise.slack.com/"
    in_grid = exchange(fake, fake.issue_code("T3", installer_user_id="W9", enterprise_id="E1"))
    assert in_grid["team"] == {"id": "T3", "name": "Team T3"}
    assert in_grid["enterprise"] == {"id": "E1", "name": "Org E1"}
    assert in_grid["is_enterprise_install"] is False
    with pytest.raises(ValueError):
        fake.issue_code("T4", installer_user_id="W9", is_enterprise_install=True)


def test_revoke_workspace_kills_every_token_of_the_team(fake):
    fake.configure_oauth(CLIENT_ID, CLIENT_SECRET, token_rotation=True)
    fake.add_workspace("T2", "xoxb-t2")
    minted = exchange(fake, fake.issue_code("T1", installer_user_id="U9"))
    assert minted["bot_user_id"] == "UBOT"  # reinstalling keeps the bot's identity
    assert fake.revoke_workspace("T1") == [TOKEN, minted["access_token"]]
    assert [auth_error(fake, t) for t in (TOKEN, minted["access_token"], "xoxb-t2")] == [
        "token_revoked",
        "token_revoked",
        None,
    ]
    with pytest.raises(SlackApiError) as excinfo:
        refresh(fake, minted["refresh_token"])
    assert slack_error(excinfo) == "invalid_refresh_token"
    reinstalled = exchange(fake, fake.issue_code("T1", installer_user_id="U9"))
    assert fake.installed_tokens("T1", valid_only=True) == [reinstalled["access_token"]]
    fake.revoke_workspace("T2", error="account_inactive")
    assert auth_error(fake, "xoxb-t2") == "account_inactive"


def test_bolt_oauth_flow_installs_then_rotates_against_the_fake(fake, tmp_path, monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_REDIRECT_URI", "SLACK_INSTALL_PATH"):
        monkeypatch.delenv(name, raising=False)
    # A ttl inside Bolt's 120-minute refresh window: the next request rotates the token.
    fake.configure_oauth(CLIENT_ID, CLIENT_SECRET, token_rotation=True, token_ttl=60)
    store = FileInstallationStore(base_dir=str(tmp_path / "installations"))
    states = FileOAuthStateStore(expiration_seconds=600, base_dir=str(tmp_path / "states"))
    settings = OAuthSettings(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        scopes=["commands", "chat:write"],
        installation_store=store,
        state_store=states,
    )
    # installation_store on App too: only then does Bolt's token rotator use this client
    # (OAuthSettings alone builds one with the default https://slack.com/api/).
    app = App(
        client=WebClient(base_url=fake.base_url),
        signing_secret="signing-secret",
        oauth_settings=settings,
        installation_store=store,
        process_before_response=True,
    )
    page = app.oauth_flow.handle_installation(BoltRequest(body="", query="", headers={}))
    cookie = page.headers["set-cookie"][0].split(";")[0]
    state = cookie.split("=", 1)[1]
    assert f"oauth/v2/authorize?state={state}" in page.body  # the Add to Slack link
    code = fake.issue_code("T2", installer_user_id="U9", scopes=["commands", "chat:write"])
    query = urlencode({"code": code, "state": state})
    done = app.oauth_flow.handle_callback(
        BoltRequest(body="", query=query, headers={"cookie": cookie})
    )
    assert done.status == 200
    installed = store.find_installation(enterprise_id=None, team_id="T2")
    assert installed.bot_token == fake.installed_tokens("T2")[0]
    assert (installed.bot_id, installed.bot_user_id, installed.user_id) == ("BT2", "UBT2", "U9")
    assert installed.bot_refresh_token.startswith("xoxe-1-")
    assert [c.method for c in fake.requests] == ["oauth.v2.access", "auth.test"]

    seen: list[str] = []

    @app.command("/bunce")
    def bunce(ack, context):
        seen.append(context.bot_token)
        ack()

    form = {"command": "/bunce", "team_id": "T2", "user_id": "U9", "channel_id": "C1"}
    body = urlencode(form | {"text": "", "trigger_id": "1.2.3", "api_app_id": APP_ID})
    stamp = str(int(time.time()))
    signature = SignatureVerifier("signing-secret").generate_signature(timestamp=stamp, body=body)
    headers = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [stamp],
        "x-slack-signature": [signature],
    }
    assert app.dispatch(BoltRequest(body=body, headers=headers)).status == 200
    rotated = fake.installed_tokens("T2")[-1]
    assert rotated != installed.bot_token
    assert seen == [rotated]
    assert fake.oauth_calls()[-1].args["grant_type"] == "refresh_token"
    assert store.find_installation(enterprise_id=None, team_id="T2").bot_token == rotated
