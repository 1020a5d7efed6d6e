"""Working days in China: Monday–Friday, less public holidays, plus weekend days worked in
lieu (调休) — read from the CalendarDay table. Years the table lacks fall back to
Monday–Friday and log one warning per year (never a crash)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from .models import CalendarDay, DayKind

logger = logging.getLogger(__name__)
_warned_years: set[int] = set()


@dataclass(frozen=True)
class WorkCalendar:
    """A snapshot of the calendar for a range of years (one query), for loops over days."""

    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    covered_years: frozenset[int]

    @classmethod
    def for_years(cls, first: int, last: int) -> WorkCalendar:
        rows = CalendarDay.objects.filter(date__year__gte=first, date__year__lte=last).values_list(
            "date", "kind"
        )
        holidays, workdays = set(), set()
        for day, kind in rows:
            (holidays if kind == DayKind.HOLIDAY else workdays).add(day)
        covered = frozenset(d.year for d in holidays | workdays)
        return cls(frozenset(holidays), frozenset(workdays), covered)

    def is_working_day(self, day: dt.date) -> bool:
        if day.year not in self.covered_years and day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "holiday calendar has no data for %s: counting Monday-Friday as working days",
                day.year,
            )
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def previous_working_day(self, day: dt.date) -> dt.date:
        """`day` itself if it is a working day, else the closest working day before it."""
        while not self.is_working_day(day):
            day -= dt.timedelta(days=1)
        return day

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The date n working days after (n > 0) or before (n < 0) `day`."""
        step = dt.timedelta(days=1 if n >= 0 else -1)
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day


def calendar_around(day: dt.date, *, years: int = 1) -> WorkCalendar:
    return WorkCalendar.for_years(day.year - years, day.year + years)


def missing_years(*, today: dt.date) -> list[int]:
    """This year and next, if the table has no entries for them (dashboard warning)."""
    have = set(
        CalendarDay.objects.filter(date__year__in=[today.year, today.year + 1])
        .values_list("date__year", flat=True)
        .distinct()
    )
    return [y for y in (today.year, today.year + 1) if y not in have]
