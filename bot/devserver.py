"""A small threaded WSGI server for `make run` in HTTP mode; production uses gunicorn (Procfile)."""

from __future__ import annotations

from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Access logs carry query strings; the app logs what matters itself."""


def create_server(application: Any, host: str, port: int) -> WSGIServer:
    """Bound but not yet serving; port 0 picks a free port (tests)."""
    return make_server(
        host, port, application, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )


def serve(application: Any, port: int, host: str = "0.0.0.0") -> None:
    with create_server(application, host, port) as server:
        server.serve_forever()
