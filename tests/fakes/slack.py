"""FakeSlackApi: a loopback fake of Slack's Web API and response_url webhooks, for tests."""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

DEFAULT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:join",
    "users:read",
    "im:write",
)
# Reading attached files needs files:read; not a default, so tests opt in to it.
FILES_SCOPES = (*DEFAULT_SCOPES, "files:read")
DEFAULT_TEAM_ID = "T0001"
APP_ID = "A0FAKEAPP"
RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL = 30 * 60.0
# Slack: "This temporary authorization code expires after ten minutes" (OAuth v2 guide).
OAUTH_CODE_TTL = 10 * 60.0
TOKEN_TTL = 43_200  # 12 h: expires_in of a rotating access token
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT_CHARS = 40_000
MAX_VIEW_STACK = 3
MAX_VALUE_CHARS = 2000
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
_VIEW_DEFAULTS: dict[str, Any] = {
    "private_metadata": "",
    "callback_id": "",
    "external_id": "",
    "close": None,
    "submit": None,
    "clear_on_close": False,
    "notify_on_close": False,
}
_JSON = {"Content-Type": "application/json; charset=utf-8"}
# hooks.slack.com answers webhook posts with a short text body ("ok", or an error word).
_TEXT = {"Content-Type": "text/html; charset=utf-8"}
# What Slack answers a file download without a usable token: a redirect to its sign-in page.
_SIGN_IN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"

Clock = Callable[[], float]
_DROP = 0  # a status meaning "close the connection without answering"
Answer = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class SlackCall:
    """One Web API request as the fake received and answered it."""

    method: str
    args: dict[str, Any]
    token: str | None
    headers: dict[str, str]
    raw_body: bytes
    at: float
    http_method: str = "POST"
    status: int = 200
    response: dict[str, Any] | None = None


@dataclass(frozen=True)
class ResponsePost:
    """One POST to a response_url, with the fake's answer."""

    token: str
    body: Any
    headers: dict[str, str]
    raw_body: bytes
    at: float
    status: int
    answer: str


@dataclass(frozen=True)
class FileDownload:
    """One GET of a file's url_private(_download), with the fake's answer status."""

    file_id: str | None
    path: str
    token: str | None
    headers: dict[str, str]
    at: float
    status: int


@dataclass(frozen=True)
class Workspace:
    """An installed workspace: who the bot is there and which scopes it holds."""

    team_id: str
    enterprise_id: str | None
    bot_user_id: str
    bot_id: str
    scopes: frozenset[str]
    is_enterprise_install: bool = False
    team_name: str | None = None


@dataclass
class Channel:
    """A conversation the fake knows; mutable because the bot can join it."""

    id: str
    team_id: str | None
    is_private: bool = False
    is_im: bool = False
    is_member: bool = False
    is_archived: bool = False
    name: str | None = None
    user: str | None = None


@dataclass(frozen=True)
class User:
    """A human user that users.info can describe."""

    id: str
    team_id: str | None
    name: str
    is_admin: bool
    is_owner: bool
    is_primary_owner: bool
    tz: str
    # Enterprise Grid: org-level roles, reported under user.enterprise_user (users.info).
    enterprise_id: str | None = None
    is_org_admin: bool = False
    is_org_owner: bool = False


@dataclass(frozen=True)
class _File:
    team_id: str | None
    content: bytes
    info: dict[str, Any]
    # Conversations it was shared in; None: not modelled (visible workspace-wide, as before).
    channels: tuple[str, ...] | None = None
    user: str | None = None  # the uploader; the bot's own uploads are always readable to it


@dataclass(frozen=True)
class _OAuthApp:
    client_id: str
    client_secret: str
    token_rotation: bool
    token_ttl: int


@dataclass(frozen=True)
class _Grant:
    """What an authorization code or refresh token stands for: one bot installation."""

    team_id: str
    installer_user_id: str
    enterprise_id: str | None
    is_enterprise_install: bool
    scopes: tuple[str, ...]
    team_name: str | None


@dataclass
class _Code:
    grant: _Grant
    redirect_uri: str | None
    expires_at: float
    used: bool = False


@dataclass
class _Trigger:
    expires_at: float
    view_id: str | None
    used: bool = False


@dataclass
class _ResponseUrl:
    created_at: float
    uses: int = 0


@dataclass(frozen=True)
class _Fault:
    error: str | None
    status: int
    headers: dict[str, str]
    delay: float
    drop: bool = False

    @property
    def answers(self) -> bool:
        """Whether the fault replaces the real answer (rather than only delaying it)."""
        return self.error is not None or self.status != 200


