"""The real app on loopback with fake Slack and fake Bunce, driven by requests signed like Slack."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from cryptography.fernet import Fernet

from bot import ids
from bot.app import create_app
from bot.bunce.limiter import RateLimiter
from bot.config import Settings
from bot.create.once import Policy
from bot.create.worker import SubmissionWorker
from bot.deps import Services, build_services
from bot.devserver import create_server
from bot.slack.clients import client_factory
from bot.store.db import init_db
from bot.store.submissions import SubmissionDraft, SubmissionRecord
from bot.tenant import Workspace
from bot.wsgi import Application
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi

# Retries as in production, with the waits shrunk so fault tests take seconds.
FAST_POLICY = Policy(
    backoff=0.05,
    max_backoff=0.2,
    recheck_delay=0.2,
    max_rate_wait=5.0,
    settle_seconds=1.5,
    max_recheck_delay=0.5,
)

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
TEAM = "T0001"
OTHER_TEAM = "T0002"
TOKENS = {TEAM: "xoxb-fake-team-one", OTHER_TEAM: "xoxb-fake-team-two"}
LIVE_KEY = "sk_live_FAKEtestkeyONEabcd1234"
OTHER_KEY = "sk_live_FAKEtestkeyTWOwxyz9876"
SANDBOX_KEY = "sk_test_FAKEsandboxkeyqrst5555"
USER = "U0USER1"  # an ordinary member
ADMIN = "U0ADMIN1"  # a Slack workspace admin
CHANNEL = "C0PUBLIC"  # public, the bot is a member
APP_ID = "A0BUNCE"


class TrackingExecutor(ThreadPoolExecutor):
    """The background pool, observable: tests wait until every submitted job has finished."""

    def __init__(self) -> None:
        super().__init__(8, thread_name_prefix="test-bunce-work")
        self.futures: list[Future[Any]] = []
        self._lock = threading.Lock()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self.futures.append(future)
        return future

    def wait_idle(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        with self._lock:
            futures = list(self.futures)
        for future in futures:
            future.result(timeout=max(deadline - time.monotonic(), 0.01))


def wait_until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """For effects with no Slack call to wait on (event listeners run after the ack)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)  # polling a store, bounded by the deadline


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 signature (api.slack.com/authentication/verifying-requests-from-slack)."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def state_for(
    name: str | None = "",
    description: str | None = None,
    add_all: bool = False,
    channel: str | None = CHANNEL,
) -> dict[str, Any]:
    """view.state as Slack sends it for the create modal (empty inputs arrive as null)."""
    option = {
        "text": {
            "type": "plain_text",
            "text": "Add every existing customer to this segment",
            "emoji": True,
        },
        "value": ids.ADD_ALL_OPTION,
    }
    return {
        "values": {
            ids.NAME: {ids.NAME: {"type": "plain_text_input", "value": name or None}},
            ids.DESCRIPTION: {
                ids.DESCRIPTION: {"type": "plain_text_input", "value": description or None}
            },
            ids.ADD_ALL: {
                ids.ADD_ALL: {"type": "checkboxes", "selected_options": [option] if add_all else []}
            },
            ids.ANNOUNCE: {
                ids.ANNOUNCE: {"type": "conversations_select", "selected_conversation": channel}
            },
        }
    }


