"""Adding people to a segment in batches: read who, record the job, send it, report exactly."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.bunce import (
    BunceAuthError,
    BunceClient,
    BunceError,
    BunceRateLimited,
    BunceValidationError,
)
from bot.creation import Policy
from bot.recipients import MAX_BYTES, Recipients, RecipientsError, merge, parse_csv
from bot.store.people import PeopleJob

logger = logging.getLogger(__name__)

BATCH = 100  # people per request: small enough to retry cheaply, few enough for the rate limit
ATTEMPTS = 3


@dataclass(frozen=True)
class Progress:
    """Where a job got to: `added` people in `done` batches; `problem` when it stopped early."""

    added: int
    total: int
    problem: str | None = None

    @property
    def finished(self) -> bool:
        return self.problem is None and self.added >= self.total


def batches(people: list[dict[str, str]]) -> list[list[dict[str, str]]]:
    return [people[i : i + BATCH] for i in range(0, len(people), BATCH)]


def read_attachments(client: WebClient, files: object) -> tuple[Recipients, list[str]]:
    """CSV files attached to the message, read with the bot token; notes say what was skipped."""
    found, notes = Recipients(), []
    for file in files if isinstance(files, list) else []:
        if not isinstance(file, dict) or not _is_csv(file):
            continue
        name = str(file.get("name") or file.get("id"))
        try:
            info = client.files_info(file=file.get("id"))["file"]
            if int(info.get("size") or 0) > MAX_BYTES:
                raise RecipientsError("too_large", f"{name} is larger than 1 MB")
            found = merge(found, parse_csv(_download(client, info["url_private_download"])))
        except RecipientsError as error:
            notes.append(f"{name}: {error}")
        except (SlackApiError, requests.RequestException, KeyError):
            logger.warning("could not read attachment", exc_info=True)
            notes.append(f"{name} could not be read")
    return found, notes


def _is_csv(file: dict) -> bool:
    name = str(file.get("name") or "").lower()
    return (
        file.get("filetype") == "csv" or file.get("mimetype") == "text/csv" or name.endswith(".csv")
    )


def _download(client: WebClient, url: str) -> bytes:
    """Private file bytes; no redirects (Slack answers a login page to a bad token)."""
    response = requests.get(
        url,
        headers={"Authorization": f"Bearer {client.token}"},
        timeout=(3.05, 10),
        allow_redirects=False,
        stream=True,
    )
    if response.status_code != 200:
        raise RecipientsError("not_csv", "the file could not be downloaded")
    data = response.raw.read(MAX_BYTES + 1, decode_content=True)
    if len(data) > MAX_BYTES:
        raise RecipientsError("too_large", "the file is larger than 1 MB")
    return data


def run(
    job: PeopleJob,
    client: BunceClient,
    *,
    save: Callable[[int], None],
    report: Callable[[Progress], None],
    sleep: Callable[[float], bool],
    policy: Policy,
) -> Progress:
    """Send the batches not yet done; retry each (adding is idempotent); stop at a hard error."""
    parts = batches(job.people)
    total = len(job.people)
    added = sum(len(part) for part in parts[: job.batches_done])
    for index in range(job.batches_done, len(parts)):
        problem = _send(client, job.segment_id or "", parts[index], sleep, policy)
        if problem is not None:
            return Progress(added, total, problem)
        added += len(parts[index])
        save(index + 1)
        if (index + 1) % 10 == 0:
            report(Progress(added, total))
    return Progress(added, total)


def _send(
    client: BunceClient,
    segment_id: str,
    part: list[dict[str, str]],
    sleep: Callable[[float], bool],
    policy: Policy,
) -> str | None:
    for attempt in range(ATTEMPTS):
        try:
            client.add_customers(segment_id, part)
            return None
        except BunceAuthError:
            return "Bunce rejected the workspace's key"
        except BunceValidationError as error:
            return f"Bunce refused them: {error.message or 'invalid people'}"
        except BunceRateLimited as error:
            if error.retry_after > policy.max_rate_wait:
                return "Bunce is busy (rate limit)"
            wait = error.retry_after
        except BunceError:
            wait = policy.delay(attempt)
        if attempt + 1 < ATTEMPTS and not sleep(wait):
            break
    return "Bunce was unavailable"
