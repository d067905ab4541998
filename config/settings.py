"""Settings from the environment, validated in one place.

``load_settings`` is pure: it reads only the mapping it is given, so tests pass a
dict and nothing here runs at import time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_GITHUB_API_URL = "https://api.github.com"


class SettingsError(Exception):
    """One or more settings are missing or malformed; each problem is one line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Settings:
    token: str | None
    database: Path
    dev_guild_id: int | None
    log_level: str
    timezone: str
    github_token: str | None = None
    github_api_url: str = DEFAULT_GITHUB_API_URL
    github_poll_minutes: int = 10
    # None: one gateway connection (discord.py's Bot). "auto": AutoShardedBot with Discord's
    # recommended count. A number: AutoShardedBot with that many shards, all in this process.
    shards: int | str | None = None

    def __repr__(self) -> str:
        # The token must never reach a log line, even through a repr.
        token = "set" if self.token else "missing"
        github = "set" if self.github_token else "missing"
        return (
            f"Settings(token={token}, database={str(self.database)!r}, "
            f"dev_guild_id={self.dev_guild_id}, log_level={self.log_level!r}, "
            f"timezone={self.timezone!r}, github_token={github}, "
            f"github_api_url={self.github_api_url!r}, "
            f"github_poll_minutes={self.github_poll_minutes}, shards={self.shards!r})"
        )

    __str__ = __repr__

    def require_token(self) -> str:
        if not self.token:
            raise SettingsError(
                ["DISCORD_TOKEN is missing: put your bot token in .env as DISCORD_TOKEN=..."]
            )
        return self.token


def _clean(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Build Settings from a mapping, collecting every problem before failing."""
    problems: list[str] = []

    token = _clean(environ, "DISCORD_TOKEN")
    if token is not None and (any(c.isspace() for c in token) or len(token) < 20):
        problems.append(
            "DISCORD_TOKEN looks malformed: expected the bot token from the developer portal "
            "(one long string, no spaces)"
        )

    database = Path(_clean(environ, "HALLWAY_DATABASE") or "hallway.db")
    if database.exists() and database.is_dir():
        problems.append(f"HALLWAY_DATABASE must be a file path, but {database} is a folder")

    dev_guild_id: int | None = None
    raw_guild = _clean(environ, "HALLWAY_DEV_GUILD_ID")
    if raw_guild is not None:
        if raw_guild.isdigit() and 15 <= len(raw_guild) <= 21:
            dev_guild_id = int(raw_guild)
        else:
            problems.append(
                "HALLWAY_DEV_GUILD_ID must be a server id (a 17-20 digit number), "
                f"got {raw_guild!r}"
            )

    log_level = (_clean(environ, "HALLWAY_LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        problems.append(
            f"HALLWAY_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}"
        )

    timezone = _clean(environ, "HALLWAY_TIMEZONE") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(
            f"HALLWAY_TIMEZONE must be an IANA time zone such as Europe/Berlin, got {timezone!r}"
        )

    github_token = _clean(environ, "GITHUB_TOKEN")
    if github_token is not None and any(c.isspace() for c in github_token):
        problems.append(
            "GITHUB_TOKEN looks malformed: paste the token from GitHub's developer settings "
            "as one string, no spaces"
        )

    github_api_url = (_clean(environ, "GITHUB_API_URL") or DEFAULT_GITHUB_API_URL).rstrip("/")
    parts = urlsplit(github_api_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.append(
            "GITHUB_API_URL must be an http(s) URL such as https://api.github.com "
            f"(GitHub Enterprise: https://HOST/api/v3), got {github_api_url!r}"
        )

    github_poll_minutes = 10
    raw_poll = _clean(environ, "HALLWAY_GITHUB_POLL_MINUTES")
    if raw_poll is not None:
        if raw_poll.isdigit() and 0 < int(raw_poll) <= 1440:
            github_poll_minutes = int(raw_poll)
        else:
            problems.append(
                "HALLWAY_GITHUB_POLL_MINUTES must be a whole number of minutes from 1 to 1440, "
                f"got {raw_poll!r}"
            )

    shards: int | str | None = None
    raw_shards = _clean(environ, "HALLWAY_SHARDS")
    if raw_shards is not None:
        if raw_shards.lower() == "auto":
            shards = "auto"
        elif raw_shards.isdigit() and 1 <= int(raw_shards) <= 1000:
            shards = int(raw_shards)
        else:
            problems.append(
                "HALLWAY_SHARDS must be `auto` or a number of shards from 1 to 1000, "
                f"got {raw_shards!r}"
            )

    if problems:
        raise SettingsError(problems)
    return Settings(
        token=token,
        database=database,
        dev_guild_id=dev_guild_id,
        log_level=log_level,
        timezone=timezone,
        github_token=github_token,
        github_api_url=github_api_url,
        github_poll_minutes=github_poll_minutes,
        shards=shards,
    )


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
