"""Acknowledge and act deadlines per urgency level (pure; the clock is passed in)."""

from collections.abc import Container
from datetime import date, datetime, time, timedelta, timezone
from functools import cache

import holidays

VN_TZ = timezone(timedelta(hours=7))  # Vietnam keeps no daylight saving time


@cache
def vn_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("VN", years=[year]).keys())


class _VietnamCalendar:
    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and day in vn_holidays(day.year)


VIETNAM_HOLIDAYS = _VietnamCalendar()


def add_working_days(start: datetime, days: int,
                     holiday_days: Container[date] = VIETNAM_HOLIDAYS) -> datetime:
    """`days` working days after `start` (weekends and public holidays skipped), same time of
    day in Vietnam; a start on a day off counts from the beginning of the next working day,
    so a later receipt never gets an earlier deadline."""
    def working(d: date) -> bool:
        return d.weekday() < 5 and d not in holiday_days

    local = start.astimezone(VN_TZ)
    day, at = local.date(), local.timetz()
    if not working(day):  # as if received when the next working day begins
        while not working(day):
            day += timedelta(days=1)
        at = time(0, tzinfo=VN_TZ)
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if working(day):
            remaining -= 1
    return datetime.combine(day, at).astimezone(start.tzinfo)


def action_due(spec: str, *, received_at: datetime,
               holiday_days: Container[date] = VIETNAM_HOLIDAYS) -> datetime:
    """`spec` is seconds ("43200") or working days ("7wd"), counted from receipt (the law's
    clock starts when the hotline receives the report)."""
    if spec.endswith("wd"):
        return add_working_days(received_at, int(spec[:-2]), holiday_days)
    return received_at + timedelta(seconds=int(spec))
