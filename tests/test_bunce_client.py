"""BunceClient against FakeBunceApi: what is sent, and how every Bunce outcome is typed."""

from __future__ import annotations

import json
import logging
import uuid
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
from bot.bunce.limiter import RateLimiter
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

    # The field error says more than a generic summary, so it is what the person sees.
    assert error.message == "The description field must be a valid email address."
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
    errors = {"key": [f"Bad key {LIVE_KEY}"]}
    bunce.fail_next(422, body={"message": "Bad", "errors": errors, "data": LIVE_KEY})
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


# -- get_segment, update_segment, add_customers -----------------------------------------------


def _missing_id() -> str:
    return str(uuid.uuid4())


def test_get_segment_reads_one_segment(bunce: FakeBunceApi, client: BunceClient) -> None:
    stored = bunce.add_segment(LIVE_KEY, "VIPs", description="d", all_customers=True)

    segment = client.get_segment(stored["id"])

    assert (segment.id, segment.name, segment.description) == (stored["id"], "VIPs", "d")
    assert segment.all_customers is True
    (sent,) = bunce.requests
    assert (sent.method, sent.path, sent.query, sent.body) == (
        "GET",
        f"/segments/{stored['id']}",
        {},
        b"",
    )
    assert "Content-Type" not in sent.headers


@pytest.mark.parametrize("how", ["route-missing", "405"])
def test_get_segment_falls_back_to_scanning_the_list(
    bunce: FakeBunceApi, client: BunceClient, how: str
) -> None:
    if how == "route-missing":
        bunce.get_one_supported = False
    else:
        bunce.fail_next(405, method="GET", path="/segments/*")
    oldest = bunce.add_segment(LIVE_KEY, "Oldest")
    for n in range(100):  # the list is newest first, so "Oldest" is on page 2
        bunce.add_segment(LIVE_KEY, f"Segment {n}")

    segment = client.get_segment(oldest["id"])

    assert (segment.id, segment.name) == (oldest["id"], "Oldest")
    assert [(r.method, r.path, r.query) for r in bunce.requests] == [
        ("GET", f"/segments/{oldest['id']}", {}),
        ("GET", "/segments", {"page": "1", "per_page": "100"}),
        ("GET", "/segments", {"page": "2", "per_page": "100"}),
    ]


@pytest.mark.parametrize("get_one_supported", [True, False])
def test_get_segment_not_found_after_the_scan(
    bunce: FakeBunceApi, client: BunceClient, get_one_supported: bool
) -> None:
    bunce.get_one_supported = get_one_supported
    bunce.add_segment(LIVE_KEY, "Someone else's")
    missing = _missing_id()

    with pytest.raises(BunceError) as caught:
        client.get_segment(missing)

    assert type(caught.value) is BunceError
    assert (caught.value.status, caught.value.message) == (404, "segment not found")
    assert [r.path for r in bunce.requests] == [f"/segments/{missing}", "/segments"]


def test_get_segment_scan_is_bounded(bunce: FakeBunceApi, client: BunceClient) -> None:
    bunce.get_one_supported = False
    bunce.rate_limit_per_minute = None
    oldest = bunce.add_segment(LIVE_KEY, "Beyond the scan")
    for n in range(2000):
        bunce.add_segment(LIVE_KEY, f"Segment {n}")

    with pytest.raises(BunceError) as caught:
        client.get_segment(oldest["id"])

    assert (caught.value.status, caught.value.message) == (404, "segment not found")
    assert "2000" in str(caught.value)
    pages = [r.query["page"] for r in bunce.requests if r.path == "/segments"]
    assert pages == [str(n) for n in range(1, 21)]


def test_get_segment_does_not_see_another_accounts_segment(
    bunce: FakeBunceApi, factory: BunceClientFactory
) -> None:
    theirs = bunce.add_segment(SANDBOX_KEY, "Sandbox only")

    with pytest.raises(BunceError) as caught:
        factory.for_key(LIVE_KEY).get_segment(theirs["id"])

    assert caught.value.status == 404


