"""FakeSocketMode: a loopback fake of Slack's Socket Mode, for `python -m bot` with an app token.

Two halves, as in Slack: `apps.connections.open` (served on a running FakeSlackApi) hands out a
one-off WebSocket URL, and a small threaded RFC 6455 server on 127.0.0.1 accepts it, says hello,
delivers the envelopes a test pushes and records the client's acks and how the connection ends.

Sources, cited beside each behaviour:
- [open]   https://api.slack.com/methods/apps.connections.open
- [impl]   https://api.slack.com/apis/connections/socket-implement (hello, envelopes, acks,
           disconnect messages)
- [sdk]    slack_sdk 3.48 socket_mode/builtin/{connection,internals}.py and socket_mode/client.py
           (what the builtin client the app runs actually sends and expects)
- [mock]   python-slack-sdk tests/slack_sdk/socket_mode/mock_socket_mode_server.py (the message
           shapes Slack's own SDK tests use)
- [rfc]    RFC 6455 (The WebSocket Protocol)
Stdlib only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import json
import secrets
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.slack import FakeSlackApi, refusal

APP_ID = "A0BUNCE"
# [rfc] §1.3: the server proves it read the key: base64(sha1(key + this GUID)).
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# [open] a typical answer: "url": "wss://wss-somethiing.slack.com/link/?ticket=12348&app_id=5678"
LINK_PATH = "/link/"
MAX_HANDSHAKE_BYTES = 16 * 1024
MAX_MESSAGE_BYTES = 4 * 1024 * 1024

# [rfc] §5.2 opcodes.
OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
# [rfc] §7.4.1 close codes used here.
CLOSE_NORMAL, CLOSE_PROTOCOL_ERROR, CLOSE_TOO_BIG = 1000, 1002, 1009

# [impl] "disconnect" reasons: `warning` (the connection will be refreshed in about 10 seconds),
# `refresh_requested` (refresh now: open a new connection), `link_disabled` (Socket Mode was
# turned off in the app's settings; reconnecting will not help).
DISCONNECT_REASONS = ("warning", "refresh_requested", "link_disabled")
ENVELOPE_TYPES = ("slash_commands", "interactive", "events_api")


@dataclass(frozen=True)
class Envelope:
    """One envelope the fake delivered, as Slack sends it ([impl], [mock])."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    connection: int
    at: float


@dataclass(frozen=True)
class Ack:
    """The client's acknowledgement `{"envelope_id", "payload"?}` ([impl], [sdk] response.py)."""

    envelope_id: str
    payload: dict[str, Any] | None
    connection: int
    at: float


@dataclass
class Connection:
    """One WebSocket connection; `closed_by` says which side ended it and `closed_at` when."""

    index: int
    ticket: str
    request_line: str
    headers: dict[str, str]
    opened_at: float
    sock: socket.socket = field(repr=False)
    hello_sent: bool = False
    pings: list[bytes] = field(default_factory=list)
    pongs: list[bytes] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    frames: list[tuple[int, bool, bool]] = field(default_factory=list)  # opcode, fin, masked
    close_code: int | None = None  # from the client's close frame, if it sent one
    closed_by: str | None = None  # "client" or "server"
    closed_at: float | None = None
    _send_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _server_closing: bool = field(default=False, repr=False)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def closed_by_client(self) -> bool:
        return self.closed_by == "client"


class _Buffered:
    """Reads exact byte counts from a socket, keeping what arrived past the last read."""

    def __init__(self, sock: socket.socket, initial: bytes = b"") -> None:
        self.sock = sock
        self.buffer = bytearray(initial)

    def read_exact(self, count: int) -> bytes | None:
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buffer += chunk
        out = bytes(self.buffer[:count])
        del self.buffer[:count]
        return out


