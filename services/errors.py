"""Typed errors whose messages are written for the person who caused them.

Cogs never catch these one by one: the command tree's error handler turns any
``HallwayError`` into an ephemeral reply with ``str(error)`` as the text.
"""

from __future__ import annotations


class HallwayError(Exception):
    """Base class: the message is shown to the user as-is."""


class InvalidInput(HallwayError):
    """The user typed something we cannot use; the message says how to fix it."""


class NotFound(HallwayError):
    """The thing the user named does not exist in this guild."""


class NotAllowed(HallwayError):
    """The user lacks the role or permission the action needs."""


class Conflict(HallwayError):
    """The action clashes with current state (already done, limit reached, ...)."""
