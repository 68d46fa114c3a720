"""Bunce's segment API: client, factory, values and typed errors; knows nothing of Slack."""

from __future__ import annotations

from bot.bunce.client import BunceClient
from bot.bunce.errors import (
    BunceAuthError,
    BunceError,
    BunceRateLimited,
    BunceUnavailableError,
    BunceValidationError,
)
from bot.bunce.factory import BunceClientFactory
from bot.bunce.keys import InvalidKeyError, environment_of, key_hint
from bot.bunce.models import Segment, SegmentPage

__all__ = [
    "BunceAuthError",
    "BunceClient",
    "BunceClientFactory",
    "BunceError",
    "BunceRateLimited",
    "BunceUnavailableError",
    "BunceValidationError",
    "InvalidKeyError",
    "Segment",
    "SegmentPage",
    "environment_of",
    "key_hint",
]
