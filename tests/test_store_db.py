"""bot.store.db's error boundary, and what a process on SQLite loads."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from bot.store.db import StoreError, database_errors


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
