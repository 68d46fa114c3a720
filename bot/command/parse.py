"""Parsing the text after /segment: a reserved first word is a sub-command, anything else a name."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

SUBCOMMANDS = ("help", "status", "connect", "disconnect", "list")
_QUOTES = {'"': '"', "“": "”", "'": "'"}


@dataclass(frozen=True)
class CommandText:
    """`subcommand` is one of SUBCOMMANDS or None; `rest` is the prefill name or the arguments."""

    subcommand: str | None
    rest: str


def parse_command_text(text: object) -> CommandText:
    """`help` → help; `"List of VIPs"` (quoted) → a name even if it starts with a reserved word."""
    printable = (
        "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cs") or ch.isspace())
        if isinstance(text, str)
        else ""
    )
    raw = " ".join(printable.split())
    first, _, rest = raw.partition(" ")
    if first.lower() in SUBCOMMANDS:
        return CommandText(first.lower(), rest)
    if len(raw) >= 2 and raw[0] in _QUOTES and raw.endswith(_QUOTES[raw[0]]):
        raw = raw[1:-1].strip()
    return CommandText(None, raw)
