"""Working days read the CalendarDay table: 法定节假日, 调休 Saturdays, and a fallback to
Monday–Friday (with a warning, never a crash) for years the table lacks."""

import datetime as dt
import logging

import pytest

from regions.models import CalendarDay, DayKind
from regions.services import load_calendar
from regions.workdays import WorkCalendar, missing_years

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar.for_years(2025, 2027)


def test_national_day_week_is_off_and_the_adjusted_saturday_is_worked(cal):
    assert not cal.is_working_day(D(2026, 10, 1))  # Thursday, 国庆
    assert not cal.is_working_day(D(2026, 10, 7))
    assert cal.is_working_day(D(2026, 10, 10))  # Saturday worked in lieu (调休)
    assert cal.is_working_day(D(2026, 9, 20))  # Sunday worked in lieu
    assert not cal.is_working_day(D(2026, 10, 11))  # an ordinary Sunday


def test_a_reminder_falling_in_the_holiday_moves_to_the_previous_working_day(cal):
    assert cal.previous_working_day(D(2026, 10, 5)) == D(2026, 9, 30)
    assert cal.previous_working_day(D(2026, 10, 10)) == D(2026, 10, 10)  # 调休 Saturday


def test_spring_festival_with_its_adjusted_saturdays(cal):
    assert not cal.is_working_day(D(2026, 2, 17))  # 春节, a Tuesday
    assert cal.is_working_day(D(2026, 2, 14))  # Saturday worked in lieu
    assert cal.is_working_day(D(2026, 2, 28))
    assert cal.previous_working_day(D(2026, 2, 20)) == D(2026, 2, 14)


def test_working_day_arithmetic_skips_the_holiday(cal):
    # three working days after Tuesday 2026-09-29: 30 Sep, (1–7 Oct off), 8 Oct, 9 Oct
    assert cal.add_working_days(D(2026, 9, 29), 3) == D(2026, 10, 9)
    assert cal.add_working_days(D(2026, 10, 9), -3) == D(2026, 9, 29)


def test_a_year_without_calendar_data_falls_back_to_monday_to_friday(cal, caplog):
    from regions import workdays

    workdays._warned_years.discard(2027)  # warned once per process: earlier tests may have
    caplog.set_level(logging.WARNING, logger="regions.workdays")
    assert cal.is_working_day(D(2027, 10, 1))  # a Friday; 2027 not published in the data
    assert not cal.is_working_day(D(2027, 10, 2))  # Saturday
    assert cal.previous_working_day(D(2027, 10, 3)) == D(2027, 10, 1)
    assert "2027" in caplog.text
    assert missing_years(today=D(2026, 11, 27)) == [2027]


def test_staff_entries_for_a_new_year_are_used(cal):
    CalendarDay.objects.create(date=D(2027, 10, 1), kind=DayKind.HOLIDAY, name="国庆节")

    fresh = WorkCalendar.for_years(2027, 2027)

    assert not fresh.is_working_day(D(2027, 10, 1))
    assert missing_years(today=D(2026, 11, 27)) == []


def test_seeding_twice_adds_nothing_and_keeps_staff_corrections():
    day = CalendarDay.objects.get(date=D(2026, 10, 1))
    day.name = "国庆节（已核对）"
    day.save(update_fields=["name"])

    assert load_calendar() == 0
    day.refresh_from_db()
    assert day.name == "国庆节（已核对）"
    assert CalendarDay.objects.filter(date__year=2026, kind=DayKind.WORKDAY).count() == 6