@dataclass
class Harness:
    """One running app: `send_*` post signed requests; the fakes record what the app did."""

    slack: FakeSlackApi
    bunce: FakeBunceApi
    settings: Settings
    services: Services
    url: str
    background: TrackingExecutor
    worker: SubmissionWorker
    server: Any = None
    http: requests.Session = field(default_factory=requests.Session)

    # -- requests as Slack sends them ---------------------------------------------------------
    def post(
        self,
        body: str,
        *,
        content_type: str = "application/x-www-form-urlencoded",
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        ts = int(time.time()) if timestamp is None else timestamp
        signed = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature or sign(body, ts),
            **(headers or {}),
        }
        return self.http.post(
            self.url + "/slack/events", data=body.encode(), headers=signed, timeout=10
        )

    def send_command(
        self,
        text: str = "",
        *,
        team_id: str = TEAM,
        user_id: str = USER,
        channel_id: str = CHANNEL,
        trigger_id: str | None = None,
        response_url: str | None = None,
        enterprise_id: str | None = None,
        is_enterprise_install: bool = False,
    ) -> requests.Response:
        fields = {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "team_domain": "example",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": "alice",
            "command": ids.COMMAND,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "true" if is_enterprise_install else "false",
            "response_url": response_url or self.slack.response_url(),
            "trigger_id": trigger_id or self.slack.issue_trigger(),
        }
        if enterprise_id:
            fields["enterprise_id"] = enterprise_id
        return self.post(urlencode(fields))

    def send_payload(self, payload: dict[str, Any]) -> requests.Response:
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def send_submission(
        self,
        view: dict[str, Any],
        state: dict[str, Any],
        *,
        team_id: str = TEAM,
        user_id: str = USER,
        response_urls: list[dict[str, Any]] | None = None,
        enterprise_id: str | None = None,
        is_enterprise_install: bool = False,
    ) -> requests.Response:
        # Slack names the workspace whose installation owns the view; the app is installed in
        # every workspace the fake knows, so that is the submitter's workspace.
        submitted = {**view, "state": state, "app_installed_team_id": team_id}
        payload = {
            "type": "view_submission",
            "team": {"id": team_id, "domain": "example", "enterprise_id": enterprise_id},
            "user": {"id": user_id, "username": "alice", "name": "alice", "team_id": team_id},
            "api_app_id": APP_ID,
            "token": "deprecated-verification-token",
            "trigger_id": self.slack.issue_trigger(),
            "view": submitted,
            "response_urls": response_urls if response_urls is not None else [],
            "is_enterprise_install": is_enterprise_install,
            "enterprise": {"id": enterprise_id, "name": "Org"} if enterprise_id else None,
        }
        return self.send_payload(payload)

    def send_action(
        self,
        view: dict[str, Any],
        action_id: str,
        *,
        team_id: str = TEAM,
        user_id: str = USER,
        **action: Any,
    ) -> requests.Response:
        """A block_actions payload from a view (a modal or the Home tab)."""
        payload = {
            "type": "block_actions",
            "team": {"id": team_id, "domain": "example"},
            "user": {"id": user_id, "username": "someone", "team_id": team_id},
            "api_app_id": APP_ID,
            "trigger_id": self.slack.issue_trigger(),
            "container": {"type": "view", "view_id": view.get("id", "VHOME")},
            "view": view,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": action_id,
                    "action_ts": str(time.time()),
                    **action,
                }
            ],
            "is_enterprise_install": False,
        }
        return self.send_payload(payload)

    def send_home_action(
        self, action_id: str, *, user_id: str = USER, team_id: str = TEAM, **action: Any
    ) -> requests.Response:
        """A click on the Home tab as `user_id` sees it (or a crafted one if they can't)."""
        view = self.slack.home_views.get(user_id) or {"id": "VHOME", "type": "home", "blocks": []}
        return self.send_action(view, action_id, team_id=team_id, user_id=user_id, **action)

    def send_event(
        self,
        event: dict[str, Any],
        *,
        team_id: str = TEAM,
        enterprise_id: str | None = None,
        is_enterprise_install: bool = False,
    ) -> requests.Response:
        """An Events API callback; on Enterprise Grid it names the org (api.slack.com/apis/
        events-api#callback-field: enterprise_id, is_ext_shared_channel, authorizations)."""
        body = {
            "token": "deprecated-verification-token",
            "team_id": team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "is_ext_shared_channel": False,
            "authorizations": [
                {
                    "enterprise_id": enterprise_id,
                    "team_id": None if is_enterprise_install else team_id,
                    "user_id": "UBOT",
                    "is_bot": True,
                    "is_enterprise_install": is_enterprise_install,
                }
            ],
        }
        if enterprise_id:
            body["enterprise_id"] = enterprise_id
        return self.post(json.dumps(body), content_type="application/json")

    # -- journeys -----------------------------------------------------------------------------
    def open_modal(self, text: str = "", **command: Any) -> dict[str, Any]:
        """Run /segment and return the modal as Slack holds it (with id and hash)."""
        before = len(self.slack.calls("views.open"))
        response = self.send_command(text, **command)
        assert response.status_code == 200, response.text
        call = self.slack.wait_for("views.open", before + 1)[-1]
        assert call.response and call.response.get("ok"), call.response
        return call.response["view"]

    def orphan(
        self, name: str = "Orphan", *, team_id: str = TEAM, user_id: str = USER
    ) -> SubmissionRecord:
        """A submission acked by a process that died before working it (its lease released):
        recovery, in this process or another, resumes it."""
        draft = SubmissionDraft(
            view_id="V0GONE",
            input_hash=hashlib.sha256(name.encode()).hexdigest(),
            team_id=team_id,
            enterprise_id=None,
            is_enterprise_install=False,
            user_id=user_id,
            name=name,
            description="",
            add_all_customers=False,
            channel_id=CHANNEL,
            origin_channel_id=CHANNEL,
            thread_ts=None,
            response_url=None,
            announce_response_url=None,
        )
        record, _ = self.services.submissions.open(draft, owner="a-dead-process", lease_seconds=60)
        self.services.submissions.release(record.id, owner="a-dead-process")
        return record

    def store_key(self, key: str = LIVE_KEY, team_id: str = TEAM) -> None:
        self.bunce.add_key(key)
        self.services.keys.put(team_id, key, set_by="test")
        self.services.lookup.forget(Workspace(team_id))


