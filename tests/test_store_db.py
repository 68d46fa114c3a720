"""bot.store.db's error boundary, and what a process on SQLite loads."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

import pytest

from bot.store.db import GroupCommit, StoreError, database_errors
from tests.harness import wait_until


def test_a_process_on_sqlite_does_not_load_the_postgresql_driver() -> None:
    """~9 MB and 60 ms per process (issue 15): psycopg is loaded only by a PostgreSQL engine."""
    code = "import sys, bot.wsgi; print('psycopg' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "False"


def test_driver_errors_become_store_errors_without_their_message() -> None:
    import psycopg  # as a PostgreSQL engine would have loaded it

    for error in (sqlite3.OperationalError("disk I/O"), psycopg.OperationalError("host=db pw=x")):
        with pytest.raises(StoreError) as caught, database_errors("reading"):
            raise error
        assert "pw=x" not in str(caught.value) and type(error).__name__ in str(caught.value)


def test_group_commit_batches_concurrent_items_and_answers_each_its_own() -> None:
    gate, batches = threading.Event(), []

    def write(items: list[int]) -> list[int]:
        batches.append(list(items))
        gate.wait(5)  # the first batch holds the writer while the others queue up
        return [item * 10 for item in items]

    group = GroupCommit(write, name="test-writer")
    results: dict[int, int] = {}
    threads = [
        threading.Thread(target=lambda n=n: results.__setitem__(n, group.run(n))) for n in range(6)
    ]
    for thread in threads:
        thread.start()
    wait_until(lambda: batches and len(batches[0]) + group._queue.qsize() == 6, timeout=5)
    gate.set()
    for thread in threads:
        thread.join(5)

    assert results == {n: n * 10 for n in range(6)}
    assert sorted(n for batch in batches for n in batch) == list(range(6))
    assert len(batches) == (1 if len(batches[0]) == 6 else 2)  # all that waited went together


def test_group_commit_gives_every_item_of_a_failed_batch_the_error() -> None:
    def write(items: list[int]) -> list[int]:
        raise StoreError("database unavailable (test)")

    group = GroupCommit(write, name="test-writer")

    with pytest.raises(StoreError, match="unavailable"):
        group.run(1)
    with pytest.raises(StoreError, match="unavailable"):
        group.run(2)  # the writer thread carries on after a failed batch
