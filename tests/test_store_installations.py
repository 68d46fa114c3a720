"""Tests for bot/store/installations.py: Slack tokens sealed at rest, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy.engine import Engine

from bot.store.crypto import KeyCipher
from bot.store.db import StoreError, create_engine_for, init_db
from bot.store.installations import (
    BOT_SECRETS,
    INSTALLATION_SECRETS,
    EncryptedInstallationStore,
    bots,
    installations,
    oauth_state_store,
    oauth_states,
)

CLIENT_ID = "1111.2222"
INSTALLED_AT = 1_741_000_000.123456


def _token(prefix: str, seed: str) -> str:
    """A token as long as a rotating one (~150 chars), so sealed values outgrow VARCHAR(200)."""
    return prefix + (seed * 150)[: 150 - len(prefix)]


BOT_TOKEN = _token("xoxe.xoxb-1-", "Bot")
BOT_REFRESH = _token("xoxe-1-", "BotRefresh")
USER_TOKEN = _token("xoxe.xoxp-1-", "User")
USER_REFRESH = _token("xoxe-1-", "UserRefresh")
WEBHOOK = "https://hooks.slack.com/services/T0001/B0001/" + "w" * 40
SECRETS = (BOT_TOKEN, BOT_REFRESH, USER_TOKEN, USER_REFRESH, WEBHOOK)


def _installation(**overrides: Any) -> Installation:
    """A workspace install with every kind of secret, expiring within Bolt's rotation window."""
    values: dict[str, Any] = {
        "app_id": "A0001",
        "enterprise_id": None,
        "team_id": "T0001",
        "team_name": "Acme",
        "bot_token": BOT_TOKEN,
        "bot_id": "B0001",
        "bot_user_id": "UBOT",
        "bot_scopes": "commands,chat:write",
        "bot_refresh_token": BOT_REFRESH,
        "bot_token_expires_in": 60,
        "user_id": "UINSTALLER",
        "user_token": USER_TOKEN,
        "user_scopes": "search:read",
        "user_refresh_token": USER_REFRESH,
        "user_token_expires_in": 60,
        "incoming_webhook_url": WEBHOOK,
        "incoming_webhook_channel": "#general",
        "incoming_webhook_channel_id": "C0001",
        "token_type": "bot",
        "installed_at": INSTALLED_AT,
    }
    return Installation(**(values | overrides))


@pytest.fixture
def store(engine: Engine, cipher: KeyCipher) -> EncryptedInstallationStore:
    return EncryptedInstallationStore(CLIENT_ID, engine, cipher)


def _rows(engine: Engine, table: sa.Table) -> list[dict[str, Any]]:
    """Every row of table, read with plain SQL rather than through the store."""
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(table).order_by(table.c.id))]


def _sealed_values(engine: Engine) -> list[str]:
    """Every stored secret column value, in a stable order."""
    values = [row[n] for row in _rows(engine, installations) for n in INSTALLATION_SECRETS]
    values += [row[n] for row in _rows(engine, bots) for n in BOT_SECRETS]
    return [v for v in values if v is not None]


def test_init_db_creates_the_slack_tables_once_with_wide_secret_columns(database_url: str) -> None:
    engine = create_engine_for(database_url)
    try:
        init_db(engine)
        init_db(engine)
        inspector = sa.inspect(engine)
        tables = set(inspector.get_table_names())
        assert {"slack_installations", "slack_bots", "slack_oauth_states"} <= tables
        assert [i["name"] for i in inspector.get_indexes("slack_bots")] == ["slack_bots_idx"]
        columns = {c["name"]: c["type"] for c in inspector.get_columns("slack_installations")}
        assert all(isinstance(columns[n], sa.Text) for n in INSTALLATION_SECRETS)
    finally:
        engine.dispose()


def test_save_stores_no_plaintext_and_find_returns_it(
    store: EncryptedInstallationStore, engine: Engine, cipher: KeyCipher
) -> None:
    store.save(_installation())

    raw = repr(_rows(engine, installations)) + repr(_rows(engine, bots))
    assert not [secret for secret in SECRETS if secret in raw]
    assert sorted(cipher.decrypt(v) for v in _sealed_values(engine)) == sorted(
        [*SECRETS, BOT_TOKEN, BOT_REFRESH]
    )
    bot = store.find_bot(enterprise_id=None, team_id="T0001")
    assert bot is not None
    assert (bot.bot_token, bot.bot_refresh_token, bot.bot_user_id) == (
        BOT_TOKEN,
        BOT_REFRESH,
        "UBOT",
    )
    found = store.find_installation(enterprise_id=None, team_id="T0001")
    assert found is not None
    assert tuple(getattr(found, n) for n in INSTALLATION_SECRETS) == SECRETS


