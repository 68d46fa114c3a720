"""What a benchmark run stands on: the fakes, the database, the app under gunicorn, its memory."""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import resource
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.load import trigger_sent_at
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi, Workspace, _Trigger

ROOT = Path(__file__).resolve().parents[1]
PROCFILE = ROOT / "Procfile"
APP_SPEC = "bot.wsgi:application"
BASELINE_SPEC = "bench.baseline_app:application"
TRIGGER_TTL = 3.0  # Slack: a trigger_id expires 3 seconds after it was issued
# socketserver listens with a backlog of 5: a burst of new connections (slack_sdk opens one per
# call) overflows it and the kernel drops SYNs, which costs the client a 1 s retransmission.
# A real Slack or Bunce doesn't do that, so the fakes listen with a deeper queue here.
LISTEN_BACKLOG = 1024
# Only the access log's line format changes (flags are the Procfile's): request duration in
# microseconds and the load generator's X-Bench-Kind header, for server-side timings.
ACCESS_LOG_FORMAT = "bench %({x-bench-kind}i)s %(s)s %(D)s %(p)s"


class BenchSlack(FakeSlackApi):
    """The fake Slack, with two changes that only a benchmark needs.

    - A trigger id made by bench.load.trigger_id() is valid for 3 s from the moment the load
      generator (another process) sent the command, as if Slack had issued it then.
    - views.update by view_id is a dict lookup rather than a scan of every view, so the fake's
      own cost does not grow with the thousands of modals a run opens.
    - It listens with a deep accept queue (LISTEN_BACKLOG).
    """

    def start(self) -> BenchSlack:
        super().start()
        assert self._server is not None
        self._server.socket.listen(LISTEN_BACKLOG)  # Linux: listen() again resizes the queue
        return self

    def _take_trigger(self, args: dict[str, Any]) -> _Trigger:
        trigger = str(args.get("trigger_id") or "")
        sent = trigger_sent_at(trigger)
        if sent is not None and trigger not in self._triggers:
            self._triggers[trigger] = _Trigger(sent + TRIGGER_TTL, None)
        return super()._take_trigger(args)

    def _find_view(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        view = self.views.get(str(args.get("view_id") or ""))
        if view is not None and not args.get("external_id") and view["team_id"] == ws.team_id:
            return view
        return super()._find_view(ws, args)

    def clone_view(self, view_id: str) -> dict[str, Any]:
        """A new open modal identical to `view_id` (same private_metadata), as if opened again."""
        with self._lock:
            original = self.views[view_id]
            new_id = self._next_id("V")
            clone = {**original, "id": new_id, "root_view_id": new_id, "hash": f"{new_id}.bench"}
            self.views[new_id] = clone
            return clone


class BenchBunce(FakeBunceApi):
    """The fake Bunce, listening with a deep accept queue (LISTEN_BACKLOG)."""

    def start(self) -> BenchBunce:
        super().start()
        assert self._server is not None
        self._server.socket.listen(LISTEN_BACKLOG)
        return self


def procfile_web_command(
    port: int, *, app_spec: str = APP_SPEC, workers: int | None = None, threads: int | None = None
) -> str:
    """The Procfile's `web:` line with $PORT filled in, bound to loopback only.

    `app_spec` swaps the WSGI app (the baseline); `workers`/`threads` override the Procfile's
    values for tuning experiments. Every other flag is the Procfile's.
    """
    command = procfile_line("web")
    if command is None:
        raise RuntimeError(f"expected one web: line in {PROCFILE}")
    command = command.replace("${PORT}", str(port)).replace("$PORT", str(port))
    command = command.replace("0.0.0.0:", "127.0.0.1:")  # loopback only
    if app_spec != APP_SPEC:
        if APP_SPEC not in command:
            raise RuntimeError(f"{APP_SPEC} not found in the Procfile web: line")
        command = command.replace(f"'{APP_SPEC}'", shlex.quote(app_spec)).replace(
            APP_SPEC, app_spec
        )
    for flag, value in (("--workers", workers), ("--threads", threads)):
        if value is not None:
            command, n = re.subn(rf"{flag}[ =]\d+", f"{flag} {value}", command)
            if not n:
                command += f" {flag} {value}"
    return command


def procfile_line(name: str) -> str | None:
    """The Procfile's `name:` command, or None when it has no such process."""
    lines = [line for line in PROCFILE.read_text().splitlines() if line.startswith(f"{name}:")]
    if len(lines) > 1:
        raise RuntimeError(f"more than one {name}: line in {PROCFILE}")
    return lines[0][len(name) + 1 :].strip() if lines else None


_ASSIGNMENTS = re.compile(r"((?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*)(.*)", re.S)


def exec_line(command: str) -> str:
    """A Procfile command for `bash -c`, with `exec` so that signals reach the process itself
    (after any leading VAR=value assignments, which bash then passes on)."""
    match = _ASSIGNMENTS.fullmatch(command.strip())
    assert match is not None
    return f"{match.group(1)}exec {match.group(2)}"


def flag_value(command: str, flag: str) -> int | None:
    match = re.search(rf"{flag}[ =](\d+)", command)
    return int(match.group(1)) if match else None


def base_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The inherited environment minus Slack/Bunce/database settings, plus `extra`.

    SLACK_APP_TOKEN is set empty so that a developer's .env can't switch the app to Socket Mode
    (the real environment wins over .env). SLACK_CLIENT_ID/SECRET are left unset, not empty:
    Bolt enables its own OAuth when they are present at all, even empty.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BUNCE_", "GUNICORN_"))
        and k not in ("DATABASE_URL", "ENCRYPTION_KEY", "PORT", "WORKER_LEASE_SECONDS")
    }
    env["SLACK_APP_TOKEN"] = ""
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float, need_200: bool) -> float:
    """Poll `url` until it answers (200 if need_200); returns the monotonic time it did."""
    deadline = time.monotonic() + timeout
    with requests.Session() as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the app exited early with status {process.returncode}")
            try:
                response = http.get(url, timeout=max(deadline - time.monotonic(), 0.05))
                if response.status_code == 200 or not need_200:
                    return time.monotonic()
            except requests.ConnectionError:
                pass
            time.sleep(0.005)  # polling a port for readiness, bounded by the deadline
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@dataclass
class Served:
    """A running server process (gunicorn, or python -m bot) and where its output goes."""

    process: subprocess.Popen[bytes]
    url: str
    log_dir: Path
    spawned: float
    ready: float = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, grace: float) -> dict[str, Any]:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL the group after `grace` seconds."""
        started = time.monotonic()
        killed = False
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                killed = True
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)  # our own session, by id
                self.process.wait(timeout=10)
        # Workers left behind by a killed master would hold the port: end the group by its id.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        return {"seconds": round(time.monotonic() - started, 2), "killed_after_grace": killed}


_libc = ctypes.CDLL(None, use_errno=True)  # resolved here: the child only makes the call
_PR_SET_PDEATHSIG = 1


def _stop_with_parent() -> None:
    """In the child before exec: SIGTERM it if the benchmark dies (killed, timed out)."""
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(argv: list[str], env: dict[str, str], log_dir: Path, url: str) -> Served:
    """A process of the app in its own group (stop() ends its children too), its output in
    log_dir, stopped with the benchmark if the benchmark dies."""
    log_dir.mkdir(parents=True, exist_ok=True)
    spawned = time.monotonic()
    process = subprocess.Popen(
        argv,
        cwd=log_dir,
        env=env,
        stdout=(log_dir / "stdout.log").open("wb"),
        stderr=(log_dir / "stderr.log").open("wb"),
        start_new_session=True,
        preexec_fn=_stop_with_parent,
    )
    return Served(process, url, log_dir, spawned)


def start_server(
    argv: list[str],
    env: dict[str, str],
    port: int,
    log_dir: Path,
    *,
    need_200: bool,
    timeout: float,
) -> Served:
    served = spawn(argv, env, log_dir, f"http://127.0.0.1:{port}")
    url, process = served.url, served.process
    try:
        served.ready = wait_ready(url + "/healthz", process, timeout, need_200)
    except Exception:
        served.stop(grace=2)
        tail = (log_dir / "stderr.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"server did not start: {' '.join(argv)}\n{tail}") from None
    return served


def start_gunicorn(command: str, env: dict[str, str], port: int, log_dir: Path) -> Served:
    """The Procfile line through bash, with `exec` so SIGTERM reaches gunicorn itself."""
    env = {**env, "GUNICORN_CMD_ARGS": f"--access-logformat {shlex.quote(ACCESS_LOG_FORMAT)}"}
    need_200 = APP_SPEC in command  # the baseline has no /healthz: any answer means loaded
    return start_server(
        ["bash", "-c", exec_line(command)], env, port, log_dir, need_200=need_200, timeout=30
    )


WORKER_READY = b"worker process ready"


def start_worker(env: dict[str, str], log_dir: Path, timeout: float = 30) -> Served | None:
    """The Procfile's `worker:` process, if it has one, once it has said it is ready."""
    command = procfile_line("worker")
    if command is None:
        return None
    served = spawn(["bash", "-c", exec_line(command)], env, log_dir, url="")
    process = served.process
    deadline = served.spawned + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if WORKER_READY in (log_dir / "stderr.log").read_bytes():
            served.ready = time.monotonic()
            return served
        time.sleep(0.01)  # polling its log for readiness, bounded by the deadline
    served.stop(grace=2)
    tail = (log_dir / "stderr.log").read_text(errors="replace")[-3000:]
    raise RuntimeError(f"the worker process did not start: {command}\n{tail}")


