"""Slack installations and OAuth states on our database, with every token encrypted at rest."""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy.engine import Connection, Engine

from bot.store.crypto import KeyCipher
from bot.store.db import StoreError, database_errors, metadata

logger = logging.getLogger(__name__)

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
OAUTH_STATES_TABLE = "slack_oauth_states"

# Bearer capabilities: whoever holds one acts as the app (the webhook URL posts without a token).
INSTALLATION_SECRETS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
BOT_SECRETS = ("bot_token", "bot_refresh_token")

# slack_sdk's own table definitions, on our metadata so that init_db creates them.
installations = SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS_TABLE)
bots = SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS_TABLE)
oauth_states = SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, OAUTH_STATES_TABLE)


def _widen(table: sa.Table, names: tuple[str, ...]) -> None:
    """Make the secret columns TEXT: sealed tokens outgrow slack_sdk's VARCHAR(200)."""
    # A rotating `xoxe.xoxb-…` token sealed with Fernet is far over 200 characters, which
    # PostgreSQL refuses. Only our DDL needs widening: slack_sdk's statements carry no lengths.
    for name in names:
        table.c[name].type = sa.Text()


_widen(installations, INSTALLATION_SECRETS)
_widen(bots, BOT_SECRETS)

_Record = TypeVar("_Record", Installation, Bot)


class EncryptedInstallationStore(InstallationStore):
    """Bolt's installation store: slack_sdk's SQL store with tokens sealed by KeyCipher."""

    def __init__(self, client_id: str, engine: Engine, cipher: KeyCipher) -> None:
        self._client_id = client_id
        self._engine = engine
        self._cipher = cipher
        self._rows = SQLAlchemyInstallationStore(
            client_id,
            engine,
            bots_table_name=BOTS_TABLE,
            installations_table_name=INSTALLATIONS_TABLE,
            logger=logger,
        )

    @property
    def logger(self) -> logging.Logger:
        """The logger Bolt uses when it reports on this store."""
        return logger

    def save(self, installation: Installation) -> None:
        """Store an installation and its bot; Bolt keeps using the object, so a copy is sealed."""
        with database_errors("saving a Slack installation"):
            self._rows.save(self._sealed(installation, INSTALLATION_SECRETS))

    def save_bot(self, bot: Bot) -> None:
        """Store a bot installation (Bolt's bot-only token rotation path) with tokens sealed."""
        with database_errors("saving a Slack bot installation"):
            self._rows.save_bot(self._sealed(bot, BOT_SECRETS))

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The workspace's (or org's) latest bot installation, tokens in plaintext."""
        with database_errors("reading a Slack bot installation"):
            found = self._rows.find_bot(
                enterprise_id=enterprise_id,
                team_id=team_id,
                is_enterprise_install=is_enterprise_install,
            )
        return None if found is None else self._opened(found, BOT_SECRETS)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The latest installation for the workspace (or user), tokens in plaintext."""
        with database_errors("reading a Slack installation"):
            found = self._rows.find_installation(
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=is_enterprise_install,
            )
        # slack_sdk may have copied in the latest bot's fields; they are sealed with our cipher too.
        return None if found is None else self._opened(found, INSTALLATION_SECRETS)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget the workspace's bot tokens (tokens_revoked); idempotent."""
        with database_errors("deleting a Slack bot installation"):
            self._rows.delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        """Forget the workspace's installations, or one user's (tokens_revoked); idempotent."""
        with database_errors("deleting a Slack installation"):
            self._rows.delete_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
            )

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget bots and installations of the workspace (app_uninstalled) in one transaction."""
        with database_errors("deleting Slack installations"), self._engine.begin() as conn:
            for table in (bots, installations):
                conn.execute(sa.delete(table).where(self._workspace(table, enterprise_id, team_id)))

    def delete_workspace(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool = False
    ) -> None:
        """delete_all that, like find_*, takes an org-wide install's team_id to mean the org."""
        self.delete_all(
            enterprise_id=enterprise_id, team_id=None if is_enterprise_install else team_id
        )

    def installer_user_id(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool = False
    ) -> str | None:
        """Who last installed the bot in the workspace (or org), for the admin check."""
        team = None if is_enterprise_install else team_id
        c = installations.c
        # Rows without a bot token are users granting user scopes, not installing the app.
        query = (
            sa.select(c.user_id)
            .where(self._workspace(installations, enterprise_id, team), c.bot_token.is_not(None))
            .order_by(c.installed_at.desc(), c.id.desc())
            .limit(1)
        )
        with database_errors("reading the Slack installer"), self._engine.connect() as conn:
            return conn.execute(query).scalar_one_or_none()

    def reencrypt_all(self) -> int:
        """Re-encrypt every stored Slack secret with the first ENCRYPTION_KEY; rows rewritten."""
        with database_errors("re-encrypting Slack tokens"), self._engine.begin() as conn:
            return self._reencrypt(conn, installations, INSTALLATION_SECRETS) + self._reencrypt(
                conn, bots, BOT_SECRETS
            )

    def _reencrypt(self, conn: Connection, table: sa.Table, names: tuple[str, ...]) -> int:
        """Rotate one table's secret columns, row by row; how many rows changed."""
        rewritten = 0
        for row in conn.execute(sa.select(table.c.id, *(table.c[n] for n in names))).all():
            sealed = {n: row._mapping[n] for n in names if row._mapping[n] is not None}
            if not sealed:
                continue
            # Compare-and-set: a row re-saved since we read it (a token rotation) is already
            # sealed afresh and must not be overwritten with the old tokens.
            statement = (
                sa.update(table)
                .where(table.c.id == row.id, *(table.c[n] == v for n, v in sealed.items()))
                .values({n: self._cipher.rotate(v) for n, v in sealed.items()})
            )
            rewritten += conn.execute(statement).rowcount
        return rewritten

    def _workspace(
        self, table: sa.Table, enterprise_id: str | None, team_id: str | None
    ) -> sa.ColumnElement[bool]:
        """slack_sdk's row match: this app, and the ids compared with NULL meaning absent."""
        c = table.c
        return sa.and_(
            c.client_id == self._client_id, c.enterprise_id == enterprise_id, c.team_id == team_id
        )

    def _sealed(self, record: _Record, names: tuple[str, ...]) -> _Record:
        """A shallow copy of record with its secrets encrypted."""
        sealed = copy.copy(record)
        for name, value in _secrets(record, names):
            setattr(sealed, name, self._cipher.encrypt(value))
        return sealed

    def _opened(self, record: _Record, names: tuple[str, ...]) -> _Record:
        """record (fresh from the database, so ours to change) with its secrets decrypted."""
        for name, value in _secrets(record, names):
            setattr(record, name, self._cipher.decrypt(value))
        return record


