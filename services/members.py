"""Members' own settings, set once for every feature that needs them (/me).

Other features get the zone through seams wired in bot.py (``zone_of``, ``zones``),
and tell ``/me show`` what they hold about a member through ``about`` providers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from services.time.clock import Clock
from services.time.timezones import resolve_zone
from storage.members import MemberSettingsRepository

log = logging.getLogger(__name__)

# (guild_id, user_id) -> lines describing what a feature stores about the member.
AboutProvider = Callable[[int, int], Awaitable[list[str]]]


@dataclass(frozen=True)
class AboutMe:
    timezone: str | None
    sections: list[tuple[str, list[str]]]


class MembersService:
    def __init__(self, repo: MemberSettingsRepository, clock: Clock) -> None:
        self._repo = repo
        self._clock = clock
        self._about: list[tuple[str, AboutProvider]] = []

    def add_about(self, feature: str, provider: AboutProvider) -> None:
        self._about.append((feature, provider))

    async def set_zone(self, guild_id: int, user_id: int, text: str) -> str:
        """Set the member's zone from what they typed; returns the canonical name."""
        zone = resolve_zone(text).key
        await self._repo.set_timezone(guild_id, user_id, zone, self._clock.now())
        return zone

    async def zone_of(self, guild_id: int, user_id: int) -> str | None:
        return (await self._repo.get(guild_id, user_id)).timezone

    async def zones(self, guild_id: int) -> dict[int, str]:
        return await self._repo.zones(guild_id)

    async def about(self, guild_id: int, user_id: int) -> AboutMe:
        sections: list[tuple[str, list[str]]] = []
        for feature, provider in self._about:
            try:
                lines = await provider(guild_id, user_id)
            except Exception:
                # One feature failing must not hide the rest of what we hold.
                log.exception("The %s section of /me show failed", feature)
                lines = ["(couldn't be read just now: try again in a moment)"]
            if lines:
                sections.append((feature, lines))
        return AboutMe(await self.zone_of(guild_id, user_id), sections)
