"""Year-months: the unit of contribution periods, ages and retirement dates."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import total_ordering

_YM = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


@total_ordering
@dataclass(frozen=True, slots=True)
class YearMonth:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} is not 1..12")

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        """``"2025-02"`` → YearMonth(2025, 2). Raises ValueError on anything else."""
        match = _YM.match(text)
        if not match:
            raise ValueError(f"{text!r} is not a year-month written YYYY-MM")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> YearMonth:
        return cls(day.year, day.month)

    @classmethod
    def from_index(cls, index: int) -> YearMonth:
        return cls(index // 12, index % 12 + 1)

    @property
    def index(self) -> int:
        """Months since year 0: differences of indexes are numbers of months."""
        return self.year * 12 + self.month - 1

    def plus(self, months: int) -> YearMonth:
        return YearMonth.from_index(self.index + months)

    def months_until(self, other: YearMonth) -> int:
        """Whole months from self to other (negative if other is earlier)."""
        return other.index - self.index

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, YearMonth):
            return NotImplemented
        return self.index < other.index

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def months_inclusive(start: YearMonth, end: YearMonth) -> int:
    """Number of months in [start, end], both included (0 if end is before start)."""
    return max(0, start.months_until(end) + 1)


def years_months(months: int) -> tuple[int, int]:
    """Split a number of months into whole years and remaining months."""
    return divmod(months, 12)


def format_years_months_zh(months: int) -> str:
    years, rest = years_months(months)
    return f"{years}年{rest}个月" if rest else f"{years}年"


def format_age_zh(months: int) -> str:
    years, rest = years_months(months)
    return f"{years}岁{rest}个月" if rest else f"{years}岁"


def format_years_months_en(months: int) -> str:
    years, rest = years_months(months)
    return f"{years} years {rest} months" if rest else f"{years} years"