def _secrets(record: Any, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """The secret fields of record that are set."""
    return [(name, value) for name in names if (value := getattr(record, name)) is not None]


class _SingleUseOAuthStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's state store whose consume is one DELETE, so two callbacks cannot both win."""

    def consume(self, state: str) -> bool:
        """True exactly once for an unexpired state; expired states are swept on the way."""
        # The column holds naive UTC, as slack_sdk's issue() writes it.
        now = datetime.now(UTC).replace(tzinfo=None)
        c = self.oauth_states.c
        try:
            with database_errors("consuming an OAuth state"), self.engine.begin() as conn:
                taken = conn.execute(
                    sa.delete(self.oauth_states).where(c.state == state, c.expire_at > now)
                ).rowcount
                conn.execute(sa.delete(self.oauth_states).where(c.expire_at <= now))
        except StoreError:
            # Bolt shows its "start again" page on False; an exception would be a bare 500.
            logger.exception("oauth_state_consume_failed")
            return False
        return taken > 0


def oauth_state_store(engine: Engine, expiration_seconds: int = 600) -> SQLAlchemyOAuthStateStore:
    """Bolt's OAuth state store on our table; states are random UUIDs, so no secret is needed."""
    return _SingleUseOAuthStateStore(
        expiration_seconds=expiration_seconds, engine=engine, table_name=OAUTH_STATES_TABLE
    )
