"""The shapes the fake Slack deals in: what it records, the world it models, its error answer.

Kept apart from the behaviour so the server and every surface module (views, messages, oauth,
files, directory) name the same types without importing one another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
# hooks.slack.com answers webhook posts with a short text body ("ok", or an error word).
_TEXT = {"Content-Type": "text/html; charset=utf-8"}

Clock = Callable[[], float]
Answer = tuple[int, dict[str, str], bytes]


# ---- what the fake records -------------------------------------------------------------------


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


# ---- the world it models ---------------------------------------------------------------------


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


# ---- misbehaviour and refusals ---------------------------------------------------------------


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


def refusal(error: str, **extra: Any) -> Exception:
    """The exception a method handler raises for Slack's `{"ok": false, "error": …}` answer."""
    return _Refusal(error, **extra)