def _call(client: BunceClient, call: str, segment_id: str) -> None:
    if call == "get":
        client.get_segment(segment_id)
    elif call == "update":
        client.update_segment(segment_id, name="Renamed")
    else:
        client.add_customers(segment_id, [{"email": "ada@example.com"}])


CALLS = ["get", "update", "add"]
SUFFIX = {"get": "", "update": "", "add": "/customers"}
METHOD = {"get": "GET", "update": "PATCH", "add": "POST"}


@pytest.mark.parametrize("call", CALLS)
def test_segment_ids_cannot_add_path_segments(
    bunce: FakeBunceApi, client: BunceClient, call: str
) -> None:
    target = bunce.add_segment(LIVE_KEY, "Target")

    with pytest.raises(BunceValidationError) as caught:
        _call(client, call, "../customers")
    with pytest.raises(BunceValidationError):
        _call(client, call, f"{target['id']}/customers?x=1#y")

    assert (caught.value.status, caught.value.message) == (422, "ID param is not valid UUID")
    assert [(r.method, r.path) for r in bunce.requests] == [
        (METHOD[call], f"/segments/..%2Fcustomers{SUFFIX[call]}"),
        (METHOD[call], f"/segments/{target['id']}%2Fcustomers%3Fx%3D1%23y{SUFFIX[call]}"),
    ]
    assert [r.query for r in bunce.requests] == [{}, {}]
    assert bunce.segments(LIVE_KEY)[0]["name"] == "Target"
    assert bunce.members(LIVE_KEY, target["id"]) == set()


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("segment_id", ["", "   ", ".", ".."])
def test_empty_or_dot_segment_ids_are_refused_unsent(
    bunce: FakeBunceApi, client: BunceClient, call: str, segment_id: str
) -> None:
    with pytest.raises(ValueError):
        _call(client, call, segment_id)

    assert bunce.requests == []


