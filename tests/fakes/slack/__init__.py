"""FakeSlackApi: a loopback fake of Slack's Web API and response_url webhooks, for tests.

One FakeSlackApi serves every surface on one loopback HTTP server (server.py); the behaviour of
each surface lives in its own module, as a mixin over the shared world (base.py):

- views.py      views.open/push/update/publish, view checks, trigger ids
- messages.py   chat.postMessage/postEphemeral/update, response_url posts, message text limits
- oauth.py      workspaces, bot tokens, oauth.v2.access, token rotation, revocation, auth.test
- files.py      files.info, file downloads, who may read a file
- directory.py  channels and users: conversations.join/open, users.info
- functions.py  Workflow Builder custom steps: function_executed, their tokens, functions.complete*
- models.py     the records (SlackCall, ResponsePost, FileDownload) and world objects

This module re-exports what tests and the benchmark import from `tests.fakes.slack`.
"""

from __future__ import annotations

from tests.fakes.slack.functions import FUNCTION_TOKEN_PREFIX, FUNCTION_TOKEN_TTL
from tests.fakes.slack.messages import (
    MAX_MESSAGE_BLOCKS,
    MAX_TEXT_CHARS,
    MAX_VALUE_CHARS,
    RESPONSE_URL_MAX_USES,
    RESPONSE_URL_TTL,
)
from tests.fakes.slack.models import (
    APP_ID,
    DEFAULT_SCOPES,
    DEFAULT_TEAM_ID,
    FILES_SCOPES,
    Answer,
    Channel,
    Clock,
    FileDownload,
    ResponsePost,
    SlackCall,
    User,
    Workspace,
    _Refusal,
    _Trigger,
    refusal,
)
from tests.fakes.slack.oauth import OAUTH_CODE_TTL, TOKEN_TTL
from tests.fakes.slack.server import FakeSlackApi
from tests.fakes.slack.views import MAX_VIEW_BLOCKS, MAX_VIEW_STACK

__all__ = [
    "APP_ID",
    "DEFAULT_SCOPES",
    "DEFAULT_TEAM_ID",
    "FILES_SCOPES",
    "FUNCTION_TOKEN_PREFIX",
    "FUNCTION_TOKEN_TTL",
    "MAX_MESSAGE_BLOCKS",
    "MAX_TEXT_CHARS",
    "MAX_VALUE_CHARS",
    "MAX_VIEW_BLOCKS",
    "MAX_VIEW_STACK",
    "OAUTH_CODE_TTL",
    "RESPONSE_URL_MAX_USES",
    "RESPONSE_URL_TTL",
    "TOKEN_TTL",
    "Answer",
    "Channel",
    "Clock",
    "FakeSlackApi",
    "FileDownload",
    "ResponsePost",
    "SlackCall",
    "User",
    "Workspace",
    "_Refusal",
    "_Trigger",
    "refusal",
]
