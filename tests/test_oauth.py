"""Multi-workspace install through Slack's OAuth v2, with bot tokens encrypted at rest."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote, urlencode

import pytest
import requests
import sqlalchemy as sa

from bot import ids
from tests.conftest import running_app
from tests.fakes.bunce import FakeBunceApi
from tests.fakes.slack import FakeSlackApi
from tests.harness import LIVE_KEY, OTHER_KEY, Harness, state_for, wait_until

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret"
NEW_TEAM = "T0NEW"
INSTALLER = "U0INSTALLER"
ORG = "E0ORG"

OAUTH_ENV: dict[str, str | None] = {
    "SLACK_BOT_TOKEN": None,
    "SLACK_CLIENT_ID": CLIENT_ID,
    "SLACK_CLIENT_SECRET": CLIENT_SECRET,
}


@pytest.fixture
def oauth_harness(
    database_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> Iterator[Harness]:
    fake_slack.configure_oauth(CLIENT_ID, CLIENT_SECRET)
    with running_app(database_url, fake_slack, fake_bunce, OAUTH_ENV) as h:
        yield h


def install(h: Harness, team_id: str = NEW_TEAM, **code_options: object) -> requests.Response:
    """What a browser does: open the install page, follow Slack's redirect back with the code."""
    page = requests.get(h.url + "/slack/install", timeout=5)
    assert page.status_code == 200
    cookie = page.headers["set-cookie"].split(";")[0]
    state = cookie.split("=", 1)[1]
    code = h.slack.issue_code(team_id, installer_user_id=INSTALLER, **code_options)  # type: ignore[arg-type]
    query = urlencode({"code": code, "state": state})
    return requests.get(
        f"{h.url}/slack/oauth_redirect?{query}", headers={"Cookie": cookie}, timeout=10
    )


def raw_tables(h: Harness) -> str:
    with h.services.engine.connect() as conn:
        rows = [
            conn.execute(sa.text(f"SELECT * FROM {t}")).fetchall()
            for t in ("slack_bots", "slack_installations")
        ]
    return repr(rows)


def test_install_page_asks_for_exactly_the_scopes_the_app_uses(oauth_harness: Harness) -> None:
    page = requests.get(oauth_harness.url + "/slack/install", timeout=5)

    link = re.search(r'href="([^"]+oauth/v2/authorize[^"]+)"', page.text)
    assert link, page.text
    url = unquote(link.group(1).replace("&amp;", "&"))
    assert f"client_id={CLIENT_ID}" in url
    assert f"scope={','.join(ids.BOT_SCOPES)}" in url
    assert "slack-app-oauth-state=" in page.headers["set-cookie"]


def test_install_stores_an_encrypted_token_then_segment_works_there(
    oauth_harness: Harness,
) -> None:
    h = oauth_harness

    done = install(h)

    assert done.status_code == 200, done.text
    token = h.slack.installed_tokens(NEW_TEAM)[0]
    assert token not in raw_tables(h)
    assert h.services.installations is not None
    assert (
        h.services.installations.installer_user_id(enterprise_id=None, team_id=NEW_TEAM)
        == INSTALLER
    )
    h.store_key(LIVE_KEY, NEW_TEAM)
    view = h.open_modal(team_id=NEW_TEAM)
    assert h.slack.calls("views.open")[-1].token == token  # that workspace's own token
    h.send_submission(view, state_for("From the new workspace"), team_id=NEW_TEAM)
    card = h.slack.wait_for("chat.postMessage")[0]
    assert card.token == token
    assert [s["name"] for s in h.bunce.segments(LIVE_KEY)] == ["From the new workspace"]


def test_the_installer_is_an_admin(oauth_harness: Harness) -> None:
    h = oauth_harness
    install(h)
    h.slack.add_user(INSTALLER, team_id=NEW_TEAM)  # not a Slack admin

    h.send_command("connect", team_id=NEW_TEAM, user_id=INSTALLER)

    opened = h.slack.wait_for("views.open")[0]
    assert opened.args["view"]["callback_id"] == ids.CONNECT_VIEW


def test_rotating_tokens_are_refreshed_and_stored_encrypted(
    database_url: str, fake_slack: FakeSlackApi, fake_bunce: FakeBunceApi
) -> None:
    # A lifetime inside Bolt's refresh window: the next request rotates the token.
    fake_slack.configure_oauth(CLIENT_ID, CLIENT_SECRET, token_rotation=True, token_ttl=60)
    with running_app(database_url, fake_slack, fake_bunce, OAUTH_ENV) as h:
        install(h)
        first = h.slack.installed_tokens(NEW_TEAM)[0]
        h.store_key(LIVE_KEY, NEW_TEAM)

        h.open_modal(team_id=NEW_TEAM)

        rotated = h.slack.installed_tokens(NEW_TEAM)[-1]
        assert rotated != first
        assert h.slack.calls("views.open")[-1].token == rotated
        assert rotated not in raw_tables(h)
        assert h.slack.oauth_calls()[-1].args["grant_type"] == "refresh_token"


def test_org_wide_install_uses_the_orgs_key(oauth_harness: Harness) -> None:
    h = oauth_harness
    install(h, "T0INORG", enterprise_id=ORG, is_enterprise_install=True)
    h.bunce.add_key(OTHER_KEY)
    h.services.keys.put(None, OTHER_KEY, enterprise_id=ORG, set_by="test")
    org = {"enterprise_id": ORG, "is_enterprise_install": True}

    view = h.open_modal(team_id="T0INORG", **org)
    h.send_submission(view, state_for("Org segment"), team_id="T0INORG", **org)

    h.slack.wait_for("chat.postMessage")
    assert [s["name"] for s in h.bunce.segments(OTHER_KEY)] == ["Org segment"]


def test_uninstall_deletes_the_installation_and_the_key(oauth_harness: Harness) -> None:
    h = oauth_harness
    install(h)
    h.store_key(LIVE_KEY, NEW_TEAM)
    store = h.services.installations
    assert store is not None

    h.send_event({"type": "app_uninstalled"}, team_id=NEW_TEAM)
    h.send_event({"type": "tokens_revoked", "tokens": {"bot": ["UB"]}}, team_id=NEW_TEAM)

    wait_until(lambda: store.find_bot(enterprise_id=None, team_id=NEW_TEAM) is None)
    wait_until(lambda: h.services.keys.info(NEW_TEAM) is None)
    assert h.services.keys.info(NEW_TEAM) is None
    assert store.find_installation(enterprise_id=None, team_id=NEW_TEAM) is None
    assert "xox" not in raw_tables(h)
