"""Working each submission to its end: create once, announce once, and tell the person.

Every step is recorded in `submissions` under a lease, so a restarted process (or another one
sharing the database) resumes where a dead one stopped, and never two at once.

Three ways to run (docs/ARCHITECTURE.md, "Where submissions are worked"):
- inline (`make run`, Socket Mode, the tests): the process that records a submission leases it
  to itself and works it on its background pool;
- handing off (a gunicorn web process with SUBMISSION_WORKER=separate): it records submissions
  leased to nobody and leaves them to a worker process; it works only those that no worker has
  touched within `grace` seconds (no worker running), so nothing waits forever;
- the worker process (`python -m bot worker`): polls for submissions nobody holds, as many as
  it has threads for, and works them.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import Future, wait
from typing import Any

from slack_sdk import WebClient

from bot.bunce import Segment
from bot.create import outcome
from bot.create.deps import CreateDeps
from bot.create.form import CreateResult, Problem
from bot.create.once import Hooks, Policy, create_once, walk_segments
from bot.create.outcome import form_of, segment_from_record
from bot.slack.clients import ClientFor
from bot.store.db import StoreError
from bot.store.submissions import LeaseLost, State, SubmissionRecord
from bot.tenant import Workspace

logger = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 60.0
# The worker process looks for new submissions this often (one indexed query; a card then waits
# at most this much longer than when the web process works it itself).
POLL_SECONDS = 0.05
# Submissions claimed at once by one process: as many as its pool has threads.
DEFAULT_CAPACITY = 16
# A worker process says it is alive this often; a web process handing off works submissions
# itself only when no worker has said so within its grace (none running, not merely busy).
BEAT_SECONDS = 1.0


# What a job leaves its lease as (SubmissionWorker._process).
_KEEP, _RELEASE, _RELEASED = object(), object(), object()


def process_owner() -> str:
    """A name for this process in lease columns: host, pid and a nonce (pids are reused)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class SubmissionWorker:
    """Runs submissions on the background pool; recovers stale ones; releases them on stop."""

    def __init__(
        self,
        deps: CreateDeps,
        client_for: ClientFor,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        policy: Policy | None = None,
        owner: str | None = None,
        hand_off: bool = False,
        grace: float = 0.0,
        poll_seconds: float | None = None,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self.deps = deps
        self.client_for = client_for
        self.lease_seconds = lease_seconds
        self.policy = policy or Policy()
        self.owner = owner or process_owner()
        self.hand_off = hand_off
        self.grace = grace if hand_off else 0.0
        self.poll_seconds = poll_seconds
        self.capacity = capacity
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._running: dict[str, Future[Any]] = {}
        self._renewed: dict[str, float] = {}  # when we last set each running lease
        self._baselines: dict[str, frozenset[str]] = {}  # taken, to be kept with the first POST
        self._recovery: threading.Thread | None = None

    @property
    def polls(self) -> bool:
        """This is the worker process: it polls for new submissions and says it is alive."""
        return self.poll_seconds is not None

    @property
    def owner_for_new(self) -> str | None:
        """Who a newly recorded submission is leased to: us, or nobody when a worker process
        takes it (then `submit` leaves it alone)."""
        return None if self.hand_off else self.owner

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Resume stale submissions now, then keep looking (every poll, else every quarter
        lease)."""
        self._recovery = threading.Thread(target=self._recover_loop, name="recovery", daemon=True)
        self._recovery.start()

    def stop(self, grace: float = 20.0) -> None:
        """Take no more work; let running submissions finish or hand them back (lease released)."""
        self._stopping.set()
        with self._lock:
            futures = list(self._running.values())
        wait(futures, timeout=grace)
        with self._lock:
            unfinished = list(self._running)
        for submission_id in unfinished:
            # Still waiting on Bunce: hand it over now. Its row says "creating", so whoever
            # resumes it looks for the segment before sending anything again.
            self._release(submission_id)
        if self._recovery is not None:
            self._recovery.join(timeout=grace)
        if self.polls:
            try:
                self.deps.submissions.forget_worker(self.owner)
            except StoreError:
                logger.warning("could not remove this worker's heartbeat; it will age out")

    def sleep(self, seconds: float) -> bool:
        """Wait, renewing our leases; False when cut short by stop()."""
        remaining = seconds
        while remaining > 0:
            step = min(remaining, self.lease_seconds / 3)
            if self._stopping.wait(step):
                return False
            remaining -= step
            self._renew_all()
        return True

    # -- work ---------------------------------------------------------------------------------
    def submit(self, record: SubmissionRecord, client: WebClient | None = None) -> None:
        """Work a submission this process holds the lease on, off the caller's thread; one
        leased to nobody is left to the worker process."""
        if record.lease_owner != self.owner:
            return
        if self._stopping.is_set():
            self._release(record.id)
            return
        with self._lock:
            if record.id in self._running:
                return
            future = self.deps.background.submit(self._run, record, client)
            self._running[record.id] = future
            self._renewed[record.id] = time.monotonic()  # open() or claim() just set the lease
        future.add_done_callback(lambda _: self._forget(record.id))

    def recover_once(self) -> int:
        """Claim stale submissions (ours or a dead process's) and resume them."""
        with self._lock:
            room = self.capacity - len(self._running)
        if room < 1:
            return 0
        if self.hand_off and self.deps.submissions.worker_alive(within=self.grace):
            return 0  # a worker process is running: the backlog is its to work
        resumed = 0
        for submission_id in self.deps.submissions.stale(limit=room, idle_for=self.grace):
            if self._stopping.is_set():
                break
            record = self.deps.submissions.claim(
                submission_id, owner=self.owner, lease_seconds=self.lease_seconds
            )
            if record is None:
                continue  # another process claimed it first
            if self.hand_off:
                logger.warning(
                    "submission id=%s waited %g s for a worker process; working it here (is "
                    "the Procfile's worker: running?)",
                    record.id,
                    self.grace,
                )
            elif not self.polls:
                logger.info("resuming submission id=%s state=%s", record.id, record.state)
            self.submit(record)
            resumed += 1
        return resumed

    def _recover_loop(self) -> None:
        interval = self.poll_seconds or max(self.lease_seconds / 4, 0.2)
        if self.hand_off:
            interval = min(interval, max(self.grace / 2, 0.1))
        beaten = float("-inf")
        while not self._stopping.is_set():
            try:
                if self.polls and time.monotonic() - beaten >= BEAT_SECONDS:
                    self.deps.submissions.beat(self.owner)
                    beaten = time.monotonic()
                found = self.recover_once()
            except StoreError:
                logger.warning("recovery scan failed: database unavailable")
                found = 0
            if not (found and self.polls):  # a worker looks again at once after a find
                self._stopping.wait(interval)

    def _run(self, record: SubmissionRecord, client: WebClient | None) -> None:
        """The outermost boundary of a job: log, and hand the row back unless it is kept or
        already handed back."""
        hand_back = True
        try:
            hand_back = self._process(record, client) is _RELEASE
        except LeaseLost:
            logger.info("submission %s was taken over by another process", record.id)
            hand_back = False  # not ours to release
        except StoreError:
            logger.exception("submission %s paused: database unavailable", record.id)
        except Exception:
            logger.exception("submission %s failed unexpectedly", record.id)
        finally:
            if hand_back:
                self._release(record.id)

    def _process(self, record: SubmissionRecord, client: WebClient | None) -> object:
        """Advance the row as far as possible: _KEEP the lease (check again later), _RELEASE
        it, or _RELEASED (the last write gave it up already)."""
        workspace = outcome.workspace_of(record)
        slack = client or self.client_for(workspace)
        segment: Segment | None = None
        environment = "live"
        if record.state in (State.PENDING, State.CREATING):
            result, environment = self._create(record, workspace, slack)
            if result.problem is Problem.UNCONFIRMED:
                self._tell_unconfirmed(record, slack)
                return _KEEP
            segment = result.segment
            record = self._record_result(record, result)
        if slack is None:
            logger.warning("no Slack client for %s; will retry", workspace.log_fields())
            return _RELEASE
        if record.state == State.CREATED:
            # A full lease for the post, or LeaseLost if another process took over: either
            # way the card can't be posted by two processes.
            self._hold(record.id)
            segment = segment or segment_from_record(record)
            where = outcome.announce_segment(slack, record, segment, environment, self.deps)
            record = self.deps.submissions.mark_announced(
                record.id,
                owner=self.owner,
                channel_id=where.channel_id if where.posted or where.unknown else None,
                ts=where.ts,
                unconfirmed=where.unknown,
            )
            if where.ts and where.channel_id and record.segment_id:
                self.deps.cards.add(
                    record.team_id,
                    record.enterprise_id,
                    record.segment_id,
                    where.channel_id,
                    where.ts,
                )
            outcome.audit_created(record, self.deps)
        if not record.user_told:
            self._hold(record.id)
        if not record.user_told and outcome.tell_outcome(slack, record, segment, self.deps):
            self.deps.submissions.mark_told(record.id, owner=self.owner, release=True)
            return _RELEASED
        return _RELEASE

    def _create(
        self, record: SubmissionRecord, workspace: Workspace, slack: WebClient | None
    ) -> tuple[CreateResult, str]:
        key = self.deps.lookup.key(workspace)
        if key is None:
            return CreateResult(problem=Problem.NOT_CONNECTED), "live"
        resume = record.state == State.CREATING
        client = self.deps.bunce.for_key(key.key)
        walk = functools.partial(walk_segments, client, self.policy)
        hooks = Hooks(
            before_post=lambda: self._before_post(record.id),
            keep_baseline=lambda ids: self._keep_baseline(record.id, ids),
            unconfirmed=lambda: self._tell_unconfirmed(record, slack),
        )
        result = create_once(
            client,
            form_of(record),
            record.marker,
            resume=resume,
            hooks=hooks,
            sleep=self.sleep,
            policy=self.policy,
            baseline=self.deps.submissions.baseline(record.id) if resume else None,
            namesakes=lambda: self.deps.namesakes.baseline(key.key, record.name, walk),
        )
        if result.segment is not None:
            self.deps.namesakes.created(key.key, result.segment)
        verdict = result.problem.value if result.problem else "created"
        logger.info(
            "segment create %s user=%s submission=%s outcome=%s",
            workspace.log_fields(),
            record.user_id,
            record.id,
            verdict,
        )
        return result, key.environment

    def _record_result(self, record: SubmissionRecord, result: CreateResult) -> SubmissionRecord:
        store = self.deps.submissions
        if result.segment is not None:
            return store.mark_created(
                record.id,
                owner=self.owner,
                segment_id=result.segment.id,
                segment_name=result.segment.name,
            )
        problem = result.problem or Problem.UNEXPECTED
        return store.mark_failed(
            record.id, owner=self.owner, failure=problem.value, message=result.bunce_message
        )

    def _keep_baseline(self, submission_id: str, ids: frozenset[str] | None) -> None:
        """Kept with the first POST's record (one write): a baseline matters only once a POST
        may have reached Bunce."""
        if ids is not None:
            with self._lock:
                self._baselines[submission_id] = ids

    def _tell_unconfirmed(self, record: SubmissionRecord, slack: WebClient | None) -> None:
        """Bunce hasn't answered: say it's still being confirmed while we keep looking (or, for
        a workflow step past its deadline, end the step: then it counts as told, once)."""
        if slack is not None and outcome.tell_unconfirmed(slack, record, self.deps):
            self.deps.submissions.mark_told(record.id, owner=self.owner)

    def _before_post(self, submission_id: str) -> None:
        """Each POST is recorded (and the lease renewed) before it is sent."""
        self._hold(submission_id)
        with self._lock:
            baseline = self._baselines.pop(submission_id, None)
        self.deps.submissions.mark_creating(submission_id, owner=self.owner, baseline=baseline)

    # -- leases -------------------------------------------------------------------------------
    def _hold(self, submission_id: str) -> None:
        """Make sure our lease outlasts the next step (Slack and Bunce calls time out well within a
        third of it); renewing is a database write, so a recent lease is trusted as it is.
        LeaseLost means another process has it. Every state change re-checks the lease anyway."""
        now = time.monotonic()
        with self._lock:
            fresh = now - self._renewed.get(submission_id, float("-inf")) < self.lease_seconds / 3
        if not fresh:
            self._renew(submission_id)

    def _renew(self, submission_id: str) -> None:
        self.deps.submissions.renew(
            submission_id, owner=self.owner, lease_seconds=self.lease_seconds
        )
        with self._lock:
            self._renewed[submission_id] = time.monotonic()

    def _renew_all(self) -> None:
        """Every lease this process holds that is a third of the way to running out (each waiting
        thread calls this; renewing a fresh lease again would only add writes)."""
        now = time.monotonic()
        with self._lock:
            ids = [
                i
                for i in self._running
                if now - self._renewed.get(i, float("-inf")) >= self.lease_seconds / 3
            ]
        for submission_id in ids:
            try:
                self._renew(submission_id)
            except StoreError:
                logger.warning("could not renew lease of %s", submission_id)

    def _release(self, submission_id: str) -> None:
        try:
            self.deps.submissions.release(submission_id, owner=self.owner)
        except StoreError:
            logger.warning("could not release %s; its lease will expire", submission_id)

    def _forget(self, submission_id: str) -> None:
        with self._lock:
            self._running.pop(submission_id, None)
            self._renewed.pop(submission_id, None)
            self._baselines.pop(submission_id, None)
