"""BunceClient against FakeBunceApi: what is sent, and how every Bunce outcome is typed."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.bunce import (
    BunceAuthError,
    BunceClient,
    BunceClientFactory,
    BunceError,
    BunceRateLimited,
    BunceUnavailableError,
    BunceValidationError,
    InvalidKeyError,
)
from tests.fakes.bunce import FakeBunceApi

LIVE_KEY = "sk_live_L1veSecretKeyValue0000wxyz"
SANDBOX_KEY = "sk_test_re4e69088ww423f8f1e2d"
SHORT = (1.0, 0.5)  # connect, read: a read timeout well inside the fake's 2 s delay


@pytest.fixture
def bunce() -> Iterator[FakeBunceApi]:
    with FakeBunceApi() as fake:
        fake.add_key(LIVE_KEY)
        fake.add_key(SANDBOX_KEY)
        yield fake


@pytest.fixture
def factory(bunce: FakeBunceApi) -> Iterator[BunceClientFactory]:
    factory = BunceClientFactory(bunce.live_url, bunce.sandbox_url)
    yield factory
    factory.close()


@pytest.fixture
def client(factory: BunceClientFactory) -> BunceClient:
    return factory.for_key(LIVE_KEY)


@pytest.fixture
def impatient(bunce: FakeBunceApi) -> Iterator[BunceClient]:
    factory = BunceClientFactory(bunce.live_url, bunce.sandbox_url, timeout=SHORT)
    yield factory.for_key(LIVE_KEY)
    factory.close()


def _create_error(client: BunceClient) -> BunceError:
    with pytest.raises(BunceError) as caught:
        client.create_segment("Spring VIPs", "From Slack", False)
    return caught.value


def test_create_sends_json_boolean_and_headers(bunce: FakeBunceApi, client: BunceClient) -> None:
    client.create_segment("Spring VIPs", "Created from Slack", True)

    (sent,) = bunce.requests
    assert (sent.method, sent.env, sent.path) == ("POST", "live", "/segments")
    assert sent.json == {
        "name": "Spring VIPs",
        "description": "Created from Slack",
        "add_all_customers": True,
    }
    assert b'"add_all_customers": true' in sent.body
    assert sent.headers["x-authorization"] == LIVE_KEY
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["User-Agent"].startswith("bunce-slack/")
    assert "Authorization" not in sent.headers


def test_create_sends_false_as_json_false(bunce: FakeBunceApi, client: BunceClient) -> None:
    segment = client.create_segment("Manual", "d", False)

    assert bunce.requests[0].json["add_all_customers"] is False
    assert segment.all_customers is False
    assert segment.type == "manual"


@pytest.mark.parametrize("description", [None, ""])
def test_create_omits_empty_description(
    bunce: FakeBunceApi, client: BunceClient, description: str | None
) -> None:
    client.create_segment("No description", description, False)

    assert bunce.requests[0].json == {"name": "No description", "add_all_customers": False}


def test_create_returns_the_stored_segment_normalised(
    bunce: FakeBunceApi, client: BunceClient
) -> None:
    segment = client.create_segment("All of them", "everyone", True)

    (stored,) = bunce.segments(LIVE_KEY)
    assert stored["all_customers"] == 1  # Bunce's integer, as in its published example
    assert segment.id == stored["id"]
    assert (segment.name, segment.description, segment.type) == (
        "All of them",
        "everyone",
        "automatic",
    )
    assert segment.all_customers is True
    assert segment.created_at == datetime.strptime(
        stored["created_at"], "%Y-%m-%d %H:%M:%S"
    ).replace(tzinfo=UTC)


@pytest.mark.parametrize("html", [False, True])
def test_create_falls_back_to_singular_path_on_404(
    bunce: FakeBunceApi, client: BunceClient, html: bool
) -> None:
    bunce.create_paths = {"/segment"}
    bunce.not_found_html = html

    segment = client.create_segment("Fallback", None, False)

    assert [(r.method, r.path) for r in bunce.requests] == [
        ("POST", "/segments"),
        ("POST", "/segment"),
    ]
    assert bunce.requests[1].json == bunce.requests[0].json
    assert [s["id"] for s in bunce.segments(LIVE_KEY)] == [segment.id]


def test_create_falls_back_on_405(bunce: FakeBunceApi, client: BunceClient) -> None:
    bunce.create_paths = {"/segments", "/segment"}
    bunce.fail_next(405, method="POST", path="/segments")

    client.create_segment("After 405", None, False)

    assert [r.path for r in bunce.requests] == ["/segments", "/segment"]
    assert len(bunce.segments(LIVE_KEY)) == 1


def test_create_falls_back_only_once(bunce: FakeBunceApi, client: BunceClient) -> None:
    bunce.create_paths = set()

    error = _create_error(client)

    assert type(error) is BunceError
    assert error.status == 404
    assert error.certainly_not_processed is True
    assert [r.path for r in bunce.requests] == ["/segments", "/segment"]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_unavailable_without_fallback(
    bunce: FakeBunceApi, client: BunceClient, status: int
) -> None:
    bunce.create_paths = {"/segments", "/segment"}
    bunce.fail_next(status, body=f"<html>{status} Bad Gateway</html>", content_type="text/html")

    error = _create_error(client)

    assert isinstance(error, BunceUnavailableError)
    assert error.status == status
    assert error.certainly_not_processed is False
    assert [r.path for r in bunce.requests] == ["/segments"]


def test_read_timeout_is_unavailable_without_fallback(
    bunce: FakeBunceApi, impatient: BunceClient
) -> None:
    bunce.create_paths = {"/segments", "/segment"}
    bunce.fail_next(delay=2.0)

    error = _create_error(impatient)

    assert isinstance(error, BunceUnavailableError)
    assert error.status is None
    assert error.certainly_not_processed is False
    assert [r.path for r in bunce.requests] == ["/segments"]


def test_read_timeout_after_processing_leaves_the_segment_created(
    bunce: FakeBunceApi, impatient: BunceClient
) -> None:
    bunce.fail_next(delay=2.0, after_processing=True)

    error = _create_error(impatient)

    assert isinstance(error, BunceUnavailableError)
    assert error.certainly_not_processed is False
    assert [s["name"] for s in bunce.segments(LIVE_KEY)] == ["Spring VIPs"]


@pytest.mark.parametrize("after_processing", [False, True])
def test_reset_is_unavailable_and_uncertain(
    bunce: FakeBunceApi, client: BunceClient, after_processing: bool
) -> None:
    bunce.fail_next(reset=True, after_processing=after_processing)

    error = _create_error(client)

    assert isinstance(error, BunceUnavailableError)
    assert error.certainly_not_processed is False
    assert len(bunce.segments(LIVE_KEY)) == int(after_processing)
    assert len(bunce.requests) == 1


def test_connection_refused_is_certainly_not_processed(bunce: FakeBunceApi) -> None:
    factory = BunceClientFactory(bunce.connection_refused_url, bunce.sandbox_url)

    error = _create_error(factory.for_key(LIVE_KEY))

    assert isinstance(error, BunceUnavailableError)
    assert error.certainly_not_processed is True
    assert bunce.requests == []


def test_unknown_key_is_an_auth_error(bunce: FakeBunceApi, factory: BunceClientFactory) -> None:
    error = _create_error(factory.for_key("sk_live_revoked0000000000abcd"))

    assert isinstance(error, BunceAuthError)
    assert (error.status, error.message) == (401, "Unauthenticated.")
    assert bunce.segments(LIVE_KEY) == []


def test_403_is_an_auth_error(bunce: FakeBunceApi, client: BunceClient) -> None:
    bunce.fail_next(403, body={"success": False, "message": "Forbidden for this key."})

    error = _create_error(client)

    assert isinstance(error, BunceAuthError)
    assert error.message == "Forbidden for this key."


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", "The name field is required."),
        ("x" * 256, "The name field must not be greater than 255 characters."),
    ],
)
def test_validation_message_is_bunces_own(client: BunceClient, name: str, message: str) -> None:
    with pytest.raises(BunceValidationError) as caught:
        client.create_segment(name, None, False)

    assert (caught.value.status, caught.value.message) == (422, message)
    assert caught.value.certainly_not_processed is True


def test_400_without_message_gets_a_generic_sentence(
    bunce: FakeBunceApi, client: BunceClient
) -> None:
    bunce.fail_next(400, body={"success": False})

    error = _create_error(client)

    assert isinstance(error, BunceValidationError)
    assert error.status == 400
    assert error.message


def test_validation_extras_are_kept_as_details(bunce: FakeBunceApi, client: BunceClient) -> None:
    errors = {"description": ["The description field must be a valid email address."]}
    bunce.fail_next(422, body={"success": False, "message": "Invalid data", "errors": errors})

    error = _create_error(client)

    assert error.message == "Invalid data"
    assert error.details == {"errors": errors}


def _http_date(seconds_ahead: int) -> str:
    return format_datetime(datetime.now(UTC) + timedelta(seconds=seconds_ahead), usegmt=True)


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"Retry-After": "7"}, 7.0, 7.0),
        ({"Retry-After": "2.5"}, 2.5, 2.5),
        ({}, 60.0, 60.0),
        ({"Retry-After": "soon"}, 60.0, 60.0),
        ({"Retry-After": "http-date+30"}, 25.0, 30.0),
        ({"Retry-After": "http-date-30"}, 0.0, 0.0),
    ],
)
def test_429_carries_retry_after(
    bunce: FakeBunceApi, client: BunceClient, headers: dict[str, str], low: float, high: float
) -> None:
    value = headers.get("Retry-After", "")
    if value.startswith("http-date"):  # computed now, not at collection time
        headers = {"Retry-After": _http_date(int(value.removeprefix("http-date")))}
    bunce.fail_next(429, headers=headers)

    error = _create_error(client)

    assert isinstance(error, BunceRateLimited)
    assert low <= error.retry_after <= high
    assert error.certainly_not_processed is True


def test_bunces_own_rate_limit_is_typed(bunce: FakeBunceApi, client: BunceClient) -> None:
    bunce.rate_limit_per_minute = 1
    client.verify()

    with pytest.raises(BunceRateLimited) as caught:
        client.verify()

    assert caught.value.retry_after == 60.0
    assert caught.value.message == "You have reached maximum request limit."


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 201, "body": '{"success": true, "data": {"id": "9da6'},
        {"status": 201, "body": '{"success": true}', "headers": {"Content-Length": "400"}},
        {"status": 200, "body": "<html>OK</html>", "content_type": "text/html"},
        {"status": 200, "body": "[]"},
        {"status": 201, "body": {"success": True, "message": "Segment created successfully"}},
    ],
    ids=["truncated-json", "short-body", "html", "json-array", "no-data"],
)
def test_unreadable_success_is_unavailable_and_uncertain(
    bunce: FakeBunceApi, client: BunceClient, fault: dict
) -> None:
    bunce.fail_next(**fault)

    error = _create_error(client)

    assert isinstance(error, BunceUnavailableError)
    assert error.certainly_not_processed is False


@pytest.mark.parametrize("envelope_key", ["success", "status"])
def test_explicit_false_on_200_is_a_plain_bunce_error(
    bunce: FakeBunceApi, client: BunceClient, envelope_key: str
) -> None:
    bunce.fail_next(200, body={envelope_key: False, "message": "Segment could not be created"})

    error = _create_error(client)

    assert type(error) is BunceError
    assert (error.status, error.message) == (200, "Segment could not be created")


def test_status_envelope_is_understood(
    bunce: FakeBunceApi, factory: BunceClientFactory, client: BunceClient
) -> None:
    bunce.envelope_key = "status"

    segment = client.create_segment("Status envelope", None, True)
    page = client.list_segments()

    assert [s.id for s in page.segments] == [segment.id]
    with pytest.raises(BunceAuthError):
        factory.for_key("sk_live_unknown000000000000").verify()


def test_other_statuses_are_plain_bunce_errors(bunce: FakeBunceApi, client: BunceClient) -> None:
    bunce.fail_next(409, body={"success": False, "message": "Conflict"})

    error = _create_error(client)

    assert type(error) is BunceError
    assert (error.status, error.message, error.certainly_not_processed) == (409, "Conflict", False)


def test_sandbox_key_goes_to_the_sandbox(bunce: FakeBunceApi, factory: BunceClientFactory) -> None:
    segment = factory.for_key(SANDBOX_KEY).create_segment("Test mode", None, False)

    assert [(r.env, r.path) for r in bunce.requests] == [("sandbox", "/segments")]
    assert [s["id"] for s in bunce.segments(SANDBOX_KEY)] == [segment.id]
    assert bunce.segments(LIVE_KEY) == []


@pytest.mark.parametrize(
    "key",
    ["", "pk_live_abcdef123456", "sk_live_", "sk_live_ab cd", "Bearer sk_live_x", "sk_prod_1"],
)
def test_unknown_key_shapes_are_refused(
    bunce: FakeBunceApi, factory: BunceClientFactory, key: str
) -> None:
    with pytest.raises(InvalidKeyError):
        factory.for_key(key)
    with pytest.raises(InvalidKeyError):
        BunceClient(key, base_url=bunce.live_url)

    assert bunce.requests == []


def test_base_urls_tolerate_a_trailing_slash(bunce: FakeBunceApi) -> None:
    factory = BunceClientFactory(bunce.live_url + "/", bunce.sandbox_url + "/")

    factory.for_key(LIVE_KEY).create_segment("Slash", None, False)
    factory.for_key(SANDBOX_KEY).verify()

    assert [(r.env, r.path) for r in bunce.requests] == [
        ("live", "/segments"),
        ("sandbox", "/segments"),
    ]


@pytest.mark.parametrize("nested", [False, True])
def test_list_segments_pages_in_both_shapes(
    bunce: FakeBunceApi, client: BunceClient, nested: bool
) -> None:
    bunce.nested_list_shape = nested
    seeded = [bunce.add_segment(LIVE_KEY, f"Segment {n}", all_customers=n == 2) for n in range(3)]

    first = client.list_segments(page=1, per_page=2)
    second = client.list_segments(page=2, per_page=2)

    assert [s.name for s in first.segments] == ["Segment 2", "Segment 1"]
    assert first.has_next is True
    assert first.segments[0].all_customers is True
    assert [s.id for s in second.segments] == [seeded[0]["id"]]
    assert second.has_next is False
    assert [r.query for r in bunce.requests] == [
        {"page": "1", "per_page": "2"},
        {"page": "2", "per_page": "2"},
    ]


def test_full_last_page_has_no_next_when_meta_says_so(
    bunce: FakeBunceApi, client: BunceClient
) -> None:
    for n in range(2):
        bunce.add_segment(LIVE_KEY, f"Segment {n}")

    page = client.list_segments(page=1, per_page=2)

    assert (len(page.segments), page.has_next) == (2, False)


def test_empty_list_has_no_next(client: BunceClient) -> None:
    page = client.list_segments()

    assert (page.segments, page.has_next) == ([], False)


def test_list_rejects_pages_before_the_first(bunce: FakeBunceApi, client: BunceClient) -> None:
    with pytest.raises(ValueError):
        client.list_segments(page=0)

    assert bunce.requests == []


def test_reads_use_the_shorter_timeout(bunce: FakeBunceApi) -> None:
    factory = BunceClientFactory(
        bunce.live_url, bunce.sandbox_url, timeout=(1.0, 5.0), read_timeout=(1.0, 0.3)
    )
    client = factory.for_key(LIVE_KEY)
    bunce.fail_next(delay=1.0, method="GET")
    bunce.fail_next(delay=1.0, method="POST")

    with pytest.raises(BunceUnavailableError):
        client.list_segments()
    segment = client.create_segment("Slow create", None, True)

    assert segment.name == "Slow create"


def test_verify_is_the_cheapest_read(bunce: FakeBunceApi, client: BunceClient) -> None:
    client.verify()

    (sent,) = bunce.requests
    assert (sent.method, sent.path, sent.query) == (
        "GET",
        "/segments",
        {"page": "1", "per_page": "1"},
    )
    assert sent.headers["X-Authorization"] == LIVE_KEY
    assert sent.body == b""


def test_verify_refuses_a_key_from_the_other_environment(bunce: FakeBunceApi) -> None:
    # Swapped bases: each key lands on the environment it does not belong to.
    factory = BunceClientFactory(bunce.sandbox_url, bunce.live_url)

    for key in (LIVE_KEY, SANDBOX_KEY):
        with pytest.raises(BunceAuthError):
            factory.for_key(key).verify()


def _every_kind_of_error(bunce: FakeBunceApi, client: BunceClient) -> list[BunceError]:
    bunce.fail_next(401, body={"success": False, "message": f"Key {LIVE_KEY} is not valid"})
    bunce.fail_next(422, body={"message": "Bad", "errors": {"key": [LIVE_KEY]}, "data": LIVE_KEY})
    bunce.fail_next(502, body=f"<html>{LIVE_KEY}</html>", content_type="text/html")
    bunce.fail_next(200, body={"success": False, "message": LIVE_KEY})
    bunce.fail_next(reset=True)
    errors = [_create_error(client) for _ in range(5)]
    bunce.create_paths = set()
    errors.append(_create_error(client))
    bunce.create_paths = {"/segments"}
    bunce.fail_next(429)  # last: a 429 pauses this client's rate limiter for 60 s
    errors.append(_create_error(client))
    return errors


def test_the_key_never_shows_in_repr_or_str(bunce: FakeBunceApi, client: BunceClient) -> None:
    errors = _every_kind_of_error(bunce, client)

    assert "sk_live_…wxyz" in repr(client)
    assert bunce.live_url in repr(client)
    assert [type(e) for e in errors] == [
        BunceAuthError,
        BunceValidationError,
        BunceUnavailableError,
        BunceError,
        BunceUnavailableError,
        BunceError,
        BunceRateLimited,
    ]
    assert errors[0].message == "Key sk_live_…wxyz is not valid"
    for thing in [client, *errors]:
        seen = [repr(thing), str(thing)]
        if isinstance(thing, BunceError):
            seen += [str(thing.args), str(thing.message), json.dumps(thing.details)]
        assert not [text for text in seen if LIVE_KEY in text]


def test_the_key_never_reaches_the_logs(
    bunce: FakeBunceApi, client: BunceClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    client.create_segment("Logged", "d", True)
    client.list_segments()
    _every_kind_of_error(bunce, client)

    formatter = logging.Formatter("%(message)s %(args)s")
    rendered = [formatter.format(record) for record in caplog.records]
    assert any("fallback" in text and "sk_live_…wxyz" in text for text in rendered)
    assert any("Bad" in text for text in rendered)
    assert not [text for text in rendered if LIVE_KEY in text]
