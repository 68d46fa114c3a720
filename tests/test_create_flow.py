"""The core journey through the real app: /segment → modal → submit → Bunce → card."""

from __future__ import annotations

from tests.harness import CHANNEL, LIVE_KEY, USER, Harness, state_for
from tests.schemas import assert_valid_message, assert_valid_modal


def test_valid_submit_creates_one_segment_and_announces_it(any_db_harness: Harness) -> None:
    h = any_db_harness
    h.store_key()
    view = h.open_modal("Spring launch VIPs")
    assert_valid_modal(h.slack.calls("views.open")[-1].args["view"])

    response = h.send_submission(
        view, state_for("Spring launch VIPs", "Bought in March", add_all=True)
    )

    assert response.status_code == 200
    assert response.json()["response_action"] == "update"
    assert_valid_modal(response.json()["view"])
    posted = h.slack.wait_for("chat.postMessage")
    h.background.wait_idle()
    creates = [r for r in h.bunce.requests if r.method == "POST"]
    assert len(creates) == 1
    assert creates[0].path == "/segments"
    assert creates[0].headers["X-Authorization"] == LIVE_KEY
    assert creates[0].json == {
        "name": "Spring launch VIPs",
        "description": "Bought in March",
        "add_all_customers": True,
    }
    card = posted[0].args
    assert card["channel"] == CHANNEL
    assert_valid_message(card)
    assert f"<@{USER}>" in card["text"]
    final = h.slack.calls("views.update")[-1].args["view"]
    assert final["title"]["text"] == "Segment created"
    assert_valid_modal(final)
