"""Logging set-up: key=value lines, and a filter that redacts anything shaped like a secret."""

from __future__ import annotations

import logging
import re

# A safety net, not the primary control: code never logs secrets on purpose.
_SECRET = re.compile(r"(sk_(?:live|test)_|xox[abpre]-|xoxe\.xox[bp]-|xapp-)[A-Za-z0-9._\-]+")


def redact(text: str) -> str:
    """Replace the body of every secret-looking token with a marker, keeping its prefix."""
    return _SECRET.sub(lambda match: match.group(1) + "[redacted]", text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual (tracebacks included), then redacts the whole line."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str) -> None:
    """Root logging for the process; called once by the entry points."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        RedactingFormatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # urllib3 logs full URLs at DEBUG, and response_urls are bearer capabilities.
    logging.getLogger("urllib3").setLevel(max(logging.INFO, logging.getLevelName(level)))
