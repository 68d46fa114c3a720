"""The logging safety net: anything shaped like a secret is redacted from formatted lines."""

from __future__ import annotations

import logging

from bot.log import RedactingFormatter, redact


def test_redact_every_secret_shape() -> None:
    line = (
        "key=sk_live_AbC123xyz test=sk_test_Q9 bot=xoxb-1-2-abc user=xoxp-9-z "
        "rotated=xoxe.xoxb-1-abc app=xapp-1-A0-123-ff"
    )

    redacted = redact(line)

    for secret in ("AbC123xyz", "sk_test_Q9", "xoxb-1-2-abc", "xoxp-9-z", "xoxe.xoxb-1", "A0-123"):
        assert secret not in redacted
    assert "sk_live_[redacted]" in redacted
    assert redact("plain words, channel C123, user U456") == "plain words, channel C123, user U456"


def test_formatter_redacts_messages_arguments_and_tracebacks() -> None:
    formatter = RedactingFormatter("%(message)s")
    try:
        raise ValueError("bad key sk_live_SECRETvalue999")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "t", logging.ERROR, __file__, 1, "using %s", ("xoxb-123-SECRET",), sys.exc_info()
        )

    text = formatter.format(record)

    assert "SECRETvalue999" not in text
    assert "xoxb-123-SECRET" not in text
    assert "ValueError" in text
