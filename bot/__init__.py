"""bunce-slack: create Bunce segments from Slack."""
