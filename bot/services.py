"""Services: long-lived collaborators (store, Bunce factory, worker pool), built once."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.bunce import BunceClientFactory
from bot.config import Settings
from bot.store.crypto import KeyCipher, key_file_for, load_or_create_key_file
from bot.store.db import create_engine_for, is_sqlite
from bot.store.keys import KeyStore

logger = logging.getLogger(__name__)

# Bunce calls run here, off Bolt's listener threads, so a slow Bunce never delays an ack.
BACKGROUND_THREADS = 16


@dataclass(frozen=True)
class Services:
    """What listeners need besides Slack's client; passed in, never imported as globals."""

    engine: Engine
    keys: KeyStore
    bunce: BunceClientFactory
    background: Executor

    def close(self) -> None:
        """Finish background work, then release connections (tests, shutdown)."""
        self.background.shutdown(wait=True)
        self.bunce.close()
        self.engine.dispose()


def build_cipher(settings: Settings) -> KeyCipher:
    """ENCRYPTION_KEY if set; with SQLite only, a key file generated once beside the database."""
    if settings.encryption_keys:
        return KeyCipher(settings.encryption_keys)
    if not is_sqlite(settings.database_url):  # Settings refuses this; belt and braces.
        raise RuntimeError("ENCRYPTION_KEY is required with PostgreSQL")
    path = key_file_for(settings.database_url)
    key, created = load_or_create_key_file(path)
    if created:
        logger.warning(
            "ENCRYPTION_KEY is not set: generated an encryption key in %s (mode 0600). "
            "Back it up with the database, or set ENCRYPTION_KEY to manage it yourself.",
            path,
        )
    return KeyCipher([key])


def build_services(settings: Settings) -> Services:
    """Wire the store and the Bunce client factory from settings; touches no network."""
    engine = create_engine_for(settings.database_url)
    return Services(
        engine=engine,
        keys=KeyStore(engine, build_cipher(settings)),
        bunce=BunceClientFactory(settings.bunce_api_url, settings.bunce_sandbox_api_url),
        background=ThreadPoolExecutor(BACKGROUND_THREADS, thread_name_prefix="bunce-work"),
    )
