"""Parsing the text after /segment."""

from __future__ import annotations

import pytest

from bot.command.parse import CommandText, parse_command_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", CommandText(None, "")),
        ("help", CommandText("help", "")),
        ("HELP me", CommandText("help", "me")),
        ("status", CommandText("status", "")),
        ("list spring", CommandText("list", "spring")),
        ("Spring launch VIPs", CommandText(None, "Spring launch VIPs")),
        ("  Spring \n launch  ", CommandText(None, "Spring launch")),
        ('"List of VIPs"', CommandText(None, "List of VIPs")),
        ("“help desk”", CommandText(None, "help desk")),
        ("helpful people", CommandText(None, "helpful people")),
        ("nul\x00byte", CommandText(None, "nulbyte")),
        (None, CommandText(None, "")),
        (42, CommandText(None, "")),
    ],
)
def test_parse_command_text(text: object, expected: CommandText) -> None:
    assert parse_command_text(text) == expected
