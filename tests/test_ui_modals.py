"""The create modal and its result views: pure builders, parsed back, schema-valid."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import ids
from bot.bunce import Segment
from bot.create.form import SegmentForm
from bot.create.origin import Origin, decode_metadata, encode_metadata
from bot.create.views import (
    build_create_modal,
    build_error_view,
    build_progress_view,
    build_success_view,
    parse_create_form,
)
from bot.slack.metadata import MetadataSigner
from tests.harness import state_for
from tests.schemas import assert_valid_modal

SEGMENT = Segment(
    id="9da67caa-b803-4691-a2b6-bdcd58008aaf",
    name="<!channel> VIPs",
    description=None,
    type="manual",
    all_customers=True,
    created_at=datetime(2024, 12, 5, 8, 30, 16, tzinfo=UTC),
    customers_count=None,
)


def test_create_modal_has_the_four_inputs() -> None:
    view = build_create_modal("{}")

    assert_valid_modal(view)
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks[ids.NAME]["label"]["text"] == "Segment name"
    assert blocks[ids.NAME]["element"]["max_length"] == 255
    assert blocks[ids.NAME]["optional"] is False
    assert blocks[ids.DESCRIPTION]["element"]["multiline"] is True
    assert blocks[ids.DESCRIPTION]["element"]["max_length"] == 1000
    assert blocks[ids.DESCRIPTION]["optional"] is True
    assert blocks[ids.ADD_ALL]["label"]["text"] == "Add all customers"
    assert "initial_options" not in blocks[ids.ADD_ALL]["element"]
    assert "every customer" in blocks[ids.ADD_ALL]["hint"]["text"]
    announce = blocks[ids.ANNOUNCE]["element"]
    assert announce["type"] == "conversations_select"
    assert announce["default_to_current_conversation"] is True
    assert announce["response_url_enabled"] is True


def test_round_trip_through_slacks_state() -> None:
    typed = SegmentForm("Spring", "Bought in March", True, "C0PUBLIC")
    view = build_create_modal("{}", typed)
    state = state_for(typed.name, typed.description, typed.add_all_customers, typed.channel_id)

    assert parse_create_form({**view, "state": state}) == typed


def test_parse_tolerates_nulls_and_junk() -> None:
    assert parse_create_form({"state": state_for(None, None, False, None)}, "C9") == SegmentForm(
        "", "", False, "C9"
    )
    assert parse_create_form(None) == SegmentForm("")
    assert parse_create_form({"state": {"values": []}}) == SegmentForm("")
    junk = {"state": {"values": {ids.NAME: {ids.NAME: {"value": 5}}}}}
    assert parse_create_form(junk).name == ""


def test_sandbox_workspaces_are_labelled() -> None:
    assert "sandbox" in str(build_create_modal("{}", environment="sandbox")["blocks"])
    assert "sandbox" not in str(build_create_modal("{}", environment="live")["blocks"])


def test_result_views_are_valid_and_escape_bunce_text() -> None:
    success = build_success_view(SEGMENT, ":mega: Shared in <#C1>.")
    progress = build_progress_view(SegmentForm("<!here>"))
    error = build_error_view("Bunce is down.", SegmentForm("<@U1>", "<!channel>"), "{}")

    for view in (success, progress, error):
        assert_valid_modal(view)
    assert "&lt;!channel&gt; VIPs" in str(success)
    assert "<!here>" not in str(progress)
    assert "<!channel>" not in str(error["blocks"])
    assert error["blocks"][-1]["elements"][0]["action_id"] == ids.RETRY_ACTION


SIGNER = MetadataSigner([b"k" * 32])


def test_metadata_round_trip_and_bound() -> None:
    origin = Origin("C1", "123.456", "https://hooks.slack.com/commands/T/1/x")
    typed = SegmentForm('"\\' * 127, '"' * 1000, True, "C2")

    text = encode_metadata(SIGNER, origin, typed)
    decoded = decode_metadata(SIGNER, text)

    assert len(text) <= 3000
    assert decoded is not None
    back_origin, back_form = decoded
    assert back_origin == origin
    assert back_form is not None and back_form.name == typed.name


def test_metadata_that_was_altered_or_forged_is_refused() -> None:
    text = encode_metadata(SIGNER, Origin("C1", None, "https://hooks.slack.com/x"))
    mac, _, body = text.partition(".")

    assert decode_metadata(SIGNER, text) is not None
    assert decode_metadata(SIGNER, f"{mac}.{body.replace('C1', 'C9')}") is None
    assert decode_metadata(SIGNER, body) is None
    assert decode_metadata(SIGNER, '{"c": "C1"}') is None
    assert decode_metadata(MetadataSigner([b"x" * 32]), text) is None
    assert decode_metadata(SIGNER, None) is None
    assert decode_metadata(SIGNER, "") is None


def test_metadata_signed_with_an_older_key_still_verifies() -> None:
    old = MetadataSigner([b"old" * 11])
    rotated = MetadataSigner([b"new" * 11, b"old" * 11])

    assert decode_metadata(rotated, encode_metadata(old, Origin("C1"))) is not None
