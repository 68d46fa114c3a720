"""The registry: every surface the app shows, each built by the app's own pure builders (never a
copy of their output) from the sample data in preview/data.py.

A surface is a modal, the Home tab or a message. Each is built only when written, so one that
fails (a builder whose signature changed) is reported by name and the others are still written.
tests/test_preview.py checks that every public `build_*` builder is exercised here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from bot.bunce.models import Segment
from bot.command.help import build_help_message
from bot.create import messages
from bot.create import views as create
from bot.create.form import CreateResult, Problem, SegmentForm
from bot.create.origin import Origin, encode_metadata
from bot.create.outcome import fresh
from bot.manage import views as manage
from bot.sentences import STORE_UNAVAILABLE
from bot.slack.blocks import plain, section
from bot.slack.metadata import sign_value
from bot.slack.notice import build_loading_modal
from bot.workspace import views as workspace
from bot.workspace.home_view import build_home
from bot.workspace.model import ConnectProblem
from preview import data as d

Payload = dict[str, Any]
MODAL, HOME, MESSAGE = "modal", "home", "message"


@dataclass(frozen=True)
class Surface:
    """One thing a person sees. `build` returns what the app sends: the view for a modal or the
    Home tab, the message (its `text` fallback and blocks) for a message."""

    area: str
    name: str
    kind: str
    about: str
    build: Callable[[], Payload]

    @property
    def path(self) -> str:
        return f"{self.area}/{self.name}"


SURFACES: list[Surface] = []


def surface(area: str, name: str, kind: str, about: str) -> Callable[[Callable[[], Payload]], Any]:
    """Registers the decorated function as the builder of one surface."""

    def register(build: Callable[[], Payload]) -> Callable[[], Payload]:
        SURFACES.append(Surface(area, name, kind, about, build))
        return build

    return register


# -- create ------------------------------------------------------------------------------------
ORIGIN = Origin(d.SPRING_CHANNEL, d.THREAD_TS, d.RESPONSE_URL)


@surface("create", "create_modal", MODAL, "`/segment`: the empty form (live Bunce)")
def _create_modal() -> Payload:
    return create.build_create_modal(encode_metadata(d.SIGNER, ORIGIN), environment="live")


@surface("create", "create_modal_sandbox", MODAL, "The form when the key is a sandbox key")
def _create_modal_sandbox() -> Payload:
    return create.build_create_modal(encode_metadata(d.SIGNER, ORIGIN), environment="sandbox")


@surface("create", "create_modal_named", MODAL, "`/segment Spring launch VIPs 🌷`: name filled in")
def _create_modal_named() -> Payload:
    prefill = SegmentForm(name=d.SPRING.name)
    return create.build_create_modal(encode_metadata(d.SIGNER, ORIGIN), prefill, "live")


@surface("create", "create_modal_retry", MODAL, "After *Edit and retry*: everything as typed")
def _create_modal_retry() -> Payload:
    typed = SegmentForm(d.SPRING.name, d.DESCRIPTION, add_all_customers=True, share=False)
    return create.build_create_modal(encode_metadata(d.SIGNER, ORIGIN, typed), typed, "live")


@surface("create", "progress", MODAL, "Right after *Create*, while Bunce works")
def _progress() -> Payload:
    return create.build_progress_view(d.SPRING_FORM)


@surface("create", "unconfirmed", MODAL, "Bunce stopped answering: not known yet if it exists")
def _unconfirmed() -> Payload:
    return create.build_unconfirmed_view(d.SPRING.name)


def _success(
    *, posted: bool, unconfirmed: bool = False, chose_not: bool = False, url: bool = False
) -> Payload:
    """As bot/create/outcome.py decides: the share picker unless a card is surely posted."""
    shown = fresh(d.SPRING_SHOWN)
    note = messages.card_note(
        d.SPRING_CHANNEL, posted=posted, unconfirmed=unconfirmed, chose_not=chose_not
    )
    share = None if posted and not unconfirmed else sign_value(d.SIGNER, {"id": shown.id})
    bunce_url = d.CARDS.bunce_url(shown.id) if url else None
    return create.build_success_view(shown, note, bunce_url=bunce_url, share_value=share)


@surface("create", "success_shared", MODAL, "Created; its card is shared in #spring-launch")
def _success_shared() -> Payload:
    return _success(posted=True)


@surface("create", "success_open_in_bunce", MODAL, "Created and shared, with *Open in Bunce*")
def _success_open_in_bunce() -> Payload:
    return _success(posted=True, url=True)


@surface("create", "success_not_posted", MODAL, "Created, but I couldn't post the card: picker")
def _success_not_posted() -> Payload:
    return _success(posted=False, url=True)


@surface("create", "success_unconfirmed_card", MODAL, "Created; Slack didn't confirm the card")
def _success_unconfirmed_card() -> Payload:
    return _success(posted=True, unconfirmed=True)


@surface("create", "success_not_shared", MODAL, "Created; the person chose not to share a card")
def _success_not_shared() -> Payload:
    return _success(posted=False, chose_not=True)


def _error(problem: Problem, bunce_message: str | None = None) -> Payload:
    """The sentence and the next step the app gives this problem (create/messages.py)."""
    result = CreateResult(problem=problem, bunce_message=bunce_message)
    step = messages.next_step(problem)
    who = d.WHO if step is create.NextStep.NONE else None
    sentence = messages.sentence_for(result, who) if who else messages.sentence_for(result)
    metadata = encode_metadata(d.SIGNER, ORIGIN, d.SPRING_FORM)
    return create.build_error_view(sentence, d.SPRING_FORM, metadata, step)


@surface("create", "error_edit_and_retry", MODAL, "Bunce refused the form: *Edit and retry*")
def _error_edit() -> Payload:
    return _error(Problem.INVALID, "The name has already been taken.")


@surface("create", "error_try_again", MODAL, "Bunce is unavailable: *Try again*")
def _error_try_again() -> Payload:
    return _error(Problem.UNAVAILABLE)


@surface("create", "error_admin_must_act", MODAL, "The key was rejected: no button, who to ask")
def _error_none() -> Payload:
    return _error(Problem.KEY_REJECTED)


@surface("create", "card_created", MESSAGE, "The card as shared on creation (new: no customers)")
def _card_created() -> Payload:
    return d.CARDS.card(fresh(d.SPRING), "live", creator_id=d.MARCO)


@surface("create", "card_shared", MESSAGE, "The card shared later from the list, by someone")
def _card_shared() -> Payload:
    return d.CARDS.card(d.SPRING_WITH_COUNT, "live", creator_id=d.MARCO, shared_by=d.ANNA)


@surface("create", "card_all_customers", MESSAGE, "A segment of all customers, with its count")
def _card_all_customers() -> Payload:
    return d.CARDS.card(d.EVERYONE, "live", creator_id=d.MARCO)


@surface("create", "card_sandbox", MESSAGE, "Made in a Bunce sandbox, no count, no known creator")
def _card_sandbox() -> Payload:
    return d.CARDS.card(d.BETA, "sandbox", creator_id=None, shared_by=d.ANNA)


@surface("create", "notice_created", MESSAGE, "Private notice (modal closed): created")
def _notice_created() -> Payload:
    note = messages.card_note(
        d.SPRING_CHANNEL, posted=False, unconfirmed=False, how=messages.FROM_LIST
    )
    shown = fresh(d.SPRING_SHOWN)
    return messages.created_notice(shown, note, d.CARDS.bunce_url(shown.id))


@surface("create", "notice_failed", MESSAGE, "Private notice (modal closed): not created")
def _notice_failed() -> Payload:
    sentence = messages.sentence_for(CreateResult(problem=Problem.RATE_LIMITED))
    return messages.failed_notice(d.SPRING.name, sentence)


# -- manage ------------------------------------------------------------------------------------
@surface("manage", "list_search", MESSAGE, "`/segment list VIPs`: matches, and the offer to create")
def _list_search() -> Payload:
    editable = {d.VIP_MATCHES[0].id}
    return manage.build_segment_list(
        d.VIP_MATCHES, page=1, words="VIPs", editable=editable, signer=d.SIGNER, lead="list"
    )


@surface("manage", "list_no_matches", MESSAGE, "`/segment list spring 2019`: nothing found")
def _list_no_matches() -> Payload:
    return manage.build_segment_list(
        [], page=1, words="spring 2019", editable=set(), signer=d.SIGNER, lead="list"
    )


@surface("manage", "list_page_2", MESSAGE, "`/segment list`, page 2 of 3: Previous and Next")
def _list_page_2() -> Payload:
    editable = {s.id for s in d.CATALOG[10:20:3]}
    return manage.build_segment_list(
        d.CATALOG, page=2, words="", editable=editable, signer=d.SIGNER
    )


@surface("manage", "edit_modal", MODAL, "*Edit* on a card: name and description filled in")
def _edit_modal() -> Payload:
    metadata = sign_value(d.SIGNER, {"id": d.SPRING.id})
    return manage.build_edit_modal(d.SPRING_SHOWN, d.DESCRIPTION, metadata)


@surface("manage", "edit_modal_not_saved", MODAL, "The form again after a failed save")
def _edit_modal_not_saved() -> Payload:
    typed = Segment(d.SPRING.id, "Spring launch VIPs 🌷 (final)", None, None, False, None, None)
    metadata = sign_value(d.SIGNER, {"id": d.SPRING.id})
    return manage.build_edit_modal(typed, d.DESCRIPTION, metadata, STORE_UNAVAILABLE)


@surface("manage", "edit_saved", MODAL, "Saved, and the cards updated")
def _edit_saved() -> Payload:
    return manage.build_edit_result_view(manage.saved(d.SPRING.name, 2))


@surface("manage", "edit_bunce_down", MODAL, "Bunce didn't answer when the form was filled")
def _edit_bunce_down() -> Payload:
    return manage.build_edit_result_view(f":warning: {manage.BUNCE_DOWN}")


@surface("manage", "not_editor", MODAL, "*Edit* by someone who can't: who can, and what instead")
def _not_editor() -> Payload:
    text = manage.not_editor(d.MARCO, d.WHO)
    return manage.build_not_editor_view(text, d.CARDS.bunce_url(d.SPRING.id))


@surface("manage", "not_editor_no_link", MODAL, "The same, created in Bunce, no Bunce link set")
def _not_editor_no_link() -> Payload:
    return manage.build_not_editor_view(manage.not_editor(None, d.WHO), None)


# -- people (Add customers) --------------------------------------------------------------------
def _people() -> ModuleType:
    """Imported when a surface is built, so the other areas are written if this one breaks."""
    return importlib.import_module("bot.people.views")


def _file_note(name: str, problem: str = "", channel_id: str | None = None) -> Any:
    return importlib.import_module("bot.people.job").FileNote(name, problem, channel_id)


@surface("people", "from_message", MODAL, "*Add customers to segment* on a message with emails")
def _from_message() -> Payload:
    where = {"response_url": d.RESPONSE_URL, "job": 42}
    ignored = ["anna@", "n/a", "+44 7700 900123"]
    return _people().build_add_people_modal(
        sign_value(d.SIGNER, where), count=238, ignored=ignored, ignored_count=3, notes=[]
    )


@surface("people", "nobody_found", MODAL, "A message with no one readable: the paste box")
def _nobody_found() -> Payload:
    where = {"response_url": d.RESPONSE_URL, "channel": d.SPRING_CHANNEL, "thread": d.THREAD_TS}
    notes = [
        _file_note("vip-list.csv", channel_id=d.VIP_TEAM),
        _file_note("march-signups.csv", "The file is larger than 1 MB. Attach a smaller CSV file."),
    ]
    return _people().build_add_people_modal(
        sign_value(d.SIGNER, where), count=0, ignored=[], ignored_count=0, notes=notes
    )


@surface("people", "from_card", MODAL, "*Add customers* on a card: segment chosen, paste box")
def _from_card() -> Payload:
    where = {"channel": d.SPRING_CHANNEL, "thread": d.THREAD_TS, "response_url": d.RESPONSE_URL}
    return _people().build_add_people_modal(
        sign_value(d.SIGNER, where),
        count=0,
        ignored=[],
        ignored_count=0,
        notes=[],
        segment=(d.SPRING.id, d.SPRING.name),
        paste=True,
    )


def _options_message(options: list[dict[str, Any]], about: str) -> Payload:
    """external_select options have no surface of their own: shown in a static select, as the
    modal's Segment menu lists them once opened (this wrapper is the preview's, not the app's)."""
    menu = {
        "type": "static_select",
        "action_id": "preview_segment_options",
        "placeholder": plain("Search your segments"),
        "options": options,
    }
    return {"text": about, "blocks": [section(about), {"type": "actions", "elements": [menu]}]}


