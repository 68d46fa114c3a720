"""App Home is a place to start: Create segment at the top, the connection as it really is (a key
whose last test failed is a warning with a next step), marketers told whom to ask and never shown
key details, recent segments that lead to Bunce or to their card, and an inviting empty state."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from bot import ids
from bot.store.cards import CardLocation, CardStore
from bot.store.records import Action, AuditEvent, WorkspaceKeyInfo
from bot.tenant import Workspace
from bot.workspace.home_view import build_home, last_test_sentence
from bot.workspace.model import HomeModel, PostedCard
from bot.workspace.views import build_status_message
from tests.conftest import running_app
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi
from tests.harness import ADMIN, CHANNEL, LIVE_KEY, TEAM, USER, Harness, state_for, wait_until
from tests.schemas import assert_valid_home

LISTED = "U0LISTED"
TEMPLATE = "https://app.bunce.so/segments/{id}"


@pytest.fixture
def home_harness(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> Iterator[Harness]:
    """The app with one operator-listed admin, so a refusal can name someone."""
    with running_app(sqlite_url, fake_slack, fake_bunce, {"BUNCE_ADMIN_USER_IDS": LISTED}) as h:
        yield h


# -- reading what was published --------------------------------------------------------------


def open_home(h: Harness, user: str) -> dict[str, Any]:
    """The tab as `user` sees it after opening it."""
    before = len(h.slack.calls("views.publish"))
    h.send_event({"type": "app_home_opened", "user": user, "tab": "home"})
    return published_after(h, before)


def published_after(h: Harness, before: int) -> dict[str, Any]:
    view = h.slack.wait_for("views.publish", before + 1)[-1].args["view"]
    assert_valid_home(view)
    return view


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def text_of(view: dict[str, Any], block_id: str) -> str:
    return block(view, block_id)["text"]["text"]


def action_ids(view: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for b in view["blocks"]
        for element in [*b.get("elements", []), b.get("accessory") or {}]
        if "action_id" in element
    ]


def create_button(view: dict[str, Any]) -> dict[str, Any]:
    elements = [e for b in view["blocks"] for e in b.get("elements", [])]
    return next(e for e in elements if e.get("action_id") == ids.HOME_CREATE)


def press_test_connection(h: Harness, user: str = ADMIN) -> dict[str, Any]:
    """Press Test connection; the tab republished for `user` once Bunce answered."""
    before = len(h.slack.calls("views.publish"))
    h.send_home_action(ids.HOME_TEST, user_id=user)
    return published_after(h, before)


def create_segment(h: Harness, name: str) -> str:
    """Create a segment through the form (its card shared in CHANNEL); its Bunce id."""
    before = len(h.services.audit.recent(TEAM, actions=[Action.SEGMENT_CREATED]))
    view = h.open_modal()
    h.send_submission(view, state_for(name, channel=CHANNEL))
    wait_until(
        lambda: len(h.services.audit.recent(TEAM, actions=[Action.SEGMENT_CREATED])) > before
    )
    h.background.wait_idle()
    return next(s["id"] for s in h.bunce.segments(LIVE_KEY) if s["name"] == name)


# -- not connected ---------------------------------------------------------------------------


def test_not_connected_marketer_is_told_whom_to_ask_and_admin_can_connect(
    home_harness: Harness,
) -> None:
    marketer, admin = open_home(home_harness, USER), open_home(home_harness, ADMIN)

    status = text_of(marketer, ids.HOME_STATUS)
    assert "Not connected" in status
    assert "Ask a workspace admin or owner, or <@U0LISTED> to connect it." in status
    assert action_ids(marketer) == []  # no Connect, no Create segment
    assert "Not connected" in text_of(admin, ids.HOME_STATUS)
    assert ids.HOME_CONNECT in action_ids(admin)
    assert ids.HOME_CREATE not in action_ids(admin)


# -- connected -------------------------------------------------------------------------------


def test_create_segment_is_the_first_button_and_opens_the_form(home_harness: Harness) -> None:
    home_harness.store_key()

    for user in (USER, ADMIN):
        view = open_home(home_harness, user)
        assert action_ids(view)[0] == ids.HOME_CREATE
        assert create_button(view)["style"] == "primary"
        assert create_button(view)["text"]["text"] == "Create segment"
    home_harness.send_home_action(ids.HOME_CREATE, user_id=USER)

    opened = home_harness.slack.wait_for("views.open")[0].args["view"]
    assert opened["callback_id"] == ids.CREATE_VIEW


def test_connected_untested_marketer_sees_no_key_details_admin_does(
    home_harness: Harness,
) -> None:
    home_harness.store_key()

    marketer, admin = open_home(home_harness, USER), open_home(home_harness, ADMIN)

    mine = text_of(marketer, ids.HOME_STATUS)
    assert mine.startswith(":large_green_circle: *Connected* to Bunce.")
    assert "Anyone here can create segments." in mine
    assert_no_key_details(marketer)
    theirs = text_of(admin, ids.HOME_STATUS)
    assert "Bunce *live* · `sk_live_…1234`, connected by <@test>" in theirs
    assert "Tested" not in theirs
    assert {ids.HOME_TEST, ids.HOME_REPLACE, ids.HOME_DISCONNECT} <= set(action_ids(admin))


def test_connected_and_last_test_ok(home_harness: Harness) -> None:
    home_harness.store_key()

    admin = press_test_connection(home_harness, ADMIN)
    marketer = open_home(home_harness, USER)

    for view in (admin, marketer):
        status = text_of(view, ids.HOME_STATUS)
        assert status.startswith(":large_green_circle: *Connected*")
        assert "Tested <!date^" in status and ": Bunce accepted the key." in status
    assert_no_key_details(marketer)


def test_rejected_key_is_a_warning_with_the_next_step(home_harness: Harness) -> None:
    home_harness.store_key()
    home_harness.bunce.fail_next(401, body={"error": {"message": "Invalid API key"}})

    admin = press_test_connection(home_harness, ADMIN)
    marketer = open_home(home_harness, USER)

    for view in (admin, marketer):
        status = text_of(view, ids.HOME_STATUS)
        assert "large_green_circle" not in status
        assert status.startswith(":warning: *Connected, but the last test failed.*")
        assert ": Bunce rejected the key." in status
        assert "rejected sk_live" not in json.dumps(view)  # never the raw audit detail
    assert "Replace it with *Replace key*" in text_of(admin, ids.HOME_STATUS)
    assert ids.HOME_REPLACE in action_ids(admin)
    assert "An admin should replace it: ask a workspace admin or owner, or <@U0LISTED>." in text_of(
        marketer, ids.HOME_STATUS
    )
    assert_no_key_details(marketer)


def test_bunce_unavailable_on_last_test_says_try_again(home_harness: Harness) -> None:
    home_harness.store_key()
    home_harness.bunce.fail_next(503)

    admin = press_test_connection(home_harness, ADMIN)
    marketer = open_home(home_harness, USER)

    for view in (admin, marketer):
        status = text_of(view, ids.HOME_STATUS)
        assert status.startswith(":warning: *Connected, but the last test failed.*")
        assert ": Bunce didn't answer. Try *Test connection* again in a few minutes." in status
        assert "unavailable" not in status
    assert "If it keeps failing, ask a workspace admin or owner" in text_of(
        marketer, ids.HOME_STATUS
    )
    assert_no_key_details(marketer)


def test_status_command_tells_the_same_truth(home_harness: Harness) -> None:
    home_harness.store_key()
    home_harness.bunce.fail_next(401, body={"error": {"message": "Invalid API key"}})
    press_test_connection(home_harness, ADMIN)

    text = home_harness.send_command("status").json()["text"]

    assert text.startswith(":warning: Connected to Bunce *live*")
    assert "but the last test failed." in text
    assert "Bunce rejected the key. An admin should replace it (`/segment connect`)" in text
    assert "large_green_circle" not in text


def test_a_new_key_clears_an_old_failed_test(home_harness: Harness) -> None:
    home_harness.store_key()
    home_harness.bunce.fail_next(401, body={"error": {"message": "Invalid API key"}})
    press_test_connection(home_harness, ADMIN)
    home_harness.services.keys.put(TEAM, LIVE_KEY, set_by=ADMIN)  # replaced after the test
    home_harness.services.lookup.forget(Workspace(TEAM))

    status = text_of(open_home(home_harness, ADMIN), ids.HOME_STATUS)

    assert status.startswith(":large_green_circle:")


# -- recent segments -------------------------------------------------------------------------


def test_empty_state_invites_a_first_segment(home_harness: Harness) -> None:
    home_harness.store_key()

    view = open_home(home_harness, USER)

    activity = text_of(view, ids.HOME_ACTIVITY)
    assert "No segments yet. Create your first one: press *Create segment* above" in activity
    assert ids.HOME_CREATE in action_ids(view)


def test_recent_segments_lead_to_their_card(home_harness: Harness) -> None:
    home_harness.store_key()
    create_segment(home_harness, "Spring <launch>")

    view = open_home(home_harness, USER)

    row = text_of(view, ids.HOME_ACTIVITY).splitlines()[1]
    assert row.startswith("• *Spring &lt;launch&gt;*")
    assert f"Shared in <#{CHANNEL}>" in row
    assert "app.bunce.so" not in row


def test_recent_segments_link_to_bunce_when_the_template_is_set(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    with running_app(
        sqlite_url, fake_slack, fake_bunce, {"BUNCE_SEGMENT_URL_TEMPLATE": TEMPLATE}
    ) as h:
        h.store_key()
        segment_id = create_segment(h, "Linked")

        view = open_home(h, USER)

    row = text_of(view, ids.HOME_ACTIVITY).splitlines()[1]
    assert row.startswith(f"• *<https://app.bunce.so/segments/{segment_id}|Linked>*")
    assert f"Shared in <#{CHANNEL}>" in row


def assert_no_key_details(view: dict[str, Any]) -> None:
    """What marketers never see: the key's hint, its environment, who connected it."""
    text = json.dumps(view, ensure_ascii=False)
    assert "sk_live" not in text and "…1234" not in text
    assert "*live*" not in text and "sandbox" not in text
    assert "connected by" not in text.lower() and "from the server" not in text


