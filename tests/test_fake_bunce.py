"""FakeBunceApi behaves as docs/bunce-api.md documents Bunce, so client tests prove something."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from tests.fakes.bunce import FakeBunceApi

LIVE_KEY = "sk_live_fakeTestKey000000001234"
SANDBOX_KEY = "sk_test_fakeTestKey000000005678"


class Clock:
    """A clock the test moves by hand, so rate-limit windows pass without sleeping."""

    def __init__(self, now: float = 1_733_387_416.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bunce(clock: Clock) -> Iterator[FakeBunceApi]:
    with FakeBunceApi(clock=clock) as fake:
        fake.add_key(LIVE_KEY)
        fake.add_key(SANDBOX_KEY)
        yield fake


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def _post(http: requests.Session, url: str, key: str | None, body: object) -> requests.Response:
    headers = {"X-Authorization": key} if key else {}
    return http.post(f"{url}/segments", json=body, headers=headers, timeout=5)


@pytest.mark.parametrize(
    ("which_url", "key"),
    [("live_url", SANDBOX_KEY), ("sandbox_url", LIVE_KEY), ("live_url", None)],
    ids=["test-key-on-live", "live-key-on-sandbox", "no-key"],
)
def test_wrong_environment_or_no_key_is_401(
    bunce: FakeBunceApi, http: requests.Session, which_url: str, key: str | None
) -> None:
    response = _post(http, getattr(bunce, which_url), key, {"name": "x"})

    assert response.status_code == 401
    assert response.json() == {"success": False, "message": "Unauthenticated."}
    assert bunce.segments(LIVE_KEY) == bunce.segments(SANDBOX_KEY) == []


def test_unknown_key_is_401_even_with_a_good_prefix(
    bunce: FakeBunceApi, http: requests.Session
) -> None:
    response = _post(http, bunce.live_url, "sk_live_someoneelse0000", {"name": "x"})

    assert response.status_code == 401


def test_create_answers_like_bunces_example(
    bunce: FakeBunceApi, http: requests.Session, clock: Clock
) -> None:
    body = {"name": "  Spring VIPs ", "description": "d", "add_all_customers": True}

    response = _post(http, bunce.live_url, LIVE_KEY, body)

    assert response.status_code == 201
    payload = response.json()
    data = payload.pop("data")
    assert payload == {"success": True, "message": "Segment created successfully"}
    assert data == {
        "id": data["id"],
        "name": "Spring VIPs",  # Laravel trims input strings
        "description": "d",
        "conditions": None,
        "type": "automatic",
        "all_customers": 1,
        "created_at": "2024-12-05 08:30:16",
    }
    assert bunce.segments(LIVE_KEY) == [data]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"name": "x", "add_all_customers": "true"},
            "The add all customers field must be true or false.",
        ),
        (
            {"name": "x", "add_all_customers": 1},
            "The add all customers field must be true or false.",
        ),
        ({"description": "d"}, "The name field is required."),
        ({"name": ""}, "The name field is required."),
        ({"name": 5}, "The name field must be a string."),
        ({"name": "x" * 256}, "The name field must not be greater than 255 characters."),
        ({"name": "x", "description": 3}, "The description field must be a string."),
        ({"add_all_customers": "yes"}, "The name field is required. (and 1 more error)"),
    ],
)
def test_create_validation_is_laravel_shaped(
    bunce: FakeBunceApi, http: requests.Session, body: dict, message: str
) -> None:
    response = _post(http, bunce.live_url, LIVE_KEY, body)

    assert response.status_code == 422
    assert response.json() == {"success": False, "message": message}
    assert bunce.segments(LIVE_KEY) == []


def test_create_needs_a_json_body(bunce: FakeBunceApi, http: requests.Session) -> None:
    response = http.post(
        f"{bunce.live_url}/segments",
        data=b"name=x",
        headers={"X-Authorization": LIVE_KEY},
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert bunce.requests[0].body == b"name=x"
    assert bunce.requests[0].json is None


def test_rate_limit_then_lockout(bunce: FakeBunceApi, http: requests.Session, clock: Clock) -> None:
    bunce.rate_limit_per_minute = 3
    url = f"{bunce.live_url}/segments"

    def get() -> requests.Response:
        return http.get(url, headers={"X-Authorization": LIVE_KEY}, timeout=5)

    assert [get().status_code for _ in range(3)] == [200, 200, 200]
    limited = get()
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "60"
    assert limited.json() == {
        "success": False,
        "message": "You have reached maximum request limit.",
    }

    clock.now += 45
    still = get()
    assert (still.status_code, still.headers["Retry-After"]) == (429, "15")

    clock.now += 15
    assert get().status_code == 200


def test_rate_limit_window_slides(
    bunce: FakeBunceApi, http: requests.Session, clock: Clock
) -> None:
    bunce.rate_limit_per_minute = 2
    url = f"{bunce.live_url}/segments"
    headers = {"X-Authorization": LIVE_KEY}

    http.get(url, headers=headers, timeout=5)
    clock.now += 30
    http.get(url, headers=headers, timeout=5)
    clock.now += 31  # the first request has left the 60 s window

    assert http.get(url, headers=headers, timeout=5).status_code == 200
    assert http.get(url, headers=headers, timeout=5).status_code == 429


def test_routes_404_and_405(bunce: FakeBunceApi, http: requests.Session) -> None:
    headers = {"X-Authorization": LIVE_KEY}

    unknown = http.get(f"{bunce.live_url}/segmentz", headers=headers, timeout=5)
    no_env = http.get(f"http://127.0.0.1:{bunce.port}/segments", headers=headers, timeout=5)
    wrong_method = http.delete(f"{bunce.live_url}/segments", headers=headers, timeout=5)
    singular = http.post(
        f"{bunce.live_url}/segment", json={"name": "x"}, headers=headers, timeout=5
    )

    assert (unknown.status_code, unknown.json()["message"]) == (404, "Route not found")
    assert no_env.status_code == 404
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET, POST"
    assert singular.status_code == 404


def test_create_paths_switch_the_create_route(bunce: FakeBunceApi, http: requests.Session) -> None:
    bunce.create_paths = {"/segment"}
    bunce.not_found_html = True
    headers = {"X-Authorization": LIVE_KEY}

    plural = http.post(f"{bunce.live_url}/segments", json={"name": "x"}, headers=headers, timeout=5)
    singular = http.post(
        f"{bunce.live_url}/segment", json={"name": "x"}, headers=headers, timeout=5
    )

    assert plural.status_code == 404
    assert plural.headers["Content-Type"].startswith("text/html")
    assert singular.status_code == 201
    assert len(bunce.segments(LIVE_KEY)) == 1


def test_list_pages_and_both_shapes(bunce: FakeBunceApi, http: requests.Session) -> None:
    for n in range(3):
        bunce.add_segment(LIVE_KEY, f"S{n}")
    url = f"{bunce.live_url}/segments?page=2&per_page=2"
    headers = {"X-Authorization": LIVE_KEY}

    flat = http.get(url, headers=headers, timeout=5).json()
    bunce.nested_list_shape = True
    nested = http.get(url, headers=headers, timeout=5).json()

    assert [s["name"] for s in flat["data"]] == ["S0"]
    assert flat["meta"]["has_next_page"] is False
    assert flat["meta"]["has_prev_page"] is True
    assert nested["data"] == {"data": flat["data"], "meta": flat["meta"]}
    assert "meta" not in nested


def test_status_envelope_everywhere(bunce: FakeBunceApi, http: requests.Session) -> None:
    bunce.envelope_key = "status"

    ok = http.get(f"{bunce.live_url}/segments", headers={"X-Authorization": LIVE_KEY}, timeout=5)
    denied = http.get(f"{bunce.live_url}/segments", timeout=5)

    assert ok.json()["status"] is True
    assert denied.json() == {"status": False, "message": "Unauthenticated."}
    assert "success" not in ok.json()


def test_requests_are_recorded_before_faults(bunce: FakeBunceApi, http: requests.Session) -> None:
    bunce.fail_next(503, body="<html>down</html>", content_type="text/html", path="/segments")

    response = _post(http, bunce.live_url, LIVE_KEY, {"name": "x"})

    assert (response.status_code, response.text) == (503, "<html>down</html>")
    (recorded,) = bunce.requests
    assert recorded.headers["x-AUTHORIZATION"] == LIVE_KEY
    assert recorded.json == {"name": "x"}
    assert bunce.segments(LIVE_KEY) == []


def test_faults_match_method_and_count_down(bunce: FakeBunceApi, http: requests.Session) -> None:
    bunce.fail_next(500, method="POST", times=2)
    headers = {"X-Authorization": LIVE_KEY}

    listed = http.get(f"{bunce.live_url}/segments", headers=headers, timeout=5)
    posts = [_post(http, bunce.live_url, LIVE_KEY, {"name": "x"}).status_code for _ in range(3)]

    assert listed.status_code == 200
    assert posts == [500, 500, 201]


def test_wait_for_requests_gives_up_at_the_deadline(bunce: FakeBunceApi) -> None:
    started = time.monotonic()

    with pytest.raises(AssertionError):
        bunce.wait_for_requests(1, timeout=0.2)

    assert time.monotonic() - started < 2


def test_stop_interrupts_a_delayed_response(http: requests.Session) -> None:
    fake = FakeBunceApi().start()
    fake.add_key(LIVE_KEY)
    fake.fail_next(delay=60.0)
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(_post(http, fake.live_url, LIVE_KEY, {"name": "x"}))
        except requests.RequestException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    fake.wait_for_requests(1)
    started = time.monotonic()
    fake.stop()
    caller.join(timeout=10)

    assert not caller.is_alive()
    assert time.monotonic() - started < 5
    assert isinstance(outcome[0], requests.ConnectionError)


# -- one segment: GET / PATCH /segments/{id}, POST /segments/{id}/customers -------------------

MISSING_ID = "00000000-0000-4000-8000-000000000000"


def _call(
    http: requests.Session, bunce: FakeBunceApi, method: str, path: str, body: object = None
) -> requests.Response:
    headers = {"X-Authorization": LIVE_KEY}
    return http.request(method, f"{bunce.live_url}{path}", json=body, headers=headers, timeout=5)


def test_get_one_segment(bunce: FakeBunceApi, http: requests.Session) -> None:
    stored = bunce.add_segment(LIVE_KEY, "VIPs", description="d")

    found = _call(http, bunce, "GET", f"/segments/{stored['id']}")
    upper = _call(http, bunce, "GET", f"/segments/{MISSING_ID.upper()}")
    missing = _call(http, bunce, "GET", f"/segments/{MISSING_ID}")
    malformed = _call(http, bunce, "GET", "/segments/not-a-uuid")

    assert found.status_code == 200
    assert found.json() == {
        "success": True,
        "message": "Segment fetched successfully",
        "data": stored,
    }
    assert upper.status_code == 404  # a well-formed UUID in capitals is still a UUID
    assert (missing.status_code, missing.json()) == (
        404,
        {"success": False, "message": "Segment not found"},
    )
    assert (malformed.status_code, malformed.json()) == (
        422,
        {"success": False, "message": "ID param is not valid UUID"},
    )


def test_segments_belong_to_their_account(bunce: FakeBunceApi, http: requests.Session) -> None:
    theirs = bunce.add_segment(SANDBOX_KEY, "Sandbox only")

    response = _call(http, bunce, "GET", f"/segments/{theirs['id']}")
    anonymous = http.get(f"{bunce.live_url}/segments/{theirs['id']}", timeout=5)

    assert response.status_code == 404
    assert anonymous.status_code == 401


def test_get_one_can_be_switched_off(bunce: FakeBunceApi, http: requests.Session) -> None:
    stored = bunce.add_segment(LIVE_KEY, "VIPs")
    bunce.get_one_supported = False

    response = _call(http, bunce, "GET", f"/segments/{stored['id']}")
    patched = _call(http, bunce, "PATCH", f"/segments/{stored['id']}", {"name": "Still here"})

    assert (response.status_code, response.json()["message"]) == (404, "Route not found")
    assert patched.status_code == 200
    assert FakeBunceApi(get_one_supported=False).get_one_supported is False


def test_escaped_slashes_stay_inside_the_id(bunce: FakeBunceApi, http: requests.Session) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Target")

    escaped = _call(http, bunce, "POST", "/segments/..%2Fcustomers/customers", {"customers": []})
    extra = _call(http, bunce, "GET", f"/segments/{stored['id']}/customers/more")
    wrong_method = _call(http, bunce, "DELETE", f"/segments/{stored['id']}/customers")

    assert (escaped.status_code, escaped.json()["message"]) == (422, "ID param is not valid UUID")
    assert bunce.requests[0].path == "/segments/..%2Fcustomers/customers"
    assert extra.status_code == 404
    assert (wrong_method.status_code, wrong_method.headers["Allow"]) == (405, "POST")


def test_patch_updates_the_stored_segment(
    bunce: FakeBunceApi, http: requests.Session, clock: Clock
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Old", description="Old description")
    clock.now += 3600

    renamed = _call(http, bunce, "PATCH", f"/segments/{stored['id']}", {"name": "  New  "})
    cleared = _call(http, bunce, "PATCH", f"/segments/{stored['id']}", {"description": None})

    assert renamed.status_code == 200
    assert renamed.json()["message"] == "Segment updated successfully"
    assert renamed.json()["data"] == {
        **stored,
        "name": "New",
        "updated_at": "2024-12-05 09:30:16",
    }
    assert cleared.json()["data"]["description"] is None
    assert bunce.segments(LIVE_KEY) == [cleared.json()["data"]]
    assert cleared.json()["data"]["name"] == "New"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": ""}, "The name field is required."),
        ({"name": None}, "The name field is required."),
        ({"name": 5}, "The name field must be a string."),
        ({"name": "x" * 256}, "The name field must not be greater than 255 characters."),
        ({"description": ["d"]}, "The description field must be a string."),
        ({"name": "", "description": 3}, "The name field is required. (and 1 more error)"),
    ],
)
def test_patch_validation(
    bunce: FakeBunceApi, http: requests.Session, body: dict, message: str
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Unchanged", description="d")

    response = _call(http, bunce, "PATCH", f"/segments/{stored['id']}", body)

    assert (response.status_code, response.json()) == (422, {"success": False, "message": message})
    assert bunce.segments(LIVE_KEY) == [stored]


def test_patch_of_a_missing_segment_is_404(bunce: FakeBunceApi, http: requests.Session) -> None:
    response = _call(http, bunce, "PATCH", f"/segments/{MISSING_ID}", {"name": "x"})

    assert (response.status_code, response.json()["message"]) == (404, "Segment not found")


def test_add_customers_is_a_set_of_members(bunce: FakeBunceApi, http: requests.Session) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    path = f"/segments/{stored['id']}/customers"
    batch = [{"email": "Ada@Example.com"}, {"customer_id": "8998223462384236"}]

    first = _call(http, bunce, "POST", path, {"customers": batch})
    again = _call(
        http, bunce, "POST", path, {"customers": [*batch, {"email": " ada@example.com "}]}
    )

    assert first.status_code == again.status_code == 200
    assert first.json() == {
        "success": True,
        "message": "Customers added to segment successfully",
        "data": None,
    }
    assert bunce.members(LIVE_KEY, stored["id"]) == {"ada@example.com", "8998223462384236"}
    assert bunce.extra_customer_fields == set()
    assert bunce.members(SANDBOX_KEY, stored["id"]) == set()


def test_add_customers_records_fields_that_would_be_upserted(
    bunce: FakeBunceApi, http: requests.Session
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    customers = [
        {"email": "abdul@gmail.com", "first_name": "", "phone_no": "+2348106489348"},
        {"customer_id": "8998223462384236", "last_name": "Micheal"},
    ]

    response = _call(
        http, bunce, "POST", f"/segments/{stored['id']}/customers", {"customers": customers}
    )

    assert response.status_code == 200
    assert bunce.extra_customer_fields == {"first_name", "last_name", "phone_no"}


@pytest.mark.parametrize(
    ("customers", "message"),
    [
        (None, "The customers field is required."),
        ([], "The customers field is required."),
        ({"email": "a@b.co"}, "The customers field must be an array."),
        (
            [{"customer_id": f"c{n}"} for n in range(1001)],
            "The customers field must not have more than 1000 items.",
        ),
        (
            [{"email": f"u{n}@example.com"} for n in range(3)] + [{"email": "not-an-email"}],
            "customers.3.email must be a valid email address",
        ),
        ([{"email": "a@b"}], "customers.0.email must be a valid email address"),
        ([{"email": "a b@example.com"}], "customers.0.email must be a valid email address"),
        (
            [{"email": "ok@example.com"}, {"first_name": "Ada"}],
            "customers.1.customer_id is required when customers.1.email is not present",
        ),
        (
            [{"customer_id": "  "}],
            "customers.0.customer_id is required when customers.0.email is not present",
        ),
        ([{"customer_id": 7}], "customers.0.customer_id must be a string"),
        (["ada@example.com"], "customers.0 must be an object"),
        (
            [{"email": "x"}, {"email": "y"}, {"email": "z"}],
            "customers.0.email must be a valid email address (and 2 more errors)",
        ),
    ],
    ids=[
        "missing",
        "empty",
        "not-array",
        "1001",
        "bad-email-at-3",
        "no-tld",
        "space",
        "no-identifier",
        "blank-id",
        "numeric-id",
        "not-object",
        "several",
    ],
)
def test_add_customers_validation(
    bunce: FakeBunceApi, http: requests.Session, customers: object, message: str
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    body = {} if customers is None else {"customers": customers}

    response = _call(http, bunce, "POST", f"/segments/{stored['id']}/customers", body)

    assert (response.status_code, response.json()) == (422, {"success": False, "message": message})
    assert bunce.members(LIVE_KEY, stored["id"]) == set()


def test_add_customers_takes_1000(bunce: FakeBunceApi, http: requests.Session) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    customers = [{"customer_id": f"c{n}"} for n in range(1000)]

    response = _call(
        http, bunce, "POST", f"/segments/{stored['id']}/customers", {"customers": customers}
    )

    assert response.status_code == 200
    assert len(bunce.members(LIVE_KEY, stored["id"])) == 1000


def test_add_customers_to_a_missing_segment_is_404(
    bunce: FakeBunceApi, http: requests.Session
) -> None:
    body = {"customers": [{"email": "ada@example.com"}]}

    response = _call(http, bunce, "POST", f"/segments/{MISSING_ID}/customers", body)

    assert (response.status_code, response.json()["message"]) == (404, "Segment not found")
    assert bunce.members(LIVE_KEY, MISSING_ID) == set()


def test_fault_paths_match_segment_routes(bunce: FakeBunceApi, http: requests.Session) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    members_path = f"/segments/{stored['id']}/customers"
    body = {"customers": [{"email": "ada@example.com"}]}
    bunce.fail_next(503, path="/segments/*/customers")
    bunce.fail_next(502, path=f"/segments/{stored['id']}")

    listed = _call(http, bunce, "GET", "/segments")
    escaped = _call(http, bunce, "GET", "/segments/a%2Fb/customers")  # faults fire before routing
    added = _call(http, bunce, "POST", members_path, body)
    fetched = _call(http, bunce, "GET", f"/segments/{stored['id']}")
    after = [_call(http, bunce, "POST", members_path, body), _call(http, bunce, "GET", "/segments")]

    assert listed.status_code == 200
    assert escaped.status_code == 503  # "a%2Fb" is one segment, so "*" matches it
    assert added.status_code == 200
    assert fetched.status_code == 502
    assert [r.status_code for r in after] == [200, 200]


def test_wildcard_fault_needs_the_same_number_of_segments(
    bunce: FakeBunceApi, http: requests.Session
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    bunce.fail_next(500, path="/segments/*")

    listed = _call(http, bunce, "GET", "/segments")
    members = _call(http, bunce, "POST", f"/segments/{stored['id']}/customers", {"customers": []})
    fetched = _call(http, bunce, "GET", f"/segments/{stored['id']}")

    assert (listed.status_code, members.status_code, fetched.status_code) == (200, 422, 500)


# -- list variants (pagination is undocumented for segments: docs/bunce-api.md §2.7) ---------------


def _list(bunce: FakeBunceApi, http: requests.Session, query: str) -> dict:
    url = f"{bunce.live_url}/segments?{query}"
    response = http.get(url, headers={"X-Authorization": LIVE_KEY}, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_capped_per_page_returns_fewer_and_meta_tells_the_truth(
    bunce: FakeBunceApi, http: requests.Session
) -> None:
    for n in range(25):
        bunce.add_segment(LIVE_KEY, f"S{n:02d}")
    bunce.max_per_page = 10

    first = _list(bunce, http, "page=1&per_page=100")
    bunce.list_shape = "bare"
    bare = _list(bunce, http, "page=3&per_page=100")

    assert len(first["data"]) == 10
    assert first["meta"]["per_page"] == 10 and first["meta"]["has_next_page"] is True
    assert [s["name"] for s in bare["data"]] == [f"S{n:02d}" for n in range(4, -1, -1)]
    assert set(bare) == {"success", "message", "data"}  # the SDK's typing: no meta at all


def test_laravel_paginator_shapes(bunce: FakeBunceApi, http: requests.Session) -> None:
    for n in range(3):
        bunce.add_segment(LIVE_KEY, f"S{n}")
    bunce.list_shape = "laravel"

    nested = _list(bunce, http, "page=1&per_page=2")["data"]
    bunce.list_shape = "laravel_resource"
    resource = _list(bunce, http, "page=2&per_page=2")

    assert (nested["current_page"], nested["last_page"], nested["total"]) == (1, 2, 3)
    assert nested["next_page_url"].endswith("/v1/segments?page=2")
    assert (nested["from"], nested["to"], nested["prev_page_url"]) == (1, 2, None)
    assert [s["name"] for s in resource["data"]] == ["S0"]
    assert resource["links"]["next"] is None and resource["links"]["prev"].endswith("page=1")
    assert resource["meta"]["current_page"] == 2 and "next_page_url" not in resource["meta"]
    assert resource["success"] is True


def test_cursor_lists_follow_cursors_and_ignore_page(
    bunce: FakeBunceApi, http: requests.Session
) -> None:
    for n in range(3):
        bunce.add_segment(LIVE_KEY, f"S{n}")
    bunce.list_shape = "cursor"

    first = _list(bunce, http, "per_page=2")
    second = _list(bunce, http, f"cursor={first['meta']['next_page_cursor']}&per_page=2")
    paged = _list(bunce, http, "page=2&per_page=2")
    bad = http.get(
        f"{bunce.live_url}/segments?cursor=nope", headers={"X-Authorization": LIVE_KEY}, timeout=5
    )

    assert [s["name"] for s in second["data"]] == ["S0"]
    assert second["meta"]["has_next_page"] is False and second["meta"]["next_page_cursor"] is None
    assert paged["data"] == first["data"]  # `page` means nothing to a cursor list
    assert bad.status_code == 422


def test_ignoring_page_and_oldest_first(bunce: FakeBunceApi, http: requests.Session) -> None:
    for n in range(3):
        bunce.add_segment(LIVE_KEY, f"S{n}")
    bunce.ignores_page = True
    bunce.newest_first = False

    listed = _list(bunce, http, "page=2&per_page=2")

    assert [s["name"] for s in listed["data"]] == ["S0", "S1"]
    assert listed["meta"]["has_next_page"] is True


# -- answers off the happy path ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "status", "body"),
    [
        ("null", 200, {"success": True, "message": "Segment updated successfully", "data": None}),
        ("message", 200, {"success": True, "message": "Segment updated successfully"}),
        ("no_content", 204, None),
    ],
)
def test_update_answers_without_a_segment(
    bunce: FakeBunceApi, http: requests.Session, answer: str, status: int, body: dict | None
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Old")
    bunce.update_answer = answer

    response = http.patch(
        f"{bunce.live_url}/segments/{stored['id']}",
        json={"name": "New"},
        headers={"X-Authorization": LIVE_KEY},
        timeout=5,
    )

    assert response.status_code == status
    assert (response.json() if body is not None else response.content) == (body or b"")
    assert bunce.segments(LIVE_KEY)[0]["name"] == "New"  # the update happened all the same


@pytest.mark.parametrize(("answer", "status"), [("no_content", 204), ("empty", 200)])
def test_add_customers_empty_answers(
    bunce: FakeBunceApi, http: requests.Session, answer: str, status: int
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Members")
    bunce.add_customers_answer = answer

    response = http.post(
        f"{bunce.live_url}/segments/{stored['id']}/customers",
        json={"customers": [{"email": "ada@example.com"}]},
        headers={"X-Authorization": LIVE_KEY},
        timeout=5,
    )

    assert (response.status_code, response.content) == (status, b"")
    assert bunce.members(LIVE_KEY, stored["id"]) == {"ada@example.com"}


@pytest.mark.parametrize(
    ("style", "message"),
    [
        ("laravel", "The name field is required. (and 1 more error)"),
        ("laravel8", "The given data was invalid."),
    ],
)
def test_laravel_error_bodies(
    bunce: FakeBunceApi, http: requests.Session, style: str, message: str
) -> None:
    bunce.error_bodies = style

    invalid = _post(http, bunce.live_url, LIVE_KEY, {"add_all_customers": "yes"})
    denied = _post(http, bunce.live_url, None, {"name": "x"})

    assert invalid.status_code == 422
    assert invalid.json() == {
        "message": message,
        "errors": {
            "name": ["The name field is required."],
            "add_all_customers": ["The add all customers field must be true or false."],
        },
    }
    assert (denied.status_code, denied.json()) == (401, {"message": "Unauthenticated."})


def test_proxy_page_is_html(bunce: FakeBunceApi, http: requests.Session) -> None:
    bunce.proxy_page(403, method="POST")

    blocked = _post(http, bunce.live_url, LIVE_KEY, {"name": "x"})
    passed = _post(http, bunce.live_url, LIVE_KEY, {"name": "x"})

    assert blocked.status_code == 403
    assert blocked.headers["Content-Type"].startswith("text/html")
    assert "<html>" in blocked.text
    assert passed.status_code == 201
