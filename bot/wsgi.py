"""The WSGI entry point for gunicorn: `bot.wsgi:application` serves /healthz and /slack/events."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.engine import Engine

from bot.store.db import ping

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

# gunicorn halts (rather than respawning workers forever) when a worker exits with this code.
GUNICORN_APP_LOAD_ERROR = 4

StartResponse = Callable[..., Any]


class Application:
    """Routes /healthz here and everything else to Bolt's WSGI adapter."""

    def __init__(self, app: App, engine: Engine) -> None:
        self.slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self.engine = engine

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == HEALTH_PATH and environ.get("REQUEST_METHOD") == "GET":
            return self.health(start_response)
        return self.slack(environ, start_response)

    def health(self, start_response: StartResponse) -> Iterable[bytes]:
        """200 when the database answers; 503 tells the load balancer to route elsewhere."""
        ok = ping(self.engine)
        body = json.dumps({"ok": ok}).encode()
        status = "200 OK" if ok else "503 Service Unavailable"
        headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        start_response(status, headers)
        return [body]


def build_application(environ: Mapping[str, str]) -> Application:
    """Settings → services → Bolt app → WSGI app; raises ConfigError for bad configuration."""
    from bot.app import create_app
    from bot.config import Settings
    from bot.log import configure_logging
    from bot.services import build_services
    from bot.store.db import init_db

    settings = Settings.from_env(environ)
    configure_logging(settings.log_level)
    services = build_services(settings)
    if settings.database_url.startswith("sqlite"):
        init_db(services.engine)  # embedded default: no separate release step to forget
    return Application(create_app(settings, services), services.engine)


def _load_from_environment() -> Application:
    from dotenv import load_dotenv

    from bot.config import ConfigError

    load_dotenv(override=False)  # the real environment wins over .env
    try:
        return build_application(os.environ)
    except ConfigError as error:
        print(error.render(), file=sys.stderr)
        raise SystemExit(GUNICORN_APP_LOAD_ERROR) from None


def __getattr__(name: str) -> Application:
    """Build `application` on first access (gunicorn's load), not at import."""
    if name == "application":
        globals()["application"] = app = _load_from_environment()
        return app
    raise AttributeError(name)