def test_find_installation_for_a_user_decrypts_the_bot_fields_slack_sdk_merges_in(
    store: EncryptedInstallationStore,
) -> None:
    store.save(_installation())

    found = store.find_installation(enterprise_id=None, team_id="T0001", user_id="UINSTALLER")

    assert found is not None
    assert (found.bot_token, found.bot_refresh_token, found.user_token) == (
        BOT_TOKEN,
        BOT_REFRESH,
        USER_TOKEN,
    )


def test_save_leaves_the_callers_objects_unchanged(store: EncryptedInstallationStore) -> None:
    installation = _installation()
    bot = installation.to_bot()
    before = (copy.deepcopy(vars(installation)), copy.deepcopy(vars(bot)))

    store.save(installation)
    store.save_bot(bot)

    assert (vars(installation), vars(bot)) == before


def test_org_wide_install_is_found_for_any_workspace_of_the_org(
    store: EncryptedInstallationStore,
) -> None:
    store.save(_installation(enterprise_id="E0001", team_id=None, is_enterprise_install=True))

    ids = {"enterprise_id": "E0001", "team_id": "T0099"}
    bot = store.find_bot(**ids, is_enterprise_install=True)
    found = store.find_installation(**ids, is_enterprise_install=True)
    assert bot is not None and found is not None
    assert (bot.team_id, bot.is_enterprise_install, bot.bot_token) == (None, True, BOT_TOKEN)
    assert (found.team_id, found.user_token) == (None, USER_TOKEN)
    # slack_sdk matches team_id exactly unless told the install is org-wide.
    assert store.find_bot(**ids) is None
    assert store.installer_user_id(**ids, is_enterprise_install=True) == "UINSTALLER"

    store.delete_workspace(**ids, is_enterprise_install=True)

    assert store.find_bot(**ids, is_enterprise_install=True) is None
    assert store.find_installation(**ids, is_enterprise_install=True) is None


class RefreshingClient(WebClient):
    """Answers oauth.v2.access in-process, recording which refresh tokens it was sent."""

    def __init__(self, answers: dict[str, dict[str, Any]]) -> None:
        super().__init__(token=None)
        self.answers = answers
        self.sent: list[str] = []

    def oauth_v2_access(self, **kwargs: Any) -> Any:
        self.sent.append(kwargs["refresh_token"])
        return self.answers[kwargs["refresh_token"]]


def _rotator(new: dict[str, str]) -> tuple[TokenRotator, RefreshingClient]:
    """slack_sdk's own TokenRotator (what Bolt runs), refreshing to the given new tokens."""
    client = RefreshingClient(
        {
            BOT_REFRESH: {"token_type": "bot", "expires_in": 43200, **new["bot"]},
            USER_REFRESH: {"token_type": "user", "expires_in": 43200, **new["user"]},
        }
    )
    return TokenRotator(client_id=CLIENT_ID, client_secret="s", client=client), client


def test_token_rotation_saves_the_new_tokens_over_the_old_rows(
    store: EncryptedInstallationStore, engine: Engine
) -> None:
    store.save(_installation())
    new_bot, new_user = _token("xoxe.xoxb-1-", "NewBot"), _token("xoxe.xoxp-1-", "NewUser")
    new = {
        "bot": {"access_token": new_bot, "refresh_token": "xoxe-1-nb"},
        "user": {"access_token": new_user, "refresh_token": "xoxe-1-nu"},
    }
    rotator, client = _rotator(new)
    current = store.find_installation(enterprise_id=None, team_id="T0001", user_id="UINSTALLER")
    assert current is not None

    refreshed = rotator.perform_token_rotation(installation=current)
    assert refreshed is not None
    store.save(refreshed)

    assert sorted(client.sent) == sorted([BOT_REFRESH, USER_REFRESH])
    found = store.find_installation(enterprise_id=None, team_id="T0001")
    bot = store.find_bot(enterprise_id=None, team_id="T0001")
    assert found is not None and bot is not None
    assert (found.bot_token, found.user_token, found.user_refresh_token) == (
        new_bot,
        new_user,
        "xoxe-1-nu",
    )
    assert (bot.bot_token, bot.bot_refresh_token) == (new_bot, "xoxe-1-nb")
    assert (len(_rows(engine, installations)), len(_rows(engine, bots))) == (1, 1)
    assert new_bot not in repr(_rows(engine, installations) + _rows(engine, bots))


