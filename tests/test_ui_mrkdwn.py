"""Escaping untrusted text for mrkdwn, and fitting it to Block Kit limits."""

from __future__ import annotations

from bot.slack.mrkdwn import ELLIPSIS, escape, fit, truncate


def test_escape_neutralises_mentions_and_links() -> None:
    assert escape("<!channel>") == "&lt;!channel&gt;"
    assert escape("<https://evil|click> & co") == "&lt;https://evil|click&gt; &amp; co"
    assert escape("<@U123>") == "&lt;@U123&gt;"


def test_escape_leaves_everything_else_alone() -> None:
    text = "Spring *VIPs* _2026_ `x` ~y~ \"q\" 'a' émoji 🎉 مرحبا"
    assert escape(text) == text


def test_truncate_marks_the_cut() -> None:
    assert truncate("abcdef", 10) == "abcdef"
    assert truncate("abcdef", 4) == "abc" + ELLIPSIS
    assert len(truncate("x" * 500, 150)) == 150


def test_fit_never_exceeds_the_limit_nor_splits_an_entity() -> None:
    fitted = fit("<" * 100, 50)

    assert len(fitted) <= 50
    assert fitted.endswith(ELLIPSIS)
    assert fitted[:-1].replace("&lt;", "") == ""  # whole entities only


def test_fit_returns_short_text_escaped() -> None:
    assert fit("a<b", 10) == "a&lt;b"
