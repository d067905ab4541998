"""Guild configuration rules: who counts as an advocate, zones, channels, emoji."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from services.errors import InvalidInput
from services.time.clock import Clock
from services.time.timezones import resolve_zone
from storage.guild_settings import CHANNEL_COLUMNS, GuildConfig, GuildSettingsRepository

_CUSTOM_EMOJI = re.compile(r"^<a?:[A-Za-z0-9_]{2,32}:\d{15,21}>$")


def normalise_emoji(raw: str) -> str:
    """Accept one Unicode emoji or one custom server emoji, as Discord sends them."""
    text = raw.strip()
    if _CUSTOM_EMOJI.match(text):
        return text
    # An emoji may be several code points (skin tones, ZWJ sequences, flags),
    # but never letters, digits or spaces.
    if not text or len(text) > 16 or any(ch.isalnum() or ch.isspace() for ch in text):
        raise InvalidInput(
            f"`{raw[:40]}` isn't an emoji. Paste a single emoji such as 📝 or 🗒️, "
            "or a custom server emoji like <:feedback:123456789012345678>."
        )
    if not any(unicodedata.category(ch) in ("So", "Sk") for ch in text):
        raise InvalidInput(f"`{raw[:40]}` isn't an emoji. Paste a single emoji such as 📝 or 🗒️.")
    return text


class GuildSettingsService:
    def __init__(self, repo: GuildSettingsRepository, clock: Clock, default_timezone: str) -> None:
        self._repo = repo
        self._clock = clock
        self.default_timezone = default_timezone

    async def config(self, guild_id: int) -> GuildConfig:
        return await self._repo.get(guild_id)

    async def zone(self, guild_id: int) -> ZoneInfo:
        config = await self._repo.get(guild_id)
        return ZoneInfo(config.timezone or self.default_timezone)

    async def zone_name(self, guild_id: int) -> str:
        config = await self._repo.get(guild_id)
        return config.timezone or self.default_timezone

    async def is_advocate(
        self, guild_id: int, role_ids: Iterable[int], *, manage_guild: bool
    ) -> bool:
        if manage_guild:
            return True
        config = await self._repo.get(guild_id)
        return config.advocate_role_id is not None and config.advocate_role_id in set(role_ids)

    async def set_advocate_role(self, guild_id: int, role_id: int) -> GuildConfig:
        await self._repo.set_advocate_role(guild_id, role_id, self._clock.now())
        return await self._repo.get(guild_id)

    async def set_timezone(self, guild_id: int, name: str) -> GuildConfig:
        zone = resolve_zone(name)
        await self._repo.set_timezone(guild_id, zone.key, self._clock.now())
        return await self._repo.get(guild_id)

    async def set_channel(self, guild_id: int, kind: str, channel_id: int) -> GuildConfig:
        if kind not in CHANNEL_COLUMNS:
            raise InvalidInput(
                f"`{kind}` isn't a channel kind. Choose one of: {', '.join(CHANNEL_COLUMNS)}."
            )
        await self._repo.set_channel(guild_id, kind, channel_id, self._clock.now())
        return await self._repo.get(guild_id)

    async def set_capture_emoji(self, guild_id: int, raw: str) -> GuildConfig:
        emoji = normalise_emoji(raw)
        await self._repo.set_capture_emoji(guild_id, emoji, self._clock.now())
        return await self._repo.get(guild_id)
