"""Creating a segment exactly once, although Bunce has no idempotency key (docs/bunce-api.md §7).

A POST is repeated only when it certainly was not processed (connection refused, a 429, a
local rate limit). After an ambiguous failure (timeout, reset, 5xx, unreadable answer) the
segment is looked for first, by a marker the app puts at the start of its description and,
should Bunce have rewritten or dropped the description, by name: a segment with our name that
did not exist before our first POST (the baseline) is ours. When Bunce gave no answer at all,
it may still be committing (e.g. while adding every customer), so we keep looking for a while
before concluding the segment is absent.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.bunce import (
    BunceAuthError,
    BunceClient,
    BunceError,
    BunceRateLimited,
    BunceValidationError,
    InvalidKeyError,
    Segment,
)
from bot.create.form import CreateResult, Problem, SegmentForm
from bot.create.marker import marker_of, with_marker
from bot.create.namesakes import same_name

logger = logging.getLogger(__name__)

# Bunce documents no length for descriptions (docs/bunce-api.md §6 #3). The marker goes first, so a
# column that keeps only the first 255 characters still keeps it; a server that refuses long
# descriptions with a 5xx gets the next attempt cut to this length (after reconciling).
DESCRIPTION_COLUMN = 255
# Gateway answers that mean "no answer from the app behind": like a timeout, it may still commit.
_NO_ANSWER_STATUSES = (502, 504)


@dataclass(frozen=True)
class Policy:
    """Bounds on retrying: attempts, backoff, the re-check delay, and the longest 429 wait."""

    max_attempts: int = 4
    backoff: float = 1.0
    max_backoff: float = 8.0
    recheck_delay: float = 3.0
    max_rate_wait: float = 65.0
    list_per_page: int = 100
    list_max_pages: int = 20
    # After a request Bunce never answered, how long to keep looking before a new POST: a
    # create that adds every customer may commit well after our 20 s read timeout.
    settle_seconds: float = 60.0
    max_recheck_delay: float = 15.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter, so many workers don't retry in step."""
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))


# Returns False when the wait was cut short (shutting down): stop and leave the rest to recovery.
Sleep = Callable[[float], bool]


class _Stopped(Exception):
    """A wait was cut short by shutdown."""


@dataclass(frozen=True)
class Hooks:
    """The worker's side of the protocol: bookkeeping around each step, all recorded first."""

    before_post: Callable[[], None]
    # The ids of segments already named like ours, kept before the first POST (None: unknown).
    keep_baseline: Callable[[frozenset[str] | None], None] = lambda _: None
    # Called once when the outcome will take a while to confirm (the person is told so).
    unconfirmed: Callable[[], None] = lambda: None


def create_once(
    client: BunceClient,
    form: SegmentForm,
    marker: str,
    *,
    resume: bool,
    hooks: Hooks,
    sleep: Sleep,
    policy: Policy,
    baseline: frozenset[str] | None = None,
    namesakes: Callable[[], frozenset[str]] | None = None,
) -> CreateResult:
    """Create, reconcile after ambiguity, and retry within bounds.

    `resume` says an earlier attempt may have reached Bunce; `baseline` is what the first
    attempt kept (see Hooks); `namesakes` gives the baseline from a shared, recent read
    (bot/create/namesakes.py) instead of a walk of every page. `hooks.before_post` records
    each attempt before it is sent, so a crash mid-request leaves a trace that forces a
    reconcile.
    """
    look = _Look(client, form.name, marker, baseline, sleep, policy)
    ambiguous, patient, limit = resume, resume, None
    last: type[BunceError] | None = None
    try:
        if not resume:
            look.baseline = _snapshot(look, namesakes)
            hooks.keep_baseline(look.baseline)
        for attempt in range(policy.max_attempts):
            if ambiguous:
                found = look.reconcile(patient, hooks.unconfirmed)
                if isinstance(found, Segment):
                    return CreateResult(segment=found)
                if found is _UNKNOWN:
                    _wait(sleep, policy.delay(attempt))
                    continue
                ambiguous = False  # confirmed absent: a new POST cannot duplicate
            hooks.before_post()
            description = with_marker(form.description, marker, limit=limit)
            try:
                segment = client.create_segment(form.name, description, form.add_all_customers)
            except BunceRateLimited as error:
                last = BunceRateLimited
                if error.retry_after > policy.max_rate_wait:
                    break
                _wait(sleep, error.retry_after)
                continue
            except (InvalidKeyError, BunceAuthError):
                return CreateResult(problem=Problem.KEY_REJECTED)
            except BunceValidationError as error:
                return CreateResult(problem=Problem.INVALID, bunce_message=error.message)
            except BunceError as error:
                last, ambiguous = type(error), not error.certainly_not_processed
                patient = ambiguous and _no_answer(error)
                if _maybe_too_long(error, description):
                    limit = DESCRIPTION_COLUMN  # the next attempt fits a 255-character column
                logger.warning(
                    "bunce create attempt %s failed error=%s ambiguous=%s",
                    attempt + 1,
                    type(error).__name__,
                    ambiguous,
                )
                _wait(sleep, policy.delay(attempt))
                continue
            return CreateResult(segment=segment)
    except _Stopped:
        return CreateResult(problem=Problem.UNCONFIRMED)
    return _give_up(look, ambiguous, last)


