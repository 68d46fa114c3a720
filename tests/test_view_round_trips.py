"""Build → submit as Slack would → parse: what a person typed, or what we signed, comes back.

A builder and its parser are written apart and meet only in production, in Slack's payloads;
a renamed block_id or action_id, or a value put where Slack never sends it, would silently read
as an empty form. Here each view is built, Slack's view_submission state is derived from the
view itself (its block_ids, action_ids and element types, never from bot.ids), and the parser
must return what was typed. Every built view is also checked against Block Kit's schema.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from bot import ids
from bot.bunce import Segment
from bot.create.form import DESCRIPTION_MAX, NAME_MAX, SegmentForm
from bot.create.origin import Origin, decode_metadata, encode_metadata
from bot.create.views import build_create_modal, parse_create_form
from bot.manage.views import build_edit_modal, build_segment_list
from bot.slack.metadata import (
    PRIVATE_METADATA_MAX,
    MetadataSigner,
    read_value,
    sign_value,
    slack_length,
)
from bot.store.records import WorkspaceKeyInfo
from bot.workspace.views import build_connect_modal, parse_connect_key
from tests.schemas import assert_valid_message, assert_valid_modal

SIGNER = MetadataSigner([b"k" * 32])
OTHER_SIGNER = MetadataSigner([b"o" * 32])
CHANNEL = "C0PUBLIC"
# Joined (ZWJ) and flag emoji: several code points that Slack shows as one character.
EMOJI = "🎉 Launch 👩‍👩‍👧‍👦 VIPs 🇫🇷"
MRKDWN = "*bold* _italic_ ~strike~ `code` <!channel> <@U0ADMIN1> <https://x.io|x> a & b > c"
SEGMENT = Segment(
    id="9da67caa-b803-4691-a2b6-bdcd58008aaf",
    name="Spring VIPs",
    description=None,
    type="manual",
    all_customers=False,
    created_at=datetime(2024, 12, 5, 8, 30, 16, tzinfo=UTC),
    customers_count=None,
)
_UNTOUCHED = object()


def submitted(view: dict[str, Any], typed: dict[str, object] | None = None) -> dict[str, Any]:
    """The view as a view_submission payload carries it back, with `state.values`.

    Slack keys each input's state by the block's `block_id`, then the element's `action_id`, in
    a shape per element type (https://api.slack.com/reference/interaction-payloads/views#view_
    submission): plain_text_input {"type", "value"} (null when empty), checkboxes {"type",
    "selected_options": the chosen option objects}, conversations_select {"type",
    "selected_conversation"}. `typed` is keyed by block_id: for checkboxes, the chosen options'
    values. An input not in `typed` keeps what the view put in it, as in Slack.
    """
    typed = typed or {}
    values: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, block_id = block["element"], block["block_id"]
        entry = typed.get(block_id, _UNTOUCHED)
        kind = element["type"]
        if kind == "plain_text_input":
            value = element.get("initial_value") if entry is _UNTOUCHED else entry
            assert value is None or len(value) <= element.get("max_length", 3000), "Slack refuses"
            state: dict[str, Any] = {"type": kind, "value": value or None}
        elif kind == "checkboxes":
            if entry is _UNTOUCHED:
                chosen = element.get("initial_options", [])
            else:
                chosen = [o for o in element["options"] if o["value"] in entry]  # type: ignore[operator]
            state = {"type": kind, "selected_options": chosen}
        elif kind == "conversations_select":
            conversation = element.get("initial_conversation") if entry is _UNTOUCHED else entry
            state = {"type": kind, "selected_conversation": conversation}
        else:
            raise AssertionError(f"no Slack state shape written here for {kind}")
        values.setdefault(block_id, {})[element["action_id"]] = state
    unknown = set(typed) - set(values)
    assert not unknown, f"typed into inputs the view does not have: {unknown}"
    return {**view, "state": {"values": values}}


def create_typing(form: SegmentForm) -> dict[str, object]:
    """What a person does in the create modal to end up with `form`."""
    return {
        ids.NAME: form.name,
        ids.DESCRIPTION: form.description,
        ids.ADD_ALL: [ids.ADD_ALL_OPTION] if form.add_all_customers else [],
        ids.ANNOUNCE: form.channel_id,
    }


# -- the create modal ----------------------------------------------------------------------------

FORMS = [
    pytest.param(SegmentForm("Spring VIPs", "", False, CHANNEL), id="plain"),
    pytest.param(SegmentForm(EMOJI, "🚀 emoji too", True, CHANNEL), id="emoji"),
    pytest.param(SegmentForm(MRKDWN[:NAME_MAX], MRKDWN, True, "G0PRIVATE1"), id="mrkdwn"),
    pytest.param(
        SegmentForm("N" * NAME_MAX, "D" * DESCRIPTION_MAX, False, "D0DIRECT01"), id="max-length"
    ),
    pytest.param(
        SegmentForm("é" * NAME_MAX, "line one\nline two\n\n  indented", True, CHANNEL),
        id="non-ascii-max-and-multiline",
    ),
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("environment", ["live", "sandbox"])
def test_the_create_modal_returns_what_was_typed(form: SegmentForm, environment: str) -> None:
    view = build_create_modal("{}", environment=environment)
    assert_valid_modal(view)

    parsed = parse_create_form(submitted(view, create_typing(form)))

    assert parsed == form


@pytest.mark.parametrize("form", FORMS)
def test_a_prefilled_create_modal_submitted_untouched_returns_the_prefill(
    form: SegmentForm,
) -> None:
    # "Edit and retry" reopens the form with what was typed: sent as is, it must be the same.
    view = build_create_modal("{}", prefill=form)
    assert_valid_modal(view)

    assert parse_create_form(submitted(view)) == form


def test_the_optional_inputs_left_empty_read_as_empty_and_the_channel_as_the_default() -> None:
    view = build_create_modal("{}")
    typing = {ids.NAME: "Spring", ids.DESCRIPTION: "", ids.ADD_ALL: [], ids.ANNOUNCE: None}

    parsed = parse_create_form(submitted(view, typing), default_channel="C0WHERETYPED")

    assert parsed == SegmentForm("Spring", "", False, "C0WHERETYPED")


def test_the_add_all_box_ticked_then_unticked_over_a_prefill_reads_false() -> None:
    view = build_create_modal("{}", prefill=SegmentForm("Spring", add_all_customers=True))

    assert parse_create_form(submitted(view)).add_all_customers is True
    assert parse_create_form(submitted(view, {ids.ADD_ALL: []})).add_all_customers is False


def test_the_create_modals_metadata_comes_back_through_the_view() -> None:
    origin = Origin(CHANNEL, "1712345678.000100", "https://hooks.slack.com/commands/T1/2/abc")
    form = SegmentForm("🎉 Spring", MRKDWN, True, CHANNEL)
    view = build_create_modal(encode_metadata(SIGNER, origin, form), prefill=form)
    assert_valid_modal(view)

    back = submitted(view)  # Slack returns private_metadata untouched

    assert decode_metadata(SIGNER, back["private_metadata"]) == (origin, form)
    assert parse_create_form(back) == form


# -- the connect modal ---------------------------------------------------------------------------

KEY_INFO = WorkspaceKeyInfo(
    team_id="T0001",
    enterprise_id=None,
    environment="live",
    hint="sk_live_…1234",
    set_by="U0ADMIN1",
    set_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
)


@pytest.mark.parametrize(
    "view",
    [
        pytest.param(build_connect_modal(), id="first"),
        pytest.param(build_connect_modal(replacing=KEY_INFO), id="replacing"),
        pytest.param(build_connect_modal(problem="Bunce rejected this key."), id="after-problem"),
    ],
)
@pytest.mark.parametrize(
    "key",
    [
        "sk_live_FAKEtestkeyONEabcd1234",
        "sk_test_FAKEsandboxkeyqrst5555",
        "  sk_live_pasted with spaces  ",  # read as typed: checking it is the connection's job
        "k" * 200,  # the input's max_length
    ],
)
def test_the_connect_modal_returns_the_key_as_typed(view: dict[str, Any], key: str) -> None:
    assert_valid_modal(view)
    (block_id,) = [b["block_id"] for b in view["blocks"] if b["type"] == "input"]

    assert parse_connect_key(submitted(view, {block_id: key})) == key


def test_the_connect_modal_submitted_empty_reads_as_no_key() -> None:
    view = build_connect_modal()

    assert parse_connect_key(submitted(view)) == ""  # Slack sends null for an empty input


# -- signed values -------------------------------------------------------------------------------

VALUES = [
    pytest.param({"id": SEGMENT.id}, id="segment-id"),
    pytest.param({"q": "🎉 vips <!channel> & *x*", "p": 2}, id="list-page"),
    pytest.param({"c": CHANNEL, "t": "1712345678.000100", "n": None, "ok": True}, id="mixed"),
]


@pytest.mark.parametrize("data", VALUES)
def test_a_signed_value_reads_back_as_it_was(data: dict[str, Any]) -> None:
    signed = sign_value(SIGNER, data)

    assert signed.isascii()  # so Slack's length limits mean the same however it counts
    assert read_value(SIGNER, signed) == data


def test_a_value_signed_before_a_key_rotation_still_reads() -> None:
    old = MetadataSigner([b"old-key" * 5])
    rotated = MetadataSigner([b"new-key" * 5, b"old-key" * 5])

    assert read_value(rotated, sign_value(old, {"id": "x"})) == {"id": "x"}


@pytest.mark.parametrize("data", VALUES)
def test_a_tampered_signed_value_reads_as_none(data: dict[str, Any]) -> None:
    signed = sign_value(SIGNER, data)
    mac, _, text = signed.partition(".")
    other_data = {**data, "forged": 1}

    assert read_value(SIGNER, f"{mac}.{json.dumps(other_data)}") is None  # data changed
    assert read_value(SIGNER, f"{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}.{text}") is None
    assert read_value(SIGNER, sign_value(OTHER_SIGNER, data)) is None  # someone else's key
    assert read_value(SIGNER, text) is None  # the signature dropped
    assert read_value(SIGNER, SIGNER.sign("[1, 2]")) is None  # signed, but not an object


def test_the_segment_lists_buttons_carry_signed_values_that_read_back() -> None:
    segments = [
        Segment(str(uuid.UUID(int=n)), f"Segment {n}", None, "manual", False, None, None)
        for n in range(25)
    ]
    words = "🎉 vips"
    message = build_segment_list(
        segments, page=2, words=words, editable={segments[10].id}, signer=SIGNER
    )
    assert_valid_message(message)

    buttons = [
        element
        for block in message["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    by_action: dict[str, list[dict[str, Any]]] = {}
    for button in buttons:
        by_action.setdefault(button["action_id"], []).append(read_value(SIGNER, button["value"]))

    assert by_action[ids.LIST_PREV] == [{"q": words, "p": 1}]
    assert by_action[ids.LIST_NEXT] == [{"q": words, "p": 3}]
    assert by_action[ids.SHARE_ACTION] == [{"id": s.id} for s in segments[10:20]]
    assert by_action[ids.EDIT_ACTION] == [{"id": segments[10].id}]


def test_the_edit_modal_returns_the_typed_values_and_its_signed_segment_id() -> None:
    view = build_edit_modal(SEGMENT, "Old words", sign_value(SIGNER, {"id": SEGMENT.id}))
    assert_valid_modal(view)

    untouched = submitted(view)
    typed = submitted(view, {ids.NAME: "🎉 " + MRKDWN[:200], ids.DESCRIPTION: ""})

    assert read_value(SIGNER, typed["private_metadata"]) == {"id": SEGMENT.id}
    assert parse_create_form(untouched, default_channel="-") == SegmentForm(
        SEGMENT.name, "Old words", False, "-"
    )
    assert parse_create_form(typed, default_channel="-") == SegmentForm(
        "🎉 " + MRKDWN[:200], "", False, "-"
    )


# -- the create modal's metadata -----------------------------------------------------------------

ORIGINS = [
    pytest.param(Origin(), id="nothing"),
    pytest.param(Origin(CHANNEL), id="channel"),
    pytest.param(
        Origin(CHANNEL, "1712345678.000100", "https://hooks.slack.com/commands/T1/2/abc"),
        id="thread-and-reply",
    ),
]


@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize(
    "form",
    [
        pytest.param(None, id="no-form"),
        pytest.param(SegmentForm("Spring"), id="name-only"),
        pytest.param(SegmentForm("🎉 " + MRKDWN, MRKDWN + "\n🚀", True, "G0PRIVATE1"), id="full"),
    ],
)
def test_the_origin_and_form_round_trip(origin: Origin, form: SegmentForm | None) -> None:
    text = encode_metadata(SIGNER, origin, form)

    assert slack_length(text) <= PRIVATE_METADATA_MAX
    assert decode_metadata(SIGNER, text) == (origin, form)


@pytest.mark.parametrize(
    ("description", "keeps_some"),
    [
        pytest.param("x" * 3 * DESCRIPTION_MAX, True, id="1-byte-beyond-the-form-limit"),
        pytest.param("漢" * DESCRIPTION_MAX, True, id="3-byte-at-the-form-limit"),
        # The cut frees bytes, not characters: 4-byte text keeps as much as fits.
        pytest.param("🎉" * DESCRIPTION_MAX, True, id="4-byte-at-the-form-limit"),
    ],
)
def test_an_oversize_description_is_shortened_and_still_verifies(
    description: str, keeps_some: bool
) -> None:
    origin = Origin(CHANNEL, "1712345678.000100", "https://hooks.slack.com/commands/T1/2/abc")
    form = SegmentForm("🎉 Spring " * 25, description, True, CHANNEL)

    text = encode_metadata(SIGNER, origin, form)
    decoded = decode_metadata(SIGNER, text)

    assert slack_length(text) <= PRIVATE_METADATA_MAX
    assert decoded is not None
    back_origin, back_form = decoded
    assert back_origin == origin  # the reply path is what must survive
    assert back_form is not None
    assert (back_form.name, back_form.add_all_customers, back_form.channel_id) == (
        form.name,
        True,
        CHANNEL,
    )
    assert len(back_form.description) < len(description)
    assert description.startswith(back_form.description)
    if keeps_some:
        assert back_form.description
        # Nearly full: at most one more character would have overflowed.
        one_more = encode_metadata(
            SIGNER,
            origin,
            SegmentForm(form.name, description[: len(back_form.description) + 1], True, CHANNEL),
        )
        assert (
            decode_metadata(SIGNER, one_more)[1].description
            != description[: len(back_form.description) + 1]
        )  # type: ignore[index,union-attr]


def test_altered_metadata_reads_as_none() -> None:
    origin = Origin(CHANNEL, None, "https://hooks.slack.com/commands/T1/2/abc")
    text = encode_metadata(SIGNER, origin, SegmentForm("Spring"))
    mac, _, payload = text.partition(".")
    redirected = payload.replace("hooks.slack.com", "evil.example")
    assert redirected != payload

    assert decode_metadata(SIGNER, f"{mac}.{redirected}") is None
    assert decode_metadata(SIGNER, text[:-1]) is None
    assert decode_metadata(OTHER_SIGNER, text) is None
    assert decode_metadata(SIGNER, payload) is None
    assert decode_metadata(SIGNER, None) is None
