"""The digest's periods: whole local days in a guild's zone, mapped to UTC days.

Activity counters are kept per UTC day, so each UTC day is counted in the local day
that holds its midpoint (12:00 UTC): the local day it overlaps most. Near UTC that
is the same day; in Pacific/Auckland (UTC+13) the UTC day Sunday counts as the local
Monday. This calendar arithmetic is apart from the service so the renderer, which
carries a period in each digest, can import it without importing the service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEK = 7


def _local_day_of_utc_day(day: date, zone: ZoneInfo) -> date:
    return datetime.combine(day, time(12), UTC).astimezone(zone).date()


@dataclass(frozen=True)
class Period:
    """Whole local days start..end (end exclusive) in a zone."""

    start: date
    end: date
    zone: ZoneInfo

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def start_utc(self) -> datetime:
        return datetime.combine(self.start, time(0), self.zone).astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return datetime.combine(self.end, time(0), self.zone).astimezone(UTC)

    def previous(self) -> Period:
        return Period(self.start - timedelta(days=self.days), self.start, self.zone)

    def local_days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def utc_days(self) -> tuple[date, date]:
        """The first and last UTC day whose counters belong to this period."""
        candidates = [self.start + timedelta(days=i) for i in range(-2, self.days + 2)]
        inside = [
            d for d in candidates if self.start <= _local_day_of_utc_day(d, self.zone) < self.end
        ]
        if not inside:
            # Only a day the zone skipped (Samoa, 30 Dec 2011): an empty range.
            return self.start, self.start - timedelta(days=1)
        return inside[0], inside[-1]

    def utc_day_for(self, local_day: date) -> date:
        for offset in (0, -1, 1):
            candidate = local_day + timedelta(days=offset)
            if _local_day_of_utc_day(candidate, self.zone) == local_day:
                return candidate
        return local_day  # a day the zone skipped (Samoa 2011): nothing maps to it

    def label(self) -> str:
        last = self.end - timedelta(days=1)
        return f"{self.start:%a %d %b} – {last:%a %d %b %Y}"


def week_before(local_day: date, zone: ZoneInfo) -> Period:
    """The 7 whole local days before ``local_day``."""
    return Period(local_day - timedelta(days=WEEK), local_day, zone)
