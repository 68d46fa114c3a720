"""The "Create a Bunce segment" workflow step: its inputs as a create form, and how it ends.

A step is a submission like the modal's (recorded before anything is sent, created exactly
once, its card shared), keyed by Slack's function_execution_id so a redelivered event attaches
to the same row. It ends with functions.completeSuccess (the segment's id and name) or
functions.completeError (a sentence a workflow author can act on), sent with the execution's
just-in-time token (the event's bot_access_token), which Slack lets live about 15 minutes
(docs.slack.dev/tools/bolt-python/concepts/custom-steps): a Bunce outage longer than
STEP_DEADLINE ends the step with an error while the submission itself is still resolved.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot import ids
from bot.bunce.models import Segment
from bot.create import messages
from bot.create.form import SegmentForm, validate
from bot.slack.calls import call
from bot.store.records import SubmissionRecord

logger = logging.getLogger(__name__)

STEP = "create_bunce_segment"  # the function's callback_id in manifest.yml
RETURN_KIND = "workflow"  # Origin.return_to / SubmissionRecord.return_to prefix
# Inside the JIT token's ~15 minutes, with room for the completion call itself.
STEP_DEADLINE = timedelta(minutes=12)

# The modal's validation answers per input block; a workflow author knows the step's inputs.
_INPUT_TITLES = {ids.NAME: "Segment name", ids.DESCRIPTION: "Description"}
# The create form's sentence: a workflow author reads the same as a person.
STORE_DOWN = messages.STORE_DOWN
UNAVAILABLE_PAST_DEADLINE = (
    "Bunce didn't answer for more than 12 minutes, so this step stopped waiting. The segment may "
    "still appear in Bunce: check there before running the workflow again."
)


def form_from_inputs(inputs: dict[str, Any]) -> tuple[SegmentForm | None, str | None]:
    """The step's inputs under the modal's rules; or the sentence a workflow author reads."""
    name, description = inputs.get("segment_name"), inputs.get("description")
    channel, add_all = inputs.get("announce_channel"), inputs.get("add_all_customers")
    if not isinstance(name, str) or (description is not None and not isinstance(description, str)):
        return None, (
            "The step needs a segment name (text), and the description must be text, "
            "so no segment was created."
        )
    form = SegmentForm(
        name=name,
        description=description or "",
        add_all_customers=add_all is True or add_all == "true",
        channel_id=channel if isinstance(channel, str) and channel else None,
        share=isinstance(channel, str) and bool(channel),
    ).normalised()
    errors = validate(form)
    if errors:
        said = "; ".join(
            f"{_INPUT_TITLES.get(block, 'Share the card in')}: {text}"
            for block, text in errors.items()
        )
        return None, f"The step's inputs aren't valid, so no segment was created. {said}"
    return form, None


def return_path(event: dict[str, Any]) -> str:
    """What the submission keeps (encrypted, with its reply URLs) to end the step later."""
    token = {
        "x": event.get("function_execution_id"),
        "w": event.get("workflow_execution_id"),
        "t": event.get("bot_access_token"),
    }
    return f"{RETURN_KIND}:{json.dumps(token, separators=(',', ':'))}"


def outputs(segment: Segment) -> dict[str, str]:
    """The step's declared outputs (manifest.yml output_parameters)."""
    return {"segment_id": segment.id, "segment_name": segment.name}


def returns(
    client: WebClient, record: SubmissionRecord, segment: Segment | None, sentence: str | None
) -> bool:
    """The create feature's hand-back (CreateDeps.returns): the step's completion is its
    telling. Still waiting (neither segment nor sentence): end it only past the deadline."""
    path = _path(record)
    if path is None:
        logger.warning("workflow submission %s has no usable return path", record.id)
        return True  # nothing can ever complete it: don't retry forever
    execution_id, token = path
    if segment is None and sentence is None:
        if datetime.now(UTC) - record.created_at < STEP_DEADLINE:
            return False
        sentence = UNAVAILABLE_PAST_DEADLINE
    step = _step_client(client, token)
    if segment is not None:
        done = call(
            step.functions_completeSuccess,
            function_execution_id=execution_id,
            outputs=outputs(segment),
        )
    else:
        done = call(
            step.functions_completeError,
            function_execution_id=execution_id,
            error=plain(sentence or ""),
        )
    if not done.ok:
        logger.warning("workflow step %s not completed error=%s", execution_id, done.error)
    # Told unless Slack didn't answer: a refusal (e.g. already completed, or the token expired)
    # will not change by asking again.
    return not done.unknown


def fail_now(client: WebClient, execution_id: str, sentence: str) -> None:
    """End a step before anything was recorded (invalid inputs, not connected); `client` is
    Bolt's, carrying the execution's token."""
    call(client.functions_completeError, function_execution_id=execution_id, error=plain(sentence))


def _path(record: SubmissionRecord) -> tuple[str, str] | None:
    raw = (record.return_to or "").removeprefix(f"{RETURN_KIND}:")
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    execution_id, token = data.get("x"), data.get("t")
    if isinstance(execution_id, str) and isinstance(token, str):
        return execution_id, token
    return None


def _step_client(client: WebClient, token: str) -> WebClient:
    """The app's client settings with the execution's token: completing needs that token."""
    return WebClient(
        token=token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=list(client.retry_handlers),
        logger=client.logger,
    )


def plain(sentence: str) -> str:
    """Workflow Builder shows the error as plain text: mrkdwn's bold and code marks go, and a
    <@U…> or <#C…> reference becomes @U… or #C… (the sentences use no other markup outside
    Bunce's own words)."""
    text = re.sub(r"<([@#])([A-Z0-9]+)(?:\|[^>]*)?>", r"\1\2", sentence)
    return text.replace("*", "").replace("`", "")
