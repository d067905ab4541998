"""The hallway track: opt-in pairing of members for 1:1 chats."""