@surface("people", "segment_options", MESSAGE, "The Segment menu after typing “vip”")
def _segment_options() -> Payload:
    matches = [(s.id, s.name) for s in d.VIP_MATCHES]
    options = _people().build_segment_options(matches, state="complete", known=len(d.CATALOG))
    return _options_message(options, "The *Segment* menu of Add customers, after typing “vip”")


@surface("people", "segment_options_loading", MESSAGE, "The Segment menu while still loading")
def _segment_options_loading() -> Payload:
    matches = [(s.id, s.name) for s in d.VIP_MATCHES[:1]]
    options = _people().build_segment_options(matches, state="loading", known=1200)
    return _options_message(options, "The *Segment* menu while the segments are still loading")


@surface("people", "segment_options_failed", MESSAGE, "The Segment menu when Bunce didn't answer")
def _segment_options_failed() -> Payload:
    options = _people().build_segment_options([], state="failed", known=0)
    return _options_message(options, "The *Segment* menu when Bunce didn't answer")


@surface("people", "progress", MODAL, "The modal while customers are being added")
def _people_progress() -> Payload:
    views = _people()
    return views.build_progress_view(views.progress_text(100, 238, d.SPRING.name))


@surface("people", "summary", MODAL, "Done: every customer added (3 ignored)")
def _people_summary() -> Payload:
    views = _people()
    return views.build_progress_view(views.summary_text(238, 238, 3, d.SPRING.name, None))


