"""Offline checks of Slack payloads: the manifest and Block Kit against tests/slack_schemas."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match, relevance
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

SCHEMAS_ENV = "BUNCE_SHARED_SCHEMAS"
MAX_MESSAGE_BLOCKS = 50  # Slack's per-message limit; the schema allows 100 (the views limit).
BLOCK_KIT_FILE = "slack-block-kit.schema.json"
MANIFEST_DIR = "slack-manifest"
# The router $refs these exact URLs; registering local copies under them keeps validation offline.
MANIFEST_PINNED = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"
MANIFEST_VERSIONS = {1: "manifest.schema.1.0.0.json", 2: "manifest.schema.2.0.0.json"}
_MAX_MESSAGE_CHARS = 300  # array-length errors echo the whole array


def schemas_dir() -> Path | None:
    """The vendored schemas (tests/slack_schemas). $BUNCE_SHARED_SCHEMAS may point at another
    copy, or at nothing to exercise the slack_sdk fallback; the vendored copy missing is an
    error, never a skip: the repository ships it."""
    override = os.environ.get(SCHEMAS_ENV)
    root = Path(__file__).resolve().parent / "slack_schemas"
    path = Path(override) if override else root
    if (path / BLOCK_KIT_FILE).is_file() and (path / MANIFEST_DIR).is_dir():
        return path
    if not override:
        raise AssertionError(f"{root} is missing or incomplete: restore it from git")
    return None


def _required_dir() -> Path:
    path = schemas_dir()
    if path is None:
        pytest.fail(f"the schemas are needed here; {SCHEMAS_ENV} points at no copy")
    return path


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _manifest_validators(folder: Path) -> tuple[Draft7Validator, dict[int, Draft7Validator]]:
    versioned = {major: _load(folder / name) for major, name in MANIFEST_VERSIONS.items()}
    registry = Registry().with_resources(
        (
            MANIFEST_PINNED + MANIFEST_VERSIONS[major],
            Resource.from_contents(schema, default_specification=DRAFT7),
        )
        for major, schema in versioned.items()
    )
    router = Draft7Validator(_load(folder / "manifest.schema.json"), registry=registry)
    # registry= even when nothing is $ref'd: without one jsonschema may fetch over the network.
    by_major = {m: Draft7Validator(s, registry=registry) for m, s in versioned.items()}
    return router, by_major


@functools.cache
def _block_kit_validators(folder: Path) -> dict[str, Draft202012Validator]:
    schema = _load(folder / BLOCK_KIT_FILE)
    schema_id = schema["$id"]  # a name, never fetched
    registry = Registry().with_resource(schema_id, Resource.from_contents(schema))

    def build(target: Mapping[str, Any]) -> Draft202012Validator:
        return Draft202012Validator(target, registry=registry, format_checker=FormatChecker())

    return {
        "message": build(schema),
        "modal": build({"$ref": schema_id + "#/$defs/modal_view"}),
        "home": build({"$ref": schema_id + "#/$defs/home_view"}),
    }


def _describe(err: ValidationError) -> str:
    message = err.message
    if len(message) > _MAX_MESSAGE_CHARS:
        message = message[:_MAX_MESSAGE_CHARS] + "…"
    return f"{err.json_path}: {message}"


def block_kit_error(validator: Draft202012Validator, payload: Any) -> str | None:
    """None if valid, else one readable 'path: message', following the oneOf branch that matched."""
    err = max(validator.iter_errors(payload), key=relevance, default=None)
    # Blocks, elements and text objects are oneOf unions: rather than "not valid under any of the
    # given schemas", follow the one branch whose "type" const matched to its deepest error.
    while err is not None and err.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in err.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        live = [
            errs
            for errs in branches.values()
            if not any(e.validator == "const" and list(e.relative_path) == ["type"] for e in errs)
        ]
        if len(live) != 1:
            break
        err = min(live[0], key=relevance)
    return None if err is None else _describe(err)


def manifest_error(manifest: dict) -> str | None:
    """None if the app manifest is valid under Slack's official schema, else 'path: message'."""
    router, by_major = _manifest_validators(_required_dir() / MANIFEST_DIR)
    if router.is_valid(manifest):
        return None
    # The router only says "not valid under any of the given schemas"; the versioned file names
    # the real problem.
    major = (manifest.get("_metadata") or {}).get("major_version", 1)
    if major not in by_major:
        return f"$._metadata.major_version: {major!r} is not one of {sorted(by_major)}"
    err = best_match(by_major[major].iter_errors(manifest)) or best_match(
        router.iter_errors(manifest)
    )
    return _describe(err)


