from __future__ import annotations

from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

from agents.delivery.quiet import QuietHours

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2025, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(timezone.utc)


def test_window_across_midnight_defers_to_its_end() -> None:
    quiet = QuietHours(time(22), time(7), SHANGHAI)
    assert quiet.until(at(23, 30), "warning") == datetime(2025, 11, 11, 7, tzinfo=SHANGHAI)
    assert quiet.until(at(3), "warning") == datetime(2025, 11, 10, 7, tzinfo=SHANGHAI)
    assert quiet.until(at(7), "warning") is None and quiet.until(at(12), "info") is None


def test_same_day_window_and_exempt_severity() -> None:
    quiet = QuietHours(time(12), time(14), SHANGHAI, except_severity=("critical",))
    assert quiet.until(at(13), "info") == datetime(2025, 11, 10, 14, tzinfo=SHANGHAI)
    assert quiet.until(at(13), "critical") is None
    assert quiet.until(at(14, 1), "info") is None