@surface("people", "summary_retry", MODAL, "Stopped early: some not added, with *Retry*")
def _people_summary_retry() -> Payload:
    views = _people()
    text = views.summary_text(200, 238, 3, d.SPRING.name, "Bunce was unavailable")
    return views.build_progress_view(text, sign_value(d.SIGNER, {"job": 42}))


@surface("people", "thread_progress", MESSAGE, "The thread reply that shows progress")
def _thread_progress() -> Payload:
    views = _people()
    return views.build_summary_message(views.progress_text(0, 238, d.SPRING.name), None)


@surface("people", "thread_summary_retry", MESSAGE, "The thread reply's summary, with *Retry*")
def _thread_summary_retry() -> Payload:
    views = _people()
    text = views.summary_text(200, 238, 3, d.SPRING.name, "Bunce was unavailable")
    return views.build_summary_message(text, sign_value(d.SIGNER, {"job": 42}))


# -- workspace ---------------------------------------------------------------------------------
@surface("workspace", "home_not_connected_admin", HOME, "Home, not connected, seen by an admin")
def _home_not_connected_admin() -> Payload:
    return build_home(d.home(key=None, is_admin=True))


@surface("workspace", "home_not_connected", HOME, "Home, not connected, seen by a marketer")
def _home_not_connected() -> Payload:
    return build_home(d.home(key=None, recent=d.RECENT[2:]))