def start_harness(
    database_url: str,
    slack: FakeSlackApi,
    bunce: FakeBunceApi,
    env: dict[str, str | None] | None = None,
    bunce_timeout: tuple[float, float] = (1.0, 2.0),
    bunce_per_minute: int | None = None,
) -> Harness:
    """Settings pointed at the fakes, real services, the real WSGI app on a loopback port.

    `env` overrides the environment (a None value removes the variable).
    """
    for team, token in TOKENS.items():
        slack.add_workspace(team, token)
    slack.add_channel(CHANNEL, is_member=True, name="general")
    slack.add_user(USER, team_id=TEAM, name="alice")
    slack.add_user(ADMIN, team_id=TEAM, name="ada", is_admin=True)
    environ: dict[str, str | None] = {
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_BOT_TOKEN": TOKENS[TEAM],
        "SLACK_API_URL": slack.base_url,
        "BUNCE_API_URL": bunce.live_url,
        "BUNCE_SANDBOX_API_URL": bunce.sandbox_url,
        "DATABASE_URL": database_url,
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        **(env or {}),
    }
    settings = Settings.from_env({k: v for k, v in environ.items() if v is not None})
    background = TrackingExecutor()
    limiter = RateLimiter(bunce_per_minute) if bunce_per_minute else None
    services = build_services(
        settings, background=background, timeout=bunce_timeout, limiter=limiter
    )
    init_db(services.engine)
    worker = SubmissionWorker(
        services.create_deps(),
        client_factory(settings, services.installations),
        lease_seconds=settings.worker_lease_seconds,
        policy=FAST_POLICY,
        hand_off=settings.separate_worker,
        grace=settings.worker_grace_seconds,
    )
    application = Application(
        create_app(settings, services, worker),
        services.engine,
        signing_secret=settings.signing_secret,
    )
    server = create_server(application, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    return Harness(slack, bunce, settings, services, url, background, worker, server)


def stop_harness(harness: Harness) -> None:
    harness.background.wait_idle()
    harness.worker.stop(grace=5)
    harness.server.shutdown()
    harness.server.server_close()
    harness.services.close()
