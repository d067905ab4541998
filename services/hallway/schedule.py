"""When rounds happen: weekly, every two weeks, or monthly (the first <day> of the month).

Recurrence comes from APScheduler's triggers in the configured zone, so a round at
09:00 in Berlin stays at 09:00 there across DST.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from services.errors import InvalidInput
from services.time.recurrence import next_after, parse_repeat
from storage.hallway import HallwayConfig

CADENCES = ("weekly", "every-2-weeks", "monthly")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A round found more than this late (the bot was offline) is skipped, not run late.
LATE_LIMIT = timedelta(hours=24)


def parse_day(text: str) -> int:
    key = text.strip().lower()
    matches = [d for d in DAYS if d.startswith(key[:3])] if len(key) >= 3 else []
    if len(matches) != 1:
        raise InvalidInput(f"`{text[:20]}` isn't a day of the week. Use monday … sunday.")
    return DAYS.index(matches[0])


def parse_time_of_day(text: str) -> str:
    parts = text.strip().split(":")
    try:
        hour, minute = int(parts[0]), int(parts[1]) if len(parts) > 1 else 0
    except ValueError:
        hour = minute = -1
    if len(parts) > 2 or not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidInput(
            f"`{text[:20]}` isn't a time of day. Use 24-hour HH:MM, such as 09:00 or 17:30."
        )
    return f"{hour:02d}:{minute:02d}"


def _cron(cadence: str, weekday: int, post_time: str, zone: ZoneInfo) -> CronTrigger:
    hour, minute = (int(p) for p in post_time.split(":"))
    day = _CRON_DAYS[weekday]
    if cadence == "monthly":
        return CronTrigger(day=f"1st {day}", hour=hour, minute=minute, timezone=zone)
    return CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=zone)


def first_round(
    cadence: str, weekday: int, post_time: str, zone: ZoneInfo, now: datetime
) -> datetime:
    """The first round strictly after now: the anchor every later round counts from."""
    fire = _cron(cadence, weekday, post_time, zone).get_next_fire_time(
        None, now + timedelta(microseconds=1)
    )
    assert fire is not None
    return fire.astimezone(UTC)


def next_round(config: HallwayConfig, after: datetime) -> datetime:
    """The first round strictly after ``after``."""
    zone = ZoneInfo(config.timezone)
    if config.anchor > after:
        return config.anchor
    if config.cadence == "monthly":
        fire = _cron(config.cadence, config.weekday, config.post_time, zone).get_next_fire_time(
            None, after + timedelta(microseconds=1)
        )
        assert fire is not None
        return fire.astimezone(UTC)
    found = next_after(parse_repeat(config.cadence), anchor=config.anchor, zone=zone, after=after)
    assert found is not None  # weekly rules always have a next occurrence
    return found


def describe(config: HallwayConfig) -> str:
    day = DAYS[config.weekday].capitalize()
    when = {
        "weekly": f"every {day}",
        "every-2-weeks": f"every other {day}",
        "monthly": f"the first {day} of each month",
    }[config.cadence]
    return f"{when} at {config.post_time} ({config.timezone})"