# -- the builders alone ----------------------------------------------------------------------

AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
KEY = WorkspaceKeyInfo(TEAM, None, "live", "sk_live_…1234", ADMIN, AT)


def event(action: Action, detail: str | None = None, **fields: Any) -> AuditEvent:
    values: dict[str, Any] = {
        "id": 1,
        "at": AT,
        "enterprise_id": None,
        "team_id": TEAM,
        "user_id": ADMIN,
        "action": action,
        "channel_id": None,
        "segment_id": None,
        "segment_name": None,
        "detail": detail,
    }
    return AuditEvent(**{**values, **fields})


@pytest.mark.parametrize(
    ("action", "detail", "admin", "expected"),
    [
        (Action.KEY_VERIFIED, "ok sk_live_…1234", False, ": Bunce accepted the key."),
        (Action.KEY_VERIFY_FAILED, "rejected sk_live_…1234", True, "Replace it with *Replace key*"),
        (Action.KEY_VERIFY_FAILED, "rejected sk_live_…1234", False, "An admin should replace it"),
        (Action.KEY_VERIFY_FAILED, "unavailable sk_live_…1234", True, "Bunce didn't answer."),
        (Action.KEY_VERIFY_FAILED, None, False, "the test failed. Try *Test connection* again"),
        (Action.KEY_VERIFY_FAILED, "gremlins", True, "the test failed. Try *Test connection*"),
    ],
)
def test_last_test_reads_as_a_sentence(
    action: Action, detail: str | None, admin: bool, expected: str
) -> None:
    model = HomeModel(key=KEY, is_admin=admin, last_check=event(action, detail))

    sentence = last_test_sentence(model)

    assert sentence.startswith("Tested <!date^")
    assert expected in sentence
    assert "sk_live" not in sentence and "gremlins" not in sentence
    assert_valid_home(build_home(model))


