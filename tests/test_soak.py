"""A bounded soak: many submissions under random Bunce and Slack faults, one invariant.

For every submission: exactly one segment and one card, or a reported failure and no segment;
and the person told either way. It runs against Bunce as documented, and against a difficult
Bunce (pages capped at 25 whatever we ask, in Laravel's paginator shape; descriptions cut to 60
characters, half of them dropped altogether, so only the name can find those segments).
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from tests.conftest import running_app
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi
from tests.harness import CHANNEL, LIVE_KEY, Harness, state_for, wait_until

SUBMISSIONS = 200
SEED = 20261129

BUNCE_FAULTS = [
    {"status": 503},  # before processing: ambiguous, absent
    {"after_processing": True, "delay": 0.6},  # created, answer lost (client reads for 0.3 s)
    {"reset": True},  # connection reset before processing
    {"status": 429, "headers": {"Retry-After": "0.2"}},
    {"status": 401},  # the key rejected: a definite failure
    {"status": 502, "body": "<html>bad gateway</html>", "content_type": "text/html"},
]


def inject(h: Harness, rng: random.Random) -> None:
    if rng.random() < 0.4:
        h.bunce.fail_next(**rng.choice(BUNCE_FAULTS), method="POST")
    if rng.random() < 0.1:
        h.slack.fail_next("views.update", error="not_found")  # the modal was closed


def _difficult(bunce: FakeBunceApi) -> None:
    bunce.max_per_page = 25
    bunce.list_shape = "laravel"
    bunce.description_max, bunce.description_overflow = 60, "truncate"
    bunce.description_rewrite = lambda d: None if d and " even " in d else d


VARIANTS = {"documented": lambda bunce: None, "difficult": _difficult}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_soak_invariant(database_url: str, fake_slack: FakeSlackApi, variant: str) -> None:
    rng = random.Random(SEED)
    with (
        FakeBunceApi(rate_limit_per_minute=None) as bunce,
        running_app(
            database_url,
            fake_slack,
            bunce,
            # Short leases: a submission left unconfirmed is retried within the test.
            {"WORKER_LEASE_SECONDS": "4"},
            bunce_timeout=(0.5, 0.3),
            # Bunce's own limit is not under test here (429s are injected): lift it.
            bunce_per_minute=100_000,
        ) as h,
    ):
        h.store_key()
        VARIANTS[variant](bunce)
        lock = threading.Lock()
        refused: list[str] = []

        def one(i: int) -> None:
            with lock:
                inject(h, rng)
            view = h.open_modal()
            parity = "even" if i % 2 == 0 else "odd"
            described = f"Soak {i} {parity} " + "x" * 80
            response = h.send_submission(view, state_for(f"Soak {i}", described))
            assert response.status_code == 200
            if "segment_progress" not in response.text:
                refused.append(response.text)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, range(SUBMISSIONS)))
        h.background.wait_idle(timeout=120)
        # Anything a fault left unfinished (e.g. never told) is picked up as after a restart.
        try:
            wait_until(lambda: _unfinished(h) == 0 or h.worker.recover_once() < 0, timeout=60)
        except AssertionError:
            raise AssertionError("unfinished submissions: " + _diagnose(h)) from None
        h.background.wait_idle(timeout=120)

        rows = _rows(h)
        segments = bunce.segments(LIVE_KEY)
        # A submission the database couldn't record under load is refused at once with "nothing
        # was created, try again": also a kept promise, and rare (it needs > 2.5 s of lock wait).
        assert all("nothing was created" in text for text in refused)
        assert len(rows) + len(refused) == SUBMISSIONS
        assert len(refused) <= SUBMISSIONS // 20
        by_name: dict[str, list[dict]] = {}
        for segment in segments:
            by_name.setdefault(segment["name"], []).append(segment)
        for row in rows:
            found = by_name.get(row["name"], [])  # names are unique: markers may be gone
            assert row["user_told"], row
            if row["state"] == "announced":
                assert [s["id"] for s in found] == [row["segment_id"]], row
            else:
                assert row["state"] == "failed", row
                assert found == [], row
        announced = [r for r in rows if r["state"] == "announced"]
        assert len(segments) == len(announced)
        assert len(h.slack.messages(CHANNEL)) == len(announced)
        assert 0 < len(announced) < SUBMISSIONS  # the faults did bite, and most got through


def _rows(h: Harness) -> list[dict]:
    with h.services.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM submissions"))]


def _unfinished(h: Harness) -> int:
    return len([r for r in _rows(h) if not r["user_told"]])


def _diagnose(h: Harness) -> str:
    return repr(
        [
            (r["state"], r["attempts"], r["failure"], r["user_told"], r["lease_owner"] is not None)
            for r in _rows(h)
            if not r["user_told"]
        ]
    )
