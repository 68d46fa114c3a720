"""gunicorn server hooks (`--config python:bot.gunicorn_hooks`); the flags live in the Procfile."""

from __future__ import annotations

from typing import Any


def worker_exit(server: Any, worker: Any) -> None:
    """SIGTERM: finish or hand back in-flight submissions before the worker process ends."""
    from bot.wsgi import shutdown

    shutdown()
