"""How a member is named in any text Hallway posts.

Separate from cogs/ because the digest, a service, names hosts too, and services
never import discord; one rule means a forgotten member reads the same everywhere.
"""

from __future__ import annotations

from storage.privacy import FORMER_MEMBER


def user_ref(user_id: int | None) -> str:
    """A member as a mention, or FORMER_MEMBER once /privacy forget zeroed the id."""
    return f"<@{user_id}>" if user_id else FORMER_MEMBER