def modal_error(view: dict | str) -> str | None:
    """None if `view` is a valid modal (views.open/update/push), else 'path: message'."""
    return block_kit_error(_block_kit_validators(_required_dir())["modal"], _decoded(view))


def home_error(view: dict | str) -> str | None:
    """None if `view` is a valid App Home view (views.publish), else 'path: message'."""
    return block_kit_error(_block_kit_validators(_required_dir())["home"], _decoded(view))


def message_error(blocks: list | str) -> str | None:
    """None if `blocks` are valid message blocks (≤ 50), else 'path: message'."""
    blocks = _decoded(blocks)
    if isinstance(blocks, list) and len(blocks) > MAX_MESSAGE_BLOCKS:
        return f"$: {len(blocks)} blocks; a message holds at most {MAX_MESSAGE_BLOCKS}"
    return block_kit_error(_block_kit_validators(_required_dir())["message"], blocks)


def assert_valid_modal(view: dict | str) -> None:
    """Fail the test unless `view` is a valid modal (schema, or slack_sdk when it is absent)."""
    _assert_valid(modal_error, _sdk_view_error, _decoded(view), "modal")


def assert_valid_home(view: dict | str) -> None:
    """Fail the test unless `view` is a valid App Home view (schema, or slack_sdk)."""
    _assert_valid(home_error, _sdk_view_error, _decoded(view), "home")


def assert_valid_message(payload: Mapping[str, Any]) -> None:
    """Fail unless a chat.postMessage / response_url body is valid: text fallback and blocks."""
    if payload.get("delete_original"):
        return
    text = payload.get("text")
    has_text = isinstance(text, str) and text.strip() != ""
    blocks = _decoded(payload["blocks"]) if payload.get("blocks") else None
    if blocks is None:
        if not has_text:
            raise AssertionError(f"message has neither blocks nor text: {payload!r}")
        return
    if not has_text:
        raise AssertionError("message has blocks but no non-empty `text` fallback (notifications)")
    _assert_valid(message_error, _sdk_message_error, blocks, "message")


def _assert_valid(
    schema_check: Callable[[Any], str | None],
    sdk_check: Callable[[Any], str | None],
    payload: Any,
    surface: str,
) -> None:
    error = schema_check(payload) if schemas_dir() is not None else sdk_check(payload)
    if error is not None:
        raise AssertionError(f"invalid {surface}: {error}")


def _decoded(payload: Any) -> Any:
    # Recorded Web API bodies carry `view` / `blocks` as JSON strings when form-encoded.
    return json.loads(payload) if isinstance(payload, str) else payload


def _sdk_view_error(view: dict) -> str | None:
    """slack_sdk's checks of a view; a fallback that misses much of what the schema enforces."""
    blocks = view.get("blocks") or []
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if view.get("type") == "modal" and has_input and not view.get("submit"):
        return "$.submit: a modal with input blocks needs a submit button"
    try:
        View(**view).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError) as exc:
        return f"$: {exc}"
    return _sdk_blocks_error(blocks, path="$.blocks")


def _sdk_message_error(blocks: list) -> str | None:
    """slack_sdk's checks of message blocks, plus the 50-per-message limit."""
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        return f"$: {len(blocks)} blocks; a message holds at most {MAX_MESSAGE_BLOCKS}"
    return _sdk_blocks_error(blocks, path="$")


def _sdk_blocks_error(blocks: Iterable[Any], path: str) -> str | None:
    """slack_sdk's checks of each block (unknown types included)."""
    for index, raw in enumerate(blocks):
        try:
            block = Block.parse(raw)
            if block is None:
                return f"{path}[{index}]: unknown block {raw!r:.{_MAX_MESSAGE_CHARS}}"
            block.validate_json()
        except (SlackObjectFormationError, TypeError, ValueError, KeyError) as exc:
            return f"{path}[{index}]: {exc}"
    return None
