"""manifest.yml: valid for Slack, and in step with bot/ids.py and the Web API calls in bot/."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from bot import ids
from tests.schemas import manifest_error

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "manifest.yml"
BOT_PACKAGE = ROOT / "bot"

# Bot scope each Web API method needs (any one of a tuple will do; () = none). A WebClient method
# called in bot/ but missing here fails test_every_web_api_call_is_known: add it, with its scope.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat_postMessage": ("chat:write",),
    "chat_postEphemeral": ("chat:write",),
    "chat_update": ("chat:write",),
    "chat_delete": ("chat:write",),
    "chat_scheduleMessage": ("chat:write",),
    "chat_getPermalink": (),
    # Workflow steps end with the execution's token; "Bot tokens: No scope required"
    # (docs.slack.dev/reference/methods/functions.completeSuccess).
    "functions_completeSuccess": (),
    "functions_completeError": (),
    "conversations_join": ("channels:join",),
    "conversations_open": ("im:write",),
    "conversations_info": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "conversations_members": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "conversations_history": ("channels:history", "groups:history", "im:history"),
    "conversations_replies": ("channels:history", "groups:history", "im:history"),
    "conversations_list": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "users_info": ("users:read",),
    "users_list": ("users:read",),
    "users_lookupByEmail": ("users:read.email",),
    "users_conversations": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "team_info": ("team:read",),
    "files_info": ("files:read",),
    "files_list": ("files:read",),
    "files_upload_v2": ("files:write",),
    "files_getUploadURLExternal": ("files:write",),
    "files_completeUploadExternal": ("files:write",),
    "reactions_add": ("reactions:write",),
    "reactions_remove": ("reactions:write",),
    "views_open": (),
    "views_push": (),
    "views_update": (),
    "views_publish": (),
    "auth_test": (),
    "apps_uninstall": (),
    "oauth_v2_access": (),
}
# Bolt's say() is chat.postMessage under another name.
ALIASES = {"say": "chat_postMessage"}
CALL = re.compile(
    r"\.(?!api_call\()([a-z]+_[a-zA-Z0-9_]+)\("  # client.chat_postMessage(
    r"|\bapi_call\(\s*[\"']([a-zA-Z0-9_.]+)[\"']"  # client.api_call("chat.postMessage"
    r"|\b(say)\("  # Bolt's say(
    r"|\bcall\(\s*\w+\.([a-z]+_[a-zA-Z0-9_]+)\s*[,)]"  # call(client.chat_postMessage, …)
)


def load_manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def web_api_calls(source: str) -> set[str]:
    """WebClient-style method names called in `source` (api_call("a.b") counts as a_b)."""
    found = set()
    for method, api_call, say, wrapped in CALL.findall(source):
        name = method or api_call.replace(".", "_") or say or wrapped
        found.add(ALIASES.get(name, name))
    return found


def missing_scopes(calls: set[str], granted: set[str]) -> dict[str, tuple[str, ...]]:
    """Known methods among `calls` whose scope is not in `granted`: {method: scopes, any one}."""
    return {
        method: METHOD_SCOPES[method]
        for method in sorted(calls & METHOD_SCOPES.keys())
        if METHOD_SCOPES[method] and not granted & set(METHOD_SCOPES[method])
    }


def bot_sources() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for path in sorted(BOT_PACKAGE.rglob("*.py"))
    }


def bot_calls() -> dict[str, set[str]]:
    """Web API method name → the bot/ files that call it."""
    calls: dict[str, set[str]] = {}
    for name, source in bot_sources().items():
        for method in web_api_calls(source):
            calls.setdefault(method, set()).add(name)
    return calls


# --- the official schema ---------------------------------------------------------------------


def test_manifest_is_valid_under_slacks_schema() -> None:
    assert manifest_error(load_manifest()) is None


def test_schema_reports_a_command_without_a_slash() -> None:
    manifest = copy.deepcopy(load_manifest())
    manifest["features"]["slash_commands"][0]["command"] = "segment"

    error = manifest_error(manifest)

    assert error is not None
    assert error.startswith("$.features.slash_commands[0].command:")
    assert "'segment' does not match" in error


def test_schema_reports_an_unknown_settings_key() -> None:
    manifest = copy.deepcopy(load_manifest())
    manifest["settings"]["socket_mode"] = True  # the real key is socket_mode_enabled

    error = manifest_error(manifest)

    assert error is not None
    assert error.startswith("$.settings:")
    assert "'socket_mode'" in error


def test_schema_reports_a_too_long_description() -> None:
    manifest = copy.deepcopy(load_manifest())
    manifest["display_information"]["description"] = "x" * 141

    assert (manifest_error(manifest) or "").startswith("$.display_information.description:")


# --- in step with the code --------------------------------------------------------------------


def test_declares_the_segment_command() -> None:
    commands = load_manifest()["features"]["slash_commands"]

    (segment,) = [c for c in commands if c["command"] == ids.COMMAND]
    assert segment["description"] == "Create a Bunce customer segment"
    assert segment["usage_hint"].startswith("[segment name]")
    assert "help" in segment["usage_hint"]
    assert segment["should_escape"] is False


def test_bot_scopes_are_exactly_those_the_code_declares() -> None:
    scopes = load_manifest()["oauth_config"]["scopes"]["bot"]

    assert len(scopes) == len(set(scopes)), "duplicate scope"
    assert set(scopes) == set(ids.BOT_SCOPES)


def test_subscribes_to_home_and_lifecycle_events() -> None:
    events = set(load_manifest()["settings"]["event_subscriptions"]["bot_events"])

    assert {"app_home_opened", "app_uninstalled", "tokens_revoked"} <= events


def test_features_and_settings_the_app_relies_on() -> None:
    manifest = load_manifest()
    home = manifest["features"]["app_home"]
    settings = manifest["settings"]

    assert home["home_tab_enabled"] is True
    assert home["messages_tab_enabled"] is True  # the app DMs the creator when a modal is gone
    assert manifest["features"]["bot_user"]["display_name"] == "bunce"
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    # Custom steps (issue 14) need an org-ready app whose functions run here.
    assert settings["org_deploy_enabled"] is True
    assert settings["function_runtime"] == "remote"
    assert "function_executed" in settings["event_subscriptions"]["bot_events"]


def test_the_workflow_step_is_declared_as_the_app_serves_it() -> None:
    step = load_manifest()["functions"]["create_bunce_segment"]
    inputs, outputs = step["input_parameters"], step["output_parameters"]

    assert {name: p["type"] for name, p in inputs.items()} == {
        "segment_name": "string",
        "description": "string",
        "add_all_customers": "boolean",
        "announce_channel": "slack#/types/channel_id",
    }
    assert [name for name, p in inputs.items() if p.get("is_required")] == ["segment_name"]
    assert {name: p["type"] for name, p in outputs.items()} == {
        "segment_id": "string",
        "segment_name": "string",
    }
    assert all(p.get("is_required") for p in outputs.values())
    assert all(p["name"] == name for name, p in {**inputs, **outputs}.items())


def test_http_setup_is_documented_in_comments() -> None:
    text = MANIFEST.read_text(encoding="utf-8")

    urls = re.findall(r"^\s*# (\w+): https://YOUR_HOST/slack/events\s*$", text, re.MULTILINE)

    assert sorted(urls) == ["message_menu_options_url", "request_url", "request_url", "url"]
    assert "uncomment the four request URLs below" in text  # the header counts them right
    assert "https://YOUR_HOST/slack/oauth_redirect" in text
    assert "SLACK_SIGNING_SECRET" in text


def test_uncommenting_the_http_lines_gives_a_valid_http_manifest() -> None:
    text = MANIFEST.read_text(encoding="utf-8")
    lines = [
        re.sub(
            r"^(\s*)# ((?:url|request_url|message_menu_options_url|redirect_urls):)", r"\1\2", line
        )
        for line in text.splitlines()
    ]
    http = yaml.safe_load(
        "\n".join(lines).replace("#   - https://YOUR_HOST", "  - https://YOUR_HOST")
    )
    http["settings"]["socket_mode_enabled"] = False

    assert http["features"]["slash_commands"][0]["url"].endswith("/slack/events")
    assert http["settings"]["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert http["settings"]["interactivity"]["request_url"].endswith("/slack/events")
    assert http["settings"]["interactivity"]["message_menu_options_url"].endswith("/slack/events")
    assert http["oauth_config"]["redirect_urls"] == ["https://YOUR_HOST/slack/oauth_redirect"]
    assert manifest_error(http) is None


# --- Web API calls in bot/ need only declared scopes -------------------------------------------


def test_every_web_api_call_in_bot_has_its_scope() -> None:
    calls = bot_calls()

    missing = missing_scopes(set(calls), set(ids.BOT_SCOPES))

    assert not missing, "add to bot/ids.py BOT_SCOPES and manifest.yml: " + "; ".join(
        f"{method} (in {', '.join(sorted(calls[method]))}) needs {' or '.join(scopes)}"
        for method, scopes in missing.items()
    )


def test_every_web_api_call_in_bot_is_known() -> None:
    from slack_sdk import WebClient

    web_api = {name for name in bot_calls() if callable(getattr(WebClient, name, None))}

    assert web_api <= METHOD_SCOPES.keys(), (
        f"add to METHOD_SCOPES with its scope: {sorted(web_api - METHOD_SCOPES.keys())}"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("client.chat_postMessage(channel=c, text=t)", {"chat_postMessage"}),
        ("self._client.users_info(user=u)", {"users_info"}),
        ('client.api_call("files.info", params={})', {"files_info"}),
        ("say(text='hi')", {"chat_postMessage"}),
        ("client.files_upload_v2(file=f)", {"files_upload_v2"}),
        ("essay(x); build_modal(form)", set()),
    ],
)
def test_scan_finds_web_api_calls(source: str, expected: set[str]) -> None:
    assert web_api_calls(source) == expected


def test_scan_reports_a_call_needing_an_undeclared_scope() -> None:
    calls = web_api_calls(
        "client.files_info(file=f)\nclient.views_open(view=v)\nclient.chat_update(ts=ts)\n"
    )

    declared = set(ids.BOT_SCOPES) - {"files:read"}
    assert missing_scopes(calls, declared) == {"files_info": ("files:read",)}
