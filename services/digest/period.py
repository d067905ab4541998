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

    def with_previous(self) -> Period:
        """This period and the one before it, for the chart's two panels."""
        return Period(self.previous().start, self.end, self.zone)


@dataclass(frozen=True)
class Window:
    """The ``days`` × 24 hours up to ``end_utc``: a digest built by hand.

    Events (sessions, feedback, votes, posts) are counted at their exact instants in
    [start_utc, end_utc). Activity counters are kept per UTC day, so they count the
    ``days`` UTC days up to and including the day of ``end_utc``: today so far is in,
    and the few hours of the first day that fall inside the window are not.
    """

    end_utc: datetime
    zone: ZoneInfo
    day_count: int = WEEK

    @property
    def days(self) -> int:
        return self.day_count

    @property
    def start_utc(self) -> datetime:
        return self.end_utc - timedelta(days=self.day_count)

    @property
    def start(self) -> date:
        return self.start_utc.astimezone(self.zone).date()

    def previous(self) -> Window:
        return Window(self.start_utc, self.zone, self.day_count)

    def with_previous(self) -> Window:
        return Window(self.end_utc, self.zone, 2 * self.day_count)

    def utc_days(self) -> tuple[date, date]:
        # end_utc is excluded: a window ending at midnight doesn't hold the day it ends on.
        last = (self.end_utc.astimezone(UTC) - timedelta(microseconds=1)).date()
        return last - timedelta(days=self.day_count - 1), last

    def local_days(self) -> list[date]:
        """The counters' days (UTC days), for the chart."""
        first, _ = self.utc_days()
        return [first + timedelta(days=i) for i in range(self.day_count)]

    def utc_day_for(self, local_day: date) -> date:
        return local_day

    def label(self) -> str:
        start = self.start_utc.astimezone(self.zone)
        end = self.end_utc.astimezone(self.zone)
        return f"{start:%a %d %b %H:%M} – {end:%a %d %b %Y %H:%M}"


Span = Period | Window


def week_before(local_day: date, zone: ZoneInfo) -> Period:
    """The 7 whole local days before ``local_day``."""
    return Period(local_day - timedelta(days=WEEK), local_day, zone)
