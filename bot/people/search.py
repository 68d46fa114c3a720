"""The add-customers segment search: reading each workspace's list in the background, and
answering a search from it within Slack's 3 s."""

from __future__ import annotations

import logging

from bot.bunce import BunceError, BunceRateLimited
from bot.bunce.errors import TooManySegments
from bot.people.deps import PeopleDeps
from bot.people.segment_cache import MAX_SEGMENTS, SegmentList
from bot.store.db import StoreError
from bot.store.records import WorkspaceKeyInfo
from bot.tenant import Workspace

logger = logging.getLogger(__name__)

# The segment search answers Slack within 3 s: it waits at most this long for a list still
# being read for the first time, then offers what is known so far.
OPTIONS_WAIT = 1.5
LIST_PER_PAGE = 100  # Bunce's largest page
LIST_ATTEMPTS = 3  # a read held back by the rate limit starts again after the wait


def search_segments(deps: PeopleDeps, workspace: Workspace) -> SegmentList:
    """The workspace's segments to search while the person types (Slack allows 3 s): the
    cached list, read afresh in the background when stale; a first read is waited for a
    little, then what is known so far is offered, saying the rest is loading (or failed)."""
    try:
        account = _start_reading(deps, workspace)
    except StoreError:
        return SegmentList(state="store_down")
    if account is None:
        return SegmentList()  # not connected: nothing to search
    return deps.segments.snapshot(workspace, account, wait=OPTIONS_WAIT)


def warm_segments(deps: PeopleDeps, workspace: Workspace) -> None:
    """Start reading the workspace's segments as the modal opens, so the first search finds
    them; a database failure is left for the search to report."""
    try:
        _start_reading(deps, workspace)
    except StoreError:
        logger.warning("segment list not warmed %s: database unavailable", workspace.log_fields())


def _start_reading(deps: PeopleDeps, workspace: Workspace) -> str | None:
    """Which Bunce account the workspace's list belongs to (None: not connected), after
    starting a read in the background when none runs and the list is stale."""
    info = deps.lookup.key_info(workspace)
    if info is None:
        return None
    account = _account(info)
    read = deps.segments.claim(workspace, account)
    if read is not None:
        deps.background.submit(read_segments, deps, workspace, read)
    return account


def _account(info: WorkspaceKeyInfo) -> str:
    """The key's identity without the key: a new key (another Bunce account) means a new list."""
    return f"{info.environment}:{info.hint}:{info.set_at.isoformat()}"


def read_segments(deps: PeopleDeps, workspace: Workspace, read: int) -> None:
    """Read every page of the workspace's segments into the cache (background), bounded."""
    ok = False
    try:
        key = deps.lookup.key(workspace)
        ok = key is not None and _read_pages(deps, workspace, read, key.key)
    except StoreError:
        logger.warning("segment list not read %s: database unavailable", workspace.log_fields())
    finally:
        deps.segments.finish(workspace, read, ok=ok)


def _read_pages(deps: PeopleDeps, workspace: Workspace, read: int, key: str) -> bool:
    """True once every segment (or the first MAX_SEGMENTS) is in. Each request goes through
    the client's rate limiter; a refusal is waited out (as jobs do) and the read starts again."""
    client = deps.bunce.for_key(key)
    for attempt in range(LIST_ATTEMPTS):
        try:
            for segment in client.iter_segments(per_page=LIST_PER_PAGE, max_segments=MAX_SEGMENTS):
                if not deps.segments.add(workspace, read, segment.id, segment.name):
                    return False  # superseded by a newer read
            return True
        except TooManySegments:
            return True  # the first MAX_SEGMENTS are searched: the cache's documented bound
        except BunceRateLimited as error:
            wait = error.retry_after
            last = attempt + 1 == LIST_ATTEMPTS or wait > deps.worker.policy.max_rate_wait
            if last or not deps.worker.sleep(wait):
                return False
        except BunceError as error:
            logger.info("segment list failed %s error=%s", workspace.log_fields(), error)
            return False
    return False
