"""Parsing Bunce's segment objects and lists leniently, as docs/bunce-api.md §3.1 and §6 ask."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.bunce import BunceError, Segment
from bot.bunce.models import parse_segment, parse_segment_list, parse_timestamp, read_page
from tests.test_hostile_input import JSONISH

SEED = {
    "id": "9da67caa-b803-4691-a2b6-bdcd58008aaf",
    "name": "My Test Segment",
    "description": "API Test Segment",
    "conditions": None,
    "type": "automatic",
    "all_customers": 1,
    "created_at": "2024-12-05 08:30:16",
}


def test_parses_bunces_published_example() -> None:
    assert parse_segment(SEED) == Segment(
        id="9da67caa-b803-4691-a2b6-bdcd58008aaf",
        name="My Test Segment",
        description="API Test Segment",
        type="automatic",
        all_customers=True,
        created_at=datetime(2024, 12, 5, 8, 30, 16, tzinfo=UTC),
        customers_count=None,
    )


def test_ignores_unknown_fields_and_reads_optional_ones() -> None:
    data = {**SEED, "customers_count": "12", "updated_at": None, "owner": {"id": 3}}

    segment = parse_segment(data)

    assert segment.customers_count == 12
    assert segment.name == "My Test Segment"


@pytest.mark.parametrize("value", [True, 1, 1.0, "1", "true", "TRUE", " true "])
def test_all_customers_truthy_values(value: Any) -> None:
    assert parse_segment({**SEED, "all_customers": value}).all_customers is True


@pytest.mark.parametrize("value", [False, 0, "0", "false", "", None, "yes", 2, [1]])
def test_all_customers_other_values_are_false(value: Any) -> None:
    assert parse_segment({**SEED, "all_customers": value}).all_customers is False


def test_missing_all_customers_is_false() -> None:
    data = {k: v for k, v in SEED.items() if k != "all_customers"}

    assert parse_segment(data).all_customers is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-12-05 08:30:16", datetime(2024, 12, 5, 8, 30, 16, tzinfo=UTC)),
        ("2024-12-05T08:30:16Z", datetime(2024, 12, 5, 8, 30, 16, tzinfo=UTC)),
        ("2024-12-05T08:30:16.000000Z", datetime(2024, 12, 5, 8, 30, 16, tzinfo=UTC)),
        ("2024-12-05T08:30:16.123Z", datetime(2024, 12, 5, 8, 30, 16, 123000, tzinfo=UTC)),
        ("2024-12-05T08:30:16.5", datetime(2024, 12, 5, 8, 30, 16, 500000, tzinfo=UTC)),
        ("2024-12-05T09:30:16+01:00", datetime(2024, 12, 5, 8, 30, 16, tzinfo=UTC)),
        ("2024-12-05 03:30:16-05:00", datetime(2024, 12, 5, 8, 30, 16, tzinfo=UTC)),
    ],
)
def test_created_at_is_parsed_leniently_to_aware_utc(text: str, expected: datetime) -> None:
    parsed = parse_segment({**SEED, "created_at": text}).created_at

    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() is not None
    assert parsed.tzinfo == UTC


@pytest.mark.parametrize("value", ["yesterday", "", "2024-13-45 99:00:00", None, 1733387416])
def test_unparseable_created_at_is_none(value: Any) -> None:
    assert parse_segment({**SEED, "created_at": value}).created_at is None
    assert parse_timestamp(value) is None


@pytest.mark.parametrize("missing", ["id", "name"])
def test_segment_without_id_or_name_is_an_error(missing: str) -> None:
    data = {k: v for k, v in SEED.items() if k != missing}

    with pytest.raises(BunceError) as caught:
        parse_segment(data)

    assert caught.value.certainly_not_processed is False


@pytest.mark.parametrize(
    "data", [None, [], "segment", {"id": "", "name": "x"}, {"id": 1, "name": 2}]
)
def test_malformed_segments_are_errors(data: Any) -> None:
    with pytest.raises(BunceError):
        parse_segment(data)


def test_numeric_id_becomes_a_string() -> None:
    assert parse_segment({**SEED, "id": 42}).id == "42"


def test_non_string_description_and_type_are_dropped() -> None:
    segment = parse_segment({**SEED, "description": {"text": "x"}, "type": 3})

    assert (segment.description, segment.type) == (None, None)


def test_list_with_top_level_meta() -> None:
    body = {"success": True, "data": [SEED, {**SEED, "id": "b"}], "meta": {"has_next_page": True}}

    segments, meta = parse_segment_list(body)

    assert [s.id for s in segments] == [SEED["id"], "b"]
    assert meta == {"has_next_page": True}


def test_list_nested_in_data() -> None:
    body = {"success": True, "data": {"data": [SEED], "meta": {"has_next_page": False}}}

    segments, meta = parse_segment_list(body)

    assert [s.name for s in segments] == ["My Test Segment"]
    assert meta == {"has_next_page": False}


def test_top_level_meta_wins_over_nested_meta() -> None:
    body = {"data": {"data": [], "meta": {"per_page": 1}}, "meta": {"per_page": 2}}

    assert parse_segment_list(body)[1] == {"per_page": 2}


@pytest.mark.parametrize("body", [{"success": True}, {"data": None}, {"data": {"meta": {}}}])
def test_list_without_items_is_empty(body: dict[str, Any]) -> None:
    assert parse_segment_list(body) == ([], {})


@pytest.mark.parametrize("data", ["nope", 3, {"data": "nope"}])
def test_list_that_is_not_a_list_is_an_error(data: Any) -> None:
    with pytest.raises(BunceError):
        parse_segment_list({"data": data})


def _segments(count: int) -> list[Segment]:
    return [parse_segment({**SEED, "id": f"s{n}"}) for n in range(count)]


@pytest.mark.parametrize(
    ("count", "meta", "page", "per_page", "expected"),
    [
        (20, {"has_next_page": True}, 1, 20, (True, True)),
        (20, {"has_next_page": False}, 1, 20, (False, True)),
        # A capped page (10 of the 100 asked) that says more follow: believed.
        (10, {"has_next_page": True, "per_page": 10}, 1, 100, (True, True)),
        (0, {"has_next_page": True}, 1, 20, (False, True)),
        (10, {"total_pages": 3}, 2, 10, (True, True)),
        (10, {"total_pages": 3}, 3, 10, (False, True)),
        (10, {"last_page": 1}, 1, 10, (False, True)),
        (10, {"current_page": 2, "last_page": 3}, 2, 100, (True, True)),
        (10, {"total": 25, "per_page": 10}, 2, 100, (True, True)),
        (5, {"total": 25, "per_page": 10}, 3, 100, (False, True)),
        (10, {"total": 25, "to": 20}, 2, 100, (True, True)),
        (10, {"next_page_url": "https://api.bunce.so/v1/segments?page=2"}, 1, 100, (True, True)),
        (10, {"next_page_url": None, "last_page": 9}, 1, 100, (False, True)),
        (10, {"next_page_cursor": "abc"}, 1, 100, (True, True)),
        (10, {"next_cursor": "abc"}, 1, 100, (True, True)),
        # has_next_page first: Bunce's own field outranks everything else.
        (10, {"has_next_page": False, "next_page_cursor": "abc"}, 1, 100, (False, True)),
        # Nothing said: a full page may have more, a short one probably has not (a guess).
        (20, {}, 1, 20, (True, False)),
        (19, {}, 1, 20, (False, False)),
        (10, {"per_page": 10}, 1, 100, (True, False)),
        (10, {"next_page_cursor": None, "has_prev_page": False}, 1, 100, (False, False)),
    ],
)
def test_explicit_pagination_fields_win_over_the_page_length(
    count: int, meta: dict[str, Any], page: int, per_page: int, expected: tuple[bool, bool]
) -> None:
    listing = read_page(_segments(count), meta, page, per_page)

    assert (listing.has_next, listing.stated) == expected


def test_the_next_cursor_is_kept_only_while_there_is_a_next_page() -> None:
    more = read_page(_segments(2), {"has_next_page": True, "next_page_cursor": "c2"}, 1, 2)
    last = read_page(_segments(2), {"has_next_page": False, "next_page_cursor": "c3"}, 2, 2)
    laravel = read_page(_segments(2), {"next_cursor": "eyJpZCI6M30", "per_page": 2}, 1, 2)

    assert (more.cursor, last.cursor, laravel.cursor) == ("c2", None, "eyJpZCI6M30")
    assert laravel.page_size == 2


LARAVEL_PAGE = {
    "current_page": 1,
    "data": [SEED],
    "first_page_url": "https://api.bunce.so/v1/segments?page=1",
    "from": 1,
    "last_page": 3,
    "last_page_url": "https://api.bunce.so/v1/segments?page=3",
    "links": [{"url": None, "label": "&laquo; Previous", "active": False}],
    "next_page_url": "https://api.bunce.so/v1/segments?page=2",
    "path": "https://api.bunce.so/v1/segments",
    "per_page": 1,
    "prev_page_url": None,
    "to": 1,
    "total": 3,
}


def test_a_laravel_paginator_nested_in_data() -> None:
    body = {"success": True, "message": "Segments fetched", "data": LARAVEL_PAGE}

    segments, fields = parse_segment_list(body)
    listing = read_page(segments, fields, 1, 100)

    assert [s.id for s in segments] == [SEED["id"]]
    assert (fields["last_page"], fields["per_page"], fields["total"]) == (3, 1, 3)
    assert "links" not in fields and "path" not in fields  # only pagination fields are read
    assert (listing.has_next, listing.stated, listing.page_size) == (True, True, 1)


def test_a_bare_laravel_paginator() -> None:
    segments, fields = parse_segment_list({**LARAVEL_PAGE, "next_page_url": None})

    assert [s.id for s in segments] == [SEED["id"]]
    assert read_page(segments, fields, 1, 100).has_next is False


def test_laravels_resource_form() -> None:
    body = {
        "data": [SEED],
        "links": {"first": "f", "last": "l", "prev": None, "next": "https://x/segments?page=2"},
        "meta": {"current_page": 1, "from": 1, "last_page": 2, "links": [], "per_page": 1},
        "success": True,
    }

    segments, fields = parse_segment_list(body)

    assert fields["next_page_url"] == "https://x/segments?page=2"
    assert read_page(segments, fields, 1, 100).has_next is True
    last = {**body, "links": {**body["links"], "next": None}}
    assert read_page(*parse_segment_list(last), 2, 100).has_next is False


@settings(max_examples=150, deadline=None)
@given(JSONISH, st.integers(1, 5), st.integers(1, 200))
def test_any_list_body_gives_a_page_or_a_typed_error(body: object, page: int, size: int) -> None:
    try:
        segments, fields = parse_segment_list(body)  # type: ignore[arg-type]
    except BunceError:
        return
    listing = read_page(segments, fields, page, size)
    assert isinstance(listing.has_next, bool) and isinstance(listing.stated, bool)
    assert listing.cursor is None or (isinstance(listing.cursor, str) and listing.has_next)