def test_status_message_without_a_test_stays_green() -> None:
    text = build_status_message(HomeModel(key=KEY, is_admin=False))["text"]

    assert text.startswith(":large_green_circle: Connected to Bunce *live* · `sk_live_…1234`")
    assert "Tested" not in text


def test_rows_escape_names_and_make_bunce_links_safe() -> None:
    hostile = event(
        Action.SEGMENT_CREATED,
        segment_id="a|b>c",
        segment_name="<!channel> & co",
        channel_id="C0ASKED",
    )
    model = HomeModel(
        key=KEY,
        is_admin=False,
        recent=[hostile],
        segment_url_template="https://app.bunce.so/s/{id}?x=1&y=2",
    )

    row = text_of(build_home(model), ids.HOME_ACTIVITY).splitlines()[1]

    link = "https://app.bunce.so/s/a%7Cb%3Ec?x=1&amp;y=2"
    assert row.startswith(f"• *<{link}|&lt;!channel&gt; &amp; co>*")
    assert "in <#C0ASKED>" in row  # no card known: where it was asked for, not "Shared in"
    assert "Shared in" not in row


def test_many_long_rows_are_split_across_sections() -> None:
    recent = [
        event(
            Action.SEGMENT_CREATED,
            id=n,
            segment_id=f"seg{n}",
            segment_name="N" * 300,
            channel_id=None,
        )
        for n in range(10)
    ]
    cards = {f"seg{n}": PostedCard("C0CARDS", f"1.{n}") for n in range(10)}
    model = HomeModel(
        key=KEY,
        is_admin=True,
        recent=recent,
        cards=cards,
        segment_url_template="https://app.bunce.so/" + "p" * 400 + "/{id}",
    )

    view = build_home(model)

    assert_valid_home(view)
    rows = [
        line
        for b in view["blocks"]
        if b.get("block_id", "").startswith(ids.HOME_ACTIVITY)
        for line in b["text"]["text"].splitlines()
        if line.startswith("•")
    ]
    assert len(rows) == 10
    assert all("Shared in <#C0CARDS>" in row for row in rows)


def test_card_store_gives_each_segments_first_card_in_one_read(engine: Engine) -> None:
    cards = CardStore(engine)
    cards.add(TEAM, None, "s1", "C0FIRST", "1.1")
    cards.add(TEAM, None, "s1", "C0LATER", "2.2")  # shared again later
    cards.add(TEAM, None, "s2", "C0TWO", "3.3")
    cards.add("T0OTHER", None, "s3", "C0ELSEWHERE", "4.4")

    found = cards.first_of_each(TEAM, None, ["s1", "s2", "s3", "s1"])

    assert found == {"s1": CardLocation("C0FIRST", "1.1"), "s2": CardLocation("C0TWO", "3.3")}
    assert cards.first_of_each(TEAM, None, []) == {}
