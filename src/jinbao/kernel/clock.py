"""Time is an input: rules take ``as_of``; services get "now" from an injected clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

CHINA_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def today(self) -> dt.date: ...


class SystemClock:
    """Wall-clock time in China Standard Time, the legal time of every business date here."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(CHINA_TZ)

    def today(self) -> dt.date:
        return self.now().date()


@dataclass(frozen=True, slots=True)
class FixedClock:
    """A clock that always says the same instant: for tests and for recomputing as of a date."""

    instant: dt.datetime

    @classmethod
    def on(cls, day: dt.date) -> FixedClock:
        return cls(dt.datetime.combine(day, dt.time(9, 0), tzinfo=CHINA_TZ))

    def now(self) -> dt.datetime:
        return self.instant

    def today(self) -> dt.date:
        return self.instant.date()
