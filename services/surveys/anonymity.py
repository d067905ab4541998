"""Keyed hashes that keep one response per member without storing who answered.

The hash is HMAC-SHA256 of the member id under a random per-survey secret. While the
survey is open the bot can recompute it to find the member's own response; once the
secret is destroyed at the close, nothing (not even the database's owner) can tell
which member a hash came from, and the hashes themselves are deleted too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 32


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def member_hash(secret: bytes, member_id: int) -> str:
    return hmac.new(secret, str(member_id).encode(), hashlib.sha256).hexdigest()
