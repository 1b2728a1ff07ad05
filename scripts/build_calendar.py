"""Regenerate src/jinbao/policy/data/calendar.toml from the chinese-calendar package.

chinese-calendar (maintained; compiled from the 国务院办公厅 yearly 部分节假日安排 notices) lists
the official holidays and the adjusted working days (调休上班) of each year it knows. Jinbao ships
them as data; a year the package does not know yet is an error until an operator loads it.

Run with the project's virtualenv after `pip install chinese-calendar`:
    .venv/bin/python scripts/build_calendar.py
"""

from __future__ import annotations

import pathlib
from collections import defaultdict

import chinese_calendar
from chinese_calendar import constants

OUT = pathlib.Path(__file__).resolve().parents[1] / "src/jinbao/policy/data/calendar.toml"


def main() -> None:
    holidays: dict[int, list[str]] = defaultdict(list)
    workdays: dict[int, list[str]] = defaultdict(list)
    for day in sorted(constants.holidays):
        holidays[day.year].append(day.isoformat())
    for day in sorted(constants.workdays):
        workdays[day.year].append(day.isoformat())
    years = sorted(set(holidays) | set(workdays))
    lines = [
        "# China's official working-day calendar: public holidays (放假) and adjusted working",
        "# days (调休上班) per year, from the 国务院办公厅 部分节假日安排 notices, as compiled by",
        f"# chinese-calendar {chinese_calendar.__version__}. Regenerate: scripts/build_calendar.py",
        'source = "国务院办公厅关于部分节假日安排的通知 (yearly), via chinese-calendar '
        f'{chinese_calendar.__version__}"',
        'status = "official"',
        "",
    ]
    for year in years:
        lines.append(f"[years.{year}]")
        lines.append("holidays = [" + ", ".join(f'"{d}"' for d in holidays[year]) + "]")
        lines.append("workdays = [" + ", ".join(f'"{d}"' for d in workdays[year]) + "]")
        lines.append("")
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {len(years)} years ({years[0]}–{years[-1]}) to {OUT}")


if __name__ == "__main__":
    main()
