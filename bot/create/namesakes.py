"""The segments Bunce already has under each name, read once a minute per key, not per create.

Before its first POST, a create keeps the ids of the segments already named like it (the
baseline, bot/create/once.py), so that if the POST's answer is lost *and* Bunce dropped the
marker from the description, a namesake that is new since can be recognised as ours. Bunce can't
list by name (docs/bunce-api.md S2): a baseline is a walk of every page. Taken per create, that
cost (pages + 1) of Bunce's 500 requests a minute per IP for every segment, and the CPU to parse
them: 6 requests per create at 500 segments, 21 at 2000 (issue 15, `make bench`).

So one walk per key serves every create for FRESH_SECONDS, and the segments this process creates
meanwhile are added to it. What that gives up: a namesake that someone else (a person in Bunce,
another process) creates within that minute is missing from the baseline, where before only one
created between the walk and the POST was. It matters only in the rare case above, and then only
if that other namesake appears: find() sees two new namesakes and says "can't tell" (no
duplicate), or, when ours was never created, may take theirs for ours.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.bunce import Segment

FRESH_SECONDS = 60.0


def same_name(name: str) -> str:
    """A name as Bunce may normalise it (trimmed; case and inner spaces aside)."""
    return " ".join(name.split()).casefold()


def key_id(key: str) -> str:
    """What the cache is keyed by: not the secret itself."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass
class _Snapshot:
    taken: float
    ids_by_name: dict[str, set[str]] = field(default_factory=dict)


class NamesakeCache:
    """Per Bunce key: the ids of the segments under each name, as of a walk at most
    `fresh_seconds` old plus what was created here since. Thread-safe; one walk at a time per key
    (the others wait for it rather than walking too)."""

    def __init__(
        self, fresh_seconds: float = FRESH_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.fresh_seconds = fresh_seconds
        self._clock = clock
        self._snapshots: dict[str, _Snapshot] = {}
        self._locks: dict[str, threading.Lock] = {}
        # What was created here lately, kept apart from the snapshot so that a walk running at
        # the same time (which may or may not have seen it) can't lose it.
        self._created: dict[str, list[tuple[float, str, str]]] = {}
        self._lock = threading.Lock()

    def baseline(
        self, key: str, name: str, walk: Callable[[], Iterable[Segment]]
    ) -> frozenset[str]:
        """The ids named like `name`; walks (and may raise the walk's BunceError) when stale."""
        kid = key_id(key)
        snapshot = self._fresh(kid)
        if snapshot is None:
            with self._walk_lock(kid):
                snapshot = self._fresh(kid)  # another thread may have walked meanwhile
                if snapshot is None:
                    snapshot = _Snapshot(self._clock())
                    for segment in walk():
                        snapshot.ids_by_name.setdefault(same_name(segment.name), set()).add(
                            segment.id
                        )
                    with self._lock:
                        self._snapshots[kid] = snapshot
        wanted = same_name(name)
        with self._lock:
            mine = {sid for _, n, sid in self._created.get(kid, ()) if n == wanted}
        return frozenset(snapshot.ids_by_name.get(wanted, set()) | mine)

    def created(self, key: str, segment: Segment) -> None:
        """A segment this process created: a namesake for every later create."""
        now = self._clock()
        kid = key_id(key)
        with self._lock:
            kept = [c for c in self._created.get(kid, ()) if now - c[0] <= 2 * self.fresh_seconds]
            kept.append((now, same_name(segment.name), segment.id))
            self._created[kid] = kept

    def _fresh(self, kid: str) -> _Snapshot | None:
        with self._lock:
            snapshot = self._snapshots.get(kid)
        if snapshot is None or self._clock() - snapshot.taken > self.fresh_seconds:
            return None
        return snapshot

    def _walk_lock(self, kid: str) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(kid, threading.Lock())
