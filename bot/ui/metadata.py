"""The modal's private_metadata: where the command came from, and what was typed, never a secret."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.segments import SegmentForm

PRIVATE_METADATA_MAX = 3000


@dataclass(frozen=True)
class Origin:
    """Where /segment was typed: the announcement's default target and its reply paths."""

    channel_id: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None


def encode_metadata(origin: Origin, form: SegmentForm | None = None) -> str:
    """Serialise compactly; a form that would overflow Slack's 3000 characters is shortened."""
    data: dict[str, Any] = {"c": origin.channel_id, "t": origin.thread_ts, "r": origin.response_url}
    data = {key: value for key, value in data.items() if value}
    if form is not None:
        data["f"] = {
            "n": form.name,
            "d": form.description,
            "a": form.add_all_customers,
            "ch": form.channel_id,
        }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(text) > PRIVATE_METADATA_MAX and form is not None and form.description:
        # Escaping can double the typed text; keep the reply path, shorten the description.
        overflow = len(text) - PRIVATE_METADATA_MAX
        shorter = form.description[: max(len(form.description) - overflow, 0)]
        return encode_metadata(origin, _replace_description(form, shorter))
    return text


def _replace_description(form: SegmentForm, description: str) -> SegmentForm:
    return SegmentForm(form.name, description, form.add_all_customers, form.channel_id)


def decode_metadata(text: object) -> tuple[Origin, SegmentForm | None]:
    """Read back what encode_metadata wrote; anything malformed yields an empty origin."""
    try:
        data = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
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
