"""Shared fixtures: databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from bot.store.crypto import KeyCipher
from bot.store.db import create_engine_for, init_db
from tests.clock import Clock
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi
from tests.harness import Harness, start_harness, stop_harness

PG_URL_ENV = "TEST_DATABASE_URL"


def _postgres_url() -> str:
    url = os.environ.get(PG_URL_ENV)
    if not url:
        pytest.skip(f"{PG_URL_ENV} is not set: PostgreSQL tests run in CI (.ci/run sets it)")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    import sqlalchemy as sa

    base = _postgres_url()
    schema = "t_" + uuid.uuid4().hex[:12]
    driver_url = base.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "postgres://", "postgresql+psycopg://", 1
    )
    admin = sa.create_engine(driver_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A SQLite file in the test's own folder."""
    return f"sqlite:///{tmp_path / 'bunce_bot.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Every store test runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
def fake_bunce() -> Iterator[FakeBunceApi]:
    with FakeBunceApi() as fake:
        yield fake


@contextmanager
def running_app(
    database_url: str,
    slack: FakeSlackApi,
    bunce: FakeBunceApi,
    env: dict[str, str | None] | None = None,
    **options: Any,
) -> Iterator[Harness]:
    """The real app on loopback for the length of a with-block (tests that need their own env)."""
    running = start_harness(database_url, slack, bunce, env, **options)
    try:
        yield running
    finally:
        stop_harness(running)


@pytest.fixture
def harness(
    sqlite_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> Iterator[Harness]:
    """The whole app on SQLite, serving signed HTTP on loopback, pointed at the fakes."""
    with running_app(sqlite_url, fake_slack, fake_bunce) as running:
        yield running


@pytest.fixture
def any_db_harness(
    database_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> Iterator[Harness]:
    """The same, once on SQLite and once on PostgreSQL (when TEST_DATABASE_URL is set)."""
    with running_app(database_url, fake_slack, fake_bunce) as running:
        yield running


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A store engine with every table created, on each database of `database_url`."""
    engine = create_engine_for(database_url)
    init_db(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def cipher() -> KeyCipher:
    """A fresh encryption key for store tests."""
    return KeyCipher([Fernet.generate_key().decode()])


@pytest.fixture
def clock() -> Clock:
    """A clock that moves only when a test says so."""
    return Clock()
