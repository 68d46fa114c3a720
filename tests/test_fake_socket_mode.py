"""The Socket Mode fake itself: handshake, framing, hello, acks, and slack_sdk's client on it."""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from tests.fakes.slack import FakeSlackApi
from tests.fakes.socket_mode import (
    APP_ID,
    OP_CLOSE,
    OP_CONTINUATION,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    FakeSocketMode,
    accept_key,
    client_frame,
    encode_frame,
)

APP_TOKEN = "xapp-1-A0BUNCE-1-fakeapptoken"


@pytest.fixture
def world() -> Iterator[tuple[FakeSlackApi, FakeSocketMode]]:
    with FakeSlackApi() as slack, FakeSocketMode(slack) as fake:
        yield slack, fake


def open_url(slack: FakeSlackApi, token: str | None = APP_TOKEN) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(
        slack.base_url + "apps.connections.open", headers=headers, timeout=5
    ).json()


class RawClient:
    """A minimal WebSocket client: the handshake by hand, frames read one at a time."""

    def __init__(self, url: str, key: str | None = None) -> None:
        parts = urlsplit(url)
        self.key = key or base64.b64encode(os.urandom(16)).decode()
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
        request = (
            f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.hostname}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {self.key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split(" ")[1])
        self.headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}

    def _exact(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError
            self.buffer += chunk
        out, self.buffer = self.buffer[:count], self.buffer[count:]
        return out

    def frame(self) -> tuple[int, bool, bytes]:
        """(opcode, masked, payload) of the next server frame."""
        b1, b2 = self._exact(2)
        length = b2 & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._exact(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._exact(8))[0]
        return b1 & 0x0F, bool(b2 & 0x80), self._exact(length)

    def text(self) -> dict:
        opcode, masked, payload = self.frame()
        assert (opcode, masked) == (OP_TEXT, False)
        return json.loads(payload)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        self.sock.close()


def test_connections_open_wants_an_app_level_token_in_the_header(world) -> None:
    slack, _ = world

    good = open_url(slack)
    bot = open_url(slack, "xoxb-fake-team-one")
    garbage = open_url(slack, "nonsense")
    missing = open_url(slack, None)

    assert good["ok"] is True
    url = urlsplit(good["url"])
    assert (url.scheme, url.hostname, url.path) == ("ws", "127.0.0.1", "/link/")
    assert f"app_id={APP_ID}" in url.query and "ticket=" in url.query
    assert bot == {"ok": False, "error": "not_allowed_token_type"}
    assert garbage == {"ok": False, "error": "invalid_auth"}
    assert missing == {"ok": False, "error": "not_authed"}
    assert len(slack.calls("apps.connections.open")) == 4


def test_handshake_proves_the_key_then_hello_comes_unmasked(world) -> None:
    slack, fake = world
    # RFC 6455 §1.3's worked example.
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    client = RawClient(open_url(slack)["url"])
    hello = client.text()

    assert client.status == 101
    assert client.headers["upgrade"].lower() == "websocket"
    assert client.headers["sec-websocket-accept"] == accept_key(client.key)
    assert hello["type"] == "hello"
    assert hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": APP_ID}
    assert "debug_info" in hello
    assert fake.wait_for_connection().hello_sent
    client.close()


def test_a_ticket_opens_one_connection_only(world) -> None:
    slack, fake = world
    url = open_url(slack)["url"]
    first = RawClient(url)
    first.text()

    again = RawClient(url)

    assert again.status == 401
    assert any("ticket" in problem for problem in fake.problems)
    first.close()
    again.close()


def test_acks_are_recorded_with_their_payload_from_masked_and_fragmented_frames(world) -> None:
    slack, fake = world
    client = RawClient(open_url(slack)["url"])
    client.text()  # hello
    fake.wait_for_connection()
    command = fake.push("slash_commands", {"command": "/segment", "text": ""})
    event = fake.push("events_api", {"type": "event_callback", "event": {"type": "x"}})

    delivered = [client.text(), client.text()]
    client.send(client_frame(OP_TEXT, json.dumps({"envelope_id": event}).encode()))
    ack = json.dumps({"envelope_id": command, "payload": {"text": "hi"}}).encode()
    # One message in two frames with a ping between them (RFC 6455 §5.4).
    client.send(client_frame(OP_TEXT, ack[:10], fin=False))
    client.send(client_frame(OP_PING, b"are you there"))
    client.send(client_frame(OP_CONTINUATION, ack[10:]))

    assert [d["envelope_id"] for d in delivered] == [command, event]
    assert delivered[0]["accepts_response_payload"] is True
    assert delivered[1]["accepts_response_payload"] is False
    assert delivered[1]["retry_attempt"] == 0 and delivered[1]["retry_reason"] == ""
    assert client.frame() == (OP_PONG, False, b"are you there")
    assert fake.wait_for_ack(command).payload == {"text": "hi"}
    assert fake.wait_for_ack(event).payload is None
    assert fake.problems == []
    client.close()


def test_an_unmasked_client_frame_is_a_protocol_error(world) -> None:
    slack, fake = world
    client = RawClient(open_url(slack)["url"])
    client.text()
    connection = fake.wait_for_connection()

    client.send(encode_frame(OP_TEXT, b'{"envelope_id": "x"}'))  # no mask

    opcode, _, payload = client.frame()
    assert opcode == OP_CLOSE and struct.unpack("!H", payload[:2])[0] == 1002
    assert fake.wait_closed(connection)
    assert connection.closed_by == "server"
    assert fake.acks == []
    client.close()


def test_a_client_close_frame_is_answered_and_recorded(world) -> None:
    slack, fake = world
    client = RawClient(open_url(slack)["url"])
    client.text()
    connection = fake.wait_for_connection()

    client.send(client_frame(OP_CLOSE, struct.pack("!H", 1000)))

    assert client.frame()[0] == OP_CLOSE
    assert fake.wait_closed(connection)
    assert connection.closed_by_client and connection.close_code == 1000
    client.close()


def test_slack_sdks_builtin_client_connects_acks_reconnects_and_closes(world) -> None:
    slack, fake = world
    client = SocketModeClient(
        app_token=APP_TOKEN, web_client=WebClient(base_url=slack.base_url), ping_interval=60
    )

    def answer(client: SocketModeClient, request: SocketModeRequest) -> None:
        response = SocketModeResponse(request.envelope_id, payload={"text": "pong"})
        client.send_socket_mode_response(response)

    client.socket_mode_request_listeners.append(answer)
    try:
        client.connect()
        first = fake.wait_for_connection()
        envelope = fake.push("slash_commands", {"command": "/segment", "text": "ping"})
        assert fake.wait_for_ack(envelope).payload == {"text": "pong"}

        fake.disconnect("refresh_requested")  # the client moves to a new connection
        second = fake.wait_for_connection(2)
        assert fake.wait_closed(first) and first.closed_by_client
        again = fake.push("slash_commands", {"command": "/segment", "text": "again"})
        assert fake.wait_for_ack(again).connection == second.index
    finally:
        client.close()
    assert fake.wait_closed(second) and second.closed_by_client
    assert len(slack.calls("apps.connections.open")) == 2
    assert first.pings  # slack_sdk pings on connect and expects the pong back
    assert all(masked for conn in (first, second) for _, _, masked in conn.frames)
    assert fake.problems == []
