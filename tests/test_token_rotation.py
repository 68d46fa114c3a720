"""Background work with rotating bot tokens: refreshed before use, never lost to a race.

Slack's rotating tokens expire after 12 hours and are renewed with a single-use refresh token
(https://api.slack.com/authentication/rotation). Bolt refreshes only on incoming requests, so
the worker's recovery path (no request at all) must refresh on its own.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation

from bot.slack.clients import client_factory
from bot.store.db import StoreError
from bot.store.installations import EncryptedInstallationStore
from bot.store.submissions import State
from bot.tenant import Workspace
from tests.conftest import running_app
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import TOKEN_TTL, FakeSlackApi, SlackCall
from tests.harness import CHANNEL, LIVE_KEY, Harness
from tests.test_oauth import (
    CLIENT_ID,
    CLIENT_SECRET,
    INSTALLER,
    NEW_TEAM,
    OAUTH_ENV,
    install,
    raw_tables,
)

WORKSPACE = Workspace(NEW_TEAM)


@pytest.fixture
def rotating(
    database_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> Iterator[Harness]:
    """A workspace installed with token rotation whose bot token is at the end of its life.

    Installed with a one-minute token, so the app sees it inside Bolt's two-hour refresh window;
    tokens minted by refreshes then live Slack's 12 hours, so they are not refreshed again.
    """
    fake_slack.configure_oauth(CLIENT_ID, CLIENT_SECRET, token_rotation=True, token_ttl=60)
    with running_app(database_url, fake_slack, fake_bunce, OAUTH_ENV) as h:
        done = install(h)
        assert done.status_code == 200, done.text
        fake_slack.configure_oauth(
            CLIENT_ID, CLIENT_SECRET, token_rotation=True, token_ttl=TOKEN_TTL
        )
        h.store_key(LIVE_KEY, NEW_TEAM)
        h.slack.add_user(INSTALLER, team_id=NEW_TEAM, name="installer")
        yield h


def recover(h: Harness) -> int:
    """One recovery scan, as the worker's loop runs it, and wait for the resumed work."""
    resumed = h.worker.recover_once()
    h.background.wait_idle()
    return resumed


def refreshes(h: Harness) -> list[SlackCall]:
    return [c for c in h.slack.oauth_calls() if c.args.get("grant_type") == "refresh_token"]


def stored_bot_token(h: Harness) -> str | None:
    store = h.services.installations
    assert store is not None
    installation = store.find_installation(enterprise_id=None, team_id=NEW_TEAM)
    bot = store.find_bot(enterprise_id=None, team_id=NEW_TEAM)
    assert installation is not None and bot is not None
    assert installation.bot_token == bot.bot_token
    return bot.bot_token


def row_counts(h: Harness) -> tuple[int, int]:
    with h.services.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
            for t in ("slack_installations", "slack_bots")
        )


def test_recovered_submission_is_announced_with_a_refreshed_token(rotating: Harness) -> None:
    h = rotating
    first = h.slack.installed_tokens(NEW_TEAM)[0]
    record = h.orphan("Recovered", team_id=NEW_TEAM, user_id=INSTALLER)
    h.slack.expire_token(first)  # its lifetime ran out while no process was running
    before = len(h.slack.requests)

    assert recover(h) == 1

    [refresh] = refreshes(h)
    assert refresh.response and refresh.response["ok"], refresh.response
    rotated = refresh.response["access_token"]
    assert rotated != first
    card = h.slack.wait_for("chat.postMessage")[0]
    assert card.token == rotated
    assert card.response and card.response["ok"], card.response
    assert "Recovered" in str(h.slack.messages(CHANNEL))
    assert all(c.token == rotated for c in h.slack.requests[before:] if c is not refresh)
    done = h.services.submissions.get(record.id)
    assert done is not None and done.state == State.ANNOUNCED
    # The refreshed installation is stored, for the next process too, and only sealed.
    assert stored_bot_token(h) == rotated
    assert row_counts(h) == (1, 1)  # updated in place, as Bolt's save does
    tables = raw_tables(h)
    assert rotated not in tables and refresh.response["refresh_token"] not in tables


