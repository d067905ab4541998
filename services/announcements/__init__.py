"""Announcement rules: scheduling, the delivery state machine, and text checks."""
