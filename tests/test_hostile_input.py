"""Property tests: arbitrary, hostile input never crashes a parser and never reaches Bunce invalid.

Invariant: no unhandled exception and no HTTP 500; either a clear error or a correct result.
"""

from __future__ import annotations

import json
import unicodedata

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import ids
from bot.bunce.errors import (
    BunceAuthError,
    BunceError,
    BunceRateLimited,
    BunceUnavailableError,
    BunceValidationError,
    error_for_response,
    retry_after_seconds,
)
from bot.bunce.models import parse_segment, parse_segment_list, parse_timestamp
from bot.command.parse import SUBCOMMANDS, parse_command_text
from bot.create.card import build_segment_card
from bot.create.form import NAME_MAX, SegmentForm, validate
from bot.create.origin import Origin, decode_metadata, encode_metadata
from bot.create.views import parse_create_form
from bot.slack.metadata import MetadataSigner
from bot.slack.mrkdwn import fit
from tests.harness import LIVE_KEY, Harness, state_for
from tests.schemas import assert_valid_message

# Everything Python strings can hold: RTL, zero-width, emoji, NUL, lone surrogates.
HOSTILE_TEXT = st.text(
    alphabet=st.characters(codec=None, categories=None),
    max_size=400,
) | st.sampled_from(
    ["", " ", "\x00", "\u202eevil", "\u200b", "<!channel>", "<https://x|y>", "\ud800", "🎉" * 300]
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | HOSTILE_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(HOSTILE_TEXT, children, max_size=4)
    ),
    max_leaves=20,
)
FAST = settings(max_examples=150, deadline=None)
SIGNER = MetadataSigner([b"s" * 32])


@FAST
@given(JSONISH)
def test_the_form_parser_takes_anything(view: object) -> None:
    form = parse_create_form(view)

    assert isinstance(form.name, str) and isinstance(form.description, str)
    assert isinstance(form.add_all_customers, bool)


_STATE_KEYS = {
    ids.NAME: "value",
    ids.DESCRIPTION: "value",
    ids.ADD_ALL: "selected_options",
    ids.ANNOUNCE: "selected_conversation",
}
_OPTIONS = st.lists(
    JSONISH | st.just({"value": ids.ADD_ALL_OPTION}) | st.fixed_dictionaries({"value": JSONISH}),
    max_size=3,
)


# What a text input may hold: typed text (spaces and line breaks around it included), or junk.
_TYPED = HOSTILE_TEXT | HOSTILE_TEXT.map(lambda t: f"  {t}\n") | JSONISH


def _state_value(block_id: str) -> st.SearchStrategy[object]:
    """Slack's shape for the input with anything inside, or junk (which stands for a missing
    input too): random junk alone almost never reaches the values, leaving the reading of them
    untested."""
    inner = _OPTIONS if block_id == ids.ADD_ALL else _TYPED
    return inner.map(lambda v: {block_id: {_STATE_KEYS[block_id]: v}}) | JSONISH


def _sent(values: dict, block_id: str) -> object:
    element = values.get(block_id)
    element = element.get(block_id) if isinstance(element, dict) else None
    return element.get(_STATE_KEYS[block_id]) if isinstance(element, dict) else None


@FAST
@given(st.fixed_dictionaries({b: _state_value(b) for b in _STATE_KEYS}))
def test_the_form_parser_takes_any_state_values(values: dict) -> None:
    form = parse_create_form({"state": {"values": values}})

    # Text comes back exactly as sent (trimming is validation's job); anything else is empty.
    name, description = _sent(values, ids.NAME), _sent(values, ids.DESCRIPTION)
    assert form.name == (name if isinstance(name, str) else "")
    assert form.description == (description if isinstance(description, str) else "")
    options = _sent(values, ids.ADD_ALL)
    ticked = isinstance(options, list) and any(
        isinstance(o, dict) and o.get("value") == ids.ADD_ALL_OPTION for o in options
    )
    assert form.add_all_customers is ticked
    channel = _sent(values, ids.ANNOUNCE)
    assert form.channel_id == (channel if isinstance(channel, str) and channel else None)


