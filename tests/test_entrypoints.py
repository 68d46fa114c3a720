"""The commands of the README, run as a person would: `python -m bot`, the CLI, and gunicorn."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.world import exec_line

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk_live_CLItestKEYvalue00009876"


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """No Slack variables from the developer's shell; the database in the test's folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BUNCE_"))}
    env.pop("DATABASE_URL", None)
    env.pop("ENCRYPTION_KEY", None)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def run_bot(
    tmp_path: Path, *args: str, stdin: str = "", **extra: str
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,  # no .env there
        env=clean_env(tmp_path, **extra),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 20.0) -> requests.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early: {process.stderr.read() if process.stderr else ''}")
        try:
            # The port may accept before the worker has loaded the app: allow a slow first answer.
            return requests.get(url, timeout=max(deadline - time.monotonic(), 0.1))
        except requests.ConnectionError:
            time.sleep(0.05)  # polling a port for readiness, bounded by the deadline
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_without_configuration_it_exits_2_with_one_clear_message(tmp_path: Path) -> None:
    result = run_bot(tmp_path)

    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is missing" in result.stderr
    assert "SLACK_SIGNING_SECRET is missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_keys_set_list_delete_never_print_the_key(tmp_path: Path) -> None:
    stored = run_bot(tmp_path, "keys", "set", "T0001", stdin=KEY + "\n")
    listed = run_bot(tmp_path, "keys", "list")
    deleted = run_bot(tmp_path, "keys", "delete", "T0001")
    after = run_bot(tmp_path, "keys", "list")

    assert stored.returncode == 0, stored.stderr
    assert "sk_live_…9876" in stored.stdout
    assert "T0001" in listed.stdout and "live" in listed.stdout and "sk_live_…9876" in listed.stdout
    assert deleted.returncode == 0
    assert "T0001" not in after.stdout
    for result in (stored, listed, deleted, after):
        assert KEY not in result.stdout + result.stderr
    key_file = tmp_path / "bot.sqlite3.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert KEY.encode() not in (tmp_path / "bot.sqlite3").read_bytes()


def test_keys_set_refuses_a_wrong_prefix_and_stores_nothing(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "keys", "set", "T0001", stdin="pk_live_whatever\n")
    listed = run_bot(tmp_path, "keys", "list")

    assert result.returncode == 1
    assert "sk_live_ or sk_test_" in result.stderr
    assert "pk_live_whatever" not in result.stderr
    assert "No workspace has a Bunce key" in listed.stdout


@pytest.fixture
def served(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, subprocess.Popen]]:
    port = free_port()
    env = clean_env(
        tmp_path,
        SLACK_SIGNING_SECRET="entrypoint-secret",
        SLACK_BOT_TOKEN="xoxb-entrypoint",
        PORT=str(port),
    )
    command = request.param(port)
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    yield f"http://127.0.0.1:{port}", process
    process.terminate()
    process.wait(timeout=30)


def _python_m_bot(port: int) -> list[str]:
    return [sys.executable, "-m", "bot"]


def _procfile_web(port: int) -> list[str]:
    """The Procfile's web: command, with $PORT expanded as the platform would."""
    lines = (ROOT / "Procfile").read_text().splitlines()
    line = next(text for text in lines if text.startswith("web:"))
    command = line.removeprefix("web:").strip().replace("$PORT", str(port))
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return ["bash", "-c", exec_line(command.replace(" gunicorn ", f" {gunicorn} ", 1))]


@pytest.mark.parametrize("served", [_python_m_bot, _procfile_web], indirect=True)
def test_serves_healthz_and_slack_events(served: tuple[str, subprocess.Popen]) -> None:
    url, process = served

    health = wait_healthy(url + "/healthz", process)
    unsigned = requests.post(url + "/slack/events", data={"command": "/segment"}, timeout=5)
    missing = requests.get(url + "/nowhere", timeout=5)

    assert health.status_code == 200
    assert health.json() == {"ok": True}
    assert unsigned.status_code == 401  # Bolt refuses what Slack didn't sign
    assert missing.status_code == 404
    assert json.loads(health.text) == {"ok": True}


@pytest.fixture
def gunicorn_with_app_token(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """The Procfile's web process, configured as a developer's .env often is: with the app-level
    token left over from Socket Mode."""
    port = free_port()
    env = clean_env(
        tmp_path,
        SLACK_SIGNING_SECRET="entrypoint-secret",
        SLACK_BOT_TOKEN="xoxb-entrypoint",
        SLACK_APP_TOKEN="xapp-1-A0LEFTOVER-entrypoint",
        PORT=str(port),
    )
    process = subprocess.Popen(
        _procfile_web(port), cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    yield f"http://127.0.0.1:{port}", process
    process.terminate()
    process.wait(timeout=30)


def test_gunicorn_verifies_signatures_even_with_an_app_token(
    gunicorn_with_app_token: tuple[str, subprocess.Popen],
) -> None:
    url, process = gunicorn_with_app_token
    wait_healthy(url + "/healthz", process)
    # A forged uninstall: if it were dispatched, every secret of T0001 would be deleted.
    forged = {
        "type": "event_callback",
        "team_id": "T0001",
        "api_app_id": "A0BUNCE",
        "event": {"type": "app_uninstalled"},
        "event_id": "Ev0FORGED",
        "event_time": int(time.time()),
    }

    unsigned = requests.post(url + "/slack/events", json=forged, timeout=5)
    badly_signed = requests.post(
        url + "/slack/events",
        json=forged,
        headers={
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
        timeout=5,
    )

    assert unsigned.status_code == 401
    assert badly_signed.status_code == 401


def test_gunicorn_refuses_to_start_without_a_signing_secret(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-entrypoint",
        SLACK_APP_TOKEN="xapp-1-A0LEFTOVER-entrypoint",
        PORT=str(port),
    )
    result = subprocess.run(
        _procfile_web(port),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "SLACK_SIGNING_SECRET is missing" in result.stderr
    assert "SLACK_APP_TOKEN is ignored" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_m_bot_over_http_refuses_to_start_without_a_signing_secret(tmp_path: Path) -> None:
    result = run_bot(tmp_path, SLACK_BOT_TOKEN="xoxb-entrypoint")

    assert result.returncode == 2
    assert "SLACK_SIGNING_SECRET is missing" in result.stderr
