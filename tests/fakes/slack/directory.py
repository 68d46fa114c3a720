"""The directory surface of the fake Slack: conversations and people.

The channels and users a test puts in the world, and the methods that read or change them:
conversations.join and conversations.open (the bot's memberships and DMs) and users.info
(workspace and Enterprise Grid roles).
"""

from __future__ import annotations

from typing import Any

from tests.fakes.slack.base import _Base
from tests.fakes.slack.models import Channel, User, Workspace, _Refusal


def _channel_info(channel: Channel) -> dict[str, Any]:
    info = {
        "id": channel.id,
        "name": channel.name,
        "is_channel": not channel.is_private and not channel.is_im,
        "is_group": channel.is_private,
        "is_im": channel.is_im,
        "is_private": channel.is_private or channel.is_im,
        "is_archived": channel.is_archived,
        "is_member": channel.is_member,
    }
    return info | ({"user": channel.user} if channel.user else {})


class DirectoryMixin(_Base):
    """Channels and users: set-up, the bot's memberships, conversations.* and users.info."""

    # ---- world set-up ----------------------------------------------------------------------

    def add_channel(
        self,
        channel_id: str,
        *,
        team_id: str | None = None,
        is_private: bool = False,
        is_im: bool = False,
        is_member: bool = False,
        is_archived: bool = False,
        name: str | None = None,
    ) -> Channel:
        """Create a conversation; team_id None makes it visible from every workspace."""
        channel = Channel(
            channel_id,
            team_id,
            is_private,
            is_im,
            is_member,
            is_archived,
            name or channel_id.lower(),
        )
        with self._lock:
            self._channels[channel_id] = channel
        return channel

    def is_member(self, channel_id: str) -> bool:
        """Whether the bot is currently in the channel."""
        with self._lock:
            return self._channels[channel_id].is_member

    def add_user(
        self,
        user_id: str,
        *,
        team_id: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        is_primary_owner: bool = False,
        name: str | None = None,
        tz: str = "Europe/London",
        enterprise_id: str | None = None,
        is_org_admin: bool = False,
        is_org_owner: bool = False,
    ) -> User:
        """Create a human user for users.info and conversations.open.

        With enterprise_id the user belongs to a Grid org; is_org_admin/is_org_owner are the
        org-level roles, which Slack reports only under `enterprise_user`.
        """
        user = User(
            user_id,
            team_id,
            name or user_id.lower(),
            is_admin,
            is_owner,
            is_primary_owner,
            tz,
            enterprise_id,
            is_org_admin,
            is_org_owner,
        )
        with self._lock:
            self._users[user_id] = user
        return user

    # ---- methods ---------------------------------------------------------------------------

    def _conversations_join(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channels.get(str(args.get("channel") or ""))
        if channel is None or channel.team_id not in (None, ws.team_id):
            raise _Refusal("channel_not_found")
        if channel.is_private or channel.is_im:
            raise _Refusal("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise _Refusal("is_archived")
        already = channel.is_member
        channel.is_member = True
        out: dict[str, Any] = {"channel": _channel_info(channel)}
        if already:
            out |= {"warning": "already_in_channel"}
            out |= {"response_metadata": {"warnings": ["already_in_channel"]}}
        return out

    def _conversations_open(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users") or ""
        user_ids = users if isinstance(users, list) else [u for u in users.split(",") if u]
        if not user_ids:
            raise _Refusal("users_list_not_supplied")
        if len(user_ids) > 1:
            raise _Refusal("not_supported_by_fake", detail="group DMs (mpim) are not modelled")
        if user_ids[0] not in self._users:
            raise _Refusal("user_not_found")
        already = f"D{user_ids[0]}" in self._channels
        channel = self._open_im(ws, user_ids[0])
        out: dict[str, Any] = {"channel": {"id": channel.id}}
        return out | ({"no_op": True, "already_open": True} if already else {})

    def _users_info(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(args.get("user") or ""))
        if user is None:
            raise _Refusal("user_not_found")
        info = {
            "id": user.id,
            "team_id": user.team_id or ws.team_id,
            "name": user.name,
            "real_name": user.name.title(),
            "deleted": False,
            "is_admin": user.is_admin,
            "is_owner": user.is_owner,
            "is_primary_owner": user.is_primary_owner,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": False,
            "is_app_user": False,
            "tz": user.tz,
            "profile": {"real_name": user.name.title(), "display_name": user.name},
        }
        if user.enterprise_id:
            # Grid users carry their org roles here, separate from the workspace roles above
            # (docs.slack.dev/reference/objects/user-object: "enterprise_user … is_admin,
            # is_owner, is_primary_owner, teams").
            info["enterprise_user"] = {
                "id": user.id,
                "enterprise_id": user.enterprise_id,
                "enterprise_name": f"Org {user.enterprise_id}",
                "is_admin": user.is_org_admin,
                "is_owner": user.is_org_owner,
                "is_primary_owner": False,
                "teams": [user.team_id or ws.team_id],
            }
        return {"user": info}
