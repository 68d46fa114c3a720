"""The create form's rules (server-side, whatever the client sent)."""

from __future__ import annotations

from bot import ids
from bot.create.form import SegmentForm, validate


def form(name: str = "Spring", description: str = "", channel: str | None = "C1") -> SegmentForm:
    return SegmentForm(name, description, False, channel)


def test_valid_form_has_no_errors() -> None:
    assert validate(form()) == {}
    assert validate(form("x" * 255, "d" * 1000)) == {}
    assert validate(form("Émoji 🎉 مرحبا", "line one\nline two\ttabbed")) == {}


def test_names_are_trimmed_before_measuring() -> None:
    assert validate(form("  " + "x" * 255 + "  ")) == {}
    assert form("  a  ").normalised().name == "a"


def test_each_rule() -> None:
    assert ids.NAME in validate(form(""))
    assert ids.NAME in validate(form(" \n "))
    assert "256" in validate(form("x" * 256))[ids.NAME]
    assert ids.NAME in validate(form("a\nb"))
    assert ids.NAME in validate(form("a\x1bb"))
    assert ids.NAME in validate(form("evil\u202eexe.txt"))
    assert ids.NAME in validate(form("lone \ud800 surrogate"))
    assert "1001" in validate(form(description="d" * 1001))[ids.DESCRIPTION]
    assert ids.DESCRIPTION in validate(form(description="nul\x00"))
    assert ids.ANNOUNCE in validate(form(channel=None))


def test_all_errors_come_at_once() -> None:
    errors = validate(form("", "d" * 1001, None))

    assert set(errors) == {ids.NAME, ids.DESCRIPTION, ids.ANNOUNCE}
