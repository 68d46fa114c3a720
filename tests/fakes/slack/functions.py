"""The Workflow Builder surface of the fake Slack: custom steps ("functions") and their tokens.

Slack runs an app's custom step by sending a `function_executed` event that carries a
just-in-time workflow token (`bot_access_token`); the app ends the step with
functions.completeSuccess (outputs) or functions.completeError (a message). Bolt for Python
puts that token on `client`, `complete` and `fail` (slack_bolt/middleware/attaching_function_token/,
slack_bolt/context/complete/, slack_bolt/context/fail/). Tests start an execution here, hand the
event to the app (harness.send_event wraps it in the event_callback envelope) and read back how
the step ended.

Sources, cited beside each rule below:
- event: docs.slack.dev/reference/events/function_executed (shape, envelope);
  slack_bolt/request/internals.py extract_function_execution_id / extract_function_bot_access_token.
- methods: docs.slack.dev/reference/methods/functions.completeSuccess and .completeError (arguments,
  "Bot tokens: No scope required", errors: function_execution_not_found, access_denied,
  execution_not_in_running_state, parameter_validation_failed).
- token: docs.slack.dev/authentication/tokens ("Workflow tokens, or 'just in time' tokens, are a
  subset of bot tokens"); its lifetime from Slack's maintainers in
  github.com/slackapi/bolt-python/issues/1075 ("the tokens either expire 15 mins after being
  issued OR are revoked when the step is completed"); the answer a spent one gets (token_revoked)
  as reported in github.com/slackapi/deno-slack-sdk/issues/284 and
  github.com/slackapi/bolt-js/issues/2288.
"""

from __future__ import annotations

import copy
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.fakes.slack.base import _Base
from tests.fakes.slack.models import APP_ID, DEFAULT_TEAM_ID, Clock, Workspace, _Refusal

# "the tokens either expire 15 mins after being issued OR are revoked when the step is completed"
# (Slack, github.com/slackapi/bolt-python/issues/1075).
FUNCTION_TOKEN_TTL = 15 * 60.0
# As Bolt's own tests spell one (bolt-python tests/scenario_tests/test_function.py).
FUNCTION_TOKEN_PREFIX = "xwfp-"
MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yml"

# Output types the fake checks, by the type names of Slack's manifest schema
# (tests/slack_schemas/slack-manifest: slack-functions.parameter.type); other types pass unchecked.
_STRING_TYPES = frozenset(
    {
        "string",
        "slack#/types/user_id",
        "slack#/types/channel_id",
        "slack#/types/usergroup_id",
        "slack#/types/date",
        "slack#/types/message_ts",
        "slack#/types/rich_text",
    }
)


@dataclass
class _Execution:
    """One run of a custom step: its event as sent, its token, and how it ended."""

    id: str
    team_id: str
    token: str
    issued_at: float
    event: dict[str, Any]
    output_parameters: list[dict[str, Any]]
    state: str = "running"  # then "completed" or "failed"
    token_expired: bool = False
    completions: list[dict[str, Any]] = field(default_factory=list)


def _parameters(spec: Any) -> list[dict[str, Any]]:
    """A manifest's parameter block as the event lists it: [{name, type, title, is_required…}].

    Accepts both manifest shapes: schema v1 maps each name to its definition (with
    `is_required`); v2 nests them under `properties` with a `required` list.
    """
    if not isinstance(spec, dict):
        return []
    props = spec.get("properties")
    nested = isinstance(props, dict) and all(isinstance(v, dict) for v in props.values())
    definitions = props if nested else spec
    required = set(spec.get("required") or []) if nested else set()
    out = []
    for name, definition in definitions.items():
        if not isinstance(definition, dict):
            continue
        param = {"name": name, **copy.deepcopy(definition)}
        param["is_required"] = bool(definition.get("is_required")) or name in required
        out.append(param)
    return out