class _Refusal(Exception):
    """A Slack error answer ({"ok": false, "error": ...}) raised inside a method handler."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


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


def _text_of(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


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


def _view_problems(view: dict[str, Any], kind: str, unit: str) -> Iterable[str]:
    """Yield Slack-style validation messages for a modal or home view."""
    if view.get("type") != kind:
        yield f"[ERROR] must be '{kind}' [json-pointer:/view/type]"
    if kind == "modal" and not isinstance(view.get("title"), dict):
        yield "[ERROR] missing required field: title [json-pointer:/view]"
    for name in ("title", "submit", "close"):
        if len(_text_of(view.get(name))) > 24:
            yield f"[ERROR] must be less than 25 characters [json-pointer:/view/{name}/text]"
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        yield "[ERROR] missing required field: blocks [json-pointer:/view]"
        blocks = []
    if len(blocks) > MAX_VIEW_BLOCKS:
        yield "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"
    if any(not isinstance(b, dict) or "type" not in b for b in blocks):
        yield "[ERROR] missing required field: type [json-pointer:/view/blocks]"
    if _measure(str(view.get("private_metadata", "")), unit) > 3000:
        yield "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]"
    for name in ("callback_id", "external_id"):
        if len(str(view.get(name, ""))) > 255:
            yield f"[ERROR] must be less than 256 characters [json-pointer:/view/{name}]"
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if kind == "modal" and has_input and not view.get("submit"):
        yield "[ERROR] must provide a submit property when using input blocks [json-pointer:/view]"


def _check_view(view: Any, kind: str, unit: str) -> dict[str, Any]:
    if not isinstance(view, dict):
        raise _Refusal("invalid_arguments", response_metadata={"messages": ["invalid `view`"]})
    problems = list(_view_problems(view, kind, unit))
    if problems:
        raise _Refusal("invalid_arguments", response_metadata={"messages": problems})
    return view


def _check_blocks(blocks: Any, unit: str = "chars") -> None:
    if not isinstance(blocks, list):
        raise _Refusal("invalid_blocks_format")
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        messages = ["[ERROR] no more than 50 items allowed [json-pointer:/blocks]"]
        raise _Refusal("invalid_blocks", response_metadata={"messages": messages})
    if any(not isinstance(b, dict) or "type" not in b for b in blocks):
        messages = ["[ERROR] missing required field: type [json-pointer:/blocks]"]
        raise _Refusal("invalid_blocks", response_metadata={"messages": messages})
    for index, block in enumerate(blocks):
        for position, element in enumerate(block.get("elements") or []):
            value = element.get("value") if isinstance(element, dict) else None
            # Button value: "Maximum length for this field is 2000 characters"
            # (api.slack.com/reference/block-kit/block-elements#button).
            if isinstance(value, str) and _measure(value, unit) > MAX_VALUE_CHARS:
                pointer = f"/blocks/{index}/elements/{position}/value"
                messages = [f"[ERROR] must be less than 2001 characters [json-pointer:{pointer}]"]
                raise _Refusal("invalid_blocks", response_metadata={"messages": messages})


def _message_content(args: dict[str, Any], unit: str = "chars") -> dict[str, Any]:
    """Validate and pick the content fields of a chat.* call."""
    text, blocks = args.get("text"), args.get("blocks")
    if not text and not blocks and not args.get("attachments"):
        raise _Refusal("no_text")
    if blocks is not None:
        _check_blocks(blocks, unit)
    if text is not None and len(str(text)) > MAX_TEXT_CHARS:
        raise _Refusal("msg_too_long")
    keep = ("text", "blocks", "attachments", "thread_ts", "metadata")
    return copy.deepcopy({k: args[k] for k in keep if k in args})


def _channel_info(channel: Channel) -> dict[str, Any]:
    info = {
        "id": channel.id,
        "name": channel.name,
        "is_channel": not channel.is_private and not channel.is_im,
        "is_group": channel.is_private,
        "is_im": channel.is_im,
        "is_private": channel.is_private or channel.is_im,
        "is_archived": channel.is_archived,
        "is_member": channel.is_member,
    }
    return info | ({"user": channel.user} if channel.user else {})


class FakeSlackApi:
    """A thread-safe loopback Slack Web API plus response_url endpoint that records requests."""

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
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
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
        }
        # Methods authenticated by the app's client credentials rather than a token.
        self._client_methods: dict[str, Callable[[dict[str, str], dict[str, Any]], dict[str, Any]]]
        self._client_methods = {"oauth.v2.access": self._oauth_v2_access}

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlackApi:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        # A short poll interval: shutdown() waits up to one interval, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="FakeSlackApi", daemon=True
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

    # ---- world set-up ----------------------------------------------------------------------

    def add_workspace(
        self,
        team_id: str,
        token: str,
        *,
        enterprise_id: str | None = None,
        bot_user_id: str = "UBOT",
        scopes: Iterable[str] = DEFAULT_SCOPES,
    ) -> Workspace:
        """Install the app in a workspace whose bot token is `token`."""
        ws = Workspace(team_id, enterprise_id, bot_user_id, f"B{team_id}", frozenset(scopes))
        with self._lock:
            self._workspaces[team_id] = ws
            self.tokens[token] = team_id
        return ws

    def revoke_token(self, token: str) -> None:
        """Make `token` answer token_revoked from now on (as after an uninstall)."""
        with self._lock:
            self._revoked[token] = "token_revoked"

    def revoke_workspace(self, team_id: str, *, error: str = "token_revoked") -> list[str]:
        """Act as an uninstall: every token of the team answers `error`, its refresh tokens die.

        Tokens minted later (a reinstall) work. Slack's answer after an uninstall varies by token
        kind (token_revoked, invalid_auth, account_inactive), hence `error`. Returns the tokens.
        """
        with self._lock:
            revoked = [t for t, team in self.tokens.items() if team == team_id]
            for token in revoked:
                self._revoked[token] = error
            for refresh, grant in list(self._refresh_tokens.items()):
                if grant.team_id == team_id:
                    del self._refresh_tokens[refresh]
        return revoked

    def expire_token(self, token: str) -> None:
        """Age a token past its expiry without waiting: it answers token_expired."""
        with self._lock:
            self._expires[token] = float("-inf")

    # ---- OAuth v2 --------------------------------------------------------------------------

    def configure_oauth(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_rotation: bool = False,
        token_ttl: int = TOKEN_TTL,
    ) -> None:
        """Register the app's credentials; until then oauth.v2.access answers invalid_client_id.

        With token_rotation, installs mint `xoxe.xoxb-1-…` tokens that expire `token_ttl`
        seconds later (fake clock) plus single-use `xoxe-1-…` refresh tokens.
        """
        with self._lock:
            self._oauth = _OAuthApp(client_id, client_secret, token_rotation, int(token_ttl))

    def issue_code(
        self,
        team_id: str,
        *,
        installer_user_id: str,
        enterprise_id: str | None = None,
        is_enterprise_install: bool = False,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        team_name: str | None = None,
        redirect_uri: str | None = None,
    ) -> str:
        """A one-time authorization code, as Slack redirects with after the user approves.

        Valid for 10 minutes of the fake's clock. If `redirect_uri` is given (the app passed one
        to /oauth/v2/authorize), the exchange must send the same one. For an org-wide install
        (`is_enterprise_install`), `team_id` is only the fake's key for the installation.
        """
        if is_enterprise_install and not enterprise_id:
            raise ValueError("an org-wide install needs an enterprise_id")
        grant = _Grant(
            team_id,
            installer_user_id,
            enterprise_id,
            is_enterprise_install,
            tuple(dict.fromkeys(scopes)),
            team_name,
        )
        with self._lock:
            self._counter += 1
            code = f"{int(time.time())}.{self._counter}.{secrets.token_hex(16)}"
            self._codes[code] = _Code(grant, redirect_uri, self.now() + OAUTH_CODE_TTL)
        return code

    def installed_tokens(self, team_id: str, *, valid_only: bool = False) -> list[str]:
        """Bot tokens registered for the team (add_workspace or OAuth), oldest first.

        valid_only drops revoked and expired ones.
        """
        with self._lock:
            tokens = [t for t, team in self.tokens.items() if team == team_id]
            if valid_only:
                tokens = [t for t in tokens if t not in self._revoked and not self._expired(t)]
            return tokens

    def add_client_method(
        self, method: str, handler: Callable[[dict[str, str], dict[str, Any]], dict[str, Any]]
    ) -> None:
        """Serve a method authenticated by something other than a bot token (e.g. an app-level
        `xapp-` token): `handler(headers, args)` returns the answer's fields or raises
        `refusal(error)`. Recorded and faultable like every other method."""
        with self._lock:
            self._client_methods[method] = handler

    def oauth_calls(self) -> list[SlackCall]:
        """Recorded oauth.v2.access requests (code exchanges and refreshes), oldest first."""
        return self.calls("oauth.v2.access")

    def add_channel(
        self,
        channel_id: str,
        *,
        team_id: str | None = None,
        is_private: bool = False,
        is_im: bool = False,
        is_member: bool = False,
        is_archived: bool = False,
        name: str | None = None,
    ) -> Channel:
        """Create a conversation; team_id None makes it visible from every workspace."""
        channel = Channel(
            channel_id,
            team_id,
            is_private,
            is_im,
            is_member,
            is_archived,
            name or channel_id.lower(),
        )
        with self._lock:
            self._channels[channel_id] = channel
        return channel

    def is_member(self, channel_id: str) -> bool:
        """Whether the bot is currently in the channel."""
        with self._lock:
            return self._channels[channel_id].is_member

    def add_user(
        self,
        user_id: str,
        *,
        team_id: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        name: str | None = None,
        tz: str = "Europe/London",
        enterprise_id: str | None = None,
        is_org_admin: bool = False,
        is_org_owner: bool = False,
    ) -> User:
        """Create a human user for users.info and conversations.open.

        With enterprise_id the user belongs to a Grid org; is_org_admin/is_org_owner are the
        org-level roles, which Slack reports only under `enterprise_user`.
        """
        user = User(
            user_id,
            team_id,
            name or user_id.lower(),
            is_admin,
            is_owner,
            is_primary_owner,
            tz,
            enterprise_id,
            is_org_admin,
            is_org_owner,
        )
        with self._lock:
            self._users[user_id] = user
        return user

    def add_file(
        self,
        file_id: str,
        content: bytes,
        *,
        name: str = "people.csv",
        filetype: str = "csv",
        mimetype: str = "text/csv",
        team_id: str | None = None,
        channels: Iterable[str] | None = None,
        user: str = "U0UPLOADER",
    ) -> dict[str, Any]:
        """Upload a file; returns Slack's file object, its URLs on the fake (started first).

        team_id None makes it visible from every workspace. `channels` shares it in those
        conversations: then the bot reads it (files.info, download) only while it is a member of
        one of them, or when `user` is the bot itself. Without `channels` it is visible
        workspace-wide.
        """
        base = f"/files-pri/{team_id or DEFAULT_TEAM_ID}-{file_id}"
        private, download = f"{base}/{quote(name)}", f"{base}/download/{quote(name)}"
        created = int(time.time())
        shared = tuple(channels) if channels is not None else None
        info = {
            "id": file_id,
            "created": created,
            "timestamp": created,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user": user,
            "editable": False,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "url_private": f"{self.root_url}{private}",
            "url_private_download": f"{self.root_url}{download}",
            # docs.slack.dev/reference/objects/file-object: "channels: … the IDs of any channels
            # with which the file is currently shared" (the fake lists every kind here).
            "channels": list(shared or ()),
        }
        with self._lock:
            self._files[file_id] = _File(team_id, bytes(content), info, shared, user)
            self._file_paths |= {private: file_id, download: file_id}
        return copy.deepcopy(info)

    def message_file(self, file_id: str, *, restricted: bool = False) -> dict[str, Any]:
        """The file as a message payload carries it (`message.files[]` of a message shortcut).

        restricted: the stub Slack sends for Slack Connect and other files the recipient must
        look up, with no name, type or URLs (docs.slack.dev/reference/events/message/file_share,
        "Slack Connect files": `"mode": "file_access", "file_access": "check_file_info"`, then
        call files.info; the stub's shape as delivered: zenn.dev/straydog/articles/42c4152bf963e3).
        """
        with self._lock:
            stored = self._files[file_id]
        if not restricted:
            return copy.deepcopy(stored.info)
        return {
            "id": file_id,
            "mode": "file_access",
            "file_access": "check_file_info",
            "created": 0,
            "timestamp": 0,
            "user": "",
        }

    def issue_trigger(self, ttl: float = 3.0, *, view_id: str | None = None) -> str:
        """Register a trigger_id valid for `ttl` seconds; view_id marks one fired inside a modal."""
        with self._lock:
            self._counter += 1
            trigger_id = f"{self._counter}.{int(time.time())}.{secrets.token_hex(8)}"
            self._triggers[trigger_id] = _Trigger(self.now() + ttl, view_id)
        return trigger_id

    def expire_trigger(self, trigger_id: str) -> None:
        """Age a trigger past its lifetime without waiting."""
        with self._lock:
            self._triggers[trigger_id].expires_at = float("-inf")

    def close_view(self, view_id: str) -> None:
        """Act as the user closing a modal: the view is gone for views.update."""
        with self._lock:
            del self.views[view_id]

    def response_url(self, token: str | None = None) -> str:
        """A fresh response_url on the fake (5 uses, 30 minutes)."""
        token = token or secrets.token_urlsafe(12)
        with self._lock:
            self._response_urls[token] = _ResponseUrl(self.now())
        return f"{self.root_url}/response/{token}"

    def expire_response_url(self, url_or_token: str) -> None:
        """Age a response_url past 30 minutes without waiting."""
        with self._lock:
            self._response_urls[url_or_token.rsplit("/", 1)[-1]].created_at = float("-inf")

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

    # ---- inspection ------------------------------------------------------------------------

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

    def shown_view(self, view_id: str) -> dict[str, Any]:
        """A modal as the person sees it now (after every views.update), with Slack's fields."""
        with self._lock:
            return copy.deepcopy(self.views[view_id])

    def sent_view(self, view_id: str) -> dict[str, Any]:
        """The view the app last sent for `view_id` (views.open or views.update), as sent."""
        with self._lock:
            sent = [
                c.args["view"]
                for c in self.requests
                if c.method in ("views.open", "views.update")
                and ((c.response or {}).get("view") or {}).get("id") == view_id
            ]
        if not sent:
            raise AssertionError(f"no view was sent for {view_id}")
        return copy.deepcopy(sent[-1])

    def response_posts(self, token: str | None = None) -> list[ResponsePost]:
        """Recorded response_url posts (accepted or not), optionally for one URL or token."""
        key = token.rsplit("/", 1)[-1] if token else None
        with self._lock:
            return [p for p in self._posts if key is None or p.token == key]

    def wait_for_response_posts(
        self, count: int = 1, timeout: float = 5.0, token: str | None = None
    ) -> list[ResponsePost]:
        """Block until `count` response_url posts arrived, or fail listing what did."""
        if self._wait(lambda: len(self.response_posts(token)) >= count, timeout):
            return self.response_posts(token)
        seen = [(p.token, p.status, p.body) for p in self.response_posts()]
        raise AssertionError(
            f"expected {count} response_url posts within {timeout}s; received: {seen}"
        )

    def downloads(self, file_id: str | None = None) -> list[FileDownload]:
        """Recorded file downloads (served or not), optionally for one file, oldest first."""
        with self._lock:
            return [d for d in self._downloads if file_id is None or d.file_id == file_id]

    def wait_for_downloads(self, count: int = 1, timeout: float = 5.0) -> list[FileDownload]:
        """Block until `count` file downloads arrived, or fail listing what did."""
        if self._wait(lambda: len(self.downloads()) >= count, timeout):
            return self.downloads()
        seen = [(d.path, d.status) for d in self.downloads()]
        raise AssertionError(f"expected {count} file downloads within {timeout}s; got: {seen}")

    def messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages the bot posted (and updated) in a channel, oldest first."""
        with self._lock:
            return copy.deepcopy(self._messages.get(channel_id, []))

    def ephemerals(self, channel_id: str) -> list[dict[str, Any]]:
        """Ephemeral messages the bot sent in a channel, oldest first."""
        with self._lock:
            return copy.deepcopy(self._ephemerals.get(channel_id, []))

    def _wait(self, done: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not done():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

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
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        if fault is not None and fault.drop:
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
        default = Workspace(team_id, None, "UBOT", f"B{team_id}", frozenset(DEFAULT_SCOPES))
        return self._workspaces.get(team_id, default)

    def _expired(self, token: str) -> bool:
        expires_at = self._expires.get(token)
        return expires_at is not None and self.now() > expires_at

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
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        if fault is not None and fault.drop:
            return _DROP, {}, b""
        return status, _TEXT, answer.encode("utf-8")

    def _webhook_answer(
        self, token: str, body: Any, fault: _Fault | None, at: float
    ) -> tuple[int, str]:
        if fault is not None and fault.answers:
            return fault.status, fault.error or ""
        url = self._response_urls.get(token)
        if url is None:
            return 404, "no_service"
        if at - url.created_at > RESPONSE_URL_TTL:
            return 404, "expired_url"
        if url.uses >= RESPONSE_URL_MAX_USES:
            return 404, "used_url"
        if not isinstance(body, dict):
            return 400, "invalid_payload"
        content = ("text", "blocks", "attachments", "delete_original")
        if not any(body.get(k) for k in content):
            return 400, "no_text"
        if body.get("blocks") is not None:
            # Webhooks refuse bad blocks with 400 and a one-word body (api.slack.com/messaging/
            # webhooks#handling_errors: invalid_blocks, invalid_blocks_format).
            try:
                _check_blocks(body["blocks"], self.text_unit)
            except _Refusal as refused:
                return 400, refused.error
        url.uses += 1
        return 200, "ok"

    def _download(self, path: str, headers: dict[str, str]) -> Answer:
        at, token = self.now(), _bearer(headers)
        fault = self._take_fault("file_download")
        with self._changed:
            file_id = self._file_paths.get(path)
            status, out_headers, body = self._download_answer(path, file_id, token, fault)
            self._downloads.append(FileDownload(file_id, path, token, headers, at, status))
            self._changed.notify_all()
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        return status, out_headers, body

    def _download_answer(
        self, path: str, file_id: str | None, token: str | None, fault: _Fault | None
    ) -> Answer:
        if fault is not None and fault.answers:
            return fault.status, _TEXT | fault.headers, (fault.error or "").encode("utf-8")
        stored = self._files.get(file_id or "")
        if not self._may_read(token, stored):
            # Slack does not answer 401: it redirects to sign-in, which then serves HTML with 200.
            return 302, _TEXT | {"Location": f"{self.root_url}/?redir={quote(path)}"}, _SIGN_IN_PAGE
        if stored is None:
            return 404, _TEXT, b"not_found"
        disposition = f"attachment; filename*=UTF-8''{quote(stored.info['name'])}"
        out = {"Content-Type": stored.info["mimetype"], "Content-Disposition": disposition}
        return 200, out, stored.content

    def _may_read(self, token: str | None, stored: _File | None) -> bool:
        """A live token with files:read that can see the file (when the file is known)."""
        try:
            ws = self._authenticate(token)
        except _Refusal:
            return False
        own = stored is None or self._file_visible(ws, stored)
        return own and "files:read" in ws.scopes

    def _file_visible(self, ws: Workspace, stored: _File) -> bool:
        """Whether the bot may see a file: of its workspace and, when shared in conversations,
        in one it is a member of, unless it uploaded the file itself.

        api.slack.com/scopes/files:read: "View files shared in channels and conversations that
        your slack app has been added to"; docs.slack.dev/reference/methods/files.info: "Bot
        user tokens may use this method to access information about files appearing in the
        channels they belong to".
        """
        if stored.team_id not in (None, ws.team_id):
            return False
        if stored.channels is None or stored.user == ws.bot_user_id:
            return True
        return any(
            channel is not None and channel.is_member
            for channel in (self._channels.get(cid) for cid in stored.channels)
        )

    # ---- shared rules ----------------------------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}{self._counter:08d}"

    def _next_ts(self) -> str:
        self._counter += 1
        return f"{int(time.time())}.{self._counter:06d}"

    def _visible_channel(self, ws: Workspace, channel_id: Any) -> Channel:
        """The channel as the bot sees it: private ones and DMs it is not in do not exist."""
        channel = self._channels.get(str(channel_id or ""))
        if channel is None or channel.team_id not in (None, ws.team_id):
            raise _Refusal("channel_not_found")
        if (channel.is_private or channel.is_im) and not channel.is_member:
            raise _Refusal("channel_not_found")
        return channel

    def _postable_channel(self, ws: Workspace, channel_id: Any) -> Channel:
        if str(channel_id) in self._users:
            return self._open_im(ws, str(channel_id))  # a user id posts into the app's DM with them
        channel = self._visible_channel(ws, channel_id)
        if channel.is_archived:
            raise _Refusal("is_archived")
        if not channel.is_member and "chat:write.public" not in ws.scopes:
            raise _Refusal("not_in_channel")
        return channel

    def _open_im(self, ws: Workspace, user_id: str) -> Channel:
        im_id = f"D{user_id}"
        channel = self._channels.get(im_id)
        if channel is None:
            channel = Channel(im_id, ws.team_id, is_im=True, is_member=True, user=user_id)
            self._channels[im_id] = channel
        return channel

    def _take_trigger(self, args: dict[str, Any]) -> _Trigger:
        """Check a trigger without consuming it; consumed only when the view is accepted."""
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not trigger_id:
            messages = ["invalid `trigger_id`"]
            raise _Refusal("invalid_arguments", response_metadata={"messages": messages})
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise _Refusal("invalid_trigger_id")
        if trigger.used:
            raise _Refusal("exchanged_trigger_id")
        if self.now() > trigger.expires_at:
            raise _Refusal("expired_trigger_id")
        return trigger

    def _check_external_id(self, ws: Workspace, view: dict[str, Any], own_id: str = "") -> None:
        external_id = view.get("external_id")
        if not external_id:
            return
        for other in self.views.values():
            same_team = other["team_id"] == ws.team_id
            if same_team and other["external_id"] == external_id and other["id"] != own_id:
                raise _Refusal("duplicate_external_id")

    def _store_view(
        self,
        ws: Workspace,
        view: dict[str, Any],
        *,
        view_id: str | None = None,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
        state: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        view_id = view_id or self._next_id("V")
        stored = _VIEW_DEFAULTS | copy.deepcopy(view)
        stored |= {
            "id": view_id,
            "team_id": ws.team_id,
            "state": state or {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "root_view_id": root_view_id or view_id,
            "previous_view_id": previous_view_id,
            "app_id": APP_ID,
            "app_installed_team_id": ws.team_id,
            "bot_id": ws.bot_id,
        }
        return stored

    # ---- methods ---------------------------------------------------------------------------

    def _auth_test(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        url = f"https://{ws.team_id.lower()}.slack.com/"
        if ws.is_enterprise_install and ws.enterprise_id:
            # Bolt's OAuth flow stores this url as the enterprise_url of an org-wide install.
            url = f"https://{ws.enterprise_id.lower()}.enterprise.slack.com/"
        out = {
            "url": url,
            "team": ws.team_name or f"Team {ws.team_id}",
            "user": "bunce",
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": ws.is_enterprise_install,
        }
        return out | ({"enterprise_id": ws.enterprise_id} if ws.enterprise_id else {})

    def _oauth_v2_access(self, headers: dict[str, str], args: dict[str, Any]) -> dict[str, Any]:
        app = self._check_client(headers, args)
        grant_type = args.get("grant_type") or "authorization_code"
        if grant_type == "refresh_token":
            # Single use: Slack revokes a refresh token once it has been exchanged. The access
            # token it replaces keeps working until its own expiry.
            grant = self._refresh_tokens.pop(str(args.get("refresh_token") or ""), None)
            if grant is None or grant.team_id not in self._workspaces:
                raise _Refusal("invalid_refresh_token")
            return self._grant_answer(self._workspaces[grant.team_id], grant, app, rotating=True)
        if grant_type != "authorization_code":
            raise _Refusal("invalid_grant_type")
        code = self._codes.get(str(args.get("code") or ""))
        if code is None or code.used or self.now() > code.expires_at:
            raise _Refusal("invalid_code")
        if code.redirect_uri is not None and args.get("redirect_uri") != code.redirect_uri:
            raise _Refusal("bad_redirect_uri")
        code.used = True
        ws = self._install(code.grant)
        return self._grant_answer(ws, code.grant, app, rotating=app.token_rotation)

    def _check_client(self, headers: dict[str, str], args: dict[str, Any]) -> _OAuthApp:
        """Client credentials from HTTP Basic auth (slack_sdk's way) or the form body."""
        basic = headers.get("authorization", "")
        if basic.startswith("Basic "):
            try:
                decoded = base64.b64decode(basic[6:], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise _Refusal("invalid_client_id") from exc
            client_id, _, client_secret = decoded.partition(":")
        else:
            client_id, client_secret = args.get("client_id"), args.get("client_secret")
        app = self._oauth
        if app is None or not client_id or client_id != app.client_id:
            raise _Refusal("invalid_client_id")
        if client_secret != app.client_secret:
            raise _Refusal("bad_client_secret")
        return app

    def _install(self, grant: _Grant) -> Workspace:
        """Register (or re-register, keeping the bot's identity) the installation a code grants."""
        existing = self._workspaces.get(grant.team_id)
        ws = Workspace(
            grant.team_id,
            grant.enterprise_id,
            existing.bot_user_id if existing else f"UB{grant.team_id}",
            existing.bot_id if existing else f"B{grant.team_id}",
            frozenset(grant.scopes),
            grant.is_enterprise_install,
            grant.team_name,
        )
        self._workspaces[grant.team_id] = ws
        return ws

    def _grant_answer(
        self, ws: Workspace, grant: _Grant, app: _OAuthApp, *, rotating: bool
    ) -> dict[str, Any]:
        """Mint and register a bot token; answer as oauth.v2.access does."""
        self._counter += 1
        secret = f"{self._counter}-{secrets.token_hex(12)}"
        token = f"xoxe.xoxb-1-{secret}" if rotating else f"xoxb-{secret}"
        self.tokens[token] = grant.team_id
        enterprise = grant.enterprise_id
        out: dict[str, Any] = {
            "access_token": token,
            "token_type": "bot",
            "scope": ",".join(grant.scopes),
            "bot_user_id": ws.bot_user_id,
            "app_id": APP_ID,
            "team": None
            if grant.is_enterprise_install
            else {"id": grant.team_id, "name": grant.team_name or f"Team {grant.team_id}"},
            "enterprise": {"id": enterprise, "name": f"Org {enterprise}"} if enterprise else None,
            "is_enterprise_install": grant.is_enterprise_install,
            "authed_user": {"id": grant.installer_user_id},
        }
        if rotating:
            refresh = f"xoxe-1-{self._counter}-{secrets.token_hex(12)}"
            self._refresh_tokens[refresh] = grant
            self._expires[token] = self.now() + app.token_ttl
            out |= {"refresh_token": refresh, "expires_in": app.token_ttl}
        return out

    def _views_open(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        trigger = self._take_trigger(args)
        view = _check_view(args.get("view"), "modal", self.text_unit)
        self._check_external_id(ws, view)
        trigger.used = True
        stored = self._store_view(ws, view)
        self.views[stored["id"]] = stored
        return {"view": stored}

    def _views_push(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        trigger = self._take_trigger(args)
        view = _check_view(args.get("view"), "modal", self.text_unit)
        self._check_external_id(ws, view)
        below = self.views.get(trigger.view_id or "")
        root = below["root_view_id"] if below else None
        if root and sum(v["root_view_id"] == root for v in self.views.values()) >= MAX_VIEW_STACK:
            raise _Refusal("push_limit_reached")
        trigger.used = True
        stored = self._store_view(ws, view, root_view_id=root, previous_view_id=trigger.view_id)
        self.views[stored["id"]] = stored
        return {"view": stored}

    def _views_update(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        current = self._find_view(ws, args)
        if args.get("hash") and args["hash"] != current["hash"]:
            raise _Refusal("hash_conflict")
        view = _check_view(args.get("view"), current["type"], self.text_unit)
        self._check_external_id(ws, view, own_id=current["id"])
        # Undocumented whether an update without external_id clears it; keeping it is the
        # lenient choice, so a second update by external_id still finds the view.
        view = {"external_id": current["external_id"]} | view
        stored = self._store_view(
            ws,
            view,
            view_id=current["id"],
            root_view_id=current["root_view_id"],
            previous_view_id=current["previous_view_id"],
            state=current["state"],
        )
        self.views[stored["id"]] = stored
        return {"view": stored}

    def _find_view(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        if bool(args.get("view_id")) == bool(args.get("external_id")):
            # Slack's wording when both are sent (slack-go/slack#667).
            messages = ["[ERROR] Cannot provide both `view_id` and `external_id`"]
            raise _Refusal("invalid_arguments", response_metadata={"messages": messages})
        for view in self.views.values():
            by_id = args.get("view_id") and view["id"] == args["view_id"]
            by_external = args.get("external_id") and view["external_id"] == args["external_id"]
            if view["team_id"] == ws.team_id and (by_id or by_external):
                return view
        raise _Refusal("not_found")

    def _views_publish(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        user_id = args.get("user_id")
        if not user_id:
            raise _Refusal("invalid_arguments", response_metadata={"messages": ["user_id"]})
        view = _check_view(args.get("view"), "home", self.text_unit)
        previous = self.home_views.get(user_id)
        stored = self._store_view(ws, view, view_id=previous["id"] if previous else None)
        self.home_views[user_id] = stored
        return {"view": stored}

    def _chat_post_message(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._postable_channel(ws, args.get("channel"))
        content = _message_content(args, self.text_unit)
        message = {"type": "message", "user": ws.bot_user_id, "bot_id": ws.bot_id}
        message |= {"app_id": APP_ID, "team": ws.team_id, "ts": self._next_ts(), **content}
        self._messages.setdefault(channel.id, []).append(message)
        return {"channel": channel.id, "ts": message["ts"], "message": message}

    def _chat_post_ephemeral(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._postable_channel(ws, args.get("channel"))
        if not args.get("user"):
            raise _Refusal("user_not_found")
        content = _message_content(args, self.text_unit)
        message = {"user": args["user"], "message_ts": self._next_ts(), **content}
        self._ephemerals.setdefault(channel.id, []).append(message)
        return {"message_ts": message["message_ts"]}

    def _chat_update(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._visible_channel(ws, args.get("channel"))
        content = _message_content(args, self.text_unit)
        for message in self._messages.get(channel.id, []):
            if message["ts"] == args.get("ts"):
                message.update(content, edited={"user": ws.bot_user_id})
                return {"channel": channel.id, "ts": message["ts"], "message": message}
        raise _Refusal("message_not_found")

    def _conversations_join(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channels.get(str(args.get("channel") or ""))
        if channel is None or channel.team_id not in (None, ws.team_id):
            raise _Refusal("channel_not_found")
        if channel.is_private or channel.is_im:
            raise _Refusal("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise _Refusal("is_archived")
        already = channel.is_member
        channel.is_member = True
        out: dict[str, Any] = {"channel": _channel_info(channel)}
        if already:
            out |= {"warning": "already_in_channel"}
            out |= {"response_metadata": {"warnings": ["already_in_channel"]}}
        return out

    def _conversations_open(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users") or ""
        user_ids = users if isinstance(users, list) else [u for u in users.split(",") if u]
        if not user_ids:
            raise _Refusal("users_list_not_supplied")
        if len(user_ids) > 1:
            raise _Refusal("not_supported_by_fake", detail="group DMs (mpim) are not modelled")
        if user_ids[0] not in self._users:
            raise _Refusal("user_not_found")
        already = f"D{user_ids[0]}" in self._channels
        channel = self._open_im(ws, user_ids[0])
        out: dict[str, Any] = {"channel": {"id": channel.id}}
        return out | ({"no_op": True, "already_open": True} if already else {})

    def _files_info(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(args.get("file") or ""))
        if stored is None or not self._file_visible(ws, stored):
            # files.info's error for a file the token can't see (docs.slack.dev/reference/
            # methods/files.info, Errors: "file_not_found: Value passed for file was invalid");
            # Slack does not say "not in channel" for files.
            raise _Refusal("file_not_found")
        info = copy.deepcopy(stored.info)
        return {"file": info, "comments": [], "response_metadata": {"next_cursor": ""}}

    def _users_info(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(args.get("user") or ""))
        if user is None:
            raise _Refusal("user_not_found")
        info = {
            "id": user.id,
            "team_id": user.team_id or ws.team_id,
            "name": user.name,
            "real_name": user.name.title(),
            "deleted": False,
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_primary_owner": user.is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": False,
            "is_app_user": False,
            "tz": user.tz,
            "profile": {"real_name": user.name.title(), "display_name": user.name},
        }
        if user.enterprise_id:
            # Grid users carry their org roles here, separate from the workspace roles above
            # (docs.slack.dev/reference/objects/user-object: "enterprise_user … is_admin,
            # is_owner, is_primary_owner, teams").
            info["enterprise_user"] = {
                "id": user.id,
                "enterprise_id": user.enterprise_id,
                "enterprise_name": f"Org {user.enterprise_id}",
                "is_admin": user.is_org_admin,
                "is_owner": user.is_org_owner,
                "is_primary_owner": False,
                "teams": [user.team_id or ws.team_id],
            }
        return {"user": info}


def refusal(error: str, **extra: Any) -> Exception:
    """The exception a method handler raises for Slack's `{"ok": false, "error": …}` answer."""
    return _Refusal(error, **extra)
