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
    """One page of `GET /segments` and whether asking for the next page is worthwhile.

    `stated` says a pagination field decided `has_next`; otherwise it is a guess from the
    page's length (a silent per_page cap makes a short page look like the last one).
    `cursor` is what to send as `cursor=` for the next page, when Bunce gave one.
    """

    segments: list[Segment]
    has_next: bool
    stated: bool = True
    cursor: str | None = None
    page_size: int | None = None  # the page size Bunce says it used (meta.per_page)


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


# Where a list body may carry its pagination, most specific first: Bunce's `meta` (§2.7), the
# SDK's nested `data.meta` (§6 #9), a Laravel paginator nested in `data` or returned bare
# (LengthAwarePaginator::toArray: current_page, last_page, next_page_url, per_page, total, ...;
# CursorPaginator::toArray: next_cursor, next_page_url, per_page).
_PAGINATOR_KEYS = ("current_page", "last_page", "next_page_url", "next_cursor", "total")
_PAGING_FIELDS = frozenset(
    {
        *_PAGINATOR_KEYS,
        "has_next_page",
        "next_page_cursor",
        "total_pages",
        "per_page",
        "to",
    }
)


def parse_segment_list(body: Mapping[str, Any]) -> tuple[list[Segment], dict[str, Any]]:
    """Segments and pagination fields from a list body, in every shape seen or plausible.

    `data: [...]` + `meta` (Bunce's docs); `data: {data, meta}` (the SDK's customers); a Laravel
    paginator nested in `data` or at the top; Laravel's resource form (`data`, `links`, `meta`).
    The fields come back merged into one dict, the most specific source winning.
    """
    if not isinstance(body, Mapping):
        raise BunceUnavailableError(reason="Bunce sent a segment list that is not an object")
    data = body.get("data")
    metas: list[Any] = [body.get("meta")]
    paginators: list[Any] = []
    if isinstance(data, Mapping):
        metas.append(data.get("meta"))
        paginators.append(data)
        data = data.get("data")
    elif any(key in body for key in _PAGINATOR_KEYS):
        paginators.append(body)  # a bare paginator: its fields sit beside `data`
    if data is None:
        data = []
    if not isinstance(data, list):
        raise BunceUnavailableError(reason="Bunce sent a segment list that is not a list")
    fields: dict[str, Any] = {}
    for paginator in paginators:
        fields.update({k: v for k, v in paginator.items() if k in _PAGING_FIELDS})
    for meta in reversed(metas):  # a `meta` object is kept whole; the top-level one wins
        if isinstance(meta, Mapping):
            fields.update(meta)
    links = body.get("links")
    if isinstance(links, Mapping) and "next" in links:
        # Laravel's resource form: links.next is the paginator's next_page_url.
        fields.setdefault("next_page_url", links.get("next"))
    return [parse_segment(item) for item in data], fields


def read_page(
    segments: list[Segment], fields: Mapping[str, Any], page: int, per_page: int
) -> SegmentPage:
    """Whether more follows, trusting explicit pagination fields before the page's length.

    Order: has_next_page (Bunce's meta), a next cursor, next_page_url / links.next, last_page or
    total_pages against the current page, total against the items so far; only when none is
    given, "a full page may have more", compared with the page size Bunce says it used.
    """
    count = len(segments)
    size = _optional_int(fields.get("per_page"))
    size = size if size is not None and size > 0 else None
    cursor = _optional_str(fields.get("next_page_cursor")) or _optional_str(
        fields.get("next_cursor")
    )
    cursor = cursor if cursor and cursor.strip() else None
    stated = _stated_next(fields, cursor, count, page, size)
    if count == 0:
        return SegmentPage(segments, False, True, None, size)
    if stated is not None:
        return SegmentPage(segments, stated, True, cursor if stated else None, size)
    return SegmentPage(segments, count >= (size or per_page), False, None, size)


def _stated_next(
    fields: Mapping[str, Any], cursor: str | None, count: int, page: int, size: int | None
) -> bool | None:
    flag = fields.get("has_next_page")
    if isinstance(flag, bool) or (isinstance(flag, int) and flag in (0, 1)):
        return bool(flag)
    if cursor is not None:
        return True
    if "next_page_url" in fields:
        url = fields.get("next_page_url")
        return isinstance(url, str) and bool(url.strip())
    current = _optional_int(fields.get("current_page")) or page
    last = _optional_int(fields.get("last_page", fields.get("total_pages")))
    if last is not None:
        return current < last
    total = _optional_int(fields.get("total"))
    if total is not None:
        to = _optional_int(fields.get("to"))
        seen = to if to is not None else (current - 1) * (size or count) + count
        return seen < total
    return None


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
