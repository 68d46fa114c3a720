"""Settings: the configuration contract (README "Configuration"), read once into a typed value."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.store.crypto import validate_fernet_key
from bot.store.db import is_sqlite, normalise_database_url

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_BUNCE_API_URL = "https://api.bunce.so/v1"
DEFAULT_BUNCE_SANDBOX_API_URL = "https://sandbox.api.bunce.so/v1"
DEFAULT_PORT = 3000

_GET_SIGNING_SECRET = (
    "create the Slack app from manifest.yml (api.slack.com/apps → Create New App → From a "
    "manifest), then copy Basic Information → App Credentials → Signing Secret"
)
_GET_BOT_TOKEN = (
    "install the app (OAuth & Permissions → Install to Workspace) and copy the Bot User OAuth "
    "Token, which starts with xoxb-"
)
_GET_APP_TOKEN = (
    "Basic Information → App-Level Tokens → Generate, with the connections:write scope; it "
    "starts with xapp-. Leave it unset to serve HTTP instead of Socket Mode"
)
_GET_FERNET_KEY = (
    "generate one with: python -c 'from cryptography.fernet import Fernet; "
    "print(Fernet.generate_key().decode())'"
)


def drop_empty_slack_variables(environ: dict[str, str]) -> None:
    """Bolt reads SLACK_CLIENT_ID & co. from os.environ itself and treats an empty value as set
    (switching to OAuth and ignoring the bot token); entry points remove empty ones first."""
    for name in [n for n, v in environ.items() if n.startswith("SLACK_") and not v.strip()]:
        del environ[name]


class ConfigError(Exception):
    """The configuration is missing or malformed; `problems` names each one and how to fix it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.problems)
        head = f"bunce-slack cannot start: {count} configuration problem{'s' if count > 1 else ''}"
        lines = [head + " (set these in the environment or in .env; see .env.example):"]
        lines += [f"  - {problem}" for problem in self.problems]
        return "\n".join(lines)


@dataclass(frozen=True)
class Settings:
    """Everything the app reads from its environment. Secrets never appear in repr."""

    signing_secret: str | None = field(default=None, repr=False)
    bot_token: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    bunce_api_url: str = DEFAULT_BUNCE_API_URL
    bunce_sandbox_api_url: str = DEFAULT_BUNCE_SANDBOX_API_URL
    database_url: str = "sqlite:///bunce_bot.sqlite3"
    encryption_keys: tuple[str, ...] = field(default=(), repr=False)
    port: int = DEFAULT_PORT
    log_level: str = "INFO"
    admin_user_ids: frozenset[str] = frozenset()
    worker_lease_seconds: float = 60.0
    # "separate": submissions are worked by the Procfile's `worker:` process, not by the web
    # process that recorded them (it still works any that no worker took within the grace).
    submission_worker: str = "inline"
    worker_grace_seconds: float = 10.0
    slack_timeout: float = 10.0  # seconds a Slack Web API call may take before it is unknown
    # Bunce allows 500 requests a minute per egress IP (docs/bunce-api.md §2.8); see bunce/limiter.
    bunce_rate_per_minute: int = 400
    bunce_rate_processes: int = 1  # web processes sharing it: each one's share without the DB
    segment_url_template: str | None = None
    # Serve over Socket Mode (only `python -m bot` with SLACK_APP_TOKEN). Everything else serves
    # HTTP and verifies every request's signature, whatever else is set.
    socket_mode: bool = False

    @property
    def separate_worker(self) -> bool:
        """Submissions are left to a `python -m bot worker` process."""
        return self.submission_worker == "separate"

    @property
    def multi_workspace(self) -> bool:
        """OAuth install for many workspaces, instead of one SLACK_BOT_TOKEN."""
        return bool(self.client_id and self.client_secret)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str],
        *,
        serving: bool = True,
        socket_mode: bool | None = False,
        worker: bool = False,
    ) -> Settings:
        """Read and check every variable; `serving=False` is for CLI commands that need no Slack,
        `worker=True` for the worker process, which calls Slack but receives nothing from it.

        `socket_mode=None` lets SLACK_APP_TOKEN choose (`python -m bot`); the WSGI app passes
        False: gunicorn never serves Socket Mode, so an app token there must not switch off
        request signing.
        """
        env = {name: value.strip() for name, value in environ.items() if value and value.strip()}
        problems: list[str] = []
        if socket_mode is None:
            socket_mode = bool(env.get("SLACK_APP_TOKEN"))
        settings = cls(
            socket_mode=socket_mode,
            signing_secret=env.get("SLACK_SIGNING_SECRET"),
            bot_token=env.get("SLACK_BOT_TOKEN"),
            app_token=env.get("SLACK_APP_TOKEN"),
            client_id=env.get("SLACK_CLIENT_ID"),
            client_secret=env.get("SLACK_CLIENT_SECRET"),
            slack_api_url=_url(env, "SLACK_API_URL", DEFAULT_SLACK_API_URL, problems),
            bunce_api_url=_url(env, "BUNCE_API_URL", DEFAULT_BUNCE_API_URL, problems),
            bunce_sandbox_api_url=_url(
                env, "BUNCE_SANDBOX_API_URL", DEFAULT_BUNCE_SANDBOX_API_URL, problems
            ),
            database_url=_database_url(env, problems),
            encryption_keys=_encryption_keys(env, problems),
            port=_port(env, problems),
            log_level=_log_level(env, problems),
            admin_user_ids=_admin_user_ids(env, problems),
            worker_lease_seconds=_seconds(env, "WORKER_LEASE_SECONDS", 60.0, (1, 3600), problems),
            submission_worker=_submission_worker(env, problems),
            worker_grace_seconds=_seconds(env, "WORKER_GRACE_SECONDS", 10.0, (0.1, 3600), problems),
            slack_timeout=_seconds(env, "SLACK_TIMEOUT_SECONDS", 10.0, (0.1, 60), problems),
            bunce_rate_per_minute=_count(
                env,
                "BUNCE_RATE_PER_MINUTE",
                400,
                (1, 500),
                problems,
                "Bunce allows 500 requests a minute per IP; default 400",
            ),
            bunce_rate_processes=_count(
                env,
                "BUNCE_RATE_PROCESSES",
                _web_concurrency(env),
                (1, 1000),
                problems,
                "all web processes, on every host; default WEB_CONCURRENCY",
            ),
            segment_url_template=_segment_url_template(env, problems),
        )
        if serving or worker:
            problems += _slack_problems(settings, receives=not worker)
        if problems:
            raise ConfigError(problems)
        return settings


