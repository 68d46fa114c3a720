"""Bunce secret keys: which environment a key belongs to, and how to show it safely."""

from __future__ import annotations

from typing import Literal

Environment = Literal["live", "sandbox"]

_PREFIXES: dict[str, Environment] = {"sk_live_": "live", "sk_test_": "sandbox"}


class InvalidKeyError(ValueError):
    """The text is not a Bunce secret key (wrong prefix, whitespace, or empty)."""


def environment_of(key: str) -> Environment:
    """The environment a key targets, from its prefix; Bunce's docs pair sk_test_ with sandbox."""
    for prefix, environment in _PREFIXES.items():
        if key.startswith(prefix) and len(key) > len(prefix) and key.isprintable():
            if any(ch.isspace() for ch in key):
                break
            return environment
    raise InvalidKeyError("A Bunce secret key starts with sk_live_ or sk_test_.")


def key_hint(key: str) -> str:
    """A display form that identifies a key without revealing it: prefix, ellipsis, last four."""
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            return f"{prefix}…{key[-4:]}" if len(key) >= len(prefix) + 8 else f"{prefix}…"
    return "…"
