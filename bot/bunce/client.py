"""HTTP calls to Bunce's segment API for one key, and the factory that picks its environment."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import requests

from bot.bunce.errors import (
    BunceError,
    BunceRateLimited,
    BunceUnavailableError,
    TooManySegments,
    error_for_exception,
    error_for_response,
    redact,
    retry_after_seconds,
)
from bot.bunce.keys import environment_of, key_hint
from bot.bunce.limiter import RateLimiter
from bot.bunce.models import (
    Segment,
    SegmentPage,
    customer_refs,
    parse_segment,
    parse_segment_list,
    read_page,
)

logger = logging.getLogger(__name__)

USER_AGENT = "bunce-slack/0.1 (+https://github.com/bunce-slack/bunce-slack)"
CREATE_TIMEOUT = (3.05, 20.0)  # add_all_customers may fill the segment synchronously
READ_TIMEOUT = (3.05, 10.0)
CREATE_PATH = "/segments"
# The create page's header says /segment; a 404/405 on /segments proves nothing was created.
FALLBACK_CREATE_PATH = "/segment"
# GET /segments/{id} exists only in the SDK (§3.4); without it, get_segment scans this far.
SCAN_PER_PAGE = 100
SCAN_MAX_PAGES = 20


class BunceClient:
    """Talks to one Bunce environment with one workspace's key; knows nothing of Slack."""

    def __init__(
        self,
        key: str,
        *,
        base_url: str,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = CREATE_TIMEOUT,
        read_timeout: tuple[float, float] = READ_TIMEOUT,
        user_agent: str = USER_AGENT,
        limiter: RateLimiter | None = None,
    ) -> None:
        environment_of(key)  # refuse malformed keys here: requests would echo a bad header value
        self._key = key
        self.base_url = base_url.rstrip("/")
        self._session = session or requests.Session()
        self._timeout = timeout
        self._read_timeout = read_timeout
        self._limiter = limiter or RateLimiter()
        self._headers = {
            "X-Authorization": key,
            "Accept": "application/json",
            "User-Agent": user_agent,
        }

    def __repr__(self) -> str:
        return f"BunceClient(base_url={self.base_url!r}, key={key_hint(self._key)!r})"

    def create_segment(
        self, name: str, description: str | None, add_all_customers: bool
    ) -> Segment:
        """Create a segment; never re-sent unless Bunce says the route does not exist."""
        payload: dict[str, Any] = {"name": name, "add_all_customers": bool(add_all_customers)}
        if description:
            payload["description"] = description
        response = self._send("POST", CREATE_PATH, payload=payload, timeout=self._timeout)
        if response.status_code in (404, 405):
            logger.warning(
                "bunce create path fallback status=%s from=%s to=%s key=%s",
                response.status_code,
                CREATE_PATH,
                FALLBACK_CREATE_PATH,
                key_hint(self._key),
            )
            response = self._send(
                "POST", FALLBACK_CREATE_PATH, payload=payload, timeout=self._timeout
            )
        return parse_segment(self._body(response).get("data"))

    def list_segments(
        self, page: int = 1, per_page: int = 20, *, cursor: str | None = None
    ) -> SegmentPage:
        """One page of the account's segments: by page number (as Bunce's list endpoint takes),
        or by the cursor a previous page gave (`cursor=` + `per_page`, as Bunce's SDK and CLI
        send for cursor-paginated lists, §2.7)."""
        if page < 1 or per_page < 1:
            raise ValueError("page and per_page start at 1")
        params: dict[str, Any] = (
            {"cursor": cursor, "per_page": per_page}
            if cursor
            else {"page": page, "per_page": per_page}
        )
        response = self._send("GET", "/segments", params=params, timeout=self._read_timeout)
        segments, fields = parse_segment_list(self._body(response))
        return read_page(segments, fields, page, per_page)

    def iter_segments(self, *, per_page: int = 100, max_segments: int = 2000) -> Iterator[Segment]:
        """Every segment of the account once, page after page, for whoever must see them all.

        Bunce documents no maximum per_page and no segment `meta` (§2.7, §6 #20), so pagination
        fields are trusted before a page's length, and a page that may be short only because
        of a silent cap is followed by one more request. A page of nothing new ends the walk:
        after a page Bunce said had a successor, that is BunceUnavailableError (it ignores
        `page` or `cursor`, so the rest cannot be seen; absence is unknown), otherwise the
        end. More than `max_segments` is TooManySegments: unknown, never "absent".
        """
        seen: set[str] = set()
        page, cursor, promised = 1, None, False
        while True:
            listing = self.list_segments(page, per_page, cursor=cursor)
            fresh = _new_segments(listing.segments, seen)
            if listing.segments and not fresh:
                if promised:
                    raise BunceUnavailableError(
                        reason="Bunce sent the same segments again instead of the next page",
                        certainly_not_processed=False,
                    )
                return
            for segment in fresh:
                if len(seen) >= max_segments:
                    raise TooManySegments(max_segments)
                seen.add(segment.id)
                yield segment
            if not listing.segments or (listing.stated and not listing.has_next):
                return
            if len(seen) >= max_segments:
                raise TooManySegments(max_segments)
            # Without pagination fields a short page is probably the last; one more request
            # makes sure, since a duplicate segment cannot be deleted.
            promised = listing.has_next
            page, cursor = page + 1, listing.cursor

    def get_segment(self, segment_id: str) -> Segment:
        """One segment by id; when Bunce has no get-one route, found by scanning the list."""
        path = _segment_path(segment_id)
        response = self._send("GET", path, timeout=self._read_timeout)
        if response.status_code not in (404, 405):
            return parse_segment(self._body(response).get("data"))
        # A 404 cannot tell a missing route from a missing segment, so the list decides both.
        logger.info(
            "bunce get-one fallback status=%s to=list key=%s",
            response.status_code,
            key_hint(self._key),
        )
        return self._scan_for(segment_id)

    def update_segment(
        self, segment_id: str, *, name: str | None = None, description: str | None = None
    ) -> Segment:
        """Change a segment's name and/or description; re-sending the same values is harmless."""
        payload = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
        if not payload:
            raise ValueError("give a name or a description to update")
        path = _segment_path(segment_id)
        response = self._send("PATCH", path, payload=payload, timeout=self._timeout)
        data = self._body(response, empty_ok=True).get("data")
        try:
            return parse_segment(data)
        except BunceUnavailableError:
            # The update page promises "the updated attribute entity" (§3.5, a copy-paste), so
            # a 2xx may well carry no segment (`data: null`, only a message, 204): it worked,
            # and the segment is read back instead of reporting a failure.
            logger.info(
                "bunce update answered without a segment; reading it back key=%s",
                key_hint(self._key),
            )
            return self.get_segment(segment_id)

    def add_customers(self, segment_id: str, customers: Sequence[Mapping[str, str]]) -> None:
        """Add customers by email or customer_id only: Bunce upserts any other field it is sent."""
        payload = {"customers": customer_refs(customers)}
        path = _segment_path(segment_id, "/customers")
        # The SDK types the answer `data: null` (§3.6); a 204 or an empty 200 is success too.
        self._body(self._send("POST", path, payload=payload, timeout=self._timeout), empty_ok=True)

    def verify(self) -> None:
        """Prove the key works in its environment with the cheapest authenticated read."""
        self.list_segments(1, 1)

    def _scan_for(self, segment_id: str) -> Segment:
        try:
            for segment in self.iter_segments(
                per_page=SCAN_PER_PAGE, max_segments=SCAN_PER_PAGE * SCAN_MAX_PAGES
            ):
                if segment.id == segment_id:
                    return segment
        except TooManySegments as error:
            reason = f"not among the first {error.limit} segments"
            raise BunceError(
                "segment not found", status=404, reason=reason, certainly_not_processed=True
            ) from error
        raise BunceError("segment not found", status=404, certainly_not_processed=True)

    def _send(
        self,
        method: str,
        path: str,
        *,
        timeout: tuple[float, float],
        payload: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        wait = self._limiter.acquire()
        if wait > 0:
            # Not sent at all: Bunce's limit is per IP, so this process holds back for everyone.
            raise BunceRateLimited("rate limit reached in this process", retry_after=wait)
        headers = dict(self._headers)
        data = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(payload).encode()
        try:
            # No redirects: requests would carry X-Authorization to whatever host they point at.
            return self._session.request(
                method,
                self.base_url + path,
                params=params,
                data=data,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            error = error_for_exception(exc)
            logger.info("bunce call failed url=%s error=%s", redact(self.base_url + path), error)
            raise error from exc

    def _body(self, response: requests.Response, *, empty_ok: bool = False) -> dict[str, Any]:
        """The JSON object of a successful answer, else the typed error; `empty_ok` takes an
        empty 2xx (204, or 200 with no body) as success, for calls that need nothing back."""
        status = response.status_code
        if empty_ok and 200 <= status < 300 and not response.content.strip():
            return {}
        body = _json_object(response)
        if status == 429:
            self._limiter.pause(retry_after_seconds(response.headers.get("Retry-After")))
        # Either envelope key may carry the verdict (§2.4): only an explicit false fails a 2xx.
        if (
            body is not None
            and 200 <= status < 300
            and body.get("success", body.get("status", True)) is not False
        ):
            return body
        error = error_for_response(status, body, response.headers)
        _log_failure(response, error, readable=body is not None)
        raise error


def _new_segments(segments: list[Segment], seen: set[str]) -> list[Segment]:
    """The page's segments not yielded before, each once (pages may overlap as lists change)."""
    fresh: dict[str, Segment] = {}
    for segment in segments:
        if segment.id not in seen:
            fresh.setdefault(segment.id, segment)
    return list(fresh.values())


def _segment_path(segment_id: str, suffix: str = "") -> str:
    # The id stays one path segment: "/", "?" and "%" are escaped, and "." / ".." are refused
    # because requests resolves dot segments (even escaped ones: %2E is unreserved).
    if not isinstance(segment_id, str) or not segment_id.strip():
        raise ValueError("a segment id is required")
    if segment_id in (".", ".."):
        raise ValueError("a segment id cannot be a dot segment")
    return f"/segments/{quote(segment_id, safe='')}{suffix}"


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = json.loads(response.content)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        return None
    return body if isinstance(body, dict) else None


def _log_failure(response: requests.Response, error: BunceError, *, readable: bool) -> None:
    logger.info(
        "bunce call failed url=%s status=%s error=%s message=%r",
        redact(response.url),
        response.status_code,
        type(error).__name__,
        error.message,
    )
    if error.details:
        logger.debug("bunce error details=%s", json.dumps(error.details, default=str))
    if not readable:
        logger.debug("bunce unreadable body start=%r", redact(response.text[:200]))