def test_a_refused_refresh_keeps_the_submission_until_the_app_is_reinstalled(
    rotating: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = rotating
    first = h.slack.installed_tokens(NEW_TEAM)[0]
    record = h.orphan("Recovered", team_id=NEW_TEAM, user_id=INSTALLER)
    h.slack.revoke_workspace(NEW_TEAM)  # tokens and refresh tokens revoked; the event was missed

    with caplog.at_level(logging.INFO):
        assert recover(h) == 1

    [refused] = refreshes(h)
    assert refused.response == {"ok": False, "error": "invalid_refresh_token"}
    assert h.slack.calls("chat.postMessage") == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.name for r in errors] == ["bot.slack.clients"], caplog.text
    assert "reinstalled" in errors[0].getMessage()
    assert first not in caplog.text and "xoxe" not in caplog.text
    # Not lost: the segment was created once and the submission waits, free, to be announced.
    kept = h.services.submissions.get(record.id)
    assert kept is not None and kept.state == State.CREATED
    assert h.services.submissions.stale() == [record.id]

    assert recover(h) == 1
    assert len(refreshes(h)) == 1  # a refused refresh token is not sent again

    install(h)  # an admin reinstalls the app
    assert recover(h) == 1

    card = h.slack.wait_for("chat.postMessage")[0]
    assert card.token == h.slack.installed_tokens(NEW_TEAM, valid_only=True)[-1]
    assert [s["name"] for s in h.bunce.segments(LIVE_KEY)] == ["Recovered"]
    done = h.services.submissions.get(record.id)
    assert done is not None and done.state == State.ANNOUNCED


class _Interleaved:
    """The store as a second process sees it: `meanwhile` runs after its first read returns."""

    def __init__(self, store: EncryptedInstallationStore, meanwhile: Callable[[], None]) -> None:
        self._store = store
        self._meanwhile: Callable[[], None] | None = meanwhile

    def find_installation(self, **query: Any) -> Installation | None:
        found = self._store.find_installation(**query)
        if self._meanwhile is not None:
            meanwhile, self._meanwhile = self._meanwhile, None
            meanwhile()
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_two_processes_refreshing_at_once_both_end_with_the_winners_token(
    rotating: Harness,
) -> None:
    h = rotating
    store = h.services.installations
    assert store is not None
    first = h.slack.installed_tokens(NEW_TEAM)[0]
    process_a = client_factory(h.settings, store)
    clients: dict[str, WebClient | None] = {}

    def a_refreshes() -> None:
        clients["a"] = process_a(WORKSPACE)

    # B reads the old installation, then A refreshes and saves before B sends its refresh.
    process_b = client_factory(h.settings, _Interleaved(store, a_refreshes))  # type: ignore[arg-type]
    clients["b"] = process_b(WORKSPACE)

    won, lost = refreshes(h)
    assert won.response and won.response["ok"], won.response
    assert lost.response == {"ok": False, "error": "invalid_refresh_token"}
    winner = won.response["access_token"]
    a, b = clients["a"], clients["b"]
    assert a is not None and b is not None
    assert a.token == b.token == winner != first
    assert stored_bot_token(h) == winner
    assert b.auth_test()["team_id"] == NEW_TEAM


def test_threads_of_one_process_refresh_once(rotating: Harness) -> None:
    h = rotating
    client_for = client_factory(h.settings, h.services.installations)
    barrier = threading.Barrier(4)
    tokens: list[str | None] = []

    def use() -> None:
        barrier.wait()
        client = client_for(WORKSPACE)
        tokens.append(None if client is None else client.token)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    [refresh] = refreshes(h)
    assert refresh.response and refresh.response["ok"], refresh.response
    assert tokens == [refresh.response["access_token"]] * 4
    assert stored_bot_token(h) == refresh.response["access_token"]


class _DatabaseDown:
    """The store while the database refuses writes (`down`); reads still work."""

    def __init__(self, store: EncryptedInstallationStore) -> None:
        self._store = store
        self.down = True

    def save(self, installation: Installation) -> None:
        if self.down:
            raise StoreError("saving a Slack installation: database unavailable")
        self._store.save(installation)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_a_refreshed_token_the_database_refused_is_kept_and_saved_later(
    rotating: Harness,
) -> None:
    h = rotating
    store = h.services.installations
    assert store is not None
    first = h.slack.installed_tokens(NEW_TEAM)[0]
    flaky = _DatabaseDown(store)
    client_for = client_factory(h.settings, flaky)  # type: ignore[arg-type]

    during = client_for(WORKSPACE)

    [refresh] = refreshes(h)
    assert refresh.response and refresh.response["ok"], refresh.response
    rotated = refresh.response["access_token"]
    assert during is not None and during.token == rotated
    assert stored_bot_token(h) == first  # the only copy of the new refresh token is in memory

    flaky.down = False
    after = client_for(WORKSPACE)

    assert after is not None and after.token == rotated
    assert stored_bot_token(h) == rotated
    assert len(refreshes(h)) == 1