def _no_answer(error: BunceError) -> bool:
    """Bunce (or its gateway) never answered: the create may still be committing."""
    return error.status is None or error.status in _NO_ANSWER_STATUSES


def _maybe_too_long(error: BunceError, description: str) -> bool:
    """A 5xx for a description a 255-character column can't hold: try it shorter next time."""
    return (
        error.status is not None and error.status >= 500 and len(description) > DESCRIPTION_COLUMN
    )


def _wait(sleep: Sleep, seconds: float) -> None:
    if not sleep(seconds):
        raise _Stopped


_UNKNOWN = object()  # the list could not be read, or can't tell: Bunce may have the segment


def _snapshot(look: _Look, namesakes: Callable[[], frozenset[str]] | None) -> frozenset[str] | None:
    """Ids of the segments already named like ours, before the first POST; None if unknown (then
    only the marker can find our segment)."""
    for _ in range(3):
        try:
            if namesakes is not None:
                return namesakes()
            return frozenset(s.id for s in look.walk() if _same_name(s.name, look.name))
        except BunceRateLimited as error:
            if error.retry_after > look.policy.max_rate_wait:
                break
            _wait(look.sleep, error.retry_after)
        except BunceError:
            break
    logger.info("baseline not taken: the segment list could not be read")
    return None


class _Look:
    """Looking for our segment in Bunce's list: by marker, else by name against the baseline."""

    def __init__(
        self,
        client: BunceClient,
        name: str,
        marker: str,
        baseline: frozenset[str] | None,
        sleep: Sleep,
        policy: Policy,
    ) -> None:
        self.client, self.name, self.marker = client, name, marker
        self.baseline, self.sleep, self.policy = baseline, sleep, policy

    def reconcile(self, patient: bool, unconfirmed: Callable[[], None]) -> Segment | object | None:
        """The segment if Bunce has it, None if it certainly doesn't, _UNKNOWN if we can't tell.

        Always one delayed re-check before concluding "absent" (a create in flight may appear a
        moment later); when Bunce never answered, re-checks continue, further apart, for
        `settle_seconds`, and the person is told it is still being confirmed.
        """
        waited, delay, looks = 0.0, self.policy.recheck_delay, 0
        while True:
            try:
                found = self._find_waiting_out_limits()
            except BunceError:
                logger.warning("reconcile: could not list segments", exc_info=True)
                return _UNKNOWN
            if found is not None:
                if isinstance(found, Segment):
                    logger.info("reconcile: adopted segment id=%s", found.id)
                return found
            looks += 1
            if looks >= 2 and (not patient or waited + delay > self.policy.settle_seconds):
                return None
            if looks == 1 and patient:
                unconfirmed()
            _wait(self.sleep, delay)
            waited += delay
            delay = min(delay * 2, self.policy.max_recheck_delay)

    def last_look(self) -> Segment | object | None:
        """One look with no waiting (out of attempts)."""
        try:
            return self.find()
        except BunceError:
            return _UNKNOWN

    def _find_waiting_out_limits(self) -> Segment | object | None:
        """A 429 (Bunce's, or this process's limiter) says nothing of the segment: wait, ask
        again."""
        for _ in range(3):
            try:
                return self.find()
            except BunceRateLimited as error:
                if error.retry_after > self.policy.max_rate_wait:
                    raise
                _wait(self.sleep, error.retry_after)
        return self.find()

    def find(self) -> Segment | object | None:
        """Ours by marker; else the one segment named like ours that is new since the baseline
        and carries nobody's marker; _UNKNOWN when several could be ours, or when one could be
        and there is no baseline to tell (the namesake read before the first POST failed)."""
        new_namesakes: list[Segment] = []
        for segment in self.walk():
            found = marker_of(segment.description)
            if found == self.marker:
                return segment
            if (
                found is None
                and (self.baseline is None or segment.id not in self.baseline)
                and _same_name(segment.name, self.name)
            ):
                new_namesakes.append(segment)
        if len(new_namesakes) == 1 and self.baseline is not None:
            logger.info("reconcile: found by name (Bunce did not keep the marker)")
            return new_namesakes[0]
        return _UNKNOWN if new_namesakes else None

    def walk(self) -> Iterator[Segment]:
        return walk_segments(self.client, self.policy)


def walk_segments(client: BunceClient, policy: Policy) -> Iterator[Segment]:
    """Every segment of the key's workspace, page by page, within the policy's page cap."""
    per_page = policy.list_per_page
    return client.iter_segments(per_page=per_page, max_segments=per_page * policy.list_max_pages)


def _same_name(a: str, b: str) -> bool:
    """Names as Bunce may normalise them (trimmed; case and inner spaces aside)."""
    return same_name(a) == same_name(b)


def _give_up(look: _Look, ambiguous: bool, last: type[BunceError] | None) -> CreateResult:
    """Out of attempts: after an ambiguous failure, one last look decides what to tell."""
    if ambiguous:
        found = look.last_look()
        if isinstance(found, Segment):
            return CreateResult(segment=found)
        if found is _UNKNOWN:
            return CreateResult(problem=Problem.UNCONFIRMED)
    if last is BunceRateLimited:
        return CreateResult(problem=Problem.RATE_LIMITED)
    return CreateResult(problem=Problem.UNAVAILABLE)
