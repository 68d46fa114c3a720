"""tests/schemas.py: the payload checks catch real mistakes, with the schemas and without."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import ids
from tests.schemas import (
    SCHEMAS_ENV,
    assert_valid_home,
    assert_valid_message,
    assert_valid_modal,
    home_error,
    message_error,
    modal_error,
    schemas_dir,
)


def pt(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def good_modal() -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.CREATE_VIEW,
        "title": pt("Create segment"),
        "submit": pt("Create"),
        "close": pt("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": ids.NAME,
                "label": pt("Segment name"),
                "element": {"type": "plain_text_input", "action_id": ids.NAME, "max_length": 100},
            },
            {
                "type": "input",
                "block_id": ids.ADD_ALL,
                "optional": True,
                "label": pt("Customers"),
                "element": {
                    "type": "checkboxes",
                    "action_id": ids.ADD_ALL,
                    "options": [{"text": pt("Add all customers"), "value": ids.ADD_ALL_OPTION}],
                },
            },
            {
                "type": "input",
                "block_id": ids.ANNOUNCE,
                "label": pt("Announce in"),
                "element": {
                    "type": "conversations_select",
                    "action_id": ids.ANNOUNCE,
                    "default_to_current_conversation": True,
                    "response_url_enabled": True,
                },
            },
        ],
    }


def good_blocks() -> list[dict[str, Any]]:
    return [
        {"type": "header", "block_id": ids.CARD_HEADER, "text": pt("New segment: VIPs")},
        {
            "type": "section",
            "block_id": ids.CARD_FIELDS,
            "fields": [
                {"type": "mrkdwn", "text": "*Name*\nVIPs"},
                {"type": "mrkdwn", "text": "*Created by*\n<@U0123ABCD>"},
            ],
        },
    ]


def good_home() -> dict[str, Any]:
    button = {"type": "button", "action_id": "connect", "text": pt("Connect Bunce")}
    return {"type": "home", "blocks": [*good_blocks(), {"type": "actions", "elements": [button]}]}


def checkbox_without_value() -> dict[str, Any]:
    element = {"type": "checkboxes", "action_id": "pick", "options": [{"text": pt("All")}]}
    return {"type": "actions", "elements": [element]}


def message(blocks: list[dict[str, Any]], text: str = "New segment: VIPs") -> dict[str, Any]:
    return {"channel": "C0123", "text": text, "blocks": blocks}


@pytest.fixture(params=["schema", "slack_sdk"])
def checker(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:
    """Run a test with the vendored schemas, then again with the slack_sdk fallback."""
    if request.param == "schema":
        assert schemas_dir() is not None  # vendored in the repo: never skipped
    if request.param == "slack_sdk":
        monkeypatch.setenv(SCHEMAS_ENV, str(tmp_path / "absent"))
        assert schemas_dir() is None
    return request.param


# --- the schema checks themselves ------------------------------------------------------------


def test_good_payloads_have_no_schema_error() -> None:
    assert modal_error(good_modal()) is None
    assert home_error(good_home()) is None
    assert message_error(good_blocks()) is None


def test_modal_title_over_24_characters() -> None:
    view = {**good_modal(), "title": pt("Create a new segment now!")}  # 25

    assert modal_error(view) == "$.title.text: 'Create a new segment now!' is too long"


def test_input_blocks_without_submit() -> None:
    view = good_modal()
    del view["submit"]

    assert modal_error(view) == "$: 'submit' is a required property"


def test_more_than_50_message_blocks() -> None:
    blocks = [{"type": "divider"}] * 51

    assert message_error(blocks) == "$: 51 blocks; a message holds at most 50"
    assert message_error(blocks[:50]) is None


def test_header_over_150_characters() -> None:
    error = message_error([{"type": "header", "text": pt("x" * 151)}])

    assert error is not None
    assert error.startswith("$[0].text.text: ") and error.endswith("is too long")


def test_checkbox_option_without_value_names_the_option() -> None:
    error = message_error([checkbox_without_value()])

    assert error == "$[0].elements[0].options[0]: 'value' is a required property"


def test_views_and_messages_are_told_apart() -> None:
    assert home_error(good_modal()) is not None
    assert modal_error(good_home()) is not None


def test_long_errors_are_shortened() -> None:
    view = {**good_modal(), "blocks": [{"type": "divider"}] * 101}

    error = modal_error(view) or ""

    assert error.startswith("$.blocks: ") and len(error) < 400


def test_recorded_json_strings_are_decoded(checker: str) -> None:
    assert_valid_modal(json.dumps(good_modal()))
    assert_valid_message({"text": "fallback", "blocks": json.dumps(good_blocks())})


# --- the assert_* helpers, on both checkers ---------------------------------------------------


def test_assert_helpers_accept_good_payloads(checker: str) -> None:
    assert_valid_modal(good_modal())
    assert_valid_home(good_home())
    assert_valid_message(message(good_blocks()))
    assert_valid_message({"channel": "C0123", "text": "Segment created."})


@pytest.mark.parametrize(
    ("view", "reason"),
    [
        ({**good_modal(), "title": pt("Create a new segment now!")}, "title"),
        ({k: v for k, v in good_modal().items() if k != "submit"}, "submit"),
        ({**good_modal(), "blocks": [{"type": "header", "text": pt("x" * 151)}]}, "150|too long"),
        ({**good_modal(), "blocks": [checkbox_without_value()]}, "'value'"),
    ],
    ids=["title-25", "input-without-submit", "header-151", "checkbox-without-value"],
)
def test_assert_valid_modal_rejects(checker: str, view: dict, reason: str) -> None:
    with pytest.raises(AssertionError, match=f"^invalid modal: .*({reason})"):
        assert_valid_modal(view)


@pytest.mark.parametrize(
    "blocks",
    [
        [{"type": "divider"}] * 51,
        [{"type": "header", "text": pt("x" * 151)}],
        [checkbox_without_value()],
        [{"type": "no_such_block"}],
    ],
    ids=["51-blocks", "header-151", "checkbox-without-value", "unknown-block"],
)
def test_assert_valid_message_rejects(checker: str, blocks: list) -> None:
    with pytest.raises(AssertionError, match="invalid message"):
        assert_valid_message(message(blocks))


def test_assert_valid_home_rejects_a_long_header(checker: str) -> None:
    with pytest.raises(AssertionError, match="invalid home"):
        assert_valid_home({"type": "home", "blocks": [{"type": "header", "text": pt("x" * 151)}]})


@pytest.mark.parametrize("text", [None, "", "   "])
def test_message_with_blocks_needs_a_text_fallback(text: str | None) -> None:
    payload = {"channel": "C0123", "blocks": good_blocks()}
    if text is not None:
        payload["text"] = text

    with pytest.raises(AssertionError, match="`text` fallback"):
        assert_valid_message(payload)


def test_message_needs_blocks_or_text() -> None:
    with pytest.raises(AssertionError, match="neither blocks nor text"):
        assert_valid_message({"channel": "C0123"})


def test_schemas_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv(SCHEMAS_ENV, str(tmp_path))

    assert schemas_dir() is None  # a folder without the schema files does not count
