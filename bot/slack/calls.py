"""One way to call Slack's Web API: every failure becomes a value, and "no answer" stays unknown.

slack_sdk raises SlackApiError when Slack answers `ok: false`, but a timeout or a reset raises
urllib's errors (URLError, TimeoutError, other OSErrors) or http.client's. Those mean something
different: Slack may have done what was asked and only the answer was lost, so a caller must
not treat them as "not posted" and post again.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import HttpRequest, HttpResponse, RetryState
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

logger = logging.getLogger(__name__)

# URLError, TimeoutError and ConnectionResetError are OSErrors; IncompleteRead is not.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (OSError, http.client.HTTPException)

# Methods whose repeat is not harmless: a second call posts a second message.
NOT_REPEATABLE = ("chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage")

UNKNOWN = "no_answer"


@dataclass(frozen=True)
class SlackResult:
    """Slack's answer (`data`), its error code, or `unknown` when no answer came back."""

    data: dict[str, Any] | None = None
    error: str | None = None
    unknown: bool = False

    @property
    def ok(self) -> bool:
        return self.data is not None

    def get(self, name: str, default: Any = None) -> Any:
        return (self.data or {}).get(name, default)


def call(method: Callable[..., Any], /, **arguments: Any) -> SlackResult:
    """Call a WebClient method; never raises for Slack's refusals or for network failures."""
    name = getattr(method, "__name__", "slack call")
    try:
        response = method(**arguments)
    except SlackApiError as error:
        code = str(error.response.get("error") or "unknown_error")
        logger.info("%s failed error=%s", name, code)
        return SlackResult(error=code)
    except NETWORK_ERRORS as error:
        logger.warning("%s got no answer from Slack (%s)", name, type(error).__name__)
        return SlackResult(error=UNKNOWN, unknown=True)
    return SlackResult(data=dict(response.data) if isinstance(response.data, dict) else {})


class RetryUnlessPosting(ConnectionErrorRetryHandler):
    """slack_sdk retries a request once after a reset, but a reset can come after Slack has
    processed it: for methods that post, a retry can be a duplicate message. Those aren't
    retried; the caller sees the outcome as unknown instead."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").endswith(NOT_REPEATABLE):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)
