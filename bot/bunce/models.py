"""Bunce's segment objects as values, parsed leniently from whatever shape Bunce sends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.bunce.errors import BunceUnavailableError

# Bunce documents no batch limit for add-customers (§3.6); 500 keeps one call well-sized.
MAX_CUSTOMERS_PER_CALL = 500
CUSTOMER_IDENTIFIERS = ("email", "customer_id")


@dataclass(frozen=True)
class Segment:
    """One Bunce customer segment, as much of it as the app uses."""

    id: str
    name: str
    description: str | None
    type: str | None
    all_customers: bool
    created_at: datetime | None
    customers_count: int | None


@dataclass(frozen=True)
class SegmentPage:
    """One page of `GET /segments` and whether asking for the next page is worthwhile."""

    segments: list[Segment]
    has_next: bool


def parse_segment(data: Any) -> Segment:
    """A Segment from Bunce's `data` object; unknown fields are ignored, as Bunce may add some."""
    if not isinstance(data, Mapping):
        raise BunceUnavailableError(reason="Bunce sent a segment that is not an object")
    segment_id, name = data.get("id"), data.get("name")
    if segment_id in (None, "") or not isinstance(name, str):
        raise BunceUnavailableError(reason="Bunce sent a segment without an id or name")
    return Segment(
        id=str(segment_id),
        name=name,
        description=_optional_str(data.get("description")),
        type=_optional_str(data.get("type")),
        all_customers=_truthy(data.get("all_customers")),
        created_at=parse_timestamp(data.get("created_at")),
        customers_count=_optional_int(data.get("customers_count")),
    )


def parse_segment_list(body: Mapping[str, Any]) -> tuple[list[Segment], dict[str, Any]]:
    """Segments and `meta` from a list body: `data: [...]` + `meta`, or `data: {data, meta}`."""
    if not isinstance(body, Mapping):
        raise BunceUnavailableError(reason="Bunce sent a segment list that is not an object")
    data = body.get("data")
    meta = body.get("meta")
    if isinstance(data, Mapping):
        meta = meta if isinstance(meta, Mapping) else data.get("meta")
        data = data.get("data")
    if data is None:
        data = []
    if not isinstance(data, list):
        raise BunceUnavailableError(reason="Bunce sent a segment list that is not a list")
    meta = dict(meta) if isinstance(meta, Mapping) else {}
    return [parse_segment(item) for item in data], meta


def has_next_page(count: int, meta: Mapping[str, Any], page: int, per_page: int) -> bool:
    """Whether another page may exist; segment `meta` is undocumented, so any stop sign wins."""
    if count == 0 or count < per_page or meta.get("has_next_page") is False:
        return False
    total_pages = _optional_int(meta.get("total_pages", meta.get("last_page")))
    return total_pages is None or page < total_pages


def customer_refs(customers: Sequence[Mapping[str, str]]) -> list[dict[str, str]]:
    """Add-customers items, each one identifier only: Bunce upserts every field it is sent."""
    if isinstance(customers, str | bytes | Mapping):
        raise ValueError("customers must be a list of {email} or {customer_id} mappings")
    if not 1 <= len(customers) <= MAX_CUSTOMERS_PER_CALL:
        raise ValueError(f"add between 1 and {MAX_CUSTOMERS_PER_CALL} customers at a time")
    return [_customer_ref(index, customer) for index, customer in enumerate(customers)]


def _customer_ref(index: int, customer: Any) -> dict[str, str]:
    # The error names the position only: emails are personal data and may end up in logs.
    if isinstance(customer, Mapping) and len(customer) == 1:
        ((field, value),) = customer.items()
        if field in CUSTOMER_IDENTIFIERS and isinstance(value, str) and value.strip():
            return {field: value.strip()}
    raise ValueError(f"customers[{index}] must be exactly one non-empty email or customer_id")


def parse_timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime from Bunce's undocumented date formats; None when unparseable."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        # fromisoformat (3.11) takes "YYYY-MM-DD HH:MM:SS", fractions and offsets alike.
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _truthy(value: Any) -> bool:
    # Bunce sends all_customers as 1/0 though the request field is a boolean.
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return value is True or (isinstance(value, int | float) and value == 1)


def _optional_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _optional_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
