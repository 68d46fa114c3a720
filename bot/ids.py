"""Every Slack identifier the app uses, once: builders, parsers and listeners share these."""

from __future__ import annotations

COMMAND = "/segment"

# The bot scopes the code relies on; manifest.yml must declare each one (tests/test_manifest.py).
BOT_SCOPES = (
    "commands",  # the /segment slash command
    "chat:write",  # the announcement card
    "chat:write.public",  # announce in public channels without joining first
    "channels:join",  # join a public channel when posting answers not_in_channel
    "users:read",  # users.info: who is an admin
    "im:write",  # conversations.open: tell the creator by DM when the modal is gone
)

# Views
CREATE_VIEW = "segment_create"
PROGRESS_VIEW = "segment_progress"
RESULT_VIEW = "segment_result"

# Blocks and actions of the create modal (block_id == action_id keeps state lookups obvious)
NAME = "name"
DESCRIPTION = "description"
ADD_ALL = "add_all_customers"
ADD_ALL_OPTION = "add_all"
ANNOUNCE = "announce_in"

# Buttons
RETRY_ACTION = "segment_edit_retry"

# Blocks of the announcement card
CARD_HEADER = "segment_card_header"
CARD_DESCRIPTION = "segment_card_description"
CARD_FIELDS = "segment_card_fields"
CARD_CONTEXT = "segment_card_context"

# Connecting the workspace's Bunce key
CONNECT_VIEW = "bunce_connect"
CONNECT_KEY = "bunce_key"
CONNECTED_VIEW = "bunce_connected"
DISCONNECT_VIEW = "bunce_disconnect"

# App Home
HOME_CONNECT = "home_connect"
HOME_REPLACE = "home_replace_key"
HOME_DISCONNECT = "home_disconnect"
HOME_TEST = "home_test_connection"
HOME_DEFAULT_CHANNEL = "home_default_channel"
HOME_STATUS = "home_status"
HOME_ACTIONS = "home_actions"
HOME_ACTIVITY = "home_activity"
HOME_SETTINGS = "home_settings"
HOME_CLEAR_DEFAULT = "home_clear_default_channel"
