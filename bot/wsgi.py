"""The WSGI entry point for gunicorn: `bot.wsgi:application` serves /healthz and /slack/events."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.engine import Engine

from bot.store.db import ping

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's largest payloads (a 100-block modal's state) are well under this.
MAX_BODY_BYTES = 1024 * 1024
HEALTH_PATH = "/healthz"
SSL_CHECK_ANSWER = "200 OK"

# Inside gunicorn's --graceful-timeout (25 s in the Procfile): in-flight submissions finish or
# are handed back (lease released) so another process resumes them at once.
GRACEFUL_SECONDS = 20.0

# gunicorn halts (rather than respawning workers forever) when a worker exits with this code.
GUNICORN_APP_LOAD_ERROR = 4

StartResponse = Callable[..., Any]


class Application:
    """Routes /healthz here; checks size and signature of Slack's requests before Bolt sees them."""

    def __init__(
        self,
        app: App,
        engine: Engine,
        on_close: Callable[[], None] | None = None,
        *,
        signing_secret: str | None = None,
    ) -> None:
        self.slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self.engine = engine
        self._on_close = on_close
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None

    def close(self) -> None:
        """Stop background work (called on SIGTERM: gunicorn's worker_exit, or python -m bot)."""
        if self._on_close is not None:
            self._on_close()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method == "GET":
            return self.health(start_response)
        if path == EVENTS_PATH and method == "POST":
            answer = self._screen(environ)
            if answer is not None:
                start_response(answer, [("Content-Type", "text/plain; charset=utf-8")])
                return [b"" if answer == SSL_CHECK_ANSWER else answer.encode()]
        return self.slack(environ, start_response)

    def _screen(self, environ: dict[str, Any]) -> str | None:
        """Refuse oversized or unsigned requests before anything parses them (log no body), and
        answer Slack's ssl_check; None lets Bolt handle the request."""
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            logger.warning("refused request: body length=%s over the limit", length)
            return "413 Payload Too Large"
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)  # Bolt reads it again
        if _is_ssl_check(environ, body):
            # Slack checks the certificate of a distributed app's command URL with an unsigned
            # `ssl_check=1` POST and wants a 200 (api.slack.com/interactivity/slash-commands).
            # Answered here, as Bolt's SslCheck middleware does, with nothing dispatched.
            logger.debug("answered Slack's ssl_check")
            return SSL_CHECK_ANSWER
        if self._verifier is None:
            # Socket Mode: Slack sends nothing here, so anything that arrives is refused.
            logger.warning("refused request: no signing secret to verify it (Socket Mode)")
            return "401 Unauthorized"
        headers = {
            "x-slack-request-timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
            "x-slack-signature": environ.get("HTTP_X_SLACK_SIGNATURE", ""),
        }
        if not _valid(self._verifier, body, headers):
            logger.warning(
                "refused request: missing or invalid Slack signature, or a stale timestamp "
                "(timestamp=%s length=%s)",
                headers["x-slack-request-timestamp"][:20] or "-",
                length,
            )
            return "401 Unauthorized"
        return None

    def health(self, start_response: StartResponse) -> Iterable[bytes]:
        """200 when the database answers; 503 tells the load balancer to route elsewhere."""
        ok = ping(self.engine)
        body = json.dumps({"ok": ok}).encode()
        status = "200 OK" if ok else "503 Service Unavailable"
        headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
        start_response(status, headers)
        return [body]


def _is_ssl_check(environ: dict[str, Any], body: bytes) -> bool:
    if not str(environ.get("CONTENT_TYPE", "")).startswith("application/x-www-form-urlencoded"):
        return False
    if b"ssl_check" not in body:
        return False  # parsing every payload only to look for it cost 11% of a submit's ack
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return False
    return fields.get("ssl_check") == ["1"]


def _valid(verifier: SignatureVerifier, body: bytes, headers: dict[str, str]) -> bool:
    try:
        return verifier.is_valid_request(body, headers)
    except ValueError:  # a timestamp that isn't a number
        return False


def build_application(environ: Mapping[str, str], *, socket_mode: bool = False) -> Application:
    """Settings → services → worker → Bolt app → WSGI app; raises ConfigError when misconfigured.

    Only `python -m bot` passes socket_mode=True (it then never serves /slack/events over HTTP).
    """
    from bot.app import create_app
    from bot.config import Settings
    from bot.create.worker import SubmissionWorker
    from bot.deps import build_services
    from bot.log import configure_logging
    from bot.slack.clients import client_factory
    from bot.store.db import init_db

    settings = Settings.from_env(environ, socket_mode=socket_mode)
    configure_logging(settings.log_level)
    services = build_services(settings)
    init_db(services.engine)  # idempotent and race-safe; the release step is then a formality
    worker = SubmissionWorker(
        services.create_deps(),
        client_factory(settings, services.installations),
        lease_seconds=settings.worker_lease_seconds,
        hand_off=settings.separate_worker,
        grace=settings.worker_grace_seconds,
    )
    worker.start()

    def close() -> None:
        worker.stop(grace=GRACEFUL_SECONDS)
        services.close()

    app = create_app(settings, services, worker)
    return Application(app, services.engine, close, signing_secret=settings.signing_secret)


def _load_from_environment() -> Application:
    from dotenv import load_dotenv

    from bot.config import ConfigError, drop_empty_slack_variables

    load_dotenv(override=False)  # the real environment wins over .env
    drop_empty_slack_variables(os.environ)  # type: ignore[arg-type]
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
