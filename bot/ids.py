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
    "files:read",  # files.info: read a CSV attached to a message (Add people)
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

# Managing segments
LIST_PREV = "segments_list_prev"
LIST_NEXT = "segments_list_next"
SHARE_ACTION = "segment_share"
EDIT_ACTION = "segment_edit"
ADD_PEOPLE_ACTION = "segment_add_people"
OPEN_IN_BUNCE = "segment_open_in_bunce"
CARD_ACTIONS = "segment_card_actions"
EDIT_VIEW = "segment_edit_form"
EDIT_RESULT_VIEW = "segment_edit_result"
# Shortcuts (manifest.yml declares the same callback ids)
CREATE_SHORTCUT = "create_segment_shortcut"
ADD_PEOPLE_SHORTCUT = "add_people_to_segment"
ADD_PEOPLE_VIEW = "add_people_form"
ADD_PEOPLE_SEGMENT = "people_segment"
ADD_PEOPLE_PASTE = "people_paste"
ADD_PEOPLE_RETRY = "people_retry"
NEW_SEGMENT_OPTION = "__new_segment__"
# Buttons that open the create form from elsewhere: App Home, and the list's "Create segment
# '<words>'" offer (its value is a signed {"n": name}).
HOME_CREATE = "home_create_segment"
CREATE_NAMED = "create_named_segment"
# The create form's "Don't share a card" box, and the success view's "Share it now" picker.
NO_SHARE = "no_share"
NO_SHARE_OPTION = "no_card"
SHARE_PICK = "share_pick"
# Segment search options that stand for no segment (the list is still loading, or couldn't be
# read): choosing one and submitting is refused inline, saying what to do.
SEGMENTS_LOADING_OPTION = "__segments_loading__"
SEGMENTS_UNREACHABLE_OPTION = "__segments_unreachable__"
