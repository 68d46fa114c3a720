"""FakeBunceApi: Bunce's segment API (live and sandbox) on loopback, recording every request."""

from __future__ import annotations

import contextlib
import copy
import json
import math
import re
import socket
import struct
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from requests.structures import CaseInsensitiveDict

# docs/bunce-api.md §2.1: the key's prefix decides its environment; each has its own host
# (here: prefix).
_ENV_PREFIXES = (("/sandbox/v1", "sandbox"), ("/v1", "live"))
_KEY_ENVIRONMENTS = {"sk_live_": "live", "sk_test_": "sandbox"}
_RATE_WINDOW = 60.0  # §2.8: 500 requests per minute per IP, then a 60 s lock-out
_LOCKOUT = 60.0
# Routes that carry a segment id; request paths are matched segment by segment (§3.4–3.6).
_ONE_SEGMENT = "/segments/{id}"
_MEMBERS = "/segments/{id}/customers"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+")
_MAX_CUSTOMERS = 1000
_CUSTOMER_IDENTIFIERS = frozenset({"email", "customer_id"})
_NOT_FOUND_HTML = (
    b"<!DOCTYPE html><html><head><title>Not Found</title></head><body>404</body></html>"
)
_PROXY_HTML = (
    b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
    b"<body><h1>Sorry, you have been blocked</h1></body></html>"
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request exactly as the fake received it (whole body, headers case-insensitive)."""

    method: str
    env: str | None  # "live", "sandbox", or None when the path has neither prefix
    path: str  # without the environment prefix, e.g. "/segments"
    query: dict[str, str]
    headers: CaseInsensitiveDict[str]
    body: bytes
    json: Any  # the parsed body, or None when it is empty or not JSON


@dataclass
class _Fault:
    status: int | None
    body: bytes | None
    headers: dict[str, str]
    delay: float
    after_processing: bool
    reset: bool
    times: int
    method: str | None
    path: str | None


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes
    headers: dict[str, str]


class FakeBunceApi:
    """A faithful stand-in for Bunce built from docs/bunce-api.md, with scripted faults."""

    # How Bunce treats descriptions is undocumented (docs/bunce-api.md §6 #3: typed string<email> on
    # create, string<text,nullable> on update; the seed's example answer echoes a different
    # description than was sent). Tests set these per instance to model each reading:
    # description_max: a column length (None: TEXT, no limit); description_overflow: what a
    # longer one gets: "reject" (Laravel's max rule: 422), "error" (a strict VARCHAR: MySQL's
    # "Data too long", a 500), or "truncate" (a non-strict VARCHAR keeps the start);
    # description_rewrite: a function applied to what is stored (e.g. drop it, or rewrite it).
    description_max: int | None = None
    description_overflow: str = "reject"
    description_rewrite: Callable[[str | None], str | None] | None = None
    # A create that commits this many seconds after it is processed (a slow "add all
    # customers" filling the segment inside the transaction): invisible to the list until then.
    create_commit_delay: float = 0.0

    def __init__(
        self,
        *,
        rate_limit_per_minute: int | None = 500,
        clock: Callable[[], float] = time.time,
        nested_list_shape: bool = False,
        envelope_key: str = "success",
        latency: float = 0.0,
        get_one_supported: bool = True,
    ) -> None:
        self.rate_limit_per_minute = rate_limit_per_minute  # None turns the limit off (benchmarks)
        self.clock = clock
        self.nested_list_shape = nested_list_shape
        self.envelope_key = envelope_key
        self.latency = latency
        self.get_one_supported = get_one_supported  # False: GET /segments/{id} is a 404 route
        self.create_paths: set[str] = {"/segments"}
        self.not_found_html = False
        # The segment list's pagination is undocumented (docs/bunce-api.md §2.7, §6 #8, #20), so
        # each plausible server is a variant. max_per_page: a silent cap (fewer items than asked;
        # the meta, when there is one, tells the truth). list_shape: "meta" (data + Bunce's meta,
        # §2.7), "bare" (data only: the SDK types the list `{success, message, data: Segment[]}`),
        # "laravel" (a LengthAwarePaginator nested in data), "laravel_resource" (Laravel's resource
        # form: data, links, meta), "cursor" (Bunce's cursor meta; takes `cursor`, ignores `page`).
        # ignores_page: every page is the first. newest_first: False lists oldest first (no order is
        # documented, §6 #20).
        self.max_per_page: int | None = None
        self.list_shape = "meta"
        self.ignores_page = False
        self.newest_first = True
        # Answers off the happy path. error_bodies: "bunce" ({success: false, message}, §2.6),
        # "laravel" (Laravel's default {message} / 422 {message, errors}), "laravel8" (the same
        # with Laravel <= 8's generic 422 message). update_answer: "segment", "null" (data:
        # null), "message" (envelope only), "no_content" (204). add_customers_answer:
        # "envelope" (the SDK's data: null), "no_content" (204), "empty" (200, no body).
        self.error_bodies = "bunce"
        self.update_answer = "segment"
        self.add_customers_answer = "envelope"
        self.server_errors: list[BaseException] = []
        self._lock = threading.Condition()
        self._requests: list[RecordedRequest] = []
        self._accounts: dict[str, list[dict[str, Any]]] = {}
        self._members: dict[tuple[str, str], set[str]] = {}
        self._extra_customer_fields: set[str] = set()
        self._faults: list[_Fault] = []
        self._hits: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> FakeBunceApi:
        """Listen on 127.0.0.1 at a free port, serving from a daemon thread."""
        if self._server is None:
            self._stopping.clear()
            self._server = _Server(("127.0.0.1", 0), _Handler)
            self._server.fake = self
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; delayed responses are abandoned and open connections closed."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        with self._lock:
            for connection in list(self._connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeBunceApi:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the fake listens on (after start())."""
        if self._server is None:
            raise RuntimeError("FakeBunceApi is not started")
        return self._server.server_address[1]

    @property
    def live_url(self) -> str:
        """Base URL of the live environment (sk_live_ keys)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def sandbox_url(self) -> str:
        """Base URL of the sandbox environment (sk_test_ keys)."""
        return f"http://127.0.0.1:{self.port}/sandbox/v1"

    @property
    def connection_refused_url(self) -> str:
        """A base URL on a loopback port where nothing listens."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        return f"http://127.0.0.1:{port}/v1"

    # -- accounts and inspection -----------------------------------------------------------------

    def add_key(self, key: str) -> None:
        """Register a valid key; each key is its own Bunce account with its own segments."""
        if _key_environment(key) is None:
            raise ValueError("Bunce keys start with sk_live_ or sk_test_")
        with self._lock:
            self._accounts.setdefault(key, [])

    def add_segment(
        self,
        key: str,
        name: str,
        *,
        description: str | None = None,
        all_customers: bool = False,
        created_at: str | None = None,
    ) -> dict[str, Any]:
        """Seed a segment into the key's account as if it had been created earlier."""
        with self._lock:
            segment = self._new_segment(name, description, all_customers)
            if created_at is not None:
                segment["created_at"] = created_at
            self._accounts[key].append(segment)
            return copy.deepcopy(segment)

    def segments(self, key: str) -> list[dict[str, Any]]:
        """The account's segments as stored, oldest first."""
        with self._lock:
            return copy.deepcopy(self._accounts[key])

    def members(self, key: str, segment_id: str) -> set[str]:
        """The segment's members: lower-cased emails, or customer_ids for items without one."""
        with self._lock:
            return set(self._members.get((key, segment_id), set()))

    @property
    def extra_customer_fields(self) -> set[str]:
        """Fields besides email/customer_id seen in any add-customers item (Bunce upserts them)."""
        with self._lock:
            return set(self._extra_customer_fields)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def wait_for_requests(
        self,
        n: int,
        timeout: float = 5.0,
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> list[RecordedRequest]:
        """Block until at least n (matching) requests arrived; AssertionError at the deadline."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                matching = [r for r in self._requests if predicate is None or predicate(r)]
                remaining = deadline - time.monotonic()
                if len(matching) >= n:
                    return matching
                if remaining <= 0:
                    raise AssertionError(f"waited {timeout}s for {n} requests, got {len(matching)}")
                self._lock.wait(remaining)

    # -- scripted faults -------------------------------------------------------------------------

    def fail_next(
        self,
        status: int | None = None,
        *,
        body: bytes | str | dict[str, Any] | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        after_processing: bool = False,
        reset: bool = False,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Script the next `times` matching requests: a status/body, a delay, or a reset socket.

        `method` and `path` narrow which requests match. `path` has no environment prefix and is
        compared as sent (percent-encoded), e.g. "/segments/<id>/customers"; a `*` segment stands
        for any one path segment, e.g. "/segments/*/customers" (but not "/segments").
        """
        if isinstance(body, dict):
            raw: bytes | None = json.dumps(body).encode()
        elif isinstance(body, str):
            raw = body.encode()
        else:
            raw = body
        if status is not None and raw is None:
            raw = json.dumps(self._envelope(status < 400, HTTPStatus(status).phrase)).encode()
        fault_headers = {"Content-Type": content_type, **(headers or {})}
        fault = _Fault(
            status, raw, fault_headers, delay, after_processing, reset, times, method, path
        )
        with self._lock:
            self._faults.append(fault)

    def proxy_page(self, status: int = 403, **match: Any) -> None:
        """Script a proxy's or firewall's HTML refusal (a CDN's "Attention Required" page) for
        the next matching request(s); `match` takes fail_next's times, method and path."""
        self.fail_next(status, body=_PROXY_HTML, content_type="text/html; charset=UTF-8", **match)

    # -- request handling (called from server threads) -------------------------------------------

    def _record(self, method: str, target: str, headers: Any, body: bytes) -> RecordedRequest:
        parts = urlsplit(target)
        env, path = None, parts.path
        for prefix, name in _ENV_PREFIXES:
            if parts.path.startswith(prefix + "/"):
                env, path = name, parts.path[len(prefix) :]
                break
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        request = RecordedRequest(
            method=method,
            env=env,
            path=path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=CaseInsensitiveDict(headers.items()),
            body=body,
            json=parsed,
        )
        with self._lock:
            self._requests.append(request)
            self._lock.notify_all()
        return request

    def _take_fault(self, request: RecordedRequest) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method not in (None, request.method):
                    continue
                if fault.path is not None and not _path_matches(fault.path, request.path):
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _pause(self, seconds: float) -> bool:
        """Wait without sleeping through stop(); False when the fake is stopping."""
        if seconds > 0:
            return not self._stopping.wait(seconds)
        return not self._stopping.is_set()

    def _process(self, request: RecordedRequest, client_ip: str) -> _Reply:
        with self._lock:
            limited = self._rate_limit(client_ip)
            if limited is not None:
                return limited
            route, segment_id = _route_of(request.path)
            allowed = self._routes().get(route, set()) if request.env else set()
            # A POST or GET the route lacks is a 404, so the client's create and get-one
            # fallbacks can run.
            if not allowed or (request.method in ("POST", "GET") and request.method not in allowed):
                return self._not_found()
            if request.method not in allowed:
                return self._not_allowed(request, allowed)
            key = request.headers.get("X-Authorization")
            if key not in self._accounts or _key_environment(key) != request.env:
                return self._reply(401, self._envelope(False, "Unauthenticated."))
            if segment_id is not None:
                return self._on_segment(key, request, route, segment_id)
            if request.method == "GET":
                return self._list(key, request.query)
            return self._create(key, request.json)

    def _routes(self) -> dict[str, set[str]]:
        routes: dict[str, set[str]] = {
            "/segments": {"GET"},
            _ONE_SEGMENT: {"GET", "PATCH"} if self.get_one_supported else {"PATCH"},
            _MEMBERS: {"POST"},
        }
        for path in self.create_paths & {"/segments", "/segment"}:
            routes.setdefault(path, set()).add("POST")
        return routes

    def _rate_limit(self, client_ip: str) -> _Reply | None:
        if self.rate_limit_per_minute is None:
            return None
        now = self.clock()
        locked_until = self._locked_until.get(client_ip, 0.0)
        if now < locked_until:
            return self._too_many(locked_until - now)
        hits = self._hits.setdefault(client_ip, deque())
        while hits and hits[0] <= now - _RATE_WINDOW:
            hits.popleft()
        if len(hits) >= self.rate_limit_per_minute:
            self._locked_until[client_ip] = now + _LOCKOUT
            hits.clear()
            return self._too_many(_LOCKOUT)
        hits.append(now)
        return None

    def _create(self, key: str, body: Any) -> _Reply:
        if not isinstance(body, dict):
            return self._reply(400, self._envelope(False, "The request body must be valid JSON."))
        # Laravel's TrimStrings and ConvertEmptyStringsToNull run before validation.
        fields = _trimmed(body)
        errors = _validation_errors(fields)
        if errors:
            return self._invalid(errors)
        description, refusal = self._stored_description(fields.get("description"))
        if refusal is not None:
            return refusal
        segment = self._new_segment(
            fields["name"], description, bool(fields.get("add_all_customers"))
        )
        self._commit(self._accounts[key], segment)
        envelope = self._envelope(True, "Segment created successfully")
        return self._reply(201, {**envelope, "data": copy.deepcopy(segment)})

    def _stored_description(self, description: Any) -> tuple[Any, _Reply | None]:
        """The description as this variant of Bunce stores it, or the refusal it answers."""
        limit = self.description_max
        if limit is not None and isinstance(description, str) and len(description) > limit:
            if self.description_overflow == "reject":
                message = f"The description field must not be greater than {limit} characters."
                return None, self._invalid([message])
            if self.description_overflow == "error":
                # Laravel's production 500 for a QueryException: the generic message only.
                return None, self._reply(500, {"message": "Server Error"})
            description = description[:limit]
        if self.description_rewrite is not None:
            description = self.description_rewrite(description)
        return description, None

    def _commit(self, account: list[dict[str, Any]], segment: dict[str, Any]) -> None:
        """Make the segment visible now, or after create_commit_delay (on the fake's thread)."""
        if self.create_commit_delay <= 0:
            account.append(segment)
            return

        def later() -> None:
            if not self._stopping.wait(self.create_commit_delay):
                with self._lock:
                    account.append(segment)

        threading.Thread(target=later, name="bunce-commit", daemon=True).start()

    def _on_segment(
        self, key: str, request: RecordedRequest, route: str, segment_id: str
    ) -> _Reply:
        if not _UUID.fullmatch(segment_id):
            return self._reply(422, self._envelope(False, "ID param is not valid UUID"))
        segment = next((s for s in self._accounts[key] if s["id"] == segment_id), None)
        if segment is None:
            return self._reply(404, self._envelope(False, "Segment not found"))
        if route == _MEMBERS:
            return self._add_customers(key, segment_id, request.json)
        if request.method == "PATCH":
            return self._update(segment, request.json)
        envelope = self._envelope(True, "Segment fetched successfully")
        return self._reply(200, {**envelope, "data": copy.deepcopy(segment)})

    def _update(self, segment: dict[str, Any], body: Any) -> _Reply:
        if not isinstance(body, dict):
            return self._reply(400, self._envelope(False, "The request body must be valid JSON."))
        fields = _trimmed(body)
        errors = _name_errors(fields["name"]) if "name" in fields else []
        errors += _description_errors(fields)
        if errors:
            return self._invalid(errors)
        segment.update({k: fields[k] for k in ("name", "description") if k in fields})
        segment["updated_at"] = self._now_text()
        envelope = self._envelope(True, "Segment updated successfully")
        # The update page promises "the updated attribute entity" (§3.5, a copy-paste), so the
        # variants a server might really send are modelled too.
        if self.update_answer == "null":
            return self._reply(200, {**envelope, "data": None})
        if self.update_answer == "message":
            return self._reply(200, envelope)
        if self.update_answer == "no_content":
            return _Reply(204, b"", {})
        return self._reply(200, {**envelope, "data": copy.deepcopy(segment)})

    def _add_customers(self, key: str, segment_id: str, body: Any) -> _Reply:
        if not isinstance(body, dict):
            return self._reply(400, self._envelope(False, "The request body must be valid JSON."))
        customers = body.get("customers")
        for item in customers if isinstance(customers, list) else []:
            if isinstance(item, dict):
                self._extra_customer_fields.update(set(item) - _CUSTOMER_IDENTIFIERS)
        errors = _customers_errors(customers)
        if errors:
            return self._invalid(errors)
        # Membership is a set and Bunce upserts customers, so adding someone twice is harmless.
        members = self._members.setdefault((key, segment_id), set())
        members.update(_member_of(_trimmed(item)) for item in customers)
        # [SDK] types the answer `{success, message, data: null}` (§3.6; the docs show none), so
        # a 204 or an empty 200 is as plausible.
        if self.add_customers_answer == "no_content":
            return _Reply(204, b"", {})
        if self.add_customers_answer == "empty":
            return _Reply(200, b"", {"Content-Type": "application/json"})
        envelope = self._envelope(True, "Customers added to segment successfully")
        return self._reply(200, {**envelope, "data": None})

    def _list(self, key: str, query: dict[str, str]) -> _Reply:
        page, per_page = query.get("page", "1"), query.get("per_page", "20")
        for label, value in (("page", page), ("per page", per_page)):
            if not value.isdigit() or int(value) < 1:
                message = f"The {label} field must be at least 1."
                return self._reply(422, self._envelope(False, message))
        # A cap Bunce doesn't document (§6 #20) would be applied silently, as Laravel apps do.
        size = min(int(per_page), self.max_per_page or int(per_page))
        stored = self._accounts[key]
        ordered = list(reversed(stored)) if self.newest_first else list(stored)
        if self.list_shape == "cursor":
            # Bunce's cursor lists take `cursor` + `per_page` ([SDK] CustomerQueryOptions, [CLI]
            # `query: {per_page, cursor}`) and know nothing of `page`.
            offset = _cursor_offset(query.get("cursor"))
            if offset is None:
                return self._reply(422, self._envelope(False, "The cursor is invalid."))
            page_n = offset // size + 1
        else:
            page_n = 1 if self.ignores_page else int(page)
            offset = (page_n - 1) * size
        items = copy.deepcopy(ordered[offset : offset + size])
        more = offset + size < len(ordered)
        envelope = self._envelope(True, "Segments fetched successfully")
        if self.list_shape in ("laravel", "laravel_resource"):
            paginated = self._paginator(key, items, page_n, size, len(ordered))
            if self.list_shape == "laravel":
                return self._reply(200, {**envelope, "data": paginated})
            # JsonResource::collection(...)->additional(envelope): PaginatedResourceResponse's
            # paginationLinks (first, last, prev, next) and meta (the paginator minus data and
            # the *_url fields).
            links = {
                "first": paginated["first_page_url"],
                "last": paginated["last_page_url"],
                "prev": paginated["prev_page_url"],
                "next": paginated["next_page_url"],
            }
            meta = {k: v for k, v in paginated.items() if k != "data" and k not in _URL_FIELDS}
            return self._reply(200, {"data": items, "links": links, "meta": meta, **envelope})
        if self.list_shape == "bare":
            return self._reply(200, {**envelope, "data": items})
        # Bunce's meta object ([D] introduction "Meta Object", [SDK] CursorMetaPayload, [CLI]
        # BunceMeta): has_next_page, has_prev_page, next/prev_page_cursor, per_page (the size used).
        cursors = self.list_shape == "cursor"
        meta = {
            "has_next_page": more,
            "has_prev_page": offset > 0,
            "next_page_cursor": _cursor_for(offset + size) if cursors and more else None,
            "prev_page_cursor": _cursor_for(max(offset - size, 0)) if cursors and offset else None,
            "per_page": size,
        }
        if self.nested_list_shape:
            return self._reply(200, {**envelope, "data": {"data": items, "meta": meta}})
        return self._reply(200, {**envelope, "data": items, "meta": meta})

    def _paginator(
        self, key: str, items: list[dict[str, Any]], page: int, size: int, total: int
    ) -> dict[str, Any]:
        """LengthAwarePaginator::toArray (laravel/framework Illuminate/Pagination), as JSON."""
        base = self.live_url if _key_environment(key) == "live" else self.sandbox_url
        path = f"{base}/segments"
        last = max(1, math.ceil(total / size))

        def url(n: int) -> str:
            return f"{path}?page={n}"

        first_item = (page - 1) * size + 1 if items else None
        return {
            "current_page": page,
            "data": items,
            "first_page_url": url(1),
            "from": first_item,
            "last_page": last,
            "last_page_url": url(last),
            "links": [{"url": url(n), "label": str(n), "active": n == page} for n in (1, last)],
            "next_page_url": url(page + 1) if page < last else None,
            "path": path,
            "per_page": size,
            "prev_page_url": url(page - 1) if page > 1 else None,
            "to": first_item + len(items) - 1 if first_item is not None else None,
            "total": total,
        }

    def _new_segment(
        self, name: str, description: str | None, all_customers: bool
    ) -> dict[str, Any]:
        # The shape of the create example Bunce publishes (§3.1): all_customers is 1/0.
        return {
            "id": str(uuid.uuid4()),
            "name": name,
            "description": description,
            "conditions": None,
            "type": "automatic" if all_customers else "manual",
            "all_customers": 1 if all_customers else 0,
            "created_at": self._now_text(),
        }

    def _now_text(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%d %H:%M:%S")

    def _envelope(self, ok: bool, message: str) -> dict[str, Any]:
        if not ok and self.error_bodies != "bunce":
            # Laravel's Handler renders errors as {"message": ...}, with no success key
            # (laravel/framework Foundation/Exceptions/Handler: unauthenticated, convert-
            # ExceptionToArray).
            return {"message": message}
        return {self.envelope_key: ok, "message": message}

    def _reply(
        self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> _Reply:
        body = json.dumps(payload).encode()
        return _Reply(status, body, {"Content-Type": "application/json", **(headers or {})})

    def _invalid(self, errors: list[str]) -> _Reply:
        more = len(errors) - 1
        suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        if self.error_bodies == "bunce":
            return self._reply(422, self._envelope(False, errors[0] + suffix))
        # Laravel's invalidJson: {message, errors: {field: [messages]}} (Handler::invalidJson);
        # the message sums up the first error since laravel/framework 1e02bc2b (Dec 2020),
        # before that it was "The given data was invalid." (ValidationException).
        by_field: dict[str, list[str]] = {}
        for error in errors:
            by_field.setdefault(_field_of(error), []).append(error)
        summary = errors[0] + suffix
        if self.error_bodies == "laravel8":
            summary = "The given data was invalid."
        return self._reply(422, {"message": summary, "errors": by_field})

    def _too_many(self, remaining: float) -> _Reply:
        body = self._envelope(False, "You have reached maximum request limit.")
        return self._reply(429, body, {"Retry-After": str(math.ceil(remaining))})

    def _not_found(self) -> _Reply:
        if self.not_found_html:
            return _Reply(404, _NOT_FOUND_HTML, {"Content-Type": "text/html; charset=UTF-8"})
        return self._reply(404, self._envelope(False, "Route not found"))

    def _not_allowed(self, request: RecordedRequest, allowed: set[str]) -> _Reply:
        methods = ", ".join(sorted(allowed))
        text = f"The {request.method} method is not supported for route {request.path.strip('/')}."
        body = self._envelope(False, f"{text} Supported methods: {methods}.")
        return self._reply(405, body, {"Allow": methods})

    def _fault_reply(self, fault: _Fault) -> _Reply:
        assert fault.status is not None and fault.body is not None
        return _Reply(fault.status, fault.body, dict(fault.headers))


_URL_FIELDS = ("first_page_url", "last_page_url", "prev_page_url", "next_page_url")


def _cursor_for(offset: int) -> str:
    """An opaque cursor (Laravel's are encoded JSON too), here the offset it stands for."""
    return json.dumps({"offset": offset}).encode().hex()


def _cursor_offset(cursor: str | None) -> int | None:
    """The offset a cursor stands for; 0 without one; None when it is not one of ours."""
    if not cursor:
        return 0
    try:
        offset = json.loads(bytes.fromhex(cursor))["offset"]
    except (ValueError, TypeError, KeyError):
        return None
    return offset if isinstance(offset, int) and offset >= 0 else None


def _field_of(message: str) -> str:
    """The field a Laravel-style message is about: "The add all customers field ..." names
    add_all_customers; "customers.0.email must ..." names customers.0.email."""
    match = re.match(r"The (.+?) field\b", message)
    return match.group(1).replace(" ", "_") if match else message.split(" ", 1)[0]


def _key_environment(key: str | None) -> str | None:
    for prefix, env in _KEY_ENVIRONMENTS.items():
        if key and key.startswith(prefix) and len(key) > len(prefix):
            return env
    return None


def _route_of(path: str) -> tuple[str, str | None]:
    """The route a path (as sent) belongs to, and the decoded segment id it carries, if any."""
    parts = path.split("/")  # "/segments/<id>/customers" -> ["", "segments", "<id>", "customers"]
    if len(parts) in (3, 4) and parts[1] == "segments" and parts[2]:
        if len(parts) == 3:
            return _ONE_SEGMENT, unquote(parts[2])
        if parts[3] == "customers":
            return _MEMBERS, unquote(parts[2])
    return path, None


def _path_matches(pattern: str, path: str) -> bool:
    """Segment by segment; a `*` segment in the pattern matches any one non-empty segment."""
    wanted, got = pattern.split("/"), path.split("/")
    if len(wanted) != len(got):
        return False
    return all(w == g or (w == "*" and g != "") for w, g in zip(wanted, got, strict=True))


def _trimmed(body: dict[str, Any]) -> dict[str, Any]:
    # Laravel's TrimStrings and ConvertEmptyStringsToNull run before validation.
    return {k: (v.strip() or None) if isinstance(v, str) else v for k, v in body.items()}


def _validation_errors(fields: dict[str, Any]) -> list[str]:
    """Laravel-style messages for the create rules: name required|string|max:255 and so on."""
    errors = _name_errors(fields.get("name")) + _description_errors(fields)
    add_all = fields.get("add_all_customers")
    if add_all is not None and not isinstance(add_all, bool):
        errors.append("The add all customers field must be true or false.")
    return errors


def _name_errors(name: Any) -> list[str]:
    if name is None:
        return ["The name field is required."]
    if not isinstance(name, str):
        return ["The name field must be a string."]
    if len(name) > 255:
        return ["The name field must not be greater than 255 characters."]
    return []


def _description_errors(fields: dict[str, Any]) -> list[str]:
    description = fields.get("description")
    if description is not None and not isinstance(description, str):
        return ["The description field must be a string."]
    return []


def _customers_errors(customers: Any) -> list[str]:
    """Add-customers rules: a non-empty array of at most 1000 items, each with an identifier."""
    if customers is None or customers == []:
        return ["The customers field is required."]
    if not isinstance(customers, list):
        return ["The customers field must be an array."]
    if len(customers) > _MAX_CUSTOMERS:
        return [f"The customers field must not have more than {_MAX_CUSTOMERS} items."]
    return [error for i, item in enumerate(customers) for error in _customer_errors(i, item)]


def _customer_errors(index: int, item: Any) -> list[str]:
    field = f"customers.{index}"
    if not isinstance(item, dict):
        return [f"{field} must be an object"]
    fields = _trimmed(item)
    email, customer_id = fields.get("email"), fields.get("customer_id")
    if email is not None:
        valid = isinstance(email, str) and len(email) <= 254 and _EMAIL.fullmatch(email)
        return [] if valid else [f"{field}.email must be a valid email address"]
    if customer_id is None:
        return [f"{field}.customer_id is required when {field}.email is not present"]
    if not isinstance(customer_id, str):
        return [f"{field}.customer_id must be a string"]
    return []


def _member_of(item: dict[str, Any]) -> str:
    email = item.get("email")
    return email.lower() if email is not None else item["customer_id"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeBunceApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that gave up (timeouts, resets) are expected; anything else is a fake bug.
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, OSError):
            self.fake.server_errors.append(error)
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a pooled client would see in production
    timeout = 30
    server: _Server

    def setup(self) -> None:
        super().setup()
        with self.server.fake._lock:
            self.server.fake._connections.add(self.connection)

    def finish(self) -> None:
        with self.server.fake._lock:
            self.server.fake._connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the fake records requests; stderr noise helps nobody

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        request = fake._record(self.command, self.path, self.headers, self.rfile.read(length))
        fault = fake._take_fault(request)
        if fault is not None and not fault.after_processing and self._apply(fault):
            return None
        reply = fake._process(request, self.client_address[0])
        if fault is not None and fault.after_processing and self._apply(fault):
            return None
        if not fake._pause(fake.latency):
            return self._drop()
        self._send(reply)

    def _apply(self, fault: _Fault) -> bool:
        """Delay, then reset or answer as scripted; True when the fault ended the exchange."""
        fake = self.server.fake
        if not fake._pause(fault.delay):
            self._drop()
            return True
        if fault.reset:
            self._reset()
            return True
        if fault.status is not None:
            self._send(fake._fault_reply(fault), close=True)
            return True
        return False

    def _send(self, reply: _Reply, *, close: bool = False) -> None:
        # Scripted replies close the connection: a lying Content-Length must truncate, not hang.
        headers = {"Content-Length": str(len(reply.body)), **reply.headers}
        if close:
            self.close_connection = True
            headers["Connection"] = "close"
        self.send_response(reply.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def _drop(self) -> None:
        self.close_connection = True

    def _reset(self) -> None:
        # SO_LINGER 0 turns close() into a TCP RST, as a crashing proxy would send.
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
