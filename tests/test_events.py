"""Events: App Home shows the connection; uninstalling deletes the workspace's key."""

from __future__ import annotations

import json

from tests.harness import ADMIN, TEAM, USER, Harness, wait_until
from tests.schemas import assert_valid_home


def test_home_tab_shows_not_connected(harness: Harness) -> None:
    response = harness.send_event({"type": "app_home_opened", "user": USER, "tab": "home"})

    assert response.status_code == 200
    view = harness.slack.wait_for("views.publish")[0].args["view"]
    assert_valid_home(view)
    assert "Not connected" in json.dumps(view)


def test_home_tab_shows_the_key_hint_never_the_key(harness: Harness) -> None:
    harness.store_key()

    # Admins see the hint (marketers see no key details: tests/test_home.py).
    harness.send_event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})

    publish = harness.slack.wait_for("views.publish")[0]
    text = json.dumps(publish.args["view"], ensure_ascii=False)
    assert_valid_home(publish.args["view"])
    assert "sk_live_…1234" in text
    assert "FAKEtestkey" not in text


def test_messages_tab_publishes_nothing(harness: Harness) -> None:
    response = harness.send_event({"type": "app_home_opened", "user": USER, "tab": "messages"})

    assert response.status_code == 200
    harness.background.wait_idle()
    assert harness.slack.calls("views.publish") == []


def test_uninstall_deletes_the_key(harness: Harness) -> None:
    harness.store_key()

    response = harness.send_event({"type": "app_uninstalled"})

    assert response.status_code == 200
    wait_until(lambda: harness.services.keys.info(TEAM) is None)
