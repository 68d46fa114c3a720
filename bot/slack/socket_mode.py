"""Socket Mode for `python -m bot`: Bolt's handler behind a gate, and a stop that closes the
connection before the app's pools shut down (so nothing is acked that can't be done)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

logger = logging.getLogger("bot")

# Slack wants an ack within 3 seconds (api.slack.com/apis/connections/socket-implement), and
# Bolt's listener runner waits at most that long for ack() (ack_timeout): an envelope already
# inside Bolt when SIGTERM arrives gets this long to send its ack before the socket closes.
ACK_GRACE_SECONDS = 3.0


class EnvelopeGate:
    """Wraps Bolt's Socket Mode listener: lets envelopes through until `close`, then leaves them
    unacknowledged rather than acking work this process can no longer do (Slack retries an
    unacked event, on another connection if there is one). Counts those inside Bolt so their
    acks still go out."""

    def __init__(self, listener: Callable[[Any, Any], None]) -> None:
        self._listener = listener
        self._changed = threading.Condition()
        self._closed = False
        self._in_flight = 0

    def __call__(self, client: Any, request: Any) -> None:
        with self._changed:
            if self._closed:
                logger.info(
                    "stopping: envelope type=%s left unacknowledged",
                    getattr(request, "type", "?"),
                )
                return
            self._in_flight += 1
        try:
            self._listener(client, request)
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def close(self) -> None:
        """Refuse every envelope from now on."""
        with self._changed:
            self._closed = True

    def wait_idle(self, timeout: float) -> bool:
        """Wait for the envelopes inside Bolt to be acked; False if some still are not."""
        with self._changed:
            return self._changed.wait_for(lambda: self._in_flight == 0, timeout=timeout)


def _stop_socket_mode(handler: Any, gate: EnvelopeGate) -> None:
    """Close the Socket Mode connection before the app's pools shut down.

    slack_sdk's builtin SocketModeClient (socket_mode/builtin/client.py) reads on one thread,
    queues messages and runs listeners on its own pool (message_workers); its close() closes
    the socket only once the reader releases its lock, which recv() holds for up to its 3 s
    timeout (builtin/connection.py). So: refuse new envelopes, let in-flight acks go out, stop
    dequeuing and reconnecting, shut the socket down (which wakes the reader), then close.
    """
    gate.close()
    logger.info("stopping: no new envelopes; closing the Socket Mode connection")
    if not gate.wait_idle(ACK_GRACE_SECONDS):
        logger.warning("stopping: an envelope was still being handled after %ss", ACK_GRACE_SECONDS)
    client = handler.client
    client.closed = True  # process_messages stops taking messages off the queue
    client.auto_reconnect_enabled = False
    client.current_session_state.terminated = True  # the reader loop ends after this recv
    session = client.current_session
    sock = getattr(session, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed by Slack
            sock.shutdown(socket.SHUT_RDWR)
    handler.close()  # joins the reader, monitor and processor threads and message_workers
    # A `disconnect` message being handled during close may have opened a new connection
    # (client.py process_message → connect_to_new_endpoint(force=True)): close that too.
    client.disconnect()
    logger.info("Socket Mode connection closed; finishing in-flight work")


class GatedSocketMode:
    """Bolt's SocketModeHandler, which uses the app's own WebClient (web_client=app.client,
    pointed at SLACK_API_URL by create_app), with every envelope passing through the gate."""

    def __init__(self, app: App, app_token: str) -> None:
        self.handler = SocketModeHandler(app, app_token)
        self.gate = EnvelopeGate(self.handler.handle)
        self.handler.client.socket_mode_request_listeners[:] = [self.gate]

    def connect(self) -> None:
        """apps.connections.open, then the WebSocket; SlackApiError if the token is refused."""
        self.handler.connect()

    def stop(self) -> None:
        _stop_socket_mode(self.handler, self.gate)
