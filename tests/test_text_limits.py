"""Slack's length limits, however Slack counts a "character" (its docs don't say which).

The fake counts code points, UTF-16 code units or UTF-8 bytes (`FakeSlackApi.text_unit`); the
app must fit in every reading.
"""

from __future__ import annotations

import json

import pytest

from bot import ids
from tests.harness import LIVE_KEY, Harness, state_for

UNITS = ["chars", "utf16", "utf8"]


@pytest.mark.parametrize("unit", UNITS)
def test_a_very_long_list_query_still_shows_the_list_with_working_paging(
    harness: Harness, unit: str
) -> None:
    harness.slack.text_unit = unit
    harness.store_key()
    for i in range(12):
        harness.bunce.add_segment(LIVE_KEY, f"Café 😀 {i:02d}")
    url = harness.slack.response_url()
    query = "café 😀 " * 600  # every word matches every segment; 4,800 characters typed

    harness.send_command("list " + query, response_url=url)

    post = harness.slack.wait_for_response_posts(1, token=url)[-1]  # replaces "Looking up…"
    assert post.status == 200, post.answer
    assert post.body["replace_original"] is True
    nav = [
        e
        for b in post.body["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.LIST_NEXT
    ]
    assert nav, json.dumps(post.body)[:500]
    assert "12 Bunce segments" in post.body["text"]


@pytest.mark.parametrize("unit", UNITS)
def test_edit_and_retry_metadata_fits_with_non_ascii_text(harness: Harness, unit: str) -> None:
    harness.slack.text_unit = unit
    harness.store_key()
    harness.bunce.fail_next(
        status=422, body={"success": False, "message": "Try another name"}, method="POST"
    )
    view = harness.open_modal()
    name = "Ünïcödé 😀" * 25  # 250 characters, 4 UTF-8 bytes for each emoji
    description = "😀" * 1000  # the most a description may be, 4,000 UTF-8 bytes

    harness.send_submission(view, state_for(name, description))

    harness.slack.wait_for("views.update")
    harness.background.wait_idle()
    final = harness.slack.calls("views.update")[-1]
    assert final.response and final.response["ok"], final.response
    assert "Try another name" in json.dumps(final.args["view"], ensure_ascii=False)
    metadata = final.args["view"]["private_metadata"]
    assert len(metadata.encode("utf-8")) <= 3000
