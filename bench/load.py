"""The load generator, run as its own process: `python -m bench.load SPEC.json OUT.json`.

N threads, each with a keep-alive `requests.Session` (renewed every RECONNECT_EVERY seconds,
so connections spread over gunicorn's workers), post signed Slack requests (slash commands
or view submissions) to the app for a bounded time and/or count, optionally paced at a fixed
rate. Every request is recorded: its send time on CLOCK_MONOTONIC (shared by every process on
the machine, so it compares with the fake Slack's `at`), its latency, status, and whether the
answer was the expected one.

Kept light on imports (no `bot`, no `tests`): the driver passes everything it needs in the spec.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import resource
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests

REQUEST_TIMEOUT = 10.0  # seconds; Slack itself gives up after 3
TRIGGER_PREFIX = "bench-"
PROGRESS_VIEW = "segment_progress"
RECONNECT_EVERY = 0.5  # seconds a keep-alive connection is used before a fresh one is opened


def sign(body: str, timestamp: int, secret: str) -> str:
    """Slack's v0 signature; the same computation as tests.harness.sign."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def trigger_id(seq: int, sent_ns: int) -> str:
    """A trigger id carrying its send time: bench.world.BenchSlack makes it live 3 s from then."""
    return f"{TRIGGER_PREFIX}{seq}-{sent_ns}"


def trigger_sent_at(trigger: str) -> float | None:
    """The monotonic send time encoded by trigger_id(), or None for other trigger ids."""
    if not trigger.startswith(TRIGGER_PREFIX):
        return None
    return int(trigger.rsplit("-", 1)[1]) / 1e9


@dataclass
class Outcome:
    """What the workers collected; the lock guards every field."""

    records: list[list[Any]] = field(default_factory=list)  # [sent, latency, status, ok, key]
    warmup: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    exhausted: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, reason: str) -> None:
        with self.lock:
            self.errors[reason] = self.errors.get(reason, 0) + 1


