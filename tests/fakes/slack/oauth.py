"""The installs surface of the fake Slack: workspaces, bot tokens, OAuth v2 and auth.test.

Who a token speaks for and for how long: installing the app (add_workspace, or the OAuth v2
code exchange), token rotation with single-use refresh tokens, revocation and expiry as after an
uninstall, and auth.test's self-description. The token check every method goes through
(_Base._authenticate) reads the state set here.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from collections.abc import Iterable
from typing import Any

from tests.fakes.slack.base import _Base
from tests.fakes.slack.models import (
    APP_ID,
    DEFAULT_SCOPES,
    SlackCall,
    Workspace,
    _Code,
    _Grant,
    _OAuthApp,
    _Refusal,
)

# Slack: "This temporary authorization code expires after ten minutes" (OAuth v2 guide).
OAUTH_CODE_TTL = 10 * 60.0
TOKEN_TTL = 43_200  # 12 h: expires_in of a rotating access token


class OAuthMixin(_Base):
    """Installations and their tokens: set-up, OAuth v2 exchanges, revocation, auth.test."""

    # ---- world set-up ----------------------------------------------------------------------

    def add_workspace(
        self,
        team_id: str,
        token: str,
        *,
        enterprise_id: str | None = None,
        bot_user_id: str = "UBOT",
        scopes: Iterable[str] = DEFAULT_SCOPES,
    ) -> Workspace:
        """Install the app in a workspace whose bot token is `token`."""
        ws = Workspace(team_id, enterprise_id, bot_user_id, f"B{team_id}", frozenset(scopes))
        with self._lock:
            self._workspaces[team_id] = ws
            self.tokens[token] = team_id
        return ws

    def revoke_token(self, token: str) -> None:
        """Make `token` answer token_revoked from now on (as after an uninstall)."""
        with self._lock:
            self._revoked[token] = "token_revoked"

    def revoke_workspace(self, team_id: str, *, error: str = "token_revoked") -> list[str]:
        """Act as an uninstall: every token of the team answers `error`, its refresh tokens die.

        Tokens minted later (a reinstall) work. Slack's answer after an uninstall varies by token
        kind (token_revoked, invalid_auth, account_inactive), hence `error`. Returns the tokens.
        """
        with self._lock:
            revoked = [t for t, team in self.tokens.items() if team == team_id]
            for token in revoked:
                self._revoked[token] = error
            for refresh, grant in list(self._refresh_tokens.items()):
                if grant.team_id == team_id:
                    del self._refresh_tokens[refresh]
        return revoked

    def expire_token(self, token: str) -> None:
        """Age a token past its expiry without waiting: it answers token_expired."""
        with self._lock:
            self._expires[token] = float("-inf")

    # ---- OAuth v2 --------------------------------------------------------------------------

    def configure_oauth(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_rotation: bool = False,
        token_ttl: int = TOKEN_TTL,
    ) -> None:
        """Register the app's credentials; until then oauth.v2.access answers invalid_client_id.

        With token_rotation, installs mint `xoxe.xoxb-1-…` tokens that expire `token_ttl`
        seconds later (fake clock) plus single-use `xoxe-1-…` refresh tokens.
        """
        with self._lock:
            self._oauth = _OAuthApp(client_id, client_secret, token_rotation, int(token_ttl))

    def issue_code(
        self,
        team_id: str,
        *,
        installer_user_id: str,
        enterprise_id: str | None = None,
        is_enterprise_install: bool = False,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        team_name: str | None = None,
        redirect_uri: str | None = None,
    ) -> str:
        """A one-time authorization code, as Slack redirects with after the user approves.

        Valid for 10 minutes of the fake's clock. If `redirect_uri` is given (the app passed one
        to /oauth/v2/authorize), the exchange must send the same one. For an org-wide install
        (`is_enterprise_install`), `team_id` is only the fake's key for the installation.
        """
        if is_enterprise_install and not enterprise_id:
            raise ValueError("an org-wide install needs an enterprise_id")
        grant = _Grant(
            team_id,
            installer_user_id,
            enterprise_id,
            is_enterprise_install,
            tuple(dict.fromkeys(scopes)),
            team_name,
        )
        with self._lock:
            self._counter += 1
            code = f"{int(time.time())}.{self._counter}.{secrets.token_hex(16)}"
            self._codes[code] = _Code(grant, redirect_uri, self.now() + OAUTH_CODE_TTL)
        return code

    def installed_tokens(self, team_id: str, *, valid_only: bool = False) -> list[str]:
        """Bot tokens registered for the team (add_workspace or OAuth), oldest first.

        valid_only drops revoked and expired ones.
        """
        with self._lock:
            tokens = [t for t, team in self.tokens.items() if team == team_id]
            if valid_only:
                tokens = [t for t in tokens if t not in self._revoked and not self._expired(t)]
            return tokens

    def oauth_calls(self) -> list[SlackCall]:
        """Recorded oauth.v2.access requests (code exchanges and refreshes), oldest first."""
        return self.calls("oauth.v2.access")

    # ---- rules -----------------------------------------------------------------------------

    def _check_client(self, headers: dict[str, str], args: dict[str, Any]) -> _OAuthApp:
        """Client credentials from HTTP Basic auth (slack_sdk's way) or the form body."""
        basic = headers.get("authorization", "")
        if basic.startswith("Basic "):
            try:
                decoded = base64.b64decode(basic[6:], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise _Refusal("invalid_client_id") from exc
            client_id, _, client_secret = decoded.partition(":")
        else:
            client_id, client_secret = args.get("client_id"), args.get("client_secret")
        app = self._oauth
        if app is None or not client_id or client_id != app.client_id:
            raise _Refusal("invalid_client_id")
        if client_secret != app.client_secret:
            raise _Refusal("bad_client_secret")
        return app

    def _install(self, grant: _Grant) -> Workspace:
        """Register (or re-register, keeping the bot's identity) the installation a code grants."""
        existing = self._workspaces.get(grant.team_id)
        ws = Workspace(
            grant.team_id,
            grant.enterprise_id,
            existing.bot_user_id if existing else f"UB{grant.team_id}",
            existing.bot_id if existing else f"B{grant.team_id}",
            frozenset(grant.scopes),
            grant.is_enterprise_install,
            grant.team_name,
        )
        self._workspaces[grant.team_id] = ws
        return ws

    def _grant_answer(
        self, ws: Workspace, grant: _Grant, app: _OAuthApp, *, rotating: bool
    ) -> dict[str, Any]:
        """Mint and register a bot token; answer as oauth.v2.access does."""
        self._counter += 1
        secret = f"{self._counter}-{secrets.token_hex(12)}"
        token = f"xoxe.xoxb-1-{secret}" if rotating else f"xoxb-{secret}"
        self.tokens[token] = grant.team_id
        enterprise = grant.enterprise_id
        out: dict[str, Any] = {
            "access_token": token,
            "token_type": "bot",
            "scope": ",".join(grant.scopes),
            "bot_user_id": ws.bot_user_id,
            "app_id": APP_ID,
            "team": None
            if grant.is_enterprise_install
            else {"id": grant.team_id, "name": grant.team_name or f"Team {grant.team_id}"},
            "enterprise": {"id": enterprise, "name": f"Org {enterprise}"} if enterprise else None,
            "is_enterprise_install": grant.is_enterprise_install,
            "authed_user": {"id": grant.installer_user_id},
        }
        if rotating:
            refresh = f"xoxe-1-{self._counter}-{secrets.token_hex(12)}"
            self._refresh_tokens[refresh] = grant
            self._expires[token] = self.now() + app.token_ttl
            out |= {"refresh_token": refresh, "expires_in": app.token_ttl}
        return out

    # ---- methods ---------------------------------------------------------------------------

    def _auth_test(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        url = f"https://{ws.team_id.lower()}.slack.com/"
        if ws.is_enterprise_install and ws.enterprise_id:
            # Bolt's OAuth flow stores this url as the enterprise_url of an org-wide install.
            url = f"https://{ws.enterprise_id.lower()}.enterprise.slack.com/"
        out = {
            "url": url,
            "team": ws.team_name or f"Team {ws.team_id}",
            "user": "bunce",
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": ws.is_enterprise_install,
        }
        return out | ({"enterprise_id": ws.enterprise_id} if ws.enterprise_id else {})

    def _oauth_v2_access(self, headers: dict[str, str], args: dict[str, Any]) -> dict[str, Any]:
        app = self._check_client(headers, args)
        grant_type = args.get("grant_type") or "authorization_code"
        if grant_type == "refresh_token":
            # Single use: Slack revokes a refresh token once it has been exchanged. The access
            # token it replaces keeps working until its own expiry.
            grant = self._refresh_tokens.pop(str(args.get("refresh_token") or ""), None)
            if grant is None or grant.team_id not in self._workspaces:
                raise _Refusal("invalid_refresh_token")
            return self._grant_answer(self._workspaces[grant.team_id], grant, app, rotating=True)
        if grant_type != "authorization_code":
            raise _Refusal("invalid_grant_type")
        code = self._codes.get(str(args.get("code") or ""))
        if code is None or code.used or self.now() > code.expires_at:
            raise _Refusal("invalid_code")
        if code.redirect_uri is not None and args.get("redirect_uri") != code.redirect_uri:
            raise _Refusal("bad_redirect_uri")
        code.used = True
        ws = self._install(code.grant)
        return self._grant_answer(ws, code.grant, app, rotating=app.token_rotation)
