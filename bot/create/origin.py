"""The create modal's private_metadata: where the command came from and what was typed, signed.

The reply URL in it is short-lived and Slack's own; see bot.slack.metadata for the signature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.create.form import SegmentForm
from bot.slack.metadata import PRIVATE_METADATA_MAX, MetadataSigner, slack_length


@dataclass(frozen=True)
class Origin:
    """Where /segment was typed: the announcement's default target and its reply paths."""

    channel_id: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None
    # Opaque, from the feature that opened the form (Add customers' "New segment…"): where to
    # take the person back to once the segment exists.
    return_to: str | None = None


def encode_metadata(signer: MetadataSigner, origin: Origin, form: SegmentForm | None = None) -> str:
    """Serialise and sign; a form that would overflow Slack's 3000 characters is shortened."""
    data: dict[str, Any] = {
        "c": origin.channel_id,
        "t": origin.thread_ts,
        "r": origin.response_url,
        "b": origin.return_to,
    }
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
        # Keep the reply path, shorten the description by what it overflows: one pass is enough.
        shorter = _cut(form.description, size - PRIVATE_METADATA_MAX)
        return encode_metadata(signer, origin, _replace_description(form, shorter))
    return text


def _cut(text: str, overflow: int) -> str:
    """The longest prefix whose dropped tail frees `overflow` bytes as serialised (a 4-byte
    emoji frees four, so multibyte text keeps as much as fits)."""
    end, freed = len(text), 0
    while end > 0 and freed < overflow:
        end -= 1
        freed += slack_length(json.dumps(text[end], ensure_ascii=False)) - 2  # minus the quotes
    return text[:end]


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
    origin = Origin(
        _str(data.get("c")), _str(data.get("t")), _str(data.get("r")), _str(data.get("b"))
    )
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
