"""Listeners: thin glue from Slack requests to the domain. Parse → decide → ack → call → render."""
