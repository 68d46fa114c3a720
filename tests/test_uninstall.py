"""Uninstall and token revocation delete every secret of the workspace, in any order, repeatedly."""

from __future__ import annotations

import pytest

from bot.store.audit import Action
from tests.harness import LIVE_KEY, OTHER_KEY, OTHER_TEAM, TEAM, Harness, wait_until

UNINSTALLED = {"type": "app_uninstalled"}
BOT_REVOKED = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}}
USER_REVOKED = {"type": "tokens_revoked", "tokens": {"oauth": ["U0USER1"], "bot": []}}


@pytest.mark.parametrize(
    "events",
    [
        [UNINSTALLED],
        [BOT_REVOKED, UNINSTALLED],
        [UNINSTALLED, BOT_REVOKED],
        [UNINSTALLED, UNINSTALLED, BOT_REVOKED, BOT_REVOKED],
    ],
)
def test_every_order_deletes_the_key_and_settings_once(
    any_db_harness: Harness, events: list[dict]
) -> None:
    h = any_db_harness
    h.store_key(LIVE_KEY, TEAM)
    h.store_key(OTHER_KEY, OTHER_TEAM)
    h.services.workspaces.set_default_channel(TEAM, "C0PUBLIC", user_id="U1")

    for event in events:
        assert h.send_event(event).status_code == 200

    wait_until(lambda: h.services.audit.last(TEAM, action=Action.UNINSTALLED) is not None)
    wait_until(lambda: h.services.keys.info(TEAM) is None)
    assert h.services.workspaces.get(TEAM) is None
    assert h.services.keys.info(OTHER_TEAM) is not None  # only that workspace
    uninstalls = h.services.audit.recent(TEAM, actions=[Action.UNINSTALLED])
    assert len(uninstalls) == 1
    assert LIVE_KEY not in repr(uninstalls)


def test_user_token_revocation_keeps_the_workspace_connected(harness: Harness) -> None:
    harness.store_key()

    harness.send_event(USER_REVOKED)
    harness.send_event({"type": "app_home_opened", "user": "U0ADMIN1", "tab": "home"})
    harness.slack.wait_for("views.publish")  # a later event was handled, so the first was too

    assert harness.services.keys.info(TEAM) is not None
