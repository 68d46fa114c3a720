"""Parsing the text after /segment: only a sub-command's exact form is one; all else is a name.

A name may start with a reserved word ("Connect 2024 leads", "Help desk users"), so a word
alone is a sub-command and words after it make a name; `list` is the one sub-command that takes
words (a search), and the list then offers to create a segment by the whole text instead.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

SUBCOMMANDS = ("help", "status", "connect", "disconnect", "list")
SEARCH = "list"  # the only sub-command followed by words
_QUOTES = {'"': '"', "“": "”", "'": "'"}


@dataclass(frozen=True)
class CommandText:
    """`subcommand` is one of SUBCOMMANDS or None; `rest` is the prefill name or the search.
    `typed` is the whole text (whitespace runs as one space): a search offers it as a name."""

    subcommand: str | None
    rest: str
    typed: str = ""

    @property
    def lead(self) -> str:
        """The sub-command's word as typed (`List`), so an offered name keeps its case."""
        return self.typed.partition(" ")[0] if self.subcommand else ""


def parse_command_text(text: object) -> CommandText:
    """`help` → help; `help desk users` → a name; `list VIPs` → a search; `"list"` → a name."""
    raw = " ".join(_printable(text).split())
    first, _, rest = raw.partition(" ")
    word = first.lower()
    if word == SEARCH or (word in SUBCOMMANDS and not rest):
        return CommandText(word, rest, raw)
    if len(raw) >= 2 and raw[0] in _QUOTES and raw.endswith(_QUOTES[raw[0]]):
        return CommandText(None, raw[1:-1].strip(), raw)
    return CommandText(None, raw, raw)


def _printable(text: object) -> str:
    """Control characters and lone surrogates dropped (whitespace kept); non-text is empty."""
    if not isinstance(text, str):
        return ""
    return "".join(
        ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cs") or ch.isspace()
    )
