"""Parsing the text after /segment: a sub-command only in its exact form, anything else a name."""

from __future__ import annotations

import pytest

from bot.command.parse import parse_command_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (None, "")),
        ("help", ("help", "")),
        ("HELP", ("help", "")),
        ("  Status ", ("status", "")),
        ("connect", ("connect", "")),
        ("DISCONNECT", ("disconnect", "")),
        ("list", ("list", "")),
        ("list spring", ("list", "spring")),
        ("List of VIPs", ("list", "of VIPs")),
        ("Spring launch VIPs", (None, "Spring launch VIPs")),
        ("  Spring \n launch  ", (None, "Spring launch")),
        ('"List of VIPs"', (None, "List of VIPs")),
        ('"help"', (None, "help")),
        ("“help desk”", (None, "help desk")),
        ("helpful people", (None, "helpful people")),
        ("nul\x00byte", (None, "nulbyte")),
        (None, (None, "")),
        (42, (None, "")),
    ],
)
def test_parse_command_text(text: object, expected: tuple[str | None, str]) -> None:
    parsed = parse_command_text(text)
    assert (parsed.subcommand, parsed.rest) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Connect 2024 leads",
        "Help desk users",
        "status report",
        "disconnect risk",
        "HELP me",
        "connect  \t 2024",
    ],
)
def test_a_reserved_word_followed_by_more_is_a_name(text: str) -> None:
    parsed = parse_command_text(text)
    assert (parsed.subcommand, parsed.rest) == (None, " ".join(text.split()))


def test_a_search_keeps_what_was_typed_for_the_offer() -> None:
    parsed = parse_command_text("  List   of VIPs ")
    assert (parsed.subcommand, parsed.rest) == ("list", "of VIPs")
    assert parsed.typed == "List of VIPs"
    assert parsed.lead == "List"


def test_only_a_sub_command_has_a_lead() -> None:
    assert parse_command_text("Spring VIPs").lead == ""
    assert parse_command_text("help").lead == "help"
