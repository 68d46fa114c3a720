"""The baseline: a bare Bolt app served by the same gunicorn command as the real one.

Its `/segment` handler only acks and opens a fixed modal; its create-view handler only acks with
a fixed "in progress" view (the real app also records the submission first). No database, no
Bunce. A module-level app is fine here: this is a benchmark fixture, configured by the same
environment variables (SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL) as the app.
"""

from __future__ import annotations

import os
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

# The same ids as the real modal, so the load generator's payloads fit both apps.
CREATE_VIEW = "segment_create"
PROGRESS_VIEW = "segment_progress"


def _plain(text: str) -> dict[str, object]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _input(block_id: str, label: str, element: dict[str, object]) -> dict[str, object]:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "element": {**element, "action_id": block_id},
    }


MODAL = {
    "type": "modal",
    "callback_id": CREATE_VIEW,
    "title": _plain("Create segment"),
    "submit": _plain("Create"),
    "close": _plain("Cancel"),
    "blocks": [
        _input("name", "Segment name", {"type": "plain_text_input"}),
        _input("description", "Description", {"type": "plain_text_input", "multiline": True}),
        _input(
            "add_all_customers",
            "Add all customers",
            {
                "type": "checkboxes",
                "options": [{"text": _plain("Add every customer"), "value": "add_all"}],
            },
        ),
        _input(
            "announce_in",
            "Announce in",
            {"type": "conversations_select", "default_to_current_conversation": True},
        ),
    ],
}

PROGRESS = {
    "type": "modal",
    "callback_id": PROGRESS_VIEW,
    "title": _plain("Create segment"),
    "close": _plain("Close"),
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Creating segment…"}}],
}

app = App(
    token=os.environ.get("SLACK_BOT_TOKEN"),
    signing_secret=os.environ.get("SLACK_SIGNING_SECRET", ""),
    token_verification_enabled=False,
)
app.client.base_url = os.environ.get("SLACK_API_URL", "https://slack.com/api/").rstrip("/") + "/"


@app.command("/segment")
def segment(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    ack()
    client.views_open(trigger_id=command["trigger_id"], view=MODAL)


@app.view(CREATE_VIEW)
def submitted(ack: Ack) -> None:
    ack(response_action="update", view=PROGRESS)


application = SlackRequestHandler(app)
