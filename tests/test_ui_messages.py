"""The announcement card and the sentences users read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot import ids
from bot.bunce import Segment
from bot.command.help import build_help_message
from bot.create.card import build_segment_card
from bot.create.form import CreateResult, Problem
from bot.create.messages import sentence_for
from tests.schemas import assert_valid_message


def segment(**changes: object) -> Segment:
    values: dict = {
        "id": "9da67caa-b803-4691-a2b6-bdcd58008aaf",
        "name": "Spring launch VIPs",
        "description": "Bought in March",
        "type": "automatic",
        "all_customers": True,
        "created_at": datetime(2024, 12, 5, 8, 30, 16, tzinfo=UTC),
        "customers_count": None,
    }
    values.update(changes)
    return Segment(**values)


def test_card_golden() -> None:
    card = build_segment_card(segment(), "live", creator_id="U1")

    assert_valid_message(card)
    assert card["text"] == "New Bunce segment: Spring launch VIPs, created by <@U1>"
    blocks = {b["block_id"]: b for b in card["blocks"]}
    assert blocks[ids.CARD_HEADER]["text"]["text"] == "Spring launch VIPs"
    assert blocks[ids.CARD_DESCRIPTION]["text"]["text"] == "Bought in March"
    fields = [f["text"] for f in blocks[ids.CARD_FIELDS]["fields"]]
    assert fields == [
        "*Customers*\nAll customers",
        "*Created by*\n<@U1>",
        "*Created*\n<!date^1733387416^{date_short_pretty} at {time}|2024-12-05 08:30 UTC>",
    ]
    assert "9da67caa-b803-4691-a2b6-bdcd58008aaf" in str(blocks[ids.CARD_CONTEXT])


def test_card_escapes_injection_everywhere() -> None:
    hostile = segment(
        name="<!channel> <https://evil.example|click>",
        description="<!here> & <@U999> <#C1>",
        type="<!everyone>",
    )

    card = build_segment_card(hostile, "live", creator_id="U1")

    # plain_text is never parsed by Slack; everything mrkdwn (and the fallback) must be escaped.
    mrkdwn = [card["text"]] + [
        obj["text"] for obj in _text_objects(card["blocks"]) if obj["type"] == "mrkdwn"
    ]
    text = "\n".join(mrkdwn)
    for raw in ("<!channel>", "<!here>", "<@U999>", "<#C1>", "<!everyone>", "<https://evil"):
        assert raw not in text
    assert "&lt;!here&gt; &amp; &lt;@U999&gt;" in text


def test_card_fits_block_kit_limits_for_huge_values() -> None:
    card = build_segment_card(
        segment(name="N" * 300, description="<" * 3000), "sandbox", creator_id="U1"
    )

    assert_valid_message(card)
    assert "sandbox" in str(card["blocks"])


def test_card_without_description_or_date_states_neither() -> None:
    """No "Created: just now" for a date Bunce didn't give, no description block when empty."""
    card = build_segment_card(
        segment(description=None, created_at=None, all_customers=False, customers_count=0),
        "live",
        creator_id="U1",
    )

    assert_valid_message(card)
    assert ids.CARD_DESCRIPTION not in {b.get("block_id") for b in card["blocks"]}
    fields = [f["text"] for f in card["blocks"][1]["fields"]]
    assert fields == ["*Customers*\nNone yet: add some with *Add customers*", "*Created by*\n<@U1>"]
    assert "just now" not in json.dumps(card)


def test_a_card_names_no_creator_it_does_not_know_and_says_who_shared_it() -> None:
    """Sharing a segment made in Bunce must not credit the person who clicked Share."""
    card = build_segment_card(segment(customers_count=1234), "live", shared_by="U7")

    assert_valid_message(card)
    text = json.dumps(card)
    assert "Created by" not in text
    assert card["text"] == "Bunce segment: Spring launch VIPs, shared by <@U7>"
    blocks = {b["block_id"]: b for b in card["blocks"]}
    assert "Shared by <@U7>" in blocks[ids.CARD_CONTEXT]["elements"][0]["text"]
    assert blocks[ids.CARD_FIELDS]["fields"][0]["text"] == "*Customers*\nAll customers (1,234)"


def test_no_type_jargon_on_the_card() -> None:
    card = build_segment_card(segment(type="automatic"), "live", creator_id="U1")

    assert "automatic" not in json.dumps(card) and "*Type*" not in json.dumps(card)


def test_sentences_say_what_to_do_and_never_leak_internals() -> None:
    rejected = sentence_for(CreateResult(problem=Problem.KEY_REJECTED), "<@U0INSTALLER>")
    assert "replace the key" in rejected and "<@U0INSTALLER>" in rejected
    assert "try again" in sentence_for(CreateResult(problem=Problem.UNAVAILABLE)).lower()
    invalid = sentence_for(CreateResult(problem=Problem.INVALID, bunce_message="<!channel> bad"))
    assert "&lt;!channel&gt; bad" in invalid
    assert sentence_for(CreateResult(problem=Problem.UNEXPECTED))


def test_help_is_a_valid_ephemeral_message() -> None:
    message = build_help_message()

    assert message["response_type"] == "ephemeral"
    assert_valid_message(message)


def _text_objects(node: object) -> list[dict]:
    """Every text object anywhere in a block tree."""
    if isinstance(node, list):
        return [found for item in node for found in _text_objects(item)]
    if not isinstance(node, dict):
        return []
    here = [node] if node.get("type") in ("mrkdwn", "plain_text") else []
    return here + [found for value in node.values() for found in _text_objects(value)]
