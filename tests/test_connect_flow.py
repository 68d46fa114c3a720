"""Admins connect, replace, test and disconnect the workspace's Bunce key from Slack."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from bot import ids
from bot.store.audit import Action
from tests.harness import (
    ADMIN,
    LIVE_KEY,
    OTHER_KEY,
    SANDBOX_KEY,
    TEAM,
    USER,
    Harness,
    wait_until,
)
from tests.schemas import assert_valid_home, assert_valid_modal


def key_state(text: str | None) -> dict:
    return {
        "values": {ids.CONNECT_KEY: {ids.CONNECT_KEY: {"type": "plain_text_input", "value": text}}}
    }


def open_connect(h: Harness, user_id: str = ADMIN, subcommand: str = "connect") -> dict:
    """The modal as Slack shows it: opened at once, filled once rights are known."""
    before = len(h.slack.calls("views.open"))
    h.send_command(subcommand, user_id=user_id)
    view_id = h.slack.wait_for("views.open", before + 1)[-1].response["view"]["id"]
    wait_until(lambda: h.slack.shown_view(view_id)["callback_id"] != ids.EDIT_RESULT_VIEW)
    assert_valid_modal(h.slack.sent_view(view_id))
    return h.slack.shown_view(view_id)


def outcome(h: Harness, view_id: str) -> dict:
    """The modal after its submission was checked in the background."""
    h.background.wait_idle()
    assert_valid_modal(h.slack.sent_view(view_id))
    return h.slack.shown_view(view_id)


def raw_rows(h: Harness) -> bytes:
    with h.services.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM workspace_keys")).fetchall()
    return repr(rows).encode()


def test_admin_connects_a_valid_key(any_db_harness: Harness) -> None:
    h = any_db_harness
    h.bunce.add_key(LIVE_KEY)
    view = open_connect(h)

    response = h.send_submission(view, key_state(f"  {LIVE_KEY} \n"), user_id=ADMIN)

    body = response.json()
    assert body["response_action"] == "update"
    assert "Checking" in json.dumps(body["view"])
    done = outcome(h, view["id"])
    assert "sk_live_…1234" in json.dumps(done, ensure_ascii=False)
    assert LIVE_KEY not in response.text
    assert all(LIVE_KEY not in json.dumps(c.args) for c in h.slack.requests)
    verify = h.bunce.requests[-1]
    assert (verify.method, verify.path, verify.query) == (
        "GET",
        "/segments",
        {"page": "1", "per_page": "1"},
    )
    assert verify.headers["X-Authorization"] == LIVE_KEY
    stored = h.services.keys.get(TEAM)
    assert stored is not None and stored.key == LIVE_KEY and stored.set_by == ADMIN
    assert LIVE_KEY.encode() not in raw_rows(h)
    home = h.slack.wait_for("views.publish")[0]
    assert home.args["user_id"] == ADMIN
    assert "Connected" in json.dumps(home.args["view"])
    events = h.services.audit.recent(TEAM, actions=[Action.KEY_CONNECTED])
    assert [(e.user_id, e.detail) for e in events] == [(ADMIN, "live sk_live_…1234")]


def test_rejected_key_is_an_inline_error_and_nothing_is_stored(harness: Harness) -> None:
    view = open_connect(harness)

    harness.send_submission(view, key_state(OTHER_KEY), user_id=ADMIN)

    again = outcome(harness, view["id"])
    assert again["callback_id"] == ids.CONNECT_VIEW  # the form again, to paste another key
    assert "Bunce rejected this key" in json.dumps(again)
    assert OTHER_KEY not in json.dumps(again)  # what was typed is never sent back
    assert harness.services.keys.info(TEAM) is None


def test_a_live_key_is_checked_on_the_live_host_and_a_test_key_on_the_sandbox(
    harness: Harness,
) -> None:
    harness.bunce.add_key(SANDBOX_KEY)
    view = open_connect(harness)

    harness.send_submission(view, key_state(SANDBOX_KEY), user_id=ADMIN)
    outcome(harness, view["id"])

    assert harness.bunce.requests[-1].env == "sandbox"
    info = harness.services.keys.info(TEAM)
    assert info is not None and info.environment == "sandbox"


def test_not_a_key_is_refused_without_asking_bunce(harness: Harness) -> None:
    view = open_connect(harness)

    response = harness.send_submission(view, key_state("pk_live_nope"), user_id=ADMIN)

    assert "starts with sk_live_" in response.json()["errors"][ids.CONNECT_KEY]
    assert harness.bunce.requests == []


def test_bunce_down_or_slow_during_verify_stores_nothing(harness: Harness) -> None:
    harness.bunce.add_key(LIVE_KEY)
    for fault in ({"status": 503}, {"status": 429}, {"delay": 4.0}):
        harness.bunce.fail_next(**fault)
        view = open_connect(harness)

        response = harness.send_submission(view, key_state(LIVE_KEY), user_id=ADMIN)

        assert response.elapsed.total_seconds() < 3.0  # inside Slack's window
        assert "Couldn't verify" in json.dumps(outcome(harness, view["id"]))
        assert harness.services.keys.info(TEAM) is None


def test_non_admin_cannot_open_connect_nor_submit_a_crafted_one(harness: Harness) -> None:
    harness.bunce.add_key(LIVE_KEY)
    refused_url = harness.slack.response_url()

    refused = open_connect(harness, user_id=USER)
    admin_view = open_connect(harness)
    harness.send_submission(admin_view, key_state(LIVE_KEY), user_id=USER)
    crafted = outcome(harness, admin_view["id"])
    harness.send_command("connect", user_id=USER, response_url=refused_url)  # now known

    assert "only a workspace admin" in json.dumps(refused)
    assert "only a workspace admin" in json.dumps(crafted)
    again = harness.slack.wait_for_response_posts(1)[0].body
    assert "only a workspace admin" in again["text"]
    assert len(harness.slack.calls("views.open")) == 2  # no modal once the answer is known
    assert harness.services.keys.info(TEAM) is None
    assert harness.bunce.requests == []


def test_listed_users_are_admins(fake_slack, fake_bunce, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import running_app

    with running_app(sqlite_url, fake_slack, fake_bunce, {"BUNCE_ADMIN_USER_IDS": USER}) as h:
        h.bunce.add_key(LIVE_KEY)
        view = open_connect(h, user_id=USER)
        h.send_submission(view, key_state(LIVE_KEY), user_id=USER)
        outcome(h, view["id"])

        assert h.services.keys.info(TEAM) is not None
        assert h.slack.calls("users.info") == []  # listed: Slack isn't asked


def test_replace_key_records_a_replacement(harness: Harness) -> None:
    harness.store_key(LIVE_KEY)
    harness.bunce.add_key(OTHER_KEY)
    view = open_connect(harness)

    harness.send_submission(view, key_state(OTHER_KEY), user_id=ADMIN)
    outcome(harness, view["id"])

    assert "replaces the current live key" in json.dumps(view["blocks"])
    assert harness.services.keys.get(TEAM).key == OTHER_KEY  # type: ignore[union-attr]
    assert harness.services.audit.last(TEAM, action=Action.KEY_REPLACED) is not None


def test_disconnect_by_command_asks_then_deletes(harness: Harness) -> None:
    harness.store_key()
    view = open_connect(harness, subcommand="disconnect")
    assert "sk_live_…1234" in json.dumps(view["blocks"], ensure_ascii=False)

    harness.send_submission(view, {"values": {}}, user_id=USER)
    crafted = outcome(harness, view["id"])
    still_there = harness.services.keys.info(TEAM) is not None
    harness.send_submission(view, {"values": {}}, user_id=ADMIN)
    done = outcome(harness, view["id"])

    assert "only a workspace admin" in json.dumps(crafted)
    assert still_there
    assert done["title"]["text"] == "Bunce disconnected"
    assert harness.services.keys.info(TEAM) is None
    assert harness.services.audit.last(TEAM, action=Action.KEY_DISCONNECTED).user_id == ADMIN  # type: ignore[union-attr]


def test_status_for_anyone(harness: Harness) -> None:
    before = harness.send_command("status").json()
    harness.store_key()
    after = harness.send_command("status").json()

    assert "isn't connected" in before["text"] and "/segment connect" in before["text"]
    assert "Connected to Bunce *live* · `sk_live_…1234`" in after["text"]
    assert LIVE_KEY not in json.dumps(after)
    assert harness.slack.calls("views.open") == []


def test_home_for_admins_and_members(harness: Harness) -> None:
    def home_for(user: str) -> dict:
        before = len(harness.slack.calls("views.publish"))
        harness.send_event({"type": "app_home_opened", "user": user, "tab": "home"})
        view = harness.slack.wait_for("views.publish", before + 1)[-1].args["view"]
        assert_valid_home(view)
        return view

    def actions(view: dict) -> set[str]:
        return {
            element["action_id"]
            for block in view["blocks"]
            for element in [*block.get("elements", []), block.get("accessory") or {}]
            if "action_id" in element
        }

    member_off, admin_off = home_for(USER), home_for(ADMIN)
    harness.store_key()
    member_on, admin_on = home_for(USER), home_for(ADMIN)

    assert actions(member_off) == set()
    assert "a workspace admin or owner" in json.dumps(member_off)
    assert ids.HOME_CONNECT in actions(admin_off)
    assert actions(member_on) == {ids.HOME_CREATE, ids.HOME_TEST}
    assert {ids.HOME_TEST, ids.HOME_REPLACE, ids.HOME_DISCONNECT} <= actions(admin_on)
    assert ids.HOME_DEFAULT_CHANNEL in actions(admin_on)
    disconnect = next(
        e
        for b in admin_on["blocks"]
        for e in b.get("elements", [])
        if e["action_id"] == ids.HOME_DISCONNECT
    )
    assert disconnect["confirm"]["confirm"]["text"] == "Disconnect"


def test_home_buttons_refuse_crafted_clicks_from_members(harness: Harness) -> None:
    harness.store_key()

    harness.send_home_action(ids.HOME_DISCONNECT, user_id=USER)
    harness.send_home_action(ids.HOME_DEFAULT_CHANNEL, user_id=USER, selected_conversation="C9")
    harness.send_home_action(ids.HOME_CONNECT, user_id=USER)

    refusals = harness.slack.wait_for("views.open", 3)
    assert all("only a workspace admin" in json.dumps(c.args["view"]) for c in refusals)
    assert harness.services.keys.info(TEAM) is not None
    assert harness.services.workspaces.get(TEAM) is None


def test_home_disconnect_and_test_connection(harness: Harness) -> None:
    harness.store_key()

    harness.send_home_action(ids.HOME_TEST, user_id=USER)
    tested = harness.slack.wait_for("views.publish")[0].args["view"]
    harness.send_home_action(ids.HOME_DISCONNECT, user_id=ADMIN)
    after = harness.slack.wait_for("views.publish", 2)[1].args["view"]

    assert "Bunce accepted the key." in json.dumps(tested)
    assert harness.services.audit.last(TEAM, action=Action.KEY_VERIFIED) is not None
    assert "Not connected" in json.dumps(after)
    assert harness.services.keys.info(TEAM) is None


def test_default_channel_is_the_forms_default_and_the_last_resort(harness: Harness) -> None:
    from tests.harness import state_for

    harness.store_key()
    harness.slack.add_channel("C0DEFAULT", is_member=True)
    harness.slack.add_channel("G0SECRET", is_private=True)
    harness.send_home_action(
        ids.HOME_DEFAULT_CHANNEL, user_id=ADMIN, selected_conversation="C0DEFAULT"
    )
    harness.slack.wait_for("views.publish")

    view = harness.open_modal()
    harness.send_submission(view, state_for("Spring", channel="G0SECRET"))

    announce = next(b for b in view["blocks"] if b["block_id"] == ids.ANNOUNCE)
    assert announce["element"]["initial_conversation"] == "C0DEFAULT"
    card = harness.slack.wait_for("chat.postMessage", 2)[-1]
    harness.background.wait_idle()
    assert card.args["channel"] == "C0DEFAULT"
    created = harness.services.audit.recent(TEAM, actions=[Action.SEGMENT_CREATED])
    assert [(e.segment_name, e.channel_id, e.user_id) for e in created] == [
        ("Spring", "C0DEFAULT", USER)
    ]


def test_cli_rotation_keeps_every_secret_readable(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    from tests.test_entrypoints import run_bot

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    stored = run_bot(tmp_path, "keys", "set", "T1", stdin=LIVE_KEY + "\n", ENCRYPTION_KEY=old)
    rotated = run_bot(tmp_path, "keys", "rotate-encryption", ENCRYPTION_KEY=f"{new},{old}")
    listed = run_bot(tmp_path, "keys", "list", ENCRYPTION_KEY=new)

    assert stored.returncode == 0, stored.stderr
    assert rotated.returncode == 0, rotated.stderr
    assert "Re-encrypted 1 Bunce key" in rotated.stdout
    assert "sk_live_…1234" in listed.stdout