class _ProtocolError(Exception):
    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def accept_key(key: str) -> str:
    """[rfc] §4.2.2 item 5.4: Sec-WebSocket-Accept for a client's Sec-WebSocket-Key."""
    digest = hashlib.sha1((key + WEBSOCKET_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def encode_frame(
    opcode: int, payload: bytes, *, fin: bool = True, mask: bytes | None = None
) -> bytes:
    """[rfc] §5.2 base framing. Servers never mask (§5.1); tests build client frames with `mask`."""
    head = bytes([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if mask is not None else 0
    length = len(payload)
    if length <= 125:
        head += bytes([mask_bit | length])
    elif length <= 0xFFFF:
        head += bytes([mask_bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", length)
    if mask is None:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class FakeSocketMode:
    """Slack's Socket Mode on loopback: issue URLs, accept connections, deliver and record.

    Register it on a started FakeSlackApi (`start()` does) so the app's WebClient, pointed at
    the fake's SLACK_API_URL, gets a ws://127.0.0.1 URL from `apps.connections.open`.
    """

    def __init__(
        self,
        slack: FakeSlackApi,
        *,
        app_id: str = APP_ID,
        app_token: str | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slack = slack
        self.app_id = app_id
        self.app_token = app_token  # None: any xapp- token is this app's
        self.now = now
        self.connections: list[Connection] = []
        self.envelopes: list[Envelope] = []
        self.acks: list[Ack] = []
        self.problems: list[str] = []  # protocol mistakes the client made, for assertions
        self._tickets: dict[str, bool] = {}  # ticket -> used
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSocketMode:
        """Listen on 127.0.0.1 (a free port) and serve apps.connections.open on the fake Slack."""
        self._stopping.clear()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        self._listener = listener
        self._spawn(self._accept_loop, "FakeSocketMode-accept")
        self.slack.add_client_method("apps.connections.open", self._connections_open)
        return self

    def stop(self) -> None:
        """Close every connection and the listener; reader threads end on their own."""
        self._stopping.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        with self._lock:
            connections = list(self.connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
            conn.sock.close()
        for thread in self._threads:
            thread.join(timeout=5)
        with self._changed:
            self._changed.notify_all()

    def __enter__(self) -> FakeSocketMode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("FakeSocketMode is not started")
        return self._listener.getsockname()[1]

    # ---- apps.connections.open -------------------------------------------------------------

    def _connections_open(self, headers: dict[str, str], args: dict[str, Any]) -> dict[str, Any]:
        """[open] The app-level token, in the Authorization header, buys a one-off URL."""
        value = headers.get("authorization", "")
        token = value[len("Bearer ") :].strip() if value.startswith("Bearer ") else ""
        if not token:
            # [open] "missing_args: An app-level token wasn't provided" (and a token sent only
            # as a POST parameter is an error: "you will need to pass this token in the HTTP
            # Authorization header").
            raise refusal("not_authed")
        if token.startswith(("xoxb-", "xoxp-", "xoxe.")):
            # Slack's answer to a bot or user token on an app-level-token method.
            raise refusal("not_allowed_token_type")
        if not token.startswith("xapp-") or (self.app_token and token != self.app_token):
            raise refusal("invalid_auth")  # [open] "Either the provided token is invalid…"
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets[ticket] = False
        return {
            "url": f"ws://127.0.0.1:{self.port}{LINK_PATH}?ticket={ticket}&app_id={self.app_id}"
        }

    # ---- inspection ------------------------------------------------------------------------

    def open_connections(self) -> list[Connection]:
        with self._lock:
            return [c for c in self.connections if c.is_open and c.hello_sent]

    def ack_for(self, envelope_id: str) -> Ack | None:
        with self._lock:
            return next((a for a in self.acks if a.envelope_id == envelope_id), None)

    def wait_for_connection(self, count: int = 1, timeout: float = 10.0) -> Connection:
        """Block until `count` connections have been greeted with hello; return the newest."""
        if not self._wait(lambda: sum(c.hello_sent for c in self.connections) >= count, timeout):
            raise AssertionError(
                f"expected {count} Socket Mode connection(s) within {timeout}s; got "
                f"{len(self.connections)}, problems: {self.problems}"
            )
        with self._lock:
            return [c for c in self.connections if c.hello_sent][count - 1]

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        """Block until the client acknowledges the envelope, or fail naming what was acked."""
        if self._wait(lambda: self.ack_for(envelope_id) is not None, timeout):
            ack = self.ack_for(envelope_id)
            assert ack is not None
            return ack
        with self._lock:
            seen = [a.envelope_id for a in self.acks]
        raise AssertionError(f"envelope {envelope_id} not acked within {timeout}s; acked: {seen}")

    def wait_closed(self, connection: Connection, timeout: float = 5.0) -> bool:
        """True once the connection has ended (by either side) within `timeout`."""
        return self._wait(lambda: not connection.is_open, timeout)

    def _wait(self, done: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not done():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    # ---- driving ---------------------------------------------------------------------------

    def push(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
        connection: Connection | None = None,
    ) -> str:
        """Deliver an envelope on `connection` (default: the newest open one); its id.

        Raises ConnectionError when there is no open connection to deliver on: Slack would hold
        the envelope for another connection rather than send it nowhere.
        """
        if type not in ENVELOPE_TYPES:
            raise ValueError(f"envelope type must be one of {ENVELOPE_TYPES}")
        target = connection or self._newest_open()
        envelope_id = envelope_id or str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = _accepts_response_payload(type, payload)
        # [impl]/[mock]: {"envelope_id", "payload", "type", "accepts_response_payload"}, and for
        # events_api also "retry_attempt" and "retry_reason" (the Events API retry counters).
        message: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": type,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api":
            message |= {"retry_attempt": retry_attempt, "retry_reason": retry_reason}
        record = Envelope(
            envelope_id,
            type,
            copy.deepcopy(payload),
            accepts_response_payload,
            target.index,
            self.now(),
        )
        with self._changed:
            self.envelopes.append(record)
            self._changed.notify_all()
        self._send_text(target, json.dumps(message))
        return envelope_id

    def disconnect(self, reason: str, connection: Connection | None = None) -> None:
        """[impl] A `disconnect` message; the client should open a new connection ([sdk]
        client.py process_message: connect_to_new_endpoint(force=True))."""
        if reason not in DISCONNECT_REASONS:
            raise ValueError(f"reason must be one of {DISCONNECT_REASONS}")
        target = connection or self._newest_open()
        # [mock] socket_mode_disconnect_message's shape.
        message = {
            "type": "disconnect",
            "reason": reason,
            "debug_info": {"host": "applink-fake-1"},
        }
        self._send_text(target, json.dumps(message))

    def close(self, connection: Connection | None = None, code: int = CLOSE_NORMAL) -> None:
        """A server-initiated close frame ([rfc] §5.5.1); the client answers or drops the link."""
        target = connection or self._newest_open()
        target._server_closing = True
        self._send(target, OP_CLOSE, struct.pack("!H", code))

    def ping(self, data: bytes, connection: Connection | None = None) -> None:
        """[rfc] §5.5.2 a ping; the client must answer with a pong carrying the same data."""
        self._send(connection or self._newest_open(), OP_PING, data)

    def send_raw(self, connection: Connection, data: bytes) -> None:
        """Bytes as they are, for tests of malformed or fragmented server frames."""
        with connection._send_lock:
            connection.sock.sendall(data)

    def _newest_open(self) -> Connection:
        open_now = self.open_connections()
        if not open_now:
            raise ConnectionError("no open Socket Mode connection to deliver on")
        return open_now[-1]

    def _send_text(self, conn: Connection, text: str) -> None:
        self._send(conn, OP_TEXT, text.encode("utf-8"))

    def _send(self, conn: Connection, opcode: int, payload: bytes) -> None:
        # Unfragmented and unmasked: [rfc] §5.1 a server MUST NOT mask; [sdk] internals.py
        # _fetch_messages reads one frame per message and would fail on a masked one.
        frame = encode_frame(opcode, payload)
        try:
            with conn._send_lock:
                conn.sock.sendall(frame)
        except OSError as error:
            raise ConnectionError(f"connection {conn.index} is closed: {error}") from error

    # ---- the WebSocket server --------------------------------------------------------------

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            self._spawn(self._serve, "FakeSocketMode-conn", sock)

    def _serve(self, sock: socket.socket) -> None:
        try:
            conn, reader = self._handshake(sock)
        except (OSError, _ProtocolError):
            with contextlib.suppress(OSError):
                sock.close()
            return
        if conn is None:
            return
        # [impl]/[mock]: right after connecting Slack sends hello with the connection count,
        # debug info and the app it belongs to.
        hello = {
            "type": "hello",
            "num_connections": len(self.open_connections()) + 1,
            "debug_info": {
                "host": "applink-fake-1",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }
        try:
            self._send_text(conn, json.dumps(hello))
        except ConnectionError:
            self._closed(conn, "client")
            return
        with self._changed:
            conn.hello_sent = True
            self._changed.notify_all()
        self._read_loop(conn, reader)

    def _handshake(self, sock: socket.socket) -> tuple[Connection | None, _Buffered]:
        """[rfc] §4.2.1: a GET with Upgrade/Connection/Sec-WebSocket-Key/Version 13."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk or len(data) > MAX_HANDSHAKE_BYTES:
                sock.close()
                return None, _Buffered(sock)
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        request_line = lines[0]
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        problem, status = self._handshake_problem(request_line, headers)
        if problem is not None:
            self._problem(f"handshake refused: {problem}")
            body = problem.encode()
            reply = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            sock.sendall(reply.encode("ascii") + body)
            sock.close()
            return None, _Buffered(sock)
        ticket = parse_qs(urlsplit(request_line.split(" ")[1]).query)["ticket"][0]
        # [rfc] §4.2.2: 101 Switching Protocols with the proof of the key. [sdk] internals.py
        # _parse_handshake_response reads lines up to the blank one and checks the accept value.
        reply = (
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept_key(headers['sec-websocket-key'])}\r\n\r\n"
        )
        sock.sendall(reply.encode("ascii"))
        with self._changed:
            conn = Connection(
                len(self.connections), ticket, request_line, headers, self.now(), sock
            )
            self.connections.append(conn)
            self._changed.notify_all()
        return conn, _Buffered(sock, rest)

    def _handshake_problem(
        self, request_line: str, headers: dict[str, str]
    ) -> tuple[str | None, str]:
        parts = request_line.split(" ")
        if len(parts) != 3 or parts[0] != "GET" or parts[2] != "HTTP/1.1":
            return f"not a GET …HTTP/1.1 request line: {request_line!r}", "400 Bad Request"
        if headers.get("upgrade", "").lower() != "websocket":
            return "Upgrade: websocket missing", "400 Bad Request"
        if "upgrade" not in headers.get("connection", "").lower():
            return "Connection: Upgrade missing", "400 Bad Request"
        if headers.get("sec-websocket-version") != "13":
            return "Sec-WebSocket-Version is not 13", "426 Upgrade Required"  # [rfc] §4.4
        try:
            key_ok = (
                len(base64.b64decode(headers.get("sec-websocket-key", ""), validate=True)) == 16
            )
        except (binascii.Error, ValueError):
            key_ok = False
        if not key_ok:
            return "Sec-WebSocket-Key is not 16 base64 bytes", "400 Bad Request"  # [rfc] §4.1
        url = urlsplit(parts[1])
        query = parse_qs(url.query)
        ticket = (query.get("ticket") or [""])[0]
        if url.path != LINK_PATH or (query.get("app_id") or [""])[0] != self.app_id:
            return f"unknown link {url.path!r}", "404 Not Found"
        with self._lock:
            used = self._tickets.get(ticket)
            if used is None or used:
                # The URL is a temporary, single-connection link ([open]: "Generate a temporary
                # Socket Mode WebSocket URL"); [sdk] asks for a fresh one before every connect.
                return "unknown or already used ticket", "401 Unauthorized"
            self._tickets[ticket] = True
        return None, ""

    def _read_loop(self, conn: Connection, reader: _Buffered) -> None:
        message = bytearray()
        message_opcode: int | None = None
        try:
            while True:
                frame = self._read_frame(conn, reader)
                if frame is None:
                    break  # EOF: [sdk] Connection.disconnect() just closes the socket
                opcode, fin, payload = frame
                if opcode >= OP_CLOSE:
                    if not fin:  # [rfc] §5.5: control frames MUST NOT be fragmented
                        raise _ProtocolError(CLOSE_PROTOCOL_ERROR, "fragmented control frame")
                    if self._control(conn, opcode, payload):
                        break
                    continue
                # [rfc] §5.4 fragmentation: a text/binary frame with FIN clear starts a
                # message that continuation frames complete (control frames may interleave).
                if opcode == OP_CONTINUATION:
                    if message_opcode is None:
                        raise _ProtocolError(CLOSE_PROTOCOL_ERROR, "continuation without start")
                elif message_opcode is not None:
                    raise _ProtocolError(CLOSE_PROTOCOL_ERROR, "new message inside fragmented one")
                else:
                    message_opcode = opcode
                message += payload
                if len(message) > MAX_MESSAGE_BYTES:
                    raise _ProtocolError(CLOSE_TOO_BIG, "message too big")
                if fin:
                    if message_opcode == OP_TEXT:
                        self._text(conn, bytes(message))
                    else:
                        self._problem(f"connection {conn.index}: binary message ignored")
                    message, message_opcode = bytearray(), None
        except _ProtocolError as error:
            self._problem(f"connection {conn.index}: {error.reason}")
            with contextlib.suppress(OSError):
                self._send(conn, OP_CLOSE, struct.pack("!H", error.code) + error.reason.encode())
            self._closed(conn, "server")
        except (OSError, ConnectionError):
            pass
        self._closed(
            conn, "server" if conn._server_closing or self._stopping.is_set() else "client"
        )
        with contextlib.suppress(OSError):
            conn.sock.close()

    def _read_frame(self, conn: Connection, reader: _Buffered) -> tuple[int, bool, bytes] | None:
        """[rfc] §5.2: FIN, opcode, MASK, 7/16/64-bit length, masking key, payload."""
        head = reader.read_exact(2)
        if head is None:
            return None
        fin, opcode = bool(head[0] & 0x80), head[0] & 0x0F
        if head[0] & 0x70:
            raise _ProtocolError(CLOSE_PROTOCOL_ERROR, "RSV bits set without an extension")
        masked, length = bool(head[1] & 0x80), head[1] & 0x7F
        if length == 126:
            extended = reader.read_exact(2)
            length = struct.unpack("!H", extended)[0] if extended else -1
        elif length == 127:
            extended = reader.read_exact(8)
            length = struct.unpack("!Q", extended)[0] if extended else -1
        if length < 0:
            return None
        if length > MAX_MESSAGE_BYTES:
            raise _ProtocolError(CLOSE_TOO_BIG, "frame too big")
        with self._lock:
            conn.frames.append((opcode, fin, masked))
        if not masked:
            # [rfc] §5.1: "a client MUST mask all frames that it sends to the server"; the
            # server closes the connection with 1002 on an unmasked one.
            raise _ProtocolError(CLOSE_PROTOCOL_ERROR, "unmasked client frame")
        key = reader.read_exact(4)
        data = reader.read_exact(length) if length else b""
        if key is None or data is None:
            return None
        return opcode, fin, bytes(b ^ key[i % 4] for i, b in enumerate(data))

    def _control(self, conn: Connection, opcode: int, payload: bytes) -> bool:
        """Ping → pong, pong recorded, close answered; True when the connection is done."""
        if opcode == OP_PING:
            # [rfc] §5.5.3 the pong carries the ping's application data. [sdk] pings on connect
            # and every ping_interval with "session_id:time", and counts the connection stale
            # when no matching pong came for 4 intervals (connection.py check_state).
            with self._lock:
                conn.pings.append(payload)
            self._send(conn, OP_PONG, payload)
            return False
        if opcode == OP_PONG:
            with self._lock:
                conn.pongs.append(payload)
            return False
        if opcode == OP_CLOSE:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
            with self._lock:
                conn.close_code = code
            if not conn._server_closing:  # [rfc] §5.5.1 answer a close with a close
                with contextlib.suppress(ConnectionError):
                    self._send(conn, OP_CLOSE, payload[:2])
            return True
        raise _ProtocolError(CLOSE_PROTOCOL_ERROR, f"unknown opcode {opcode:#x}")

    def _text(self, conn: Connection, data: bytes) -> None:
        try:
            text = data.decode("utf-8")
            message = json.loads(text)
        except (UnicodeDecodeError, ValueError):
            self._problem(f"connection {conn.index}: text frame is not JSON")
            return
        with self._changed:
            conn.texts.append(text)
            if isinstance(message, dict) and "envelope_id" in message:
                self._record_ack(conn, message)
            self._changed.notify_all()

    def _record_ack(self, conn: Connection, message: dict[str, Any]) -> None:
        """[impl] An ack names the envelope and may carry a payload where one is accepted."""
        envelope_id = str(message["envelope_id"])
        payload = message.get("payload")
        envelope = next((e for e in self.envelopes if e.envelope_id == envelope_id), None)
        if envelope is None:
            self._problem(f"ack for unknown envelope {envelope_id}")
        elif envelope.connection != conn.index:
            self._problem(f"ack for {envelope_id} on another connection than its delivery")
        elif payload is not None and not envelope.accepts_response_payload:
            self._problem(f"ack for {envelope_id} carries a payload the envelope does not accept")
        if any(a.envelope_id == envelope_id for a in self.acks):
            self._problem(f"envelope {envelope_id} acked twice")
        self.acks.append(Ack(envelope_id, copy.deepcopy(payload), conn.index, self.now()))

    def _closed(self, conn: Connection, by: str) -> None:
        with self._changed:
            if conn.closed_at is None:
                conn.closed_at = self.now()
                conn.closed_by = by
            self._changed.notify_all()

    def _problem(self, text: str) -> None:
        with self._changed:
            self.problems.append(text)
            self._changed.notify_all()


def _accepts_response_payload(type: str, payload: dict[str, Any]) -> bool:
    """Which envelopes take a payload in their ack: those whose HTTP twin answers in the body.

    [mock] sets it true for slash_commands and false for events_api and a shortcut; Slack uses
    the ack payload for a command's response message, a view_submission's response_action and
    a block_suggestion's options ([impl] "accepts_response_payload").
    """
    if type == "slash_commands":
        return True
    if type == "interactive":
        return payload.get("type") in ("view_submission", "block_suggestion")
    return False


def new_envelope_id() -> str:
    """Slack's envelope ids are UUIDs ([mock])."""
    return str(uuid.uuid4())


def client_frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    """A masked client frame ([rfc] §5.3), for tests that speak to the fake directly."""
    return encode_frame(opcode, payload, fin=fin, mask=secrets.token_bytes(4))
