"""Answers off Bunce's happy path: no segment after an update, empty 2xx, proxy pages, and
Laravel's own error bodies (docs/bunce-api.md §2.5, §2.6, §3.5, §3.6; Bunce runs on Laravel)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot import ids
from bot.bunce import (
    BunceAuthError,
    BunceClient,
    BunceClientFactory,
    BunceError,
    BunceUnavailableError,
    BunceValidationError,
)
from tests.fakes.bunce import FakeBunceApi
from tests.harness import CHANNEL, LIVE_KEY, Harness, state_for, wait_until
from tests.test_manage import buttons, click
from tests.test_people import adds, choose, shortcut, thread_summary
from tests.test_reliability import outcome_view, posts

# -- the client against the fake --------------------------------------------------------------


@pytest.fixture
def bunce() -> Iterator[FakeBunceApi]:
    with FakeBunceApi() as fake:
        fake.add_key(LIVE_KEY)
        yield fake


@pytest.fixture
def client(bunce: FakeBunceApi) -> Iterator[BunceClient]:
    factory = BunceClientFactory(bunce.live_url, bunce.sandbox_url)
    yield factory.for_key(LIVE_KEY)
    factory.close()


def _create_error(client: BunceClient) -> BunceError:
    with pytest.raises(BunceError) as caught:
        client.create_segment("Spring", None, False)
    return caught.value


@pytest.mark.parametrize("answer", ["null", "message", "no_content"])
@pytest.mark.parametrize("get_one_supported", [True, False])
def test_an_update_answered_without_a_segment_reads_it_back(
    bunce: FakeBunceApi, client: BunceClient, answer: str, get_one_supported: bool
) -> None:
    bunce.update_answer = answer
    bunce.get_one_supported = get_one_supported
    stored = bunce.add_segment(LIVE_KEY, "Old", description="old words")

    updated = client.update_segment(stored["id"], name="New", description="new words")

    assert (updated.id, updated.name, updated.description) == (stored["id"], "New", "new words")
    assert [r.method for r in bunce.requests][:2] == ["PATCH", "GET"]
    assert sum(r.method == "PATCH" for r in bunce.requests) == 1  # the PATCH is not repeated


def test_an_update_that_failed_in_a_200_is_still_a_failure(
    bunce: FakeBunceApi, client: BunceClient
) -> None:
    stored = bunce.add_segment(LIVE_KEY, "Old")
    bunce.fail_next(200, body={"success": False, "message": "Could not update"}, method="PATCH")

    with pytest.raises(BunceError) as caught:
        client.update_segment(stored["id"], name="New")

    assert caught.value.message == "Could not update"


@pytest.mark.parametrize("answer", ["no_content", "empty"])
def test_an_empty_2xx_from_add_customers_is_success(
    bunce: FakeBunceApi, client: BunceClient, answer: str
) -> None:
    bunce.add_customers_answer = answer
    stored = bunce.add_segment(LIVE_KEY, "Members")

    client.add_customers(stored["id"], [{"email": "ada@example.com"}])

    assert bunce.members(LIVE_KEY, stored["id"]) == {"ada@example.com"}


def test_an_empty_2xx_from_create_stays_ambiguous(bunce: FakeBunceApi, client: BunceClient) -> None:
    bunce.fail_next(204, body=b"", after_processing=True, method="POST")

    error = _create_error(client)

    assert isinstance(error, BunceUnavailableError)
    assert error.certainly_not_processed is False  # it may exist: reconcile, don't re-send


@pytest.mark.parametrize("status", [401, 403])
@pytest.mark.parametrize("body", ["html", "empty"])
def test_a_401_or_403_that_is_not_bunces_json_is_a_proxy_not_a_key_rejection(
    bunce: FakeBunceApi, client: BunceClient, status: int, body: str
) -> None:
    if body == "html":
        bunce.proxy_page(status, method="POST")
    else:
        bunce.fail_next(status, body=b"", method="POST")

    error = _create_error(client)

    assert isinstance(error, BunceUnavailableError)
    assert not isinstance(error, BunceAuthError)
    assert error.certainly_not_processed is False
    assert (error.status, error.message) == (status, None)


@pytest.mark.parametrize(
    "body",
    [
        {"success": False, "message": "Unauthenticated."},  # Bunce's envelope (§2.6)
        {"message": "Unauthenticated."},  # Laravel's Handler::unauthenticated
    ],
)
def test_a_401_in_json_is_a_key_rejection(
    bunce: FakeBunceApi, client: BunceClient, body: dict
) -> None:
    bunce.fail_next(401, body=body, method="POST")

    error = _create_error(client)

    assert isinstance(error, BunceAuthError)
    assert error.message == "Unauthenticated."


@pytest.mark.parametrize(
    ("style", "message"),
    [
        ("laravel", "The name field is required."),
        ("laravel8", "The name field is required."),
        ("bunce", "The name field is required."),
    ],
)
def test_laravel_validation_bodies_give_bunces_own_words(
    bunce: FakeBunceApi, client: BunceClient, style: str, message: str
) -> None:
    bunce.error_bodies = style

    with pytest.raises(BunceValidationError) as caught:
        client.create_segment("   ", None, False)

    assert (caught.value.status, caught.value.message) == (422, message)
    if style != "bunce":
        assert caught.value.details["errors"] == {"name": ["The name field is required."]}


def test_several_laravel_field_errors_keep_laravels_summary(
    bunce: FakeBunceApi, client: BunceClient
) -> None:
    bunce.error_bodies = "laravel"
    stored = bunce.add_segment(LIVE_KEY, "Members")

    with pytest.raises(BunceValidationError) as caught:
        client.add_customers(stored["id"], [{"email": "a@b"}, {"email": "c@d"}])

    assert caught.value.message == (
        "customers.0.email must be a valid email address (and 1 more error)"
    )


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ({"message": "The given data was invalid.", "errors": {"name": ["Taken."]}}, "Taken."),
        ({"errors": {"name": "Taken."}}, "Taken."),
        ({"message": "Bad", "errors": {"name": [3, ""]}}, "Bad"),
        ({"message": "Bad", "errors": ["not", "a", "mapping"]}, "Bad"),
        ({"errors": {}}, "Bunce did not accept these values."),
    ],
)
def test_validation_message_choice(
    bunce: FakeBunceApi, client: BunceClient, body: dict, shown: str
) -> None:
    bunce.fail_next(422, body=body, method="POST")

    assert _create_error(client).message == shown


def test_laravel_error_bodies_elsewhere_carry_the_message(
    bunce: FakeBunceApi, client: BunceClient
) -> None:
    bunce.error_bodies = "laravel"
    missing = "0b8e4a52-7a3e-4f43-9d7e-1f6e2a3b4c5d"

    with pytest.raises(BunceError) as caught:
        client.update_segment(missing, name="x")

    assert (caught.value.status, caught.value.message) == (404, "Segment not found")


# -- through the app -------------------------------------------------------------------------


def _submit(h: Harness, name: str = "Spring") -> dict:
    view = h.open_modal()
    assert h.send_submission(view, state_for(name)).status_code == 200
    return view


def test_a_firewall_page_during_create_is_unavailable_not_a_rejected_key(
    any_db_harness: Harness,
) -> None:
    h = any_db_harness
    h.store_key()
    h.bunce.proxy_page(403, method="POST", times=10)  # every create is refused by a WAF

    view = _submit(h)

    shown = outcome_view(h, view["id"])
    h.background.wait_idle()
    text = json.dumps(shown)
    assert shown["title"]["text"] == "Segment not created"
    assert "Bunce is unavailable" in text
    assert "rejected" not in text
    assert h.bunce.segments(LIVE_KEY) == []


def test_a_firewall_page_once_is_reconciled_then_created(any_db_harness: Harness) -> None:
    h = any_db_harness
    h.store_key()
    h.bunce.proxy_page(403, method="POST")

    view = _submit(h)

    assert outcome_view(h, view["id"])["title"]["text"] == "Segment created"
    h.background.wait_idle()
    assert posts(h) == 2  # re-sent only after the list showed it absent
    assert len(h.bunce.segments(LIVE_KEY)) == 1


@pytest.mark.parametrize("style", ["laravel", "laravel8"])
def test_a_laravel_422_shows_bunces_field_message(any_db_harness: Harness, style: str) -> None:
    h = any_db_harness
    h.store_key()
    h.bunce.error_bodies = style
    h.bunce.fail_next(
        422,
        body={
            # Laravel >= 8.x sums up the first error; before, a generic sentence.
            "message": "The given data was invalid."
            if style == "laravel8"
            else "The name has already been taken.",
            "errors": {"name": ["The name has already been taken."]},
        },
        method="POST",
    )

    view = _submit(h)

    shown = outcome_view(h, view["id"])
    assert shown["title"]["text"] == "Segment not created"
    assert "The name has already been taken." in json.dumps(shown)
    assert "given data" not in json.dumps(shown)


def _edit(h: Harness, answer: str) -> tuple[dict, dict]:
    """Create from Slack, then edit the card's segment while Bunce answers PATCH with `answer`."""
    h.store_key()
    view = h.open_modal()
    h.send_submission(view, state_for("Old name", "Old words"))
    card_call = h.slack.wait_for("chat.postMessage")[0]
    h.background.wait_idle()
    h.bunce.update_answer = answer
    click(h, card_call.args, buttons(card_call.args, ids.EDIT_ACTION)[0])
    loading = h.slack.wait_for("views.open", 2)[-1].response["view"]
    wait_until(lambda: h.slack.views[loading["id"]]["callback_id"] == ids.EDIT_VIEW)
    state = {
        "values": {
            ids.NAME: {ids.NAME: {"type": "plain_text_input", "value": "New name"}},
            ids.DESCRIPTION: {ids.DESCRIPTION: {"type": "plain_text_input", "value": "New words"}},
        }
    }
    assert h.send_submission(h.slack.views[loading["id"]], state).status_code == 200
    update = h.slack.wait_for("chat.update")[0].args
    h.background.wait_idle()
    return h.slack.views[loading["id"]], update


@pytest.mark.parametrize("answer", ["null", "message", "no_content"])
def test_an_edit_answered_without_a_segment_is_saved_and_cards_updated(
    any_db_harness: Harness, answer: str
) -> None:
    h = any_db_harness

    result, update = _edit(h, answer)

    assert "Saved *New name*" in json.dumps(result)
    assert "1 card updated" in json.dumps(result)
    assert update["channel"] == CHANNEL
    assert "New name" in json.dumps(update["blocks"])
    assert sum(r.method == "PATCH" for r in h.bunce.requests) == 1


@pytest.mark.parametrize("answer", ["no_content", "empty"])
def test_add_people_with_an_empty_2xx_succeeds(any_db_harness: Harness, answer: str) -> None:
    h = any_db_harness
    h.store_key()
    h.bunce.add_customers_answer = answer
    segment = h.bunce.add_segment(LIVE_KEY, "Spring VIPs")

    view = shortcut(h, "ann@example.com and bob@example.org")
    choose(h, view, segment)

    assert "2 customers added to *Spring VIPs*" in thread_summary(h)
    assert len(adds(h)) == 1  # not retried as if it had failed
    assert h.bunce.members(LIVE_KEY, segment["id"]) == {"ann@example.com", "bob@example.org"}