def _slack_problems(settings: Settings, *, receives: bool = True) -> list[str]:
    problems = []
    if bool(settings.client_id) != bool(settings.client_secret):
        missing = "SLACK_CLIENT_SECRET" if settings.client_id else "SLACK_CLIENT_ID"
        problems.append(
            f"{missing} is missing: multi-workspace install needs both SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET (Basic Information → App Credentials)."
        )
    token = settings.bot_token
    if settings.multi_workspace:
        if token:
            problems.append(
                "SLACK_BOT_TOKEN is set with SLACK_CLIENT_ID/SLACK_CLIENT_SECRET: choose one. "
                "Unset SLACK_BOT_TOKEN for multi-workspace install (each workspace's token comes "
                "from its install), or unset the client id and secret for one workspace."
            )
        if settings.app_token:
            problems.append(
                "SLACK_APP_TOKEN is set with SLACK_CLIENT_ID: the install pages "
                "(/slack/install) need HTTP mode. Unset SLACK_APP_TOKEN."
            )
    elif not token:
        problems.append(f"SLACK_BOT_TOKEN is missing: {_GET_BOT_TOKEN}.")
    if token and not token.startswith(("xoxb-", "xoxe.xoxb-")):
        problems.append(f"SLACK_BOT_TOKEN is not a bot token: {_GET_BOT_TOKEN}.")
    if settings.app_token and not settings.app_token.startswith("xapp-"):
        problems.append(f"SLACK_APP_TOKEN is not an app-level token: {_GET_APP_TOKEN}.")
    if not receives:
        return problems  # the worker process: no Socket Mode, no requests to verify
    if settings.socket_mode and not settings.app_token:
        problems.append(f"SLACK_APP_TOKEN is missing (needed for Socket Mode): {_GET_APP_TOKEN}.")
    if not settings.socket_mode and not settings.signing_secret:
        served = ""
        if settings.app_token:
            served = " (SLACK_APP_TOKEN is ignored: gunicorn serves HTTP only)"
        problems.append(
            f"SLACK_SIGNING_SECRET is missing: serving HTTP needs it to verify that requests "
            f"come from Slack{served}. {_GET_SIGNING_SECRET[0].upper()}{_GET_SIGNING_SECRET[1:]}."
        )
    return problems


def _submission_worker(env: Mapping[str, str], problems: list[str]) -> str:
    value = env.get("SUBMISSION_WORKER", "inline").lower()
    if value not in ("inline", "separate"):
        problems.append(
            "SUBMISSION_WORKER must be inline (the web process creates the segments it records; "
            f"the default) or separate (a `python -m bot worker` process does; got {value!r})."
        )
    return value


