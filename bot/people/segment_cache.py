"""Each workspace's segment list, kept in memory for the add-customers search.

The search must answer Slack within 3 s and Bunce lists at most 100 segments a page, so the list
is read in the background (bot/people/search.py) and searched here. It holds ids and names only:
no key, no customers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from bot.tenant import Workspace

# Bounds:
MAX_WORKSPACES = 50  # lists kept at once; the least recently searched goes first
MAX_SEGMENTS = 5000  # per workspace (50 of Bunce's pages); only these are searched
FRESH_SECONDS = 60.0  # then the next search reads the list again, answering from the old one
KEEP_SECONDS = 15 * 60.0  # a list nobody searched for this long is dropped
NAME_MAX = 200  # characters kept of a name: options show 75, the rest is only searched

State = Literal["complete", "loading", "failed", "store_down"]


@dataclass(frozen=True)
class SegmentList:
    """What a search can offer now: (id, name) pairs in Bunce's order, and how complete they
    are: every segment, some while the rest load, or what was read before Bunce failed."""

    segments: tuple[tuple[str, str], ...] = ()
    state: State = "complete"

    def matching(self, query: str) -> list[tuple[str, str]]:
        """The segments whose name contains `query` (any case), names starting with it first."""
        words = query.strip().casefold()
        found = [s for s in self.segments if words in s[1].casefold()]
        return sorted(found, key=lambda s: not s[1].casefold().startswith(words))


@dataclass
class _Entry:
    account: str  # which key the list was read with (environment, hint, when set): no secret
    segments: tuple[tuple[str, str], ...] = ()  # the last complete read (or a failed one's part)
    complete: bool = False
    loaded_at: float = float("-inf")
    loading: int = 0  # the read under way (its number), 0 when none
    pending: list[tuple[str, str]] = field(default_factory=list)
    pending_ids: set[str] = field(default_factory=set)
    failed: bool = False
    used_at: float = 0.0


class SegmentCache:
    """Each workspace's segment ids and names, for the add-customers search; nothing secret (no
    key, no customers), within the bounds above. One read per workspace runs at a time; a read
    that was superseded (the key changed, or `forget`) stops at its next segment."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_workspaces: int = MAX_WORKSPACES,
        max_segments: int = MAX_SEGMENTS,
    ) -> None:
        self._clock = clock
        self._max_workspaces, self._max_segments = max_workspaces, max_segments
        self._entries: OrderedDict[Workspace, _Entry] = OrderedDict()
        self._changed = threading.Condition()
        self._reads = 0

    def claim(self, workspace: Workspace, account: str) -> int | None:
        """A read to start (its number), or None while one runs or the list is fresh."""
        with self._changed:
            entry = self._entry(workspace, account)
            if entry.loading or self._clock() - entry.loaded_at < FRESH_SECONDS:
                return None
            self._reads += 1
            entry.loading, entry.pending, entry.pending_ids = self._reads, [], set()
            return self._reads

    def add(self, workspace: Workspace, read: int, segment_id: str, name: str) -> bool:
        """One segment of read `read`; False once that read is no longer wanted."""
        with self._changed:
            entry = self._reading(workspace, read)
            if entry is None:
                return False
            if segment_id not in entry.pending_ids and len(entry.pending) < self._max_segments:
                entry.pending_ids.add(segment_id)
                entry.pending.append((segment_id, name[:NAME_MAX]))
            return True

    def finish(self, workspace: Workspace, read: int, *, ok: bool) -> None:
        """The read is over: a whole list replaces the old; a failed read keeps any older whole
        list (searches go on using it), else the most any read got is offered with the failure."""
        with self._changed:
            entry = self._reading(workspace, read)
            if entry is None:
                return
            if ok:
                entry.segments, entry.complete = tuple(entry.pending), True
                entry.loaded_at = self._clock()
            elif not entry.complete:
                entry.segments = _most(entry)
            entry.failed, entry.loading, entry.pending, entry.pending_ids = not ok, 0, [], set()
            self._changed.notify_all()

    def snapshot(self, workspace: Workspace, account: str, *, wait: float) -> SegmentList:
        """What to search now; waits up to `wait` seconds for a first read under way."""
        with self._changed:
            entry = self._entry(workspace, account)
            self._changed.wait_for(lambda: entry.complete or not entry.loading, wait)
            if entry.complete:
                return SegmentList(entry.segments)
            if entry.loading:
                return SegmentList(_most(entry), "loading")
            return SegmentList(entry.segments, "failed" if entry.failed else "loading")

    def forget(self, workspace: Workspace) -> None:
        """Read the list again at the next search (a segment is about to be created)."""
        with self._changed:
            self._entries.pop(workspace, None)

    def _entry(self, workspace: Workspace, account: str) -> _Entry:
        now = self._clock()
        while self._entries and next(iter(self._entries.values())).used_at < now - KEEP_SECONDS:
            self._entries.popitem(last=False)
        entry = self._entries.get(workspace)
        if entry is None or entry.account != account:
            entry = self._entries[workspace] = _Entry(account)
        entry.used_at = now
        self._entries.move_to_end(workspace)
        while len(self._entries) > self._max_workspaces:
            self._entries.popitem(last=False)
        return entry

    def _reading(self, workspace: Workspace, read: int) -> _Entry | None:
        entry = self._entries.get(workspace)
        return entry if entry is not None and entry.loading == read else None


def _most(entry: _Entry) -> tuple[tuple[str, str], ...]:
    """Without a whole list: this read's part, or a failed earlier read's when that got further
    (each read starts again at the first page)."""
    return tuple(entry.pending) if len(entry.pending) >= len(entry.segments) else entry.segments