@surface("workspace", "home_connected_admin", HOME, "Home, connected, admin: key, settings")
def _home_connected_admin() -> Payload:
    return build_home(
        d.home(
            is_admin=True,
            recent=d.RECENT,
            cards=d.POSTED,
            last_check=d.CHECK_OK,
            default_channel_id=d.MARKETING,
        )
    )


@surface("workspace", "home_connected", HOME, "Home, connected, marketer: recent segments")
def _home_connected() -> Payload:
    return build_home(d.home(recent=d.RECENT, cards=d.POSTED))


@surface("workspace", "home_test_failed_admin", HOME, "Home, last test: Bunce rejected the key")
def _home_test_failed_admin() -> Payload:
    return build_home(d.home(is_admin=True, recent=d.RECENT, last_check=d.CHECK_REJECTED))


@surface("workspace", "home_test_failed", HOME, "Home, last test: Bunce didn't answer (marketer)")
def _home_test_failed() -> Payload:
    return build_home(d.home(recent=d.RECENT, cards=d.POSTED, last_check=d.CHECK_UNAVAILABLE))


@surface("workspace", "home_empty", HOME, "Home, connected, no segment created yet")
def _home_empty() -> Payload:
    return build_home(d.home(key=d.SANDBOX_KEY))


@surface("workspace", "connect_modal", MODAL, "*Connect Bunce*: paste the secret key")
def _connect_modal() -> Payload:
    return workspace.build_connect_modal()


