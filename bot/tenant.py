"""Which workspace a request belongs to, taken only from Bolt's signed-request context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Workspace:
    """A tenant: Slack team ids are globally unique; Enterprise Grid adds the org id."""

    team_id: str | None
    enterprise_id: str | None = None
    is_enterprise_install: bool = False

    @classmethod
    def from_context(cls, context: Any) -> Workspace:
        """From Bolt's context, which Bolt fills from the verified payload, never from user text."""
        if context.get("is_enterprise_install"):
            return cls(None, context.get("enterprise_id"), is_enterprise_install=True)
        return cls(team_id=context.get("team_id"), enterprise_id=context.get("enterprise_id"))

    def log_fields(self) -> str:
        return f"team={self.team_id or '-'} enterprise={self.enterprise_id or '-'}"


# The submitter of a segment created by a Workflow Builder step: "workflow:<workflow execution
# id>" in the user_id columns (submissions, audit), never a Slack user to mention.
WORKFLOW_PREFIX = "workflow:"


def by_workflow(user_id: str | None) -> bool:
    return bool(user_id) and str(user_id).startswith(WORKFLOW_PREFIX)


def author(user_id: str | None) -> str | None:
    """Who did something, as mrkdwn: a Slack user's mention, "a workflow", or None (unknown).
    Every place that names a creator goes through here, so a workflow is never mentioned."""
    if not user_id:
        return None
    return "a workflow" if by_workflow(user_id) else f"<@{user_id}>"
