"""Signing what Slack hands back to us (private_metadata, button values).

Slack returns private_metadata and button values untouched, but anyone who can craft a payload
could change them; so they carry an HMAC made with a server-side key, and anything that fails
the check is refused. They never hold a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from typing import Any

PRIVATE_METADATA_MAX = 3000
_SIGNATURE_BYTES = 16


class MetadataSigner:
    """Signs with the first key, accepts any (keys rotate with ENCRYPTION_KEY)."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Sequence[bytes]) -> None:
        if not keys:
            raise ValueError("a signer needs at least one key")
        self._keys = tuple(keys)

    def sign(self, text: str) -> str:
        return f"{self._mac(self._keys[0], text)}.{text}"

    def verify(self, signed: str) -> str | None:
        """The signed text, or None when the signature doesn't match any key."""
        mac, dot, text = signed.partition(".")
        if not dot:
            return None
        # Bytes, not str: compare_digest refuses non-ASCII strings, and a forger chooses `mac`.
        given = mac.encode("utf-8", "surrogatepass")
        good = any(hmac.compare_digest(given, self._mac(key, text).encode()) for key in self._keys)
        return text if good else None

    @staticmethod
    def _mac(key: bytes, text: str) -> str:
        digest = hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_SIGNATURE_BYTES]).decode().rstrip("=")

    def __repr__(self) -> str:
        return f"MetadataSigner(keys={len(self._keys)})"


def slack_length(text: str) -> int:
    """A length to hold against Slack's "characters" limits, which its docs don't define: UTF-8
    bytes, never fewer than UTF-16 code units or code points, so it fits in every reading (and
    is smaller than escaping every character as JSON does for ASCII-only output)."""
    return len(text.encode("utf-8", "surrogatepass"))  # a lone surrogate: 3 bytes, no error


def sign_value(signer: MetadataSigner, data: dict[str, Any]) -> str:
    """ASCII only, so a length limit means the same however Slack counts characters."""
    return signer.sign(json.dumps(data, separators=(",", ":"), ensure_ascii=True))


def read_value(signer: MetadataSigner, value: object) -> dict[str, Any] | None:
    """The signed data, or None when missing, malformed or altered."""
    text = signer.verify(value) if isinstance(value, str) else None
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
