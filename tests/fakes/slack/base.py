"""_Base: the one world every surface of the fake shares, and the rules more than one applies.

Each surface module (views, messages, oauth, files, directory) is a mixin over _Base, and
FakeSlackApi (server.py) assembles them: so workspaces, tokens, channels, users, files, views and
the call log live in one object under one lock, served by one loopback HTTP server, as one Slack
would hold them. A helper lives here only when two modules need it; otherwise in its surface.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fakes.slack.models import (
    DEFAULT_SCOPES,
    DEFAULT_TEAM_ID,
    Channel,
    Clock,
    FileDownload,
    ResponsePost,
    SlackCall,
    User,
    Workspace,
    _Code,
    _Fault,
    _File,
    _Grant,
    _OAuthApp,
    _Refusal,
    _ResponseUrl,
    _Trigger,
)


def _measure(text: str, unit: str) -> int:
    """A string's length as Slack might count it. Its docs give limits in "characters" without
    saying which (api.slack.com/reference/surfaces/views: private_metadata "Maximum length of
    3000 characters"; block-elements: button value "Maximum length … 2000 characters"), so the
    fake can count code points, UTF-16 code units (JavaScript's length) or UTF-8 bytes."""
    if unit == "utf16":
        return len(text.encode("utf-16-le")) // 2
    if unit == "utf8":
        return len(text.encode("utf-8"))
    return len(text)


class _Base:
    """The fake's state, set up once for every surface; `_lock` guards all of it."""

    def __init__(self, now: Clock = time.monotonic) -> None:
        self.now = now
        # How "characters" in Slack's length limits are counted (see _measure): the strictest
        # plausible reading by default; tests switch to the others.
        self.text_unit = "utf8"
        self.tokens: dict[str, str] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.requests: list[SlackCall] = []
        self._posts: list[ResponsePost] = []
        self._workspaces: dict[str, Workspace] = {}
        self._revoked: dict[str, str] = {}  # token -> the error it answers
        self._expires: dict[str, float] = {}  # rotating token -> expiry on the fake's clock
        self._oauth: _OAuthApp | None = None
        self._codes: dict[str, _Code] = {}
        self._refresh_tokens: dict[str, _Grant] = {}
        self._channels: dict[str, Channel] = {}
        self._users: dict[str, User] = {}
        self._files: dict[str, _File] = {}
        self._file_paths: dict[str, str] = {}  # url path -> file id
        self._downloads: list[FileDownload] = []
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._ephemerals: dict[str, list[dict[str, Any]]] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._counter = 0
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None  # started and stopped by server.py
        self._thread: threading.Thread | None = None

    @property
    def root_url(self) -> str:
        """`http://127.0.0.1:PORT`, the fake's origin."""
        if self._server is None:
            raise RuntimeError("FakeSlackApi is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base_url(self) -> str:
        """The Web API base URL to give slack_sdk's WebClient."""
        return f"{self.root_url}/api/"

    # ---- the call log ----------------------------------------------------------------------

    def calls(self, method: str) -> list[SlackCall]:
        """Recorded requests for one Web API method, oldest first."""
        with self._lock:
            return [c for c in self.requests if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[SlackCall]:
        """Block until `count` calls of `method` arrived, or fail listing what did."""
        if self._wait(lambda: len(self.calls(method)) >= count, timeout):
            return self.calls(method)
        with self._lock:
            seen = [
                f"{c.method}:{(c.response or {}).get('error', c.status)}" for c in self.requests
            ]
        raise AssertionError(
            f"expected {count} x {method} within {timeout}s, "
            f"got {len(self.calls(method))}; received: {seen}"
        )

    def _wait(self, done: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not done():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    # ---- shared rules ----------------------------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:08d}"

    def _next_ts(self) -> str:
        self._counter += 1
        return f"{int(time.time())}.{self._counter:06d}"

    def _authenticate(self, token: str | None) -> Workspace:
        if not token:
            raise _Refusal("not_authed")
        if token in self._revoked:
            raise _Refusal(self._revoked[token])
        team_id = self.tokens.get(token)
        if team_id is None and not self.tokens and token.startswith("xoxb-"):
            team_id = DEFAULT_TEAM_ID  # convenience: no workspace added means any bot token works
        if team_id is None:
            raise _Refusal("invalid_auth")
        if self._expired(token):
            raise _Refusal("token_expired")
        return self._workspace(team_id)

    def _workspace(self, team_id: str) -> Workspace:
        """The installation a token speaks for (functions.py's workflow tokens too); a team never
        added is a default install with every default scope."""
        default = Workspace(team_id, None, "UBOT", f"B{team_id}", frozenset(DEFAULT_SCOPES))
        return self._workspaces.get(team_id, default)

    def _expired(self, token: str) -> bool:
        expires_at = self._expires.get(token)
        return expires_at is not None and self.now() > expires_at

    def _open_im(self, ws: Workspace, user_id: str) -> Channel:
        im_id = f"D{user_id}"
        channel = self._channels.get(im_id)
        if channel is None:
            channel = Channel(im_id, ws.team_id, is_im=True, is_member=True, user=user_id)
            self._channels[im_id] = channel
        return channel
