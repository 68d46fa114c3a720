"""Enterprise Grid: payloads that name the org, keys stored with or without it, org admins.

Grid payloads carry `enterprise_id` (commands), `enterprise`/`team.enterprise_id` (interactions)
and `authorizations[].enterprise_id` (events) [api.slack.com/enterprise/grid, payload docs].
"""

from __future__ import annotations

import json

from bot import ids
from bot.store.audit import Action
from tests.harness import ADMIN, LIVE_KEY, OTHER_KEY, TEAM, Harness, wait_until
from tests.test_connect_flow import outcome

ORG = "E0GRID"
ORG_ADMIN = "W0ORGADMIN"
ORG_MEMBER = "W0MEMBER"


def grid_command(h: Harness, text: str, user_id: str) -> dict:
    """Run `/segment <text>` from the Grid workspace; the view it ends on."""
    before = len(h.slack.calls("views.open"))
    h.send_command(text, user_id=user_id, enterprise_id=ORG)
    view_id = h.slack.wait_for("views.open", before + 1)[-1].response["view"]["id"]
    wait_until(lambda: h.slack.shown_view(view_id)["callback_id"] != ids.EDIT_RESULT_VIEW)
    return h.slack.shown_view(view_id)


def test_disconnect_deletes_the_team_only_key_a_grid_workspace_was_using(
    any_db_harness: Harness,
) -> None:
    h = any_db_harness
    h.bunce.add_key(LIVE_KEY)
    h.services.keys.put(TEAM, LIVE_KEY, set_by="cli")  # `keys set T0001`: no org id
    assert grid_command(h, "", ADMIN)["callback_id"] == ids.CREATE_VIEW  # found by fallback

    view = grid_command(h, "disconnect", ADMIN)
    h.send_submission(view, {"values": {}}, user_id=ADMIN, enterprise_id=ORG)
    done = outcome(h, view["id"])
    after = h.send_command("", enterprise_id=ORG)

    assert done["title"]["text"] == "Bunce disconnected"
    assert h.services.keys.info(TEAM) is None
    assert h.services.keys.info(TEAM, ORG) is None
    assert "isn't connected" in after.json()["text"]
    event = h.services.audit.last(TEAM, ORG, action=Action.KEY_DISCONNECTED)
    assert event is not None and event.detail == "sk_live_…1234"


def test_uninstall_from_a_grid_workspace_deletes_every_key_a_lookup_could_find(
    any_db_harness: Harness,
) -> None:
    h = any_db_harness
    h.services.keys.put(TEAM, LIVE_KEY, set_by="cli")
    h.services.keys.put(TEAM, OTHER_KEY, enterprise_id=ORG, set_by="admin")

    assert h.send_event({"type": "app_uninstalled"}, enterprise_id=ORG).status_code == 200

    # The audit row is written last: once it is there, the deleting is done.
    wait_until(lambda: h.services.audit.last(TEAM, ORG, action=Action.UNINSTALLED) is not None)
    assert h.services.keys.info(TEAM, ORG) is None
    assert h.services.keys.info(TEAM) is None


def test_org_admins_and_owners_manage_the_connection_and_members_do_not(
    harness: Harness,
) -> None:
    harness.slack.add_user(ORG_ADMIN, team_id=TEAM, enterprise_id=ORG, is_org_admin=True)
    harness.slack.add_user("W0ORGOWNER", team_id=TEAM, enterprise_id=ORG, is_org_owner=True)
    harness.slack.add_user(ORG_MEMBER, team_id=TEAM, enterprise_id=ORG)

    as_admin = grid_command(harness, "connect", ORG_ADMIN)
    as_owner = grid_command(harness, "connect", "W0ORGOWNER")
    as_member = grid_command(harness, "connect", ORG_MEMBER)

    assert as_admin["callback_id"] == ids.CONNECT_VIEW
    assert as_owner["callback_id"] == ids.CONNECT_VIEW
    assert "only a workspace admin" in json.dumps(as_member)


def test_an_org_admin_connects_a_key_for_the_grid_workspace(harness: Harness) -> None:
    harness.bunce.add_key(LIVE_KEY)
    harness.slack.add_user(ORG_ADMIN, team_id=TEAM, enterprise_id=ORG, is_org_admin=True)
    view = grid_command(harness, "connect", ORG_ADMIN)
    state = {
        "values": {
            ids.CONNECT_KEY: {ids.CONNECT_KEY: {"type": "plain_text_input", "value": LIVE_KEY}}
        }
    }

    harness.send_submission(view, state, user_id=ORG_ADMIN, enterprise_id=ORG)
    outcome(harness, view["id"])

    stored = harness.services.keys.get(TEAM, ORG)
    assert stored is not None and stored.set_by == ORG_ADMIN