class Load:
    """One phase of load: `spec` says what to send, how many threads, for how long, how fast."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.url: str = spec["url"]
        self.kind: str = spec["kind"]
        self.label: str = spec.get("label") or self.kind
        self.concurrency = int(spec["concurrency"])
        self.duration = float(spec.get("duration") or 0) or None
        self.warmup = float(spec.get("warmup") or 0)
        self.rate = float(spec.get("rate") or 0) or None
        self.count = spec.get("count")
        self.secret: str = spec["secret"]
        self.reconnect_every = float(spec.get("reconnect_every_s") or RECONNECT_EVERY)
        self.outcome = Outcome()
        self._seq = itertools.count()
        self._seq_lock = threading.Lock()
        self.started = 0.0

    # -- requests as Slack sends them -----------------------------------------------------------
    def _command(self, seq: int, sent_ns: int) -> tuple[str, str]:
        c = self.spec["command"]
        trigger = trigger_id(seq, sent_ns)
        fields = {
            "token": "deprecated-verification-token",
            "team_id": c["team_id"],
            "team_domain": "bench",
            "channel_id": c["channel_id"],
            "channel_name": "general",
            "user_id": c["user_id"],
            "user_name": "bench",
            "command": "/segment",
            "text": c.get("text", ""),
            "api_app_id": c.get("app_id", "A0BUNCE"),
            "is_enterprise_install": "false",
            "response_url": c["response_url"],
            "trigger_id": trigger,
        }
        return urlencode(fields), trigger

    def _submission(self, seq: int) -> tuple[str, str] | None:
        s = self.spec["submission"]
        if seq >= len(s["views"]):
            return None
        view_id, view_hash, metadata = s["views"][seq]
        name = f"{s['name_prefix']}{seq:06d}"
        state = json.loads(json.dumps(s["state"]).replace(s["name_placeholder"], name))
        view = {
            **s["view"],
            "id": view_id,
            "hash": view_hash,
            "root_view_id": view_id,
            "private_metadata": metadata,
            "state": state,
            "app_installed_team_id": s["team_id"],
        }
        payload = {
            "type": "view_submission",
            "team": {"id": s["team_id"], "domain": "bench", "enterprise_id": None},
            "user": {
                "id": s["user_id"],
                "username": "bench",
                "name": "bench",
                "team_id": s["team_id"],
            },
            "api_app_id": s.get("app_id", "A0BUNCE"),
            "token": "deprecated-verification-token",
            "trigger_id": f"bench-view-{seq}",
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return urlencode({"payload": json.dumps(payload)}), name

    def _acked(self, response: requests.Response) -> str | None:
        """None when the answer is the expected ack, else a short reason."""
        if response.status_code != 200:
            return f"http_{response.status_code}"
        if self.kind == "command":
            # A bare ack: an empty body. Anything else is an ephemeral error ("not connected"...).
            return None if not response.content.strip() else "command_answered_with_a_message"
        try:
            answer = response.json()
        except ValueError:
            return "submission_ack_not_json"
        view = answer.get("view") or {}
        if answer.get("response_action") != "update" or view.get("callback_id") != PROGRESS_VIEW:
            return f"submission_ack_{answer.get('response_action') or 'empty'}"
        return None

    # -- the workers --------------------------------------------------------------------------
    def _next(self) -> int:
        with self._seq_lock:
            return next(self._seq)

    def _session(self) -> requests.Session:
        session = requests.Session()
        session.headers["Content-Type"] = "application/x-www-form-urlencoded"
        return session

    def _worker(self, barrier: threading.Barrier) -> None:
        session, connected = self._session(), time.monotonic()
        barrier.wait()
        deadline = self.started + self.warmup + self.duration if self.duration else None
        while True:
            if time.monotonic() - connected > self.reconnect_every:
                # A keep-alive connection stays with the gunicorn worker that accepted it; all 16
                # can land on one worker for a whole phase. Reconnecting now and then evens out
                # the split, as many independent clients would.
                session.close()
                session, connected = self._session(), time.monotonic()
            seq = self._next()
            if self.count is not None and seq >= self.count:
                return
            if self.rate:
                due = self.started + seq / self.rate
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)  # pacing to a fixed request rate
            if deadline is not None and time.monotonic() >= deadline:
                return
            if not self._send(session, seq):
                return

    def _send(self, session: requests.Session, seq: int) -> bool:
        sent_ns = time.monotonic_ns()
        if self.kind == "command":
            body, key = self._command(seq, sent_ns)
        else:
            built = self._submission(seq)
            if built is None:
                self.outcome.exhausted = True
                return False
            body, key = built
        ts = int(time.time())
        # Only for the access log's per-phase timings (bench.world.ACCESS_LOG_FORMAT).
        label = "warmup" if sent_ns / 1e9 < self.started + self.warmup else self.label
        headers = {
            "X-Bench-Kind": label,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": sign(body, ts, self.secret),
        }
        sent = time.monotonic()  # latency runs from here, after the body is built and signed
        try:
            response = session.post(
                self.url, data=body.encode(), headers=headers, timeout=REQUEST_TIMEOUT
            )
            latency = time.monotonic() - sent
            problem = self._acked(response)
            status = response.status_code
        except requests.RequestException as error:
            latency = time.monotonic() - sent
            problem, status = type(error).__name__, 0
        if problem is not None:
            self.outcome.error(problem)
        with self.outcome.lock:
            if sent_ns / 1e9 < self.started + self.warmup:
                self.outcome.warmup += 1
            else:
                self.outcome.records.append([sent, latency, status, problem is None, key])
        return True

    def run(self) -> dict[str, Any]:
        barrier = threading.Barrier(self.concurrency + 1)
        threads = [
            threading.Thread(target=self._worker, args=(barrier,), daemon=True)
            for _ in range(self.concurrency)
        ]
        for thread in threads:
            thread.start()
        self.started = time.monotonic()
        barrier.wait()
        for thread in threads:
            thread.join()
        ended = time.monotonic()
        records = self.outcome.records
        measured_from = self.started + self.warmup
        last = max((r[0] + r[1] for r in records), default=ended)
        return {
            "kind": self.kind,
            "concurrency": self.concurrency,
            "started": measured_from,
            "ended": max(min(ended, last), measured_from),
            "records": records,
            "warmup_requests": self.outcome.warmup,
            "errors": self.outcome.errors,
            "exhausted": self.outcome.exhausted,
            "cpu_s": _cpu_seconds(),
        }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str]) -> int:
    spec_path, out_path = argv
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    result = Load(spec).run()
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