def test_bot_only_rotation_goes_through_save_bot(
    store: EncryptedInstallationStore, engine: Engine
) -> None:
    store.save(_installation())
    new_bot = _token("xoxe.xoxb-1-", "Rotated")
    rotator, _ = _rotator(
        {"bot": {"access_token": new_bot, "refresh_token": "xoxe-1-r"}, "user": {}}
    )
    current = store.find_bot(enterprise_id=None, team_id="T0001")
    assert current is not None

    refreshed = rotator.perform_bot_token_rotation(bot=current)
    assert isinstance(refreshed, Bot)
    store.save_bot(refreshed)

    bot = store.find_bot(enterprise_id=None, team_id="T0001")
    assert bot is not None and bot.bot_token == new_bot
    assert len(_rows(engine, bots)) == 1
    assert new_bot not in repr(_rows(engine, bots))


def test_deletes_remove_only_their_rows_and_can_repeat(store: EncryptedInstallationStore) -> None:
    store.save(_installation())
    store.save(_installation(user_id="UOTHER", installed_at=INSTALLED_AT + 5))
    store.save(_installation(team_id="T0002"))
    t1 = {"enterprise_id": None, "team_id": "T0001"}

    for _ in range(2):
        store.delete_installation(**t1, user_id="UOTHER")
    assert store.find_installation(**t1, user_id="UOTHER") is None
    assert store.find_installation(**t1, user_id="UINSTALLER") is not None

    for _ in range(2):
        store.delete_bot(**t1)
    assert store.find_bot(**t1) is None
    assert store.find_installation(**t1) is not None

    for _ in range(2):
        store.delete_installation(**t1)
    assert store.find_installation(**t1) is None

    t2 = {"enterprise_id": None, "team_id": "T0002"}
    assert store.find_bot(**t2) is not None
    for _ in range(2):
        store.delete_all(**t2)
        store.delete_workspace(**t2)
    assert store.find_bot(**t2) is None
    assert store.find_installation(**t2) is None


def test_installer_is_whoever_last_installed_the_bot(store: EncryptedInstallationStore) -> None:
    store.save(_installation(user_id="UFIRST"))
    store.save(_installation(user_id="USECOND", installed_at=INSTALLED_AT + 60))
    # A user granting only user scopes later is not an installer.
    store.save(_installation(user_id="UGRANT", bot_token=None, installed_at=INSTALLED_AT + 120))
    store.save(_installation(team_id="T0002", user_id="UELSEWHERE"))

    assert store.installer_user_id(enterprise_id=None, team_id="T0001") == "USECOND"
    assert store.installer_user_id(enterprise_id=None, team_id="T0002") == "UELSEWHERE"
    assert store.installer_user_id(enterprise_id=None, team_id="T0404") is None


def test_reencrypt_all_moves_every_secret_to_the_first_key(engine: Engine) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    EncryptedInstallationStore(CLIENT_ID, engine, KeyCipher([old])).save(_installation())
    before = _sealed_values(engine)

    rotated = EncryptedInstallationStore(CLIENT_ID, engine, KeyCipher([new, old])).reencrypt_all()

    assert rotated == 2
    after = _sealed_values(engine)
    assert len(after) == len(before) and not set(after) & set(before)
    new_only = EncryptedInstallationStore(CLIENT_ID, engine, KeyCipher([new]))
    found = new_only.find_installation(enterprise_id=None, team_id="T0001")
    assert found is not None and found.user_refresh_token == USER_REFRESH
    old_only = EncryptedInstallationStore(CLIENT_ID, engine, KeyCipher([old]))
    with pytest.raises(StoreError) as raised:
        old_only.find_bot(enterprise_id=None, team_id="T0001")
    assert "xox" not in str(raised.value)


def test_database_failure_is_a_store_error_without_the_token(
    database_url: str, cipher: KeyCipher
) -> None:
    bare = create_engine_for(database_url)  # no init_db: the tables are missing
    try:
        with pytest.raises(StoreError) as raised:
            EncryptedInstallationStore(CLIENT_ID, bare, cipher).save(_installation())
    finally:
        bare.dispose()
    assert "xox" not in str(raised.value) and "hooks.slack.com" not in str(raised.value)


def test_oauth_state_is_consumed_exactly_once(engine: Engine) -> None:
    states = oauth_state_store(engine)
    state = states.issue()

    assert states.consume(state) is True
    assert states.consume(state) is False
    assert states.consume("never-issued") is False


def test_expired_oauth_state_is_refused_and_swept(engine: Engine) -> None:
    expired = oauth_state_store(engine, expiration_seconds=-1).issue()

    assert oauth_state_store(engine).consume(expired) is False
    assert _rows(engine, oauth_states) == []