def _type_ok(kind: Any, value: Any) -> bool:
    if kind in _STRING_TYPES:
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("integer", "slack#/types/timestamp"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    return True


class FunctionsMixin(_Base):
    """Custom-step executions, their just-in-time tokens and functions.complete*."""

    def __init__(self, now: Clock = time.monotonic) -> None:
        super().__init__(now)
        # Switches, each a reading of the sources above that another reading could change:
        self.token_ttl = FUNCTION_TOKEN_TTL  # seconds from issue; applies to live tokens too
        # "revoked when the step is completed" (bolt-python#1075); False keeps it until expiry.
        self.token_ends_with_execution = True
        # What a spent token answers. Reports show token_revoked both after the step ended and
        # when it ran long (deno-slack-sdk#284, bolt-js#2288, bolt-python#1075); none shows an
        # expiry answer, so token_revoked for both, switchable (e.g. "token_expired").
        self.ended_token_error = "token_revoked"
        self.expired_token_error = "token_revoked"
        # functions.complete* lists "Bot tokens: No scope required" (method pages, Facts): the
        # workspace's bot token may end its team's executions too. False answers access_denied.
        self.bot_token_completes = True
        # A completion of an ended execution: the errors table's "execution_not_in_running_state
        # — The function execution is no longer in a state to be completed"; the pages' example
        # ("when the function has been completed and cannot be found") answers
        # function_execution_not_found instead.
        self.ended_execution_error = "execution_not_in_running_state"
        # Outputs the definition does not declare: the docs only say outputs "conforms to the
        # output parameters schema"; "refuse" (parameter_validation_failed) or "ignore".
        self.undeclared_outputs = "refuse"
        self.manifest_path = MANIFEST
        self._functions: dict[str, dict[str, Any]] = {}  # callback_id -> define_function()
        self._executions: dict[str, _Execution] = {}
        self._function_tokens: dict[str, str] = {}  # token -> execution id
        self._caller: _Execution | None = None  # whose workflow token made the current call

    # ---- world set-up ----------------------------------------------------------------------

    def define_function(
        self,
        callback_id: str,
        *,
        title: str | None = None,
        description: str = "",
        input_parameters: dict[str, Any] | None = None,
        output_parameters: dict[str, Any] | None = None,
    ) -> None:
        """Declare a custom step as a manifest would (either schema shape), overriding
        manifest.yml's `functions.<callback_id>` for this fake."""
        with self._lock:
            self._functions[callback_id] = {
                "title": title or callback_id,
                "description": description,
                "input_parameters": input_parameters or {},
                "output_parameters": output_parameters or {},
            }

    def start_execution(
        self,
        *,
        inputs: dict[str, Any],
        team_id: str = DEFAULT_TEAM_ID,
        callback_id: str = "create_bunce_segment",
        function_execution_id: str | None = None,
        workflow_execution_id: str | None = None,
    ) -> dict[str, Any]:
        """Run the step: issue its token and return the `function_executed` event as Slack
        sends it (docs.slack.dev/reference/events/function_executed). Wrap it in an
        event_callback envelope for `team_id` to deliver it (harness.send_event does).

        The parameter definitions come from define_function() or else manifest.yml's
        `functions.<callback_id>`; with neither, the event declares none and any outputs pass.
        Inputs are sent as given (not checked against the definitions), so tests can send odd ones.
        """
        spec = self._function_spec(callback_id)
        with self._lock:
            execution_id = function_execution_id or self._next_id("Fx")
            if execution_id in self._executions:
                raise ValueError(f"execution {execution_id} exists; redeliver() sends it again")
            self._counter += 1
            token = f"{FUNCTION_TOKEN_PREFIX}{self._counter}-{secrets.token_hex(12)}"
            outputs = _parameters(spec.get("output_parameters"))
            event = {
                "type": "function_executed",
                "function": {
                    "id": f"Fn{callback_id.upper().replace('_', '')[:10]}",
                    "callback_id": callback_id,
                    "title": spec.get("title") or callback_id,
                    "description": spec.get("description") or "",
                    "type": "app",
                    "input_parameters": _parameters(spec.get("input_parameters")),
                    "output_parameters": outputs,
                    "app_id": APP_ID,
                    "date_created": 1_700_000_000,
                    "date_updated": 1_700_000_000,
                    "date_deleted": 0,
                },
                "inputs": copy.deepcopy(inputs),
                "function_execution_id": execution_id,
                "workflow_execution_id": workflow_execution_id or self._next_id("Wx"),
                "event_ts": self._next_ts(),
                "bot_access_token": token,
            }
            self._executions[execution_id] = _Execution(
                execution_id, team_id, token, self.now(), event, outputs
            )
            self._function_tokens[token] = execution_id
            return copy.deepcopy(event)

    def redeliver(self, function_execution_id: str) -> dict[str, Any]:
        """The same event again (same ids and token), as when Slack retries a delivery."""
        with self._lock:
            return copy.deepcopy(self._execution(function_execution_id).event)

    def expire_token(self, token: str) -> None:
        """Age a token past its expiry. Also takes a function_execution_id or an `xwfp-` token:
        that execution's token then answers `expired_token_error`. Other tokens: as OAuth's."""
        with self._lock:
            execution_id = self._function_tokens.get(token, token)
            if execution_id in self._executions:
                self._executions[execution_id].token_expired = True
                return
        super().expire_token(token)  # type: ignore[misc]  # OAuthMixin's, later in the MRO

    # ---- inspection ------------------------------------------------------------------------

    def completions(self, function_execution_id: str) -> list[dict[str, Any]]:
        """functions.complete* calls that reached this execution, oldest first: {method,
        outputs | error, ok} plus `refusal` (the error code) when Slack refused it. Calls refused
        before that (a bad token) are only in the call log."""
        with self._lock:
            return copy.deepcopy(self._execution(function_execution_id).completions)

    def execution_state(self, function_execution_id: str) -> str:
        """The execution's state: running, completed (completeSuccess) or failed (completeError)."""
        with self._lock:
            return self._execution(function_execution_id).state

    def wait_for_completion(
        self, function_execution_id: str, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Block until the execution ended (success or error), returning that completion."""

        def ended() -> bool:
            return self.execution_state(function_execution_id) != "running"

        if self._wait(ended, timeout):
            return next(c for c in self.completions(function_execution_id) if c["ok"])
        raise AssertionError(
            f"execution {function_execution_id} still running after {timeout}s; "
            f"completions: {self.completions(function_execution_id)}"
        )

    # ---- rules -----------------------------------------------------------------------------

    def _execution(self, function_execution_id: str) -> _Execution:
        execution = self._executions.get(function_execution_id)
        if execution is None:
            raise KeyError(f"no execution {function_execution_id!r}")
        return execution

    def _function_spec(self, callback_id: str) -> dict[str, Any]:
        with self._lock:
            if callback_id in self._functions:
                return copy.deepcopy(self._functions[callback_id])
        try:
            manifest = yaml.safe_load(Path(self.manifest_path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        spec = ((manifest or {}).get("functions") or {}).get(callback_id)
        return spec if isinstance(spec, dict) else {}

    def _authenticate(self, token: str | None) -> Workspace:
        """Workflow tokens are "a subset of bot tokens" (docs.slack.dev/authentication/tokens):
        while live they act as the bot of the execution's team, for any method. Remembers who
        called, for functions.complete* (the server holds the lock from here to the handler)."""
        execution_id = self._function_tokens.get(token or "")
        if execution_id is None:
            ws = super()._authenticate(token)
            self._caller = None
            return ws
        execution = self._executions[execution_id]
        if execution.token_expired or self.now() > execution.issued_at + self.token_ttl:
            raise _Refusal(self.expired_token_error)
        if execution.state != "running" and self.token_ends_with_execution:
            raise _Refusal(self.ended_token_error)
        self._caller = execution
        return self._workspace(execution.team_id)

    def _end(
        self,
        ws: Workspace,
        args: dict[str, Any],
        attempt: dict[str, Any],
        problems: Callable[[_Execution], list[str]] | None = None,
    ) -> _Execution:
        """Check a functions.complete* call against its execution; record it there either way."""
        execution_id = args.get("function_execution_id")
        if not execution_id:
            raise _Refusal("invalid_arguments")
        execution = self._executions.get(str(execution_id))
        if execution is None:
            raise _Refusal("function_execution_not_found")
        try:
            self._check_access(ws, execution)
            if execution.state != "running":
                raise _Refusal(self.ended_execution_error)
            found = problems(execution) if problems else []
            if found:
                # "There were problems when validating the outputs against the Function
                # parameters. See API response for more details." (completeSuccess errors)
                messages = {"messages": found}
                raise _Refusal("parameter_validation_failed", response_metadata=messages)
        except _Refusal as no:
            execution.completions.append(attempt | {"ok": False, "refusal": no.error})
            raise
        execution.completions.append(attempt | {"ok": True})
        return execution

    def _check_access(self, ws: Workspace, execution: _Execution) -> None:
        """A workflow token ends only its own execution; a bot token (if allowed) its team's.
        Otherwise access_denied: "This actor does not have access to this function execution"
        (errors of both methods)."""
        caller = self._caller
        if caller is not None:
            if caller is not execution:
                raise _Refusal("access_denied")
        elif not self.bot_token_completes or ws.team_id != execution.team_id:
            raise _Refusal("access_denied")

    def _output_problems(self, execution: _Execution, outputs: dict[str, Any]) -> list[str]:
        """Where outputs do not conform to the declared output_parameters ("A JSON-based object
        that conforms to the output parameters schema", completeSuccess's `outputs`)."""
        declared = {p["name"]: p for p in execution.output_parameters}
        if not declared:
            return []  # nothing declared (no manifest entry): nothing to check against
        problems = []
        for name, param in declared.items():
            value = outputs.get(name)
            if value is None:
                if param.get("is_required"):
                    problems.append(f"[ERROR] missing required field: {name}")
            elif not _type_ok(param.get("type"), value):
                problems.append(f"[ERROR] {name} must be of type {param.get('type')}")
        if self.undeclared_outputs == "refuse":
            problems += [f"[ERROR] unknown field: {n}" for n in outputs if n not in declared]
        return problems

    # ---- methods ---------------------------------------------------------------------------

    def _functions_complete_success(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        outputs = args.get("outputs")
        if isinstance(outputs, str):  # slack_sdk sends it as a JSON string in the form body
            try:
                outputs = json.loads(outputs)
            except ValueError as exc:
                raise _Refusal("invalid_arguments") from exc
        if not isinstance(outputs, dict):
            # Bolt sends `outputs or {}`: "if outputs is None slack interprets it as an error"
            # (github.com/slackapi/bolt-python/pull/715).
            raise _Refusal("invalid_arguments")
        attempt = {"method": "functions.completeSuccess", "outputs": copy.deepcopy(outputs)}
        execution = self._end(
            ws, args, attempt, lambda found: self._output_problems(found, outputs)
        )
        execution.state = "completed"
        return {}

    def _functions_complete_error(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        message = args.get("error")
        if not isinstance(message, str) or not message:
            raise _Refusal("invalid_arguments")
        attempt = {"method": "functions.completeError", "error": message}
        self._end(ws, args, attempt).state = "failed"
        return {}
