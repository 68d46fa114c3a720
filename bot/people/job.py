"""Adding people to a segment in batches: read who, record the job, send it, report exactly."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
from slack_sdk import WebClient

from bot.bunce import (
    BunceAuthError,
    BunceClient,
    BunceError,
    BunceRateLimited,
    BunceValidationError,
)
from bot.create.once import Policy
from bot.people.recipients import MAX_BYTES, Recipients, RecipientsError, merge, parse_csv
from bot.slack.calls import SlackResult, call
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


@dataclass(frozen=True)
class FileNote:
    """Why an attached file was not read, for the modal to say in its own words.

    `channel_id` is set when the bot can't see the file because it is not in that conversation
    (the fix is an invite, not another file); otherwise `problem` is a plain-text sentence.
    """

    name: str
    problem: str = ""
    channel_id: str | None = None


_TOO_LARGE = "The file is larger than 1 MB. Attach a smaller CSV file."
UNNAMED = "the attached file"  # a restricted stub carries no name until files.info answers


def read_attachments(
    client: WebClient, files: object, channel_id: str | None = None
) -> tuple[Recipients, list[FileNote]]:
    """CSV files attached to the message, read with the bot token; notes say what was not read.

    Files arrive either as full objects or, for Slack Connect and other restricted files, as a
    stub (`"file_access": "check_file_info"`) with no name or type: those are looked up with
    files.info before deciding whether they are CSV. `channel_id` is the message's conversation,
    named when the bot can't see a file there.
    """
    found, notes = Recipients(), []
    for file in files if isinstance(files, list) else []:
        if not isinstance(file, dict) or not isinstance(file.get("id"), str):
            continue
        stub = _is_stub(file)
        if not stub and not _is_csv(file):
            continue  # an image or a PDF beside the list is not a problem
        name = str(file.get("name") or (UNNAMED if stub else file["id"]))
        answer = call(client.files_info, file=file["id"])
        if not answer.ok:
            notes.append(_unreadable(name, answer, channel_id))
            continue
        info = answer.get("file") or {}
        name = str(info.get("name") or name)
        if stub and not _is_csv(info):
            continue
        try:
            found = merge(found, _read(client, info))
        except RecipientsError as error:
            notes.append(FileNote(name, str(error)))
    return found, notes


def _is_stub(file: dict[str, Any]) -> bool:
    return file.get("file_access") == "check_file_info" or file.get("mode") == "file_access"


def _unreadable(name: str, answer: SlackResult, channel_id: str | None) -> FileNote:
    """files.info refused or did not answer: say why in words the person can act on."""
    if answer.error == "file_not_found" and channel_id:
        # Bots see only files in conversations they are in (files:read); Slack answers
        # file_not_found, not not_in_channel, for the others.
        return FileNote(name, channel_id=channel_id)
    if answer.unknown:
        return FileNote(name, "Slack didn't answer in time. Try again.")
    problems = {
        "file_not_found": "Share it in a channel I'm in and try again.",
        "file_deleted": "It has been deleted.",
        "missing_scope": "I'm not allowed to read files. Ask an admin to reinstall the app.",
    }
    return FileNote(name, problems.get(answer.error or "", "It could not be read."))


def _read(client: WebClient, info: dict[str, Any]) -> Recipients:
    if int(info.get("size") or 0) > MAX_BYTES:
        raise RecipientsError("too_large", _TOO_LARGE)
    url = info.get("url_private_download") or info.get("url_private")
    if not isinstance(url, str):
        raise RecipientsError("not_csv", "The file could not be downloaded.")
    try:
        data = _download(client, url)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        # Reading a streamed body raises urllib3's errors, not requests'.
        logger.warning("could not download attachment (%s)", type(exc).__name__)
        raise RecipientsError("not_csv", "The file could not be downloaded. Try again.") from exc
    return parse_csv(data)


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
    with response:
        if response.status_code != 200:
            raise RecipientsError("not_csv", "The file could not be downloaded.")
        data = response.raw.read(MAX_BYTES + 1, decode_content=True)
    if len(data) > MAX_BYTES:
        raise RecipientsError("too_large", _TOO_LARGE)
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