@FAST
@given(HOSTILE_TEXT, HOSTILE_TEXT, st.one_of(st.none(), HOSTILE_TEXT))
def test_validation_accepts_only_sendable_names(
    name: str, description: str, channel: object
) -> None:
    form = SegmentForm(name, description, False, channel or None).normalised()  # type: ignore[arg-type]

    errors = validate(form)

    if not errors:
        assert 0 < len(form.name) <= NAME_MAX
        assert all(unicodedata.category(ch) not in ("Cc", "Cs") for ch in form.name)
        form.name.encode("utf-8")  # Bunce gets valid UTF-8
        form.description.encode("utf-8")
    assert set(errors) <= {ids.NAME, ids.DESCRIPTION, ids.ANNOUNCE}


# Text that starts with a sub-command (any case, or quoted to make it a name), then anything.
_COMMANDISH = st.builds(
    "{} {}".format,
    st.sampled_from([*SUBCOMMANDS, "HELP", "List", '"list', "“status"]),
    HOSTILE_TEXT,
)


@FAST
@given(JSONISH | _COMMANDISH)
def test_the_command_parser_takes_anything(text: object) -> None:
    parsed = parse_command_text(text)

    assert parsed.subcommand in (None, *SUBCOMMANDS)
    assert all(unicodedata.category(ch) not in ("Cc", "Cs") for ch in parsed.rest)
    if not isinstance(text, str):
        assert (parsed.subcommand, parsed.rest) == (None, "")
        return
    # Only parts of the input, in their order, whitespace runs as one space.
    assert parsed.rest == " ".join(parsed.rest.split())
    assert _in_order(parsed.rest.replace(" ", ""), text)
    if parsed.subcommand is not None:
        assert _in_order(parsed.subcommand, text.lower())
    if any(unicodedata.category(ch) in ("Cc", "Cs") and not ch.isspace() for ch in text):
        return
    # Nothing was dropped: the input recomposes from what came back.
    words = " ".join(text.split())
    if parsed.subcommand is not None:
        first, _, rest = words.partition(" ")
        assert (first.lower(), rest) == (parsed.subcommand, parsed.rest)
    else:
        # A name in matching quotes loses them (so it may start with a reserved word).
        quoted = len(words) >= 2 and (words[0], words[-1]) in {('"', '"'), ("“", "”"), ("'", "'")}
        assert parsed.rest == (words[1:-1].strip() if quoted else words)


def _in_order(needle: str, haystack: str) -> bool:
    """`needle`'s characters appear in `haystack` in the same order (not necessarily together)."""
    rest = iter(haystack)
    return all(ch in rest for ch in needle)


@FAST
@given(JSONISH)
@example("\x80.")  # found by hypothesis: a non-ASCII signature made compare_digest raise
@example("\ud800.{}")
def test_metadata_decoder_refuses_whatever_it_did_not_sign(text: object) -> None:
    assert decode_metadata(SIGNER, text) is None


# Channels in metadata come from Slack (the command's channel_id, a conversations_select): ids.
SLACK_CHANNEL = st.just("") | st.from_regex(r"[CGD][A-Z0-9]{8,11}", fullmatch=True)


@FAST
@given(SLACK_CHANNEL, HOSTILE_TEXT, HOSTILE_TEXT, st.integers(0, 200))
@example("C0PUBLIC1", "🎉 Spring", "漢" * 1000, 7)  # too long for Slack: the description is cut
@example("", "Spring", "x" * 2000 + "\x00" * 200, 0)  # escaped, each NUL is six bytes
def test_signed_metadata_round_trips_and_any_change_is_caught(
    channel: str, name: str, description: str, position: int
) -> None:
    form = SegmentForm(name, description, True, channel or None)
    text = encode_metadata(SIGNER, Origin(channel or None), form)
    index = position % len(text)
    flipped = text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]

    size = len(text.encode("utf-8", "surrogatepass"))
    decoded = decode_metadata(SIGNER, text)
    assert decoded is not None
    origin, back = decoded
    assert origin == Origin(channel or None)
    assert back is not None
    assert (back.name, back.add_all_customers, back.channel_id) == (name, True, channel or None)
    # The description is kept whole, or cut by no more characters than it was bytes too long.
    assert description.startswith(back.description)
    if back.description != description:
        dropped = json.dumps(description[len(back.description) :], ensure_ascii=False)[1:-1]
        over = size + len(dropped.encode("utf-8", "surrogatepass")) - 3000
        assert 0 < len(description) - len(back.description) <= over
    assert size <= 3000  # however Slack counts
    assert decode_metadata(SIGNER, flipped) is None


