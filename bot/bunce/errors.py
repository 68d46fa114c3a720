"""Typed failures of Bunce calls, and which outcome of a call maps to which; never carry a key."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from bot.bunce.keys import key_hint

DEFAULT_RETRY_AFTER = 60.0

# Bunce may echo what it was sent; anything shaped like a secret key is masked before it is kept.
_KEY_PATTERN = re.compile(r"sk_(?:live|test)_\S*")


def redact(value: Any) -> Any:
    """A copy of a string or JSON-like value with every Bunce key replaced by its hint."""
    if isinstance(value, str):
        return _KEY_PATTERN.sub(lambda match: key_hint(match.group(0)), value)
    if isinstance(value, Mapping):
        return {redact(k): redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(item) for item in value]
    return value


class BunceError(Exception):
    """Any failed Bunce call; `message` is Bunce's own text, safe to show after redaction."""

    summary = "Bunce could not complete the request"
    # True only when Bunce certainly did not act on the request: then a create may be re-sent.
    certainly_not_processed: bool = False

    def __init__(
        self,
        message: str | None = None,
        *,
        status: int | None = None,
        details: Mapping[str, Any] | None = None,
        reason: str | None = None,
        certainly_not_processed: bool | None = None,
    ) -> None:
        self.message: str | None = redact(message) if message else None
        self.status = status
        self.details: dict[str, Any] = redact(dict(details or {}))
        self.reason: str | None = redact(reason) if reason else None
        if certainly_not_processed is not None:
            self.certainly_not_processed = certainly_not_processed
        super().__init__(str(self))

    def __str__(self) -> str:
        text = ": ".join(part for part in (self.reason, self.message) if part) or self.summary
        return f"{text} (HTTP {self.status})" if self.status is not None else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class BunceAuthError(BunceError):
    """Bunce refused the key (401/403 in JSON): invalid, revoked, or for the other environment."""

    summary = "Bunce rejected the API key"
    certainly_not_processed = True


class BunceValidationError(BunceError):
    """Bunce refused the input (400/422); `message` says why in Bunce's words."""

    summary = "Bunce rejected the request as invalid"
    certainly_not_processed = True


class BunceRateLimited(BunceError):
    """Bunce's per-IP limit was hit (429); nothing may be sent for `retry_after` seconds."""

    summary = "Bunce's rate limit was reached"
    certainly_not_processed = True

    def __init__(self, message: str | None = None, *, retry_after: float, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class BunceUnavailableError(BunceError):
    """Bunce could not be reached or answered unusably (5xx, timeout, reset, non-JSON)."""

    summary = "Bunce is unavailable"


class TooManySegments(BunceError):
    """A walk of the segment list reached its bound with more to come: absence is unknown."""

    summary = "too many segments to search"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            "too many segments to search",
            reason=f"more than {limit} segments",
            certainly_not_processed=False,
        )


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); 60 when unusable."""
    if not value or not value.strip():
        return DEFAULT_RETRY_AFTER
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return DEFAULT_RETRY_AFTER
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return DEFAULT_RETRY_AFTER
    return max(0.0, seconds)


def error_for_response(
    status: int, body: Mapping[str, Any] | None, headers: Mapping[str, str]
) -> BunceError:
    """The typed error for an unsuccessful answer; `body` is the parsed JSON object, if any."""
    message = _text(body.get("message")) if body is not None else None
    details = {k: body[k] for k in ("errors", "data") if body is not None and k in body}
    reason = None if body is not None else "Bunce answered without a JSON body"
    common: dict[str, Any] = {"status": status, "details": details, "reason": reason}
    if 200 <= status < 300:
        # A 2xx that failed or cannot be read may still have created the segment.
        if body is None:
            return BunceUnavailableError(**common)
        return BunceError(message, **(common | {"reason": "Bunce reported a failure"}))
    if status in (401, 403):
        if body is None:
            # Bunce answers in JSON (Accept: application/json, §2.3); an HTML or empty 401/403
            # comes from a proxy or firewall in between, which says nothing about the key, nor
            # whether the request went further: ambiguous, like a 5xx.
            reason = f"something between us and Bunce refused the request (HTTP {status} page)"
            return BunceUnavailableError(
                **(common | {"reason": reason}), certainly_not_processed=False
            )
        return BunceAuthError(message, **common)
    if status in (400, 422):
        shown = validation_message(body) or "Bunce did not accept these values."
        return BunceValidationError(shown, **common)
    if status == 429:
        retry_after = retry_after_seconds(headers.get("Retry-After"))
        return BunceRateLimited(message, retry_after=retry_after, **common)
    if status >= 500:
        return BunceUnavailableError(message, **common)
    # A 404/405 means the route does not exist, so nothing was done.
    return BunceError(message, certainly_not_processed=status in (404, 405), **common)


def validation_message(body: Mapping[str, Any] | None) -> str | None:
    """Bunce's own words for a 400/422: Laravel's summary, or the first field error it sums up.

    Laravel (Bunce's framework) answers `{"message", "errors": {field: [messages]}}`. Since
    laravel/framework 1e02bc2b (Dec 2020) the message is the first field error plus "(and N
    more errors)"; before, and when summarising fails, it is the generic "The given data was
    invalid.", so the first field error says more then.
    """
    if body is None:
        return None
    message = _text(body.get("message"))
    first = _first_field_error(body.get("errors"))
    if first is None or (message is not None and message.startswith(first)):
        return message
    return first


def _first_field_error(errors: Any) -> str | None:
    if not isinstance(errors, Mapping):
        return None
    for messages in errors.values():
        for text in messages if isinstance(messages, list) else [messages]:
            if _text(text) is not None:
                return str(text).strip()
    return None


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def error_for_exception(exc: requests.RequestException) -> BunceUnavailableError:
    """The typed error for a call that got no answer; only connect failures are certain."""
    if isinstance(exc, requests.ConnectTimeout):
        reason, certain = "connecting to Bunce timed out", True
    elif isinstance(exc, requests.ReadTimeout):
        reason, certain = "Bunce did not answer in time", False
    elif _never_connected(exc):
        reason, certain = "could not connect to Bunce", True
    else:
        reason, certain = f"the connection to Bunce failed ({type(exc).__name__})", False
    return BunceUnavailableError(reason=reason, certainly_not_processed=certain)


def _never_connected(exc: requests.RequestException) -> bool:
    # Refused or unresolvable (urllib3 wraps both in NewConnectionError): nothing was sent.
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, NewConnectionError)