def _url(env: Mapping[str, str], name: str, default: str, problems: list[str]) -> str:
    value = env.get(name, default)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(f"{name} must be an http(s) URL such as {default} (got {value!r}).")
    return value


def _database_url(env: Mapping[str, str], problems: list[str]) -> str:
    url = normalise_database_url(env.get("DATABASE_URL"))
    if not (is_sqlite(url) or url.startswith("postgresql+psycopg://")):
        problems.append(
            "DATABASE_URL must be a sqlite:/// path or a postgres:// / postgresql:// URL "
            "(leave it unset for the default SQLite file bunce_bot.sqlite3)."
        )
    return url


def _encryption_keys(env: Mapping[str, str], problems: list[str]) -> tuple[str, ...]:
    keys = tuple(part.strip() for part in env.get("ENCRYPTION_KEY", "").split(",") if part.strip())
    for position, key in enumerate(keys, start=1):
        if not validate_fernet_key(key):
            problems.append(
                f"ENCRYPTION_KEY entry {position} is not a Fernet key (32 url-safe base64 bytes): "
                f"{_GET_FERNET_KEY}."
            )
    url = normalise_database_url(env.get("DATABASE_URL"))
    if not keys and not is_sqlite(url):
        problems.append(
            "ENCRYPTION_KEY is required with PostgreSQL (Bunce keys are encrypted at rest and "
            f"every web process must share the key): {_GET_FERNET_KEY}."
        )
    return keys


def _admin_user_ids(env: Mapping[str, str], problems: list[str]) -> frozenset[str]:
    ids = {part.strip() for part in env.get("BUNCE_ADMIN_USER_IDS", "").split(",") if part.strip()}
    bad = sorted(i for i in ids if not re.fullmatch(r"[UW][A-Z0-9]{2,}", i))
    if bad:
        problems.append(
            "BUNCE_ADMIN_USER_IDS must be Slack user ids separated by commas, like "
            f"U0123ABCD (not names): check {', '.join(bad[:3])}."
        )
    return frozenset(ids)


def _seconds(
    env: Mapping[str, str],
    name: str,
    default: float,
    bounds: tuple[float, float],
    problems: list[str],
) -> float:
    """A duration in seconds within `bounds`; the default (and a problem) when it isn't one."""
    raw = env.get(name, str(default))
    try:
        seconds = float(raw)
    except ValueError:
        seconds = float("nan")
    low, high = bounds
    if not low <= seconds <= high:
        problems.append(f"{name} must be between {low:g} and {high:g} (got {raw!r}).")
        return default
    return seconds


def _web_concurrency(env: Mapping[str, str]) -> int:
    """The Procfile's processes per host (gunicorn --workers); 1 when unset or not a number."""
    raw = env.get("WEB_CONCURRENCY", "1")
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1


def _count(
    env: Mapping[str, str],
    name: str,
    default: int,
    bounds: tuple[int, int],
    problems: list[str],
    why: str,
) -> int:
    """A whole number within `bounds`; the default (and a problem) when it isn't one."""
    raw = env.get(name, str(default))
    low, high = bounds
    if raw.isdigit() and low <= int(raw) <= high:
        return int(raw)
    problems.append(f"{name} must be a whole number from {low} to {high} ({why}; got {raw!r}).")
    return default


def _segment_url_template(env: Mapping[str, str], problems: list[str]) -> str | None:
    template = env.get("BUNCE_SEGMENT_URL_TEMPLATE")
    if template is None:
        return None
    parts = urlsplit(template.replace("{id}", "x"))
    if "{id}" not in template or parts.scheme != "https" or not parts.hostname:
        problems.append(
            "BUNCE_SEGMENT_URL_TEMPLATE must be an https URL containing {id}, such as "
            "https://app.bunce.so/segments/{id}."
        )
        return None
    return template


def _port(env: Mapping[str, str], problems: list[str]) -> int:
    raw = env.get("PORT", str(DEFAULT_PORT))
    if raw.isdigit() and 0 < int(raw) < 65536:
        return int(raw)
    problems.append(f"PORT must be a number between 1 and 65535 (got {raw!r}).")
    return DEFAULT_PORT


def _log_level(env: Mapping[str, str], problems: list[str]) -> str:
    level = env.get("LOG_LEVEL", "INFO").upper()
    if level not in logging.getLevelNamesMapping():
        problems.append(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR (got {level!r}).")
        return "INFO"
    return level
