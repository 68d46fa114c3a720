"""The views surface of the fake Slack: modals and App Home.

views.open/push/update/publish with Slack's view validation, its trigger ids (short-lived, single
use) and the stack of pushed modals, plus what a test sets up (triggers, a closed modal) and
inspects (the modal as shown, the view as sent).
"""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Iterable
from typing import Any

from tests.fakes.slack.base import _Base, _measure
from tests.fakes.slack.models import APP_ID, Workspace, _Refusal, _Trigger

MAX_VIEW_BLOCKS = 100
MAX_VIEW_STACK = 3
_VIEW_DEFAULTS: dict[str, Any] = {
    "private_metadata": "",
    "callback_id": "",
    "external_id": "",
    "close": None,
    "submit": None,
    "clear_on_close": False,
    "notify_on_close": False,
}


def _text_of(obj: Any) -> str:
    return obj.get("text", "") if isinstance(obj, dict) else ""


def _view_problems(view: dict[str, Any], kind: str, unit: str) -> Iterable[str]:
    """Yield Slack-style validation messages for a modal or home view."""
    if view.get("type") != kind:
        yield f"[ERROR] must be '{kind}' [json-pointer:/view/type]"
    if kind == "modal" and not isinstance(view.get("title"), dict):
        yield "[ERROR] missing required field: title [json-pointer:/view]"
    for name in ("title", "submit", "close"):
        if len(_text_of(view.get(name))) > 24:
            yield f"[ERROR] must be less than 25 characters [json-pointer:/view/{name}/text]"
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        yield "[ERROR] missing required field: blocks [json-pointer:/view]"
        blocks = []
    if len(blocks) > MAX_VIEW_BLOCKS:
        yield "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"
    if any(not isinstance(b, dict) or "type" not in b for b in blocks):
        yield "[ERROR] missing required field: type [json-pointer:/view/blocks]"
    if _measure(str(view.get("private_metadata", "")), unit) > 3000:
        yield "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]"
    for name in ("callback_id", "external_id"):
        if len(str(view.get(name, ""))) > 255:
            yield f"[ERROR] must be less than 256 characters [json-pointer:/view/{name}]"
    has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if kind == "modal" and has_input and not view.get("submit"):
        yield "[ERROR] must provide a submit property when using input blocks [json-pointer:/view]"


def _check_view(view: Any, kind: str, unit: str) -> dict[str, Any]:
    if not isinstance(view, dict):
        raise _Refusal("invalid_arguments", response_metadata={"messages": ["invalid `view`"]})
    problems = list(_view_problems(view, kind, unit))
    if problems:
        raise _Refusal("invalid_arguments", response_metadata={"messages": problems})
    return view