@dataclass
class ServerLog:
    """Per phase label: request durations (ms) and requests served per worker pid."""

    timings: dict[str, list[float]] = field(default_factory=dict)
    per_worker: dict[str, dict[str, int]] = field(default_factory=dict)


def server_log(log_dir: Path) -> ServerLog:
    """What gunicorn logged with ACCESS_LOG_FORMAT."""
    log = ServerLog()
    path = log_dir / "stdout.log"
    if not path.exists():
        return log
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[0] == "bench" and parts[3].isdigit():
            log.timings.setdefault(parts[1], []).append(int(parts[3]) / 1000)
            workers = log.per_worker.setdefault(parts[1], {})
            pid = parts[4].strip("<>")
            workers[pid] = workers.get(pid, 0) + 1
    return log


# -- CPU and memory ---------------------------------------------------------------------------
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def machine_busy_seconds() -> float:
    """CPU time every process on the machine has used since boot (all cores, /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / _TICKS


def driver_cpu_seconds() -> float:
    """This process's CPU time: the fakes' server threads and the samplers."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(c) for c in f.read().split()]
    return out


def _status_kb(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values


@dataclass
class MemorySampler:
    """Samples VmRSS of a process tree every `interval` s: peak total, and each process's peak."""

    root: int
    interval: float = 0.1
    others: tuple[int, ...] = ()  # processes beside the tree (the worker process)
    peak_total_kb: int = 0
    peak_kb: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def tree(self) -> dict[int, int | None]:
        """pid -> parent (None for the root), master first."""
        tree: dict[int, int | None] = {self.root: None} | dict.fromkeys(self.others, -1)
        stack = [self.root, *self.others]
        while stack:
            pid = stack.pop()
            for child in _children(pid):
                tree[child] = pid
                stack.append(child)
        return tree

    def cpu_seconds(self) -> dict[int, float]:
        """CPU time so far of every process in the tree."""
        return {pid: cpu_seconds(pid) for pid in self.tree()}

    def sample(self) -> dict[int, int]:
        rss = {pid: _status_kb(pid).get("VmRSS", 0) for pid in self.tree()}
        self.peak_total_kb = max(self.peak_total_kb, sum(rss.values()))
        for pid, kb in rss.items():
            self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), kb)
        return rss

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> MemorySampler:
        self.sample()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def report(self) -> dict[str, Any]:
        """Now (after the run) and peak, MB: the master, each worker, and the whole tree."""
        now = self.sample()
        tree = self.tree()
        workers = [pid for pid, parent in tree.items() if parent == self.root]

        def mb(kb: int) -> float:
            return round(kb / 1024, 1)

        def hwm(pid: int) -> int:
            return max(_status_kb(pid).get("VmHWM", 0), self.peak_kb.get(pid, 0))

        return {
            "master_mb": mb(now.get(self.root, 0)),
            "workers_mb": [mb(now.get(pid, 0)) for pid in workers],
            "workers_peak_mb": [mb(hwm(pid)) for pid in workers],
            "others_mb": [mb(now.get(pid, 0)) for pid in self.others],
            "others_peak_mb": [mb(hwm(pid)) for pid in self.others],
            "total_mb": mb(sum(now.values())),
            "peak_total_mb": mb(self.peak_total_kb),
        }