@FAST
@given(JSONISH)
def test_bunce_segment_parser_gives_a_segment_or_a_typed_error(data: object) -> None:
    try:
        segment = parse_segment(data)
    except BunceError:
        return
    assert isinstance(segment.id, str) and isinstance(segment.all_customers, bool)
    card = build_segment_card(segment, "U1", "live")
    assert_valid_message(card)  # whatever Bunce said, the card stays within Block Kit's limits


@FAST
@given(JSONISH)
def test_bunce_list_parser_gives_segments_or_a_typed_error(body: object) -> None:
    try:
        segments, meta = parse_segment_list(body)  # type: ignore[arg-type]
    except BunceError:
        return
    assert isinstance(segments, list) and isinstance(meta, dict)


@FAST
@given(
    st.integers(100, 599),
    st.one_of(st.none(), st.dictionaries(HOSTILE_TEXT, JSONISH)),
    HOSTILE_TEXT,
)
def test_any_bunce_answer_maps_to_a_typed_error(status: int, body: dict | None, retry: str) -> None:
    error = error_for_response(status, body, {"Retry-After": retry})

    assert isinstance(error, BunceError)
    assert retry_after_seconds(retry) >= 0
    assert error.status == status
    assert str(error).endswith(f"(HTTP {status})")
    if status >= 500:
        assert type(error) is BunceUnavailableError and not error.certainly_not_processed
    elif status == 429:
        assert isinstance(error, BunceRateLimited) and error.certainly_not_processed
        assert abs(error.retry_after - retry_after_seconds(retry)) < 1  # an HTTP-date ticks
    elif status in (400, 422):
        assert type(error) is BunceValidationError and error.message  # Bunce's words, or ours
    elif status in (401, 403):
        # A JSON refusal is Bunce's verdict on the key; a bodyless one came from a proxy.
        expected = BunceAuthError if body is not None else BunceUnavailableError
        assert type(error) is expected
    elif 200 <= status < 300:
        # A 2xx that says it failed, or can't be read, may still have created the segment.
        assert type(error) is (BunceError if body is not None else BunceUnavailableError)
        assert not error.certainly_not_processed
    else:
        assert type(error) is BunceError
        assert error.certainly_not_processed is (status in (404, 405))


@FAST
@given(JSONISH)
def test_timestamps_parse_or_are_none(value: object) -> None:
    moment = parse_timestamp(value)

    assert moment is None or moment.tzinfo is not None


@FAST
@given(HOSTILE_TEXT)
def test_fitted_text_never_exceeds_its_limit_and_pings_nobody(text: str) -> None:
    fitted = fit(text, 150)

    assert len(fitted) <= 150
    assert "<" not in fitted and ">" not in fitted


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=HOSTILE_TEXT, description=HOSTILE_TEXT, junk=JSONISH)
def test_hostile_submissions_through_the_app_never_500_and_never_reach_bunce_invalid(
    harness: Harness, name: str, description: str, junk: object
) -> None:
    if harness.services.keys.info("T0001") is None:
        harness.store_key()
    view = harness.open_modal()
    state = state_for(name, description)
    state["values"]["junk"] = {"junk": junk}  # unexpected blocks are ignored
    form = SegmentForm(name, description, False, "C0PUBLIC").normalised()
    before = len([r for r in harness.bunce.requests if r.method == "POST"])

    response = harness.send_submission(view, json.loads(json.dumps(state, default=str)))

    assert response.status_code == 200, response.text
    action = response.json()["response_action"]
    if validate(form):
        assert action == "errors"
        harness.background.wait_idle()
        assert len([r for r in harness.bunce.requests if r.method == "POST"]) == before
    else:
        assert action == "update"
        harness.background.wait_idle()
        sent = [r for r in harness.bunce.requests if r.method == "POST"][before:]
        assert sent and sent[0].json["name"] == form.name
        assert sent[0].headers["X-Authorization"] == LIVE_KEY