class ViewsMixin(_Base):
    """views.* methods, trigger ids and the modals and home tabs they produce."""

    # ---- world set-up ----------------------------------------------------------------------

    def issue_trigger(self, ttl: float = 3.0, *, view_id: str | None = None) -> str:
        """Register a trigger_id valid for `ttl` seconds; view_id marks one fired inside a modal."""
        with self._lock:
            self._counter += 1
            trigger_id = f"{self._counter}.{int(time.time())}.{secrets.token_hex(8)}"
            self._triggers[trigger_id] = _Trigger(self.now() + ttl, view_id)
        return trigger_id

    def expire_trigger(self, trigger_id: str) -> None:
        """Age a trigger past its lifetime without waiting."""
        with self._lock:
            self._triggers[trigger_id].expires_at = float("-inf")

    def close_view(self, view_id: str) -> None:
        """Act as the user closing a modal: the view is gone for views.update."""
        with self._lock:
            del self.views[view_id]

    # ---- inspection ------------------------------------------------------------------------

    def shown_view(self, view_id: str) -> dict[str, Any]:
        """A modal as the person sees it now (after every views.update), with Slack's fields."""
        with self._lock:
            return copy.deepcopy(self.views[view_id])

    def sent_view(self, view_id: str) -> dict[str, Any]:
        """The view the app last sent for `view_id` (views.open or views.update), as sent."""
        with self._lock:
            sent = [
                c.args["view"]
                for c in self.requests
                if c.method in ("views.open", "views.update")
                and ((c.response or {}).get("view") or {}).get("id") == view_id
            ]
        if not sent:
            raise AssertionError(f"no view was sent for {view_id}")
        return copy.deepcopy(sent[-1])

    # ---- rules -----------------------------------------------------------------------------

    def _take_trigger(self, args: dict[str, Any]) -> _Trigger:
        """Check a trigger without consuming it; consumed only when the view is accepted."""
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not trigger_id:
            messages = ["invalid `trigger_id`"]
            raise _Refusal("invalid_arguments", response_metadata={"messages": messages})
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise _Refusal("invalid_trigger_id")
        if trigger.used:
            raise _Refusal("exchanged_trigger_id")
        if self.now() > trigger.expires_at:
            raise _Refusal("expired_trigger_id")
        return trigger

    def _check_external_id(self, ws: Workspace, view: dict[str, Any], own_id: str = "") -> None:
        external_id = view.get("external_id")
        if not external_id:
            return
        for other in self.views.values():
            same_team = other["team_id"] == ws.team_id
            if same_team and other["external_id"] == external_id and other["id"] != own_id:
                raise _Refusal("duplicate_external_id")

    def _store_view(
        self,
        ws: Workspace,
        view: dict[str, Any],
        *,
        view_id: str | None = None,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
        state: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        view_id = view_id or self._next_id("V")
        stored = _VIEW_DEFAULTS | copy.deepcopy(view)
        stored |= {
            "id": view_id,
            "team_id": ws.team_id,
            "state": state or {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "root_view_id": root_view_id or view_id,
            "previous_view_id": previous_view_id,
            "app_id": APP_ID,
            "app_installed_team_id": ws.team_id,
            "bot_id": ws.bot_id,
        }
        return stored

    def _find_view(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        if bool(args.get("view_id")) == bool(args.get("external_id")):
            # Slack's wording when both are sent (slack-go/slack#667).
            messages = ["[ERROR] Cannot provide both `view_id` and `external_id`"]
            raise _Refusal("invalid_arguments", response_metadata={"messages": messages})
        for view in self.views.values():
            by_id = args.get("view_id") and view["id"] == args["view_id"]
            by_external = args.get("external_id") and view["external_id"] == args["external_id"]
            if view["team_id"] == ws.team_id and (by_id or by_external):
                return view
        raise _Refusal("not_found")

    # ---- methods ---------------------------------------------------------------------------

    def _views_open(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        trigger = self._take_trigger(args)
        view = _check_view(args.get("view"), "modal", self.text_unit)
        self._check_external_id(ws, view)
        trigger.used = True
        stored = self._store_view(ws, view)
        self.views[stored["id"]] = stored
        return {"view": stored}

    def _views_push(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        trigger = self._take_trigger(args)
        view = _check_view(args.get("view"), "modal", self.text_unit)
        self._check_external_id(ws, view)
        below = self.views.get(trigger.view_id or "")
        root = below["root_view_id"] if below else None
        if root and sum(v["root_view_id"] == root for v in self.views.values()) >= MAX_VIEW_STACK:
            raise _Refusal("push_limit_reached")
        trigger.used = True
        stored = self._store_view(ws, view, root_view_id=root, previous_view_id=trigger.view_id)
        self.views[stored["id"]] = stored
        return {"view": stored}

    def _views_update(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        current = self._find_view(ws, args)
        if args.get("hash") and args["hash"] != current["hash"]:
            raise _Refusal("hash_conflict")
        view = _check_view(args.get("view"), current["type"], self.text_unit)
        self._check_external_id(ws, view, own_id=current["id"])
        # Undocumented whether an update without external_id clears it; keeping it is the
        # lenient choice, so a second update by external_id still finds the view.
        view = {"external_id": current["external_id"]} | view
        stored = self._store_view(
            ws,
            view,
            view_id=current["id"],
            root_view_id=current["root_view_id"],
            previous_view_id=current["previous_view_id"],
            state=current["state"],
        )
        self.views[stored["id"]] = stored
        return {"view": stored}

    def _views_publish(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        user_id = args.get("user_id")
        if not user_id:
            raise _Refusal("invalid_arguments", response_metadata={"messages": ["user_id"]})
        view = _check_view(args.get("view"), "home", self.text_unit)
        previous = self.home_views.get(user_id)
        stored = self._store_view(ws, view, view_id=previous["id"] if previous else None)
        self.home_views[user_id] = stored
        return {"view": stored}
