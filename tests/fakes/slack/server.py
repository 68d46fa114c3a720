"""FakeSlackApi: a loopback fake of Slack's Web API and response_url webhooks, for tests.

This module is the HTTP side, shared by every surface: one ThreadingHTTPServer on 127.0.0.1,
routing (Web API methods, response_url posts, file downloads), argument decoding, bearer tokens,
scope checks, scripted faults (errors, late answers, dropped connections) and the recording of
each request. What each method does lives in its surface module, assembled here as mixins:
views.py, messages.py, oauth.py, files.py, directory.py and functions.py.
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.slack.directory import DirectoryMixin
from tests.fakes.slack.files import _SIGN_IN_PAGE, FilesMixin
from tests.fakes.slack.functions import FunctionsMixin
from tests.fakes.slack.messages import MessagesMixin
from tests.fakes.slack.models import (
    _TEXT,
    Answer,
    Clock,
    FileDownload,
    ResponsePost,
    SlackCall,
    Workspace,
    _Fault,
    _Refusal,
)
from tests.fakes.slack.oauth import OAuthMixin
from tests.fakes.slack.views import ViewsMixin

# Slack's methods take these as JSON-encoded strings in form bodies; slack_sdk sends them as JSON.
_JSON_ARGS = ("view", "blocks", "attachments", "metadata", "user_auth_blocks")
_SCOPE_FOR = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "conversations.join": "channels:join",
    "conversations.open": "im:write",
    "users.info": "users:read",
    "files.info": "files:read",
}
_JSON = {"Content-Type": "application/json; charset=utf-8"}
_DROP = 0  # a status meaning "close the connection without answering"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeSlackApi


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, out_headers, body = self.server.fake._route(verb, self.path, headers, raw)
        if status == _DROP:
            self.close_connection = True  # processed, but the answer is lost on the way back
            return
        self.send_response(status)
        for name, value in out_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The client may have given up waiting (a delay fault past its timeout).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep pytest output free of access logs."""