def test_update_segment_sends_only_the_given_fields(
    bunce: FakeBunceApi, client: BunceClient
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Old name", description="Old description")

    renamed = client.update_segment(stored["id"], name="New name")
    described = client.update_segment(stored["id"], description="New description")
    both = client.update_segment(stored["id"], name="Both", description="Changed")

    assert [(r.method, r.path, r.json) for r in bunce.requests] == [
        ("PATCH", f"/segments/{stored['id']}", {"name": "New name"}),
        ("PATCH", f"/segments/{stored['id']}", {"description": "New description"}),
        ("PATCH", f"/segments/{stored['id']}", {"name": "Both", "description": "Changed"}),
    ]
    assert bunce.requests[0].headers["Content-Type"] == "application/json"
    assert (renamed.name, renamed.description) == ("New name", "Old description")
    assert (described.name, described.description) == ("New name", "New description")
    assert (both.id, both.name, both.description) == (stored["id"], "Both", "Changed")
    (after,) = bunce.segments(LIVE_KEY)
    assert (after["name"], after["description"]) == ("Both", "Changed")


def test_update_segment_twice_is_the_same_as_once(bunce: FakeBunceApi, client: BunceClient) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Old")

    first = client.update_segment(stored["id"], name="New", description="d")
    second = client.update_segment(stored["id"], name="New", description="d")

    assert first == second
    assert [(s["name"], s["description"]) for s in bunce.segments(LIVE_KEY)] == [("New", "d")]


def test_update_segment_needs_something_to_change(bunce: FakeBunceApi, client: BunceClient) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Unchanged")

    with pytest.raises(ValueError):
        client.update_segment(stored["id"])

    assert bunce.requests == []


def test_update_segment_validation_message_is_bunces_own(
    bunce: FakeBunceApi, client: BunceClient
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Unchanged")

    with pytest.raises(BunceValidationError) as caught:
        client.update_segment(stored["id"], name="x" * 256)

    assert caught.value.message == "The name field must not be greater than 255 characters."
    assert bunce.segments(LIVE_KEY)[0]["name"] == "Unchanged"


def test_update_segment_of_a_missing_segment_is_a_404(client: BunceClient) -> None:
    with pytest.raises(BunceError) as caught:
        client.update_segment(_missing_id(), name="x")

    assert type(caught.value) is BunceError
    assert (caught.value.status, caught.value.message) == (404, "Segment not found")


def test_add_customers_sends_identifiers_only(bunce: FakeBunceApi, client: BunceClient) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    customers = [{"email": "Ada@Example.com"}, {"customer_id": "8998223462384236"}]

    assert client.add_customers(stored["id"], customers) is None

    (sent,) = bunce.requests
    assert (sent.method, sent.path) == ("POST", f"/segments/{stored['id']}/customers")
    assert sent.json == {"customers": customers}
    assert sent.headers["Content-Type"] == "application/json"
    assert bunce.extra_customer_fields == set()
    assert bunce.members(LIVE_KEY, stored["id"]) == {"ada@example.com", "8998223462384236"}


def test_add_customers_sends_identifiers_trimmed(bunce: FakeBunceApi, client: BunceClient) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")

    client.add_customers(stored["id"], [{"email": " ada@example.com "}, {"customer_id": "c1\n"}])

    assert bunce.requests[0].json == {
        "customers": [{"email": "ada@example.com"}, {"customer_id": "c1"}]
    }


def test_add_customers_again_is_harmless(bunce: FakeBunceApi, client: BunceClient) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    batch = [{"email": "ada@example.com"}, {"email": "grace@example.com"}]

    client.add_customers(stored["id"], batch)
    client.add_customers(stored["id"], [*batch, {"email": "ADA@example.com"}])

    assert len(bunce.requests) == 2
    assert bunce.members(LIVE_KEY, stored["id"]) == {"ada@example.com", "grace@example.com"}


def test_add_customers_takes_up_to_500(bunce: FakeBunceApi, client: BunceClient) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Big batch")
    batch = [{"customer_id": f"c{n}"} for n in range(500)]

    client.add_customers(stored["id"], batch)

    assert len(bunce.members(LIVE_KEY, stored["id"])) == 500


@pytest.mark.parametrize(
    "customers",
    [
        [],
        [{"customer_id": f"c{n}"} for n in range(501)],
        [{"email": "ada@example.com", "first_name": ""}],
        [{"email": "ada@example.com", "customer_id": "c1"}],
        [{"email": "  "}],
        [{"customer_id": 42}],
        [{"phone_no": "+2348106489348"}],
        [{}],
        ["ada@example.com"],
        "ada@example.com",
        {"email": "ada@example.com"},
    ],
    ids=[
        "empty",
        "501",
        "extra-field",
        "both-ids",
        "blank",
        "not-a-string",
        "no-id",
        "empty-item",
        "bare-string-item",
        "string",
        "mapping",
    ],
)
def test_add_customers_refuses_bad_batches_unsent(
    bunce: FakeBunceApi, client: BunceClient, customers: object
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")

    with pytest.raises(ValueError):
        client.add_customers(stored["id"], customers)  # type: ignore[arg-type]

    assert bunce.requests == []


def test_add_customers_item_error_is_bunces_own_message(
    bunce: FakeBunceApi, client: BunceClient
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    batch = [{"email": f"user{n}@example.com"} for n in range(3)] + [{"email": "not-an-email"}]

    with pytest.raises(BunceValidationError) as caught:
        client.add_customers(stored["id"], batch)

    assert (caught.value.status, caught.value.message) == (
        422,
        "customers.3.email must be a valid email address",
    )
    assert caught.value.certainly_not_processed is True
    assert bunce.members(LIVE_KEY, stored["id"]) == set()


def test_add_customers_to_a_missing_segment_is_a_404(client: BunceClient) -> None:
    with pytest.raises(BunceError) as caught:
        client.add_customers(_missing_id(), [{"email": "ada@example.com"}])

    assert (type(caught.value), caught.value.status) == (BunceError, 404)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_add_customers_server_error_is_unavailable(
    bunce: FakeBunceApi, client: BunceClient, status: int
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    bunce.fail_next(status, method="POST", path="/segments/*/customers")

    with pytest.raises(BunceUnavailableError) as caught:
        client.add_customers(stored["id"], [{"email": "ada@example.com"}])
    client.add_customers(stored["id"], [{"email": "ada@example.com"}])  # the fault is used up

    assert caught.value.status == status
    assert caught.value.certainly_not_processed is False
    assert bunce.members(LIVE_KEY, stored["id"]) == {"ada@example.com"}


def test_add_customers_reset_is_unavailable(bunce: FakeBunceApi, client: BunceClient) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    bunce.fail_next(reset=True, after_processing=True, path=f"/segments/{stored['id']}/customers")

    with pytest.raises(BunceUnavailableError):
        client.add_customers(stored["id"], [{"email": "ada@example.com"}])

    assert bunce.members(LIVE_KEY, stored["id"]) == {"ada@example.com"}


def test_add_customers_429_is_rate_limited_and_pauses_everyone(
    bunce: FakeBunceApi, client: BunceClient, factory: BunceClientFactory
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    bunce.fail_next(429, headers={"Retry-After": "30"}, path="/segments/*/customers")

    with pytest.raises(BunceRateLimited) as caught:
        client.add_customers(stored["id"], [{"email": "ada@example.com"}])
    with pytest.raises(BunceRateLimited):
        factory.for_key(SANDBOX_KEY).verify()

    assert caught.value.retry_after == 30.0
    assert len(bunce.requests) == 1
    assert bunce.members(LIVE_KEY, stored["id"]) == set()


def test_new_calls_share_the_rate_limiter(bunce: FakeBunceApi) -> None:
    limiter = RateLimiter(per_minute=3, clock=lambda: 0.0)  # time stands still: 3 tokens only
    factory = BunceClientFactory(bunce.live_url, bunce.sandbox_url, limiter=limiter)
    stored = bunce.add_segment(LIVE_KEY, "Limited")
    client = factory.for_key(LIVE_KEY)

    client.get_segment(stored["id"])
    client.update_segment(stored["id"], name="Renamed")
    client.add_customers(stored["id"], [{"email": "ada@example.com"}])
    with pytest.raises(BunceRateLimited):
        factory.for_key(LIVE_KEY).get_segment(stored["id"])

    assert [r.method for r in bunce.requests] == ["GET", "PATCH", "POST"]
    factory.close()


def test_reads_and_writes_of_one_segment_use_their_timeouts(bunce: FakeBunceApi) -> None:
    factory = BunceClientFactory(
        bunce.live_url, bunce.sandbox_url, timeout=(1.0, 5.0), read_timeout=(1.0, 0.3)
    )
    client = factory.for_key(LIVE_KEY)
    stored = bunce.add_segment(LIVE_KEY, "Slow")
    bunce.fail_next(delay=1.0, method="GET", path="/segments/*")
    bunce.fail_next(delay=1.0, method="PATCH", path="/segments/*")
    bunce.fail_next(delay=1.0, method="POST", path="/segments/*/customers")

    with pytest.raises(BunceUnavailableError):
        client.get_segment(stored["id"])
    renamed = client.update_segment(stored["id"], name="Slow but fine")
    client.add_customers(stored["id"], [{"customer_id": "c1"}])

    assert renamed.name == "Slow but fine"
    assert bunce.members(LIVE_KEY, stored["id"]) == {"c1"}
    factory.close()


def test_get_segment_fallback_logs_only_the_key_hint(
    bunce: FakeBunceApi, client: BunceClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bunce.get_one_supported = False

    with pytest.raises(BunceError):
        client.get_segment(_missing_id())

    formatter = logging.Formatter("%(message)s %(args)s")
    rendered = [formatter.format(record) for record in caplog.records]
    assert any("fallback" in text and "sk_live_…wxyz" in text for text in rendered)
    assert not [text for text in rendered if LIVE_KEY in text]
