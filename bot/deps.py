"""The composition root: everything a process owns (stores, Bunce clients, the pool), built
once from settings, and the slice each feature is handed. Only the entry points import it."""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.bunce import BunceClientFactory
from bot.bunce.limiter import RateLimiter
from bot.bunce.models import Segment
from bot.config import Settings
from bot.create.card import CardMaker
from bot.create.deps import CreateDeps, Returns
from bot.create.worker import SubmissionWorker
from bot.manage.deps import ManageDeps
from bot.people import flow as people_flow
from bot.people.deps import PeopleDeps
from bot.slack.metadata import MetadataSigner
from bot.store.audit import AuditLog
from bot.store.cards import CardStore
from bot.store.crypto import build_cipher
from bot.store.db import create_engine_for, is_sqlite
from bot.store.installations import EncryptedInstallationStore
from bot.store.keys import KeyStore
from bot.store.people import PeopleJobStore
from bot.store.ratelimit import SharedRateLimiter
from bot.store.records import SubmissionRecord
from bot.store.submissions import SubmissionStore
from bot.store.workspaces import WorkspaceSettingsStore
from bot.tenant import Workspace
from bot.workflow import step as workflow_step
from bot.workflow.deps import WorkflowDeps
from bot.workspace.admins import AdminPolicy
from bot.workspace.deps import WorkspaceDeps
from bot.workspace.lookup import WorkspaceLookup

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Bunce calls run here, off Bolt's listener threads, so a slow Bunce never delays an ack.
BACKGROUND_THREADS = 16


@dataclass(frozen=True)
class Services:
    """What the process owns; features never see it whole, only their own slice (below)."""

    engine: Engine
    keys: KeyStore
    submissions: SubmissionStore
    audit: AuditLog
    workspaces: WorkspaceSettingsStore
    installations: EncryptedInstallationStore | None
    admins: AdminPolicy
    bunce: BunceClientFactory
    background: Executor
    signer: MetadataSigner
    cards: CardStore
    people: PeopleJobStore
    lookup: WorkspaceLookup
    segment_url_template: str | None = None
    returns: Returns | None = None

    def workspace_deps(self) -> WorkspaceDeps:
        return self._slice(WorkspaceDeps)

    def create_deps(self) -> CreateDeps:
        return self._slice(CreateDeps)

    def manage_deps(self) -> ManageDeps:
        return self._slice(ManageDeps)

    def workflow_deps(self) -> WorkflowDeps:
        return self._slice(WorkflowDeps)

    def people_deps(self, worker: SubmissionWorker) -> PeopleDeps:
        return self._slice(PeopleDeps, worker=worker)

    def _slice(self, kind: type[T], **extra: Any) -> T:
        """A feature's deps: the fields it declares, taken by name from what the process owns
        (a field the process doesn't own keeps its default, e.g. the feature's own cache)."""
        names = [
            f.name
            for f in dataclasses.fields(kind)
            if f.name not in extra and hasattr(self, f.name)
        ]  # type: ignore[arg-type]
        return kind(**{name: getattr(self, name) for name in names}, **extra)

    @property
    def card_maker(self) -> CardMaker:
        return CardMaker(self.signer, self.segment_url_template)

    def close(self) -> None:
        """Finish background work, then release connections (tests, shutdown)."""
        self.background.shutdown(wait=True)
        self.bunce.close()
        self.engine.dispose()


def build_services(
    settings: Settings,
    *,
    background: Executor | None = None,
    timeout: tuple[float, float] | None = None,
    limiter: RateLimiter | None = None,
) -> Services:
    """Wire stores and Bunce clients from settings; touches no network."""
    engine = create_engine_for(settings.database_url)
    cipher = build_cipher(settings.encryption_keys, settings.database_url)
    installations = (
        EncryptedInstallationStore(settings.client_id or "", engine, cipher)
        if settings.multi_workspace
        else None
    )
    limiter = limiter or build_limiter(settings, engine)
    bunce = BunceClientFactory(
        settings.bunce_api_url,
        settings.bunce_sandbox_api_url,
        limiter=limiter,
        **({"timeout": timeout, "read_timeout": timeout} if timeout else {}),
    )
    keys = KeyStore(engine, cipher)
    workspaces = WorkspaceSettingsStore(engine)
    signer = MetadataSigner(cipher.derive("private_metadata"))
    people = PeopleJobStore(engine)
    return Services(
        engine=engine,
        keys=keys,
        submissions=SubmissionStore(engine, cipher),
        audit=AuditLog(engine),
        workspaces=workspaces,
        lookup=WorkspaceLookup(keys, workspaces),
        installations=installations,
        admins=AdminPolicy(settings.admin_user_ids, _installer_lookup(installations)),
        bunce=bunce,
        background=background
        or ThreadPoolExecutor(BACKGROUND_THREADS, thread_name_prefix="bunce-work"),
        signer=signer,
        cards=CardStore(engine),
        people=people,
        segment_url_template=settings.segment_url_template,
        # Forms other features open: Add customers' "New segment…" gets its new segment chosen,
        # a workflow step is completed.
        returns=functools.partial(
            _route_returns,
            {
                people_flow.RETURN_KIND: functools.partial(people_flow.returns, signer, people),
                workflow_step.RETURN_KIND: workflow_step.returns,
            },
        ),
    )


def _route_returns(
    handlers: Mapping[str, Returns],
    client: WebClient,
    record: SubmissionRecord,
    segment: Segment | None,
    sentence: str | None,
) -> bool | None:
    """Each hand-back to the feature whose kind prefixes the submission's return path."""
    kind, _, _ = (record.return_to or "").partition(":")
    handler = handlers.get(kind)
    return handler(client, record, segment, sentence) if handler else None


def build_limiter(settings: Settings, engine: Engine) -> RateLimiter:
    """Bunce's per-IP budget for every workspace: in-process for one SQLite process, shared by
    every process through the database otherwise (PostgreSQL, or SQLite with a worker process:
    then the web process and the worker share it)."""
    per_minute = settings.bunce_rate_per_minute
    if is_sqlite(settings.database_url):
        if not settings.separate_worker:
            return RateLimiter(per_minute)
        return SharedRateLimiter(engine, per_minute, fallback_per_minute=max(1, per_minute // 2))
    # While PostgreSQL is unreachable each process allows itself only its share of the budget.
    share = max(1, per_minute // settings.bunce_rate_processes)
    return SharedRateLimiter(engine, per_minute, fallback_per_minute=share)


def _installer_lookup(store: EncryptedInstallationStore | None):  # type: ignore[no-untyped-def]
    if store is None:
        return None

    def installer(workspace: Workspace) -> str | None:
        return store.installer_user_id(
            enterprise_id=workspace.enterprise_id,
            team_id=workspace.team_id,
            is_enterprise_install=workspace.is_enterprise_install,
        )

    return installer
