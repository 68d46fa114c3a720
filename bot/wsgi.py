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

# Inside gunicorn's --graceful-timeout (25 s in the Procfile): in-flight submissions finish or
# are handed back (lease released) so another process resumes them at once.
GRACEFUL_SECONDS = 20.0

# gunicorn halts (rather than respawning workers forever) when a worker exits with this code.
GUNICORN_APP_LOAD_ERROR = 4

StartResponse = Callable[..., Any]


class Application:
    """Routes /healthz here and everything else to Bolt's WSGI adapter."""

    def __init__(
        self, app: App, engine: Engine, on_close: Callable[[], None] | None = None
    ) -> None:
        self.slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self.engine = engine
        self._on_close = on_close

    def close(self) -> None:
        """Stop background work (called on SIGTERM: gunicorn's worker_exit, or python -m bot)."""
        if self._on_close is not None:
            self._on_close()

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
    """Settings → services → worker → Bolt app → WSGI app; raises ConfigError when misconfigured."""
    from bot.app import create_app
    from bot.config import Settings
    from bot.log import configure_logging
    from bot.services import build_services
    from bot.slack_clients import client_factory
    from bot.store.db import init_db
    from bot.worker import SubmissionWorker

    settings = Settings.from_env(environ)
    configure_logging(settings.log_level)
    services = build_services(settings)
    init_db(services.engine)  # idempotent and race-safe; the release step is then a formality
    worker = SubmissionWorker(
        services,
        client_factory(settings, services.installations),
        lease_seconds=settings.worker_lease_seconds,
    )
    worker.start()

    def close() -> None:
        worker.stop(grace=GRACEFUL_SECONDS)
        services.close()

    return Application(create_app(settings, services, worker), services.engine, close)


def _load_from_environment() -> Application:
    from dotenv import load_dotenv

    from bot.config import ConfigError

    load_dotenv(override=False)  # the real environment wins over .env
    try:
        return build_application(os.environ)
    except ConfigError as error:
        print(error.render(), file=sys.stderr)
        raise SystemExit(GUNICORN_APP_LOAD_ERROR) from None


def shutdown() -> None:
    """gunicorn's worker_exit hook (bot/gunicorn_hooks.py) calls this on SIGTERM."""
    app = globals().get("application")
    if isinstance(app, Application):
        app.close()


def __getattr__(name: str) -> Application:
    """Build `application` on first access (gunicorn's load), not at import."""
    if name == "application":
        globals()["application"] = app = _load_from_environment()
        return app
    raise AttributeError(name)
