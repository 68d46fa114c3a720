"""The Procfile's `worker:` process (`python -m bot worker`): it works the submissions that web
processes record (SUBMISSION_WORKER=separate), so they only verify, record and ack.

It serves nothing: it polls the database for submissions nobody holds, creates each segment once,
posts its card and tells the person, under the same leases as everywhere else. Several may run
(on PostgreSQL); a stopped one hands its unfinished work back for another to resume.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Mapping

from bot.config import Settings

logger = logging.getLogger(__name__)

# Inside a platform's stop window (Heroku gives 30 s): running submissions finish or are handed
# back with their lease released.
GRACEFUL_SECONDS = 20.0
WORKER_NICENESS = 10


class WorkerProcess:
    """The worker and what it owns; `run` blocks until `stop` (a signal handler calls it)."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        from bot.create.worker import POLL_SECONDS, SubmissionWorker
        from bot.deps import BACKGROUND_THREADS, build_services
        from bot.log import configure_logging
        from bot.slack.clients import client_factory
        from bot.store.db import init_db

        settings = Settings.from_env(environ, serving=False, worker=True)
        # It is the separate worker, whatever the variable says (the Procfile sets it on web:).
        settings = dataclasses.replace(settings, submission_worker="separate")
        configure_logging(settings.log_level)
        self.services = build_services(settings)
        init_db(self.services.engine)
        self.worker = SubmissionWorker(
            self.services.create_deps(),
            client_factory(settings, self.services.installations),
            lease_seconds=settings.worker_lease_seconds,
            poll_seconds=POLL_SECONDS,
            capacity=BACKGROUND_THREADS,
        )
        self._stopped = threading.Event()

    def run(self) -> None:
        # Acks have Slack's 3 s deadline; this work has none. Where both share a host's cores,
        # the web process is served first (no effect where the worker runs on its own host).
        os.nice(WORKER_NICENESS)
        self.worker.start()
        logger.info("worker process ready: working recorded submissions")
        self._stopped.wait()

    def stop(self) -> None:
        """Finish or hand back what is running, then release connections."""
        self.worker.stop(grace=GRACEFUL_SECONDS)
        self.services.close()
        self._stopped.set()
