from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.config import Settings, parse_level_map
from app.routing.deadlines import action_due, add_working_days


def test_working_days_skip_weekends_and_vietnamese_holidays() -> None:
    friday = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # Friday 10:00 in Hanoi
    # Mon 23, (Tue 24 is Vietnam Cultural Day), Wed 25
    assert add_working_days(friday, 2) == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    before_tet = datetime(2026, 2, 13, 3, 0, tzinfo=UTC)  # Friday before Tết 2026
    # Tết holidays run 16-20 February 2026: the first working day after is Monday 23
    assert add_working_days(before_tet, 1) == datetime(2026, 2, 23, 3, 0, tzinfo=UTC)


def test_a_receipt_on_a_day_off_counts_from_the_next_working_day_and_never_earlier() -> None:
    vn = timezone(timedelta(hours=7))
    friday_late = datetime(2026, 11, 27, 23, 30, tzinfo=vn)
    saturday_early = datetime(2026, 11, 28, 0, 30, tzinfo=vn)  # an hour later, a day off
    # Friday + 7: Mon 30, Tue 1, Wed 2, Thu 3, Fri 4, Mon 7, Tue 8 at 23:30
    assert add_working_days(friday_late, 7) == datetime(2026, 12, 8, 23, 30, tzinfo=vn)
    # Saturday counts from Monday 30 November, 00:00: seven working days later is Wed 9
    assert add_working_days(saturday_early, 7) == datetime(2026, 12, 9, 0, 0, tzinfo=vn)
    before_tet, in_tet = (datetime(2026, 2, 13, 23, 59, tzinfo=vn),
                          datetime(2026, 2, 14, 0, 1, tzinfo=vn))
    assert add_working_days(in_tet, 7) > add_working_days(before_tet, 7)
    # hour by hour over a long weekend of Tết: a later receipt never gets an earlier deadline
    starts = [before_tet - timedelta(days=2) + timedelta(hours=h) for h in range(24 * 14)]
    dues = [add_working_days(t, 7) for t in starts]
    assert dues == sorted(dues)


def test_action_due_in_seconds_or_working_days() -> None:
    t = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    assert action_due("43200", received_at=t) == t + timedelta(hours=12)
    assert action_due("1wd", received_at=t).date().isoformat() == "2026-11-25"


def test_deadline_configuration_is_validated() -> None:
    assert parse_level_map("critical=1,high=2,medium=3,low=4", allow_working_days=False)
    for bad in ("critical=1", "critical=x,high=2,medium=3,low=4",
                "urgent=1,critical=1,high=2,medium=3,low=4"):
        with pytest.raises(ValueError):
            parse_level_map(bad, allow_working_days=False)
    s = Settings(ack_deadlines="critical=60,high=120,medium=180,low=240")
    assert s.ack_deadline("critical") == timedelta(seconds=60)
    with pytest.raises(ValueError):
        Settings(environment="production")  # default secrets refused
    assert Settings(database_url="postgres://u@h/db").database_url.startswith(
        "postgresql+psycopg://")
