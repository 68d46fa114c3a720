"""The files surface of the fake Slack: files.info and downloads of a file's private URLs.

Uploaded files with Slack's file object, the stub a message payload carries for files the app
must look up, who may see a file (workspace, channel membership, uploader) and how Slack answers
a download without a usable token (a redirect to its sign-in page, never a 401).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from tests.fakes.slack.base import _Base
from tests.fakes.slack.models import (
    _TEXT,
    DEFAULT_TEAM_ID,
    Answer,
    FileDownload,
    Workspace,
    _Fault,
    _File,
    _Refusal,
)

# What Slack answers a file download without a usable token: a redirect to its sign-in page.
_SIGN_IN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"


class FilesMixin(_Base):
    """Files: upload set-up, files.info, downloads and who may read a file."""

    # ---- world set-up ----------------------------------------------------------------------

    def add_file(
        self,
        file_id: str,
        content: bytes,
        *,
        name: str = "people.csv",
        filetype: str = "csv",
        mimetype: str = "text/csv",
        team_id: str | None = None,
        channels: Iterable[str] | None = None,
        user: str = "U0UPLOADER",
    ) -> dict[str, Any]:
        """Upload a file; returns Slack's file object, its URLs on the fake (started first).

        team_id None makes it visible from every workspace. `channels` shares it in those
        conversations: then the bot reads it (files.info, download) only while it is a member of
        one of them, or when `user` is the bot itself. Without `channels` it is visible
        workspace-wide.
        """
        base = f"/files-pri/{team_id or DEFAULT_TEAM_ID}-{file_id}"
        private, download = f"{base}/{quote(name)}", f"{base}/download/{quote(name)}"
        created = int(time.time())
        shared = tuple(channels) if channels is not None else None
        info = {
            "id": file_id,
            "created": created,
            "timestamp": created,
            "name": name,
            "title": name,
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": filetype.upper(),
            "user": user,
            "editable": False,
            "size": len(content),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "url_private": f"{self.root_url}{private}",
            "url_private_download": f"{self.root_url}{download}",
            # docs.slack.dev/reference/objects/file-object: "channels: … the IDs of any channels
            # with which the file is currently shared" (the fake lists every kind here).
            "channels": list(shared or ()),
        }
        with self._lock:
            self._files[file_id] = _File(team_id, bytes(content), info, shared, user)
            self._file_paths |= {private: file_id, download: file_id}
        return copy.deepcopy(info)

    def message_file(self, file_id: str, *, restricted: bool = False) -> dict[str, Any]:
        """The file as a message payload carries it (`message.files[]` of a message shortcut).

        restricted: the stub Slack sends for Slack Connect and other files the recipient must
        look up, with no name, type or URLs (docs.slack.dev/reference/events/message/file_share,
        "Slack Connect files": `"mode": "file_access", "file_access": "check_file_info"`, then
        call files.info; the stub's shape as delivered: zenn.dev/straydog/articles/42c4152bf963e3).
        """
        with self._lock:
            stored = self._files[file_id]
        if not restricted:
            return copy.deepcopy(stored.info)
        return {
            "id": file_id,
            "mode": "file_access",
            "file_access": "check_file_info",
            "created": 0,
            "timestamp": 0,
            "user": "",
        }

    # ---- inspection ------------------------------------------------------------------------

    def downloads(self, file_id: str | None = None) -> list[FileDownload]:
        """Recorded file downloads (served or not), optionally for one file, oldest first."""
        with self._lock:
            return [d for d in self._downloads if file_id is None or d.file_id == file_id]

    def wait_for_downloads(self, count: int = 1, timeout: float = 5.0) -> list[FileDownload]:
        """Block until `count` file downloads arrived, or fail listing what did."""
        if self._wait(lambda: len(self.downloads()) >= count, timeout):
            return self.downloads()
        seen = [(d.path, d.status) for d in self.downloads()]
        raise AssertionError(f"expected {count} file downloads within {timeout}s; got: {seen}")

    # ---- rules -----------------------------------------------------------------------------

    def _download_answer(
        self, path: str, file_id: str | None, token: str | None, fault: _Fault | None
    ) -> Answer:
        if fault is not None and fault.answers:
            return fault.status, _TEXT | fault.headers, (fault.error or "").encode("utf-8")
        stored = self._files.get(file_id or "")
        if not self._may_read(token, stored):
            # Slack does not answer 401: it redirects to sign-in, which then serves HTML with 200.
            return 302, _TEXT | {"Location": f"{self.root_url}/?redir={quote(path)}"}, _SIGN_IN_PAGE
        if stored is None:
            return 404, _TEXT, b"not_found"
        disposition = f"attachment; filename*=UTF-8''{quote(stored.info['name'])}"
        out = {"Content-Type": stored.info["mimetype"], "Content-Disposition": disposition}
        return 200, out, stored.content

    def _may_read(self, token: str | None, stored: _File | None) -> bool:
        """A live token with files:read that can see the file (when the file is known)."""
        try:
            ws = self._authenticate(token)
        except _Refusal:
            return False
        own = stored is None or self._file_visible(ws, stored)
        return own and "files:read" in ws.scopes

    def _file_visible(self, ws: Workspace, stored: _File) -> bool:
        """Whether the bot may see a file: of its workspace and, when shared in conversations,
        in one it is a member of, unless it uploaded the file itself.

        api.slack.com/scopes/files:read: "View files shared in channels and conversations that
        your slack app has been added to"; docs.slack.dev/reference/methods/files.info: "Bot
        user tokens may use this method to access information about files appearing in the
        channels they belong to".
        """
        if stored.team_id not in (None, ws.team_id):
            return False
        if stored.channels is None or stored.user == ws.bot_user_id:
            return True
        return any(
            channel is not None and channel.is_member
            for channel in (self._channels.get(cid) for cid in stored.channels)
        )

    # ---- methods ---------------------------------------------------------------------------

    def _files_info(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(str(args.get("file") or ""))
        if stored is None or not self._file_visible(ws, stored):
            # files.info's error for a file the token can't see (docs.slack.dev/reference/
            # methods/files.info, Errors: "file_not_found: Value passed for file was invalid");
            # Slack does not say "not in channel" for files.
            raise _Refusal("file_not_found")
        info = copy.deepcopy(stored.info)
        return {"file": info, "comments": [], "response_metadata": {"next_cursor": ""}}
