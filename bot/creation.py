"""Creating a segment exactly once, although Bunce has no idempotency key (bunce-api.md §7).

A POST is repeated only when it certainly was not processed (connection refused, a 429, a
local rate limit). After an ambiguous failure (timeout, reset, 5xx, unreadable answer) the
segment is looked for first, by name and by a marker the app adds to its description.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
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
from bot.segments import CreateResult, Problem, SegmentForm

logger = logging.getLogger(__name__)

MARKER_TEXT = "via Slack #"


def with_marker(description: str, marker: str) -> str:
    """The description Bunce stores: what was typed, then the marker that finds it again."""
    tag = f"{MARKER_TEXT}{marker}"
    return f"{description} · {tag}" if description else tag


def strip_marker(description: str | None) -> str | None:
    """What the person typed, for display: the marker is the app's bookkeeping, not theirs."""
    if not description:
        return description
    head, sep, tail = description.rpartition(MARKER_TEXT)
    if not sep or not tail.isalnum():
        return description
    return head.removesuffix(" · ").rstrip() or None


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

    def delay(self, attempt: int) -> float:
        """Exponential backoff with full jitter, so many workers don't retry in step."""
        return random.uniform(0, min(self.max_backoff, self.backoff * 2**attempt))


# Returns False when the wait was cut short (shutting down): stop and leave the rest to recovery.
Sleep = Callable[[float], bool]


class _Stopped(Exception):
    """A wait was cut short by shutdown."""


def create_once(
    client: BunceClient,
    form: SegmentForm,
    marker: str,
    *,
    resume: bool,
    before_post: Callable[[], None],
    sleep: Sleep,
    policy: Policy,
) -> CreateResult:
    """Create, reconcile after ambiguity, and retry within bounds.

    `resume` says an earlier attempt may have reached Bunce. `before_post` records each attempt
    before it is sent, so a crash mid-request leaves a trace that forces a reconcile.
    """
    ambiguous = resume
    last: type[BunceError] | None = None
    try:
        for attempt in range(policy.max_attempts):
            if ambiguous:
                found = _reconcile(client, form.name, marker, sleep, policy, recheck=True)
                if isinstance(found, Segment):
                    return CreateResult(segment=found)
                if found is _UNKNOWN:
                    _wait(sleep, policy.delay(attempt))
                    continue
                ambiguous = False  # confirmed absent: a new POST cannot duplicate
            before_post()
            try:
                segment = client.create_segment(
                    form.name, with_marker(form.description, marker), form.add_all_customers
                )
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
    return _give_up(client, form.name, marker, ambiguous, last, policy)


def _wait(sleep: Sleep, seconds: float) -> None:
    if not sleep(seconds):
        raise _Stopped


_UNKNOWN = object()  # the list could not be read: Bunce may or may not have the segment


def _reconcile(
    client: BunceClient,
    name: str,
    marker: str,
    sleep: Sleep,
    policy: Policy,
    *,
    recheck: bool,
) -> Segment | object | None:
    """The segment if Bunce has it, None if it certainly doesn't, _UNKNOWN if we can't tell.

    One delayed re-check before concluding "absent": a create still in flight on Bunce's side
    may appear a moment later.
    """
    for look in range(2 if recheck else 1):
        if look:
            _wait(sleep, policy.recheck_delay)
        try:
            found = _find_waiting_out_limits(client, name, marker, sleep, policy)
        except BunceError:
            logger.warning("reconcile: could not list segments", exc_info=True)
            return _UNKNOWN
        if found is not None:
            logger.info("reconcile: adopted segment id=%s", found.id)
            return found
    return None


def _find_waiting_out_limits(
    client: BunceClient, name: str, marker: str, sleep: Sleep, policy: Policy
) -> Segment | None:
    """A 429 (Bunce's, or this process's limiter) says nothing of the segment: wait, ask again."""
    for _ in range(3):
        try:
            return find_segment(client, name, marker, policy)
        except BunceRateLimited as error:
            if error.retry_after > policy.max_rate_wait:
                raise
            _wait(sleep, error.retry_after)
    return find_segment(client, name, marker, policy)


def find_segment(client: BunceClient, name: str, marker: str, policy: Policy) -> Segment | None:
    """Walk the account's segments (bounded) for our name and marker; Bunce's order is unknown."""
    tag = f"{MARKER_TEXT}{marker}"
    for page in range(1, policy.list_max_pages + 1):
        listing = client.list_segments(page, policy.list_per_page)
        for segment in listing.segments:
            if segment.name.strip() == name.strip() and tag in (segment.description or ""):
                return segment
        if not listing.has_next:
            return None
    raise BunceError("too many segments to search", certainly_not_processed=False)


def _give_up(
    client: BunceClient,
    name: str,
    marker: str,
    ambiguous: bool,
    last: type[BunceError] | None,
    policy: Policy,
) -> CreateResult:
    """Out of attempts: after an ambiguous failure, one last look decides what to tell."""
    if ambiguous:
        found = _reconcile(client, name, marker, lambda _: True, policy, recheck=False)
        if isinstance(found, Segment):
            return CreateResult(segment=found)
        if found is _UNKNOWN:
            return CreateResult(problem=Problem.UNCONFIRMED)
    if last is BunceRateLimited:
        return CreateResult(problem=Problem.RATE_LIMITED)
    return CreateResult(problem=Problem.UNAVAILABLE)
