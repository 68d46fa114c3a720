"""Percentiles and summaries, in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary_ms(seconds: Sequence[float], *, points: Sequence[int] = (50, 95, 99)) -> dict[str, Any]:
    """count, the given percentiles and max, in ms rounded to 0.1."""
    out: dict[str, Any] = {"count": len(seconds)}
    for p in points:
        value = percentile(seconds, p)
        out[f"p{p}_ms"] = None if value is None else round(value * 1000, 1)
    out["max_ms"] = round(max(seconds) * 1000, 1) if seconds else None
    return out


def fmt(value: float | None, width: int = 7, digits: int = 1) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"