def _decode_args(query: str, headers: dict[str, str], raw: bytes) -> dict[str, Any]:
    """Merge query string and body (JSON or form) into one dict, decoding JSON-string args."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if raw and headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise _Refusal("invalid_json") from exc
        if not isinstance(body, dict):
            raise _Refusal("invalid_json")
        args.update(body)
    elif raw:
        args.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for name in _JSON_ARGS:
        value = args.get(name)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            # Undecodable values stay as sent; the method then answers invalid_blocks_format etc.
            with contextlib.suppress(ValueError):
                args[name] = json.loads(value)
    return args


def _bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    return value[7:] if value.startswith("Bearer ") else None


class FakeSlackApi(
    FunctionsMixin, ViewsMixin, MessagesMixin, OAuthMixin, FilesMixin, DirectoryMixin
):
    """A thread-safe loopback Slack Web API plus response_url endpoint that records requests.

    FunctionsMixin comes first: its _authenticate and expire_token extend the shared ones.
    """

    def __init__(self, now: Clock = time.monotonic) -> None:
        super().__init__(now)
        self._methods: dict[str, Callable[[Workspace, dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "conversations.join": self._conversations_join,
            "conversations.open": self._conversations_open,
            "users.info": self._users_info,
            "files.info": self._files_info,
            "functions.completeSuccess": self._functions_complete_success,
            "functions.completeError": self._functions_complete_error,
        }
        # Methods authenticated by the app's client credentials rather than a token.
        self._client_methods: dict[str, Callable[[dict[str, str], dict[str, Any]], dict[str, Any]]]
        self._client_methods = {"oauth.v2.access": self._oauth_v2_access}

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlackApi:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server = server
        # A short poll interval: shutdown() waits up to one interval, once per test.
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name="FakeSlackApi", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes any scripted delay so shutdown is prompt."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
        with self._changed:
            self._changed.notify_all()

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- world set-up ----------------------------------------------------------------------

    def add_client_method(
        self, method: str, handler: Callable[[dict[str, str], dict[str, Any]], dict[str, Any]]
    ) -> None:
        """Serve a method authenticated by something other than a bot token (e.g. an app-level
        `xapp-` token): `handler(headers, args)` returns the answer's fields or raises
        `refusal(error)`. Recorded and faultable like every other method."""
        with self._lock:
            self._client_methods[method] = handler

    def fail_next(
        self,
        method: str,
        *,
        error: str | None = "internal_error",
        status: int = 200,
        headers: dict[str, str] | None = None,
        times: int = 1,
        delay: float = 0.0,
        drop: bool = False,
    ) -> None:
        """Script the next `times` calls of `method` to misbehave.

        `method` is a Web API method, "response_url" for webhooks or "file_download" for GETs
        of a file's URLs (the fault's error becomes the text body).

        With error None and status 200 the call is processed and the real answer is sent, only
        after `delay`: longer than the client's timeout, the client never reads it. With `drop`
        the call is processed and the connection closed without an answer (a reset on the way
        back): Slack had then done the work, which is why slack_sdk's retry after a
        connection error can repeat a post (slack_sdk/http_retry/builtin_handlers.py).
        """
        fault = _Fault(error, status, dict(headers or {}), delay, drop)
        with self._lock:
            self._faults.setdefault(method, []).extend([fault] * times)

    # ---- HTTP plumbing ---------------------------------------------------------------------

    def _route(self, verb: str, path: str, headers: dict[str, str], raw: bytes) -> Answer:
        parts = urlsplit(path)
        if parts.path.startswith("/api/"):
            return self._api(verb, parts.path[len("/api/") :], parts.query, headers, raw)
        if parts.path.startswith("/response/") and verb == "POST":
            return self._webhook(parts.path[len("/response/") :], headers, raw)
        if parts.path.startswith("/files-pri/") and verb == "GET":
            return self._download(parts.path, headers)
        if parts.path == "/" and verb == "GET":
            return 200, _TEXT, _SIGN_IN_PAGE  # where an unauthorised download is sent
        return 404, _TEXT, b"not_found"

    def _take_fault(self, name: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(name)
            return queue.pop(0) if queue else None

    def _wait_out(self, fault: _Fault | None) -> bool:
        """Hold the answer for the fault's delay (stop() cuts it short); True: then drop it."""
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        return fault is not None and fault.drop

    def _api(
        self, verb: str, method: str, query: str, headers: dict[str, str], raw: bytes
    ) -> Answer:
        at, refusal = self.now(), None
        try:
            args = _decode_args(query, headers, raw)
        except _Refusal as bad:
            args, refusal = {}, bad
        token = _bearer(headers) or args.get("token")
        args.pop("token", None)
        fault = self._take_fault(method)
        with self._changed:
            status, extra, payload = self._answer(method, token, headers, args, fault, refusal)
            record = SlackCall(method, args, token, headers, raw, at, verb, status, payload)
            self.requests.append(record)
            self._changed.notify_all()
        if self._wait_out(fault):
            return _DROP, {}, b""
        body = b"" if payload is None else json.dumps(payload).encode("utf-8")
        return status, _JSON | extra, body

    def _answer(
        self,
        method: str,
        token: str | None,
        headers: dict[str, str],
        args: dict[str, Any],
        fault: _Fault | None,
        refusal: _Refusal | None,
    ) -> tuple[int, dict[str, str], dict[str, Any] | None]:
        if fault is not None and fault.answers:
            payload = {"ok": False, "error": fault.error} if fault.error else None
            return fault.status, fault.headers, payload
        ws: Workspace | None = None
        try:
            if refusal is not None:
                raise refusal
            client_handler = self._client_methods.get(method)
            handler = self._methods.get(method)
            if client_handler is not None:
                payload = {"ok": True, **client_handler(headers, args)}
            elif handler is None:
                raise _Refusal("unknown_method", req_method=method)
            else:
                ws = self._authenticate(token)
                self._check_scope(ws, method)
                payload = {"ok": True, **handler(ws, args)}
        except _Refusal as no:
            payload = {"ok": False, "error": no.error, **no.extra}
        headers = {"X-OAuth-Scopes": ",".join(sorted(ws.scopes))} if ws else {}
        return 200, headers, copy.deepcopy(payload)

    def _check_scope(self, ws: Workspace, method: str) -> None:
        needed = _SCOPE_FOR.get(method)
        if needed and needed not in ws.scopes:
            provided = ",".join(sorted(ws.scopes))
            raise _Refusal("missing_scope", needed=needed, provided=provided)

    def _webhook(self, token: str, headers: dict[str, str], raw: bytes) -> Answer:
        at = self.now()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        fault = self._take_fault("response_url")
        with self._changed:
            status, answer = self._webhook_answer(token, body, fault, at)
            self._posts.append(ResponsePost(token, body, headers, raw, at, status, answer))
            self._changed.notify_all()
        if self._wait_out(fault):
            return _DROP, {}, b""
        return status, _TEXT, answer.encode("utf-8")

    def _download(self, path: str, headers: dict[str, str]) -> Answer:
        at, token = self.now(), _bearer(headers)
        fault = self._take_fault("file_download")
        with self._changed:
            file_id = self._file_paths.get(path)
            status, out_headers, body = self._download_answer(path, file_id, token, fault)
            self._downloads.append(FileDownload(file_id, path, token, headers, at, status))
            self._changed.notify_all()
        self._wait_out(fault)  # a download's answer is delayed but never dropped
        return status, out_headers, body