@surface("workspace", "connect_modal_replacing", MODAL, "*Replace key*")
def _connect_modal_replacing() -> Payload:
    return workspace.build_connect_modal(replacing=d.KEY)


@surface("workspace", "connect_modal_problem", MODAL, "The form again: Bunce rejected the key")
def _connect_modal_problem() -> Payload:
    return workspace.build_connect_modal(problem=workspace.CONNECT_ERRORS[ConnectProblem.REJECTED])


@surface("workspace", "connected", MODAL, "Connected")
def _connected() -> Payload:
    return workspace.build_connected_view(d.KEY, replaced=False)


@surface("workspace", "replaced", MODAL, "Key replaced")
def _replaced() -> Payload:
    return workspace.build_connected_view(d.KEY, replaced=True)


@surface("workspace", "disconnect_modal", MODAL, "*Disconnect*: confirm")
def _disconnect_modal() -> Payload:
    return workspace.build_disconnect_modal(d.KEY)


@surface("workspace", "disconnected", MODAL, "Disconnected")
def _disconnected() -> Payload:
    return workspace.build_disconnected_view()


@surface("workspace", "refusal", MODAL, "A non-admin tried to change the connection")
def _refusal() -> Payload:
    return workspace.build_refusal_view()


@surface(
    "workspace", "refusal_nothing_to_disconnect", MODAL, "Disconnect, but nothing is connected"
)
def _refusal_nothing() -> Payload:
    return workspace.build_refusal_view(workspace.NOTHING_TO_DISCONNECT)


@surface("workspace", "status_not_connected", MESSAGE, "`/segment status`, not connected")
def _status_not_connected() -> Payload:
    return workspace.build_status_message(d.home(key=None))


@surface("workspace", "status_connected", MESSAGE, "`/segment status`, connected and tested")
def _status_connected() -> Payload:
    return workspace.build_status_message(
        d.home(last_check=d.CHECK_OK, default_channel_id=d.MARKETING)
    )


@surface("workspace", "status_test_failed", MESSAGE, "`/segment status`, last test failed")
def _status_test_failed() -> Payload:
    return workspace.build_status_message(d.home(last_check=d.CHECK_REJECTED))


# -- command and the shared modals -------------------------------------------------------------
@surface("command", "help", MESSAGE, "`/segment help`")
def _help() -> Payload:
    return build_help_message()


@surface("slack", "loading", MODAL, "Holds a click while slower checks run (e.g. *Edit*)")
def _loading() -> Payload:
    return build_loading_modal("Edit segment")


@surface("slack", "loading_connect", MODAL, "The connect form, checking the key with Bunce")
def _loading_connect() -> Payload:
    return build_loading_modal("Connect Bunce", "Checking the key with Bunce…")
