"""The modal's private_metadata: where the command came from and what was typed, signed.

Slack hands private_metadata back to us in later payloads, but anyone who can craft a payload
could change it; so it carries an HMAC made with a server-side key, and anything that fails the
check is refused. It never holds a secret (the reply URL in it is short-lived and Slack's own).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.create.form import SegmentForm

PRIVATE_METADATA_MAX = 3000
_SIGNATURE_BYTES = 16


@dataclass(frozen=True)
class Origin:
    """Where /segment was typed: the announcement's default target and its reply paths."""

    channel_id: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None


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


def encode_metadata(signer: MetadataSigner, origin: Origin, form: SegmentForm | None = None) -> str:
    """Serialise and sign; a form that would overflow Slack's 3000 characters is shortened."""
    data: dict[str, Any] = {"c": origin.channel_id, "t": origin.thread_ts, "r": origin.response_url}
    data = {key: value for key, value in data.items() if value}
    if form is not None:
        data["f"] = {
            "n": form.name,
            "d": form.description,
            "a": form.add_all_customers,
            "ch": form.channel_id,
        }
    text = signer.sign(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    size = slack_length(text)
    if size > PRIVATE_METADATA_MAX and form is not None and form.description:
        # Keep the reply path, shorten the description: every character dropped frees at least
        # one byte, so one pass is enough.
        overflow = size - PRIVATE_METADATA_MAX
        shorter = form.description[: max(len(form.description) - overflow, 0)]
        return encode_metadata(signer, origin, _replace_description(form, shorter))
    return text


def slack_length(text: str) -> int:
    """A length to hold against Slack's "characters" limits, which its docs don't define: UTF-8
    bytes, never fewer than UTF-16 code units or code points, so it fits in every reading (and
    is smaller than escaping every character as JSON does for ASCII-only output)."""
    return len(text.encode("utf-8", "surrogatepass"))  # a lone surrogate: 3 bytes, no error


def _replace_description(form: SegmentForm, description: str) -> SegmentForm:
    return SegmentForm(form.name, description, form.add_all_customers, form.channel_id)


def decode_metadata(
    signer: MetadataSigner, text: object
) -> tuple[Origin, SegmentForm | None] | None:
    """What encode_metadata wrote, or None when it is missing, malformed or was altered."""
    verified = signer.verify(text) if isinstance(text, str) else None
    if verified is None:
        return None
    try:
        data = json.loads(verified)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    origin = Origin(_str(data.get("c")), _str(data.get("t")), _str(data.get("r")))
    raw = data.get("f")
    if not isinstance(raw, dict):
        return origin, None
    form = SegmentForm(
        name=_str(raw.get("n")) or "",
        description=_str(raw.get("d")) or "",
        add_all_customers=raw.get("a") is True,
        channel_id=_str(raw.get("ch")),
    )
    return origin, form


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
