"""Quiet hours per receiver: deliveries inside the window wait until it ends.

Alertmanager's mute intervals drop notifications; a results alert is still news in the
morning, so here it is deferred to the end of the window instead. Severities listed in
``except_severity`` (say, critical) go through at any hour.

Usage::

    quiet = QuietHours(time(22), time(7), ZoneInfo("Asia/Shanghai"), except_severity=("critical",))
    quiet.until(now, "warning")   # end of the window as an aware datetime, or None if not quiet
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time
    tz: tzinfo
    except_severity: tuple[str, ...] = ()

    def until(self, now: datetime, severity: str) -> datetime | None:
        """When the window containing ``now`` ends, or None if ``now`` is outside it."""
        if severity in self.except_severity or self.start == self.end:
            return None
        local = now.astimezone(self.tz)
        clock = local.time().replace(tzinfo=None)
        if self.start < self.end:  # same-day window, e.g. 12:00-14:00
            inside = self.start <= clock < self.end
            end_day = local.date()
        else:  # across midnight, e.g. 22:00-07:00
            inside = clock >= self.start or clock < self.end
            end_day = local.date() + timedelta(days=1) if clock >= self.start else local.date()
        if not inside:
            return None
        return datetime.combine(end_day, self.end, tzinfo=self.tz)
