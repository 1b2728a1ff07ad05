"""Parameter tables: versioned data files with their status and source, loaded once.

The files in ``data/`` ship with Jinbao. An operator can add or override any of them by putting a
file of the same name in a folder named by ``JINBAO_PARAMETERS_DIR`` (tables are merged key by key;
e.g. a ``calendar.toml`` holding only ``[years.2027]`` adds that year's holiday arrangement).
Every value carries a status — official, secondary, derived, unverified or sample — and
:meth:`Parameters.report` lists what is not official so nobody mistakes a sample for the law.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.periods import YearMonth

T = TypeVar("T")
FILES = (
    "contribution_rates", "contribution_bases", "average_wages", "interest_rates",
    "annuity_months", "minimum_contribution", "retirement", "resident", "transitional",
    "transfer", "calendar", "survivors",
)  # fmt: skip
NATIONAL_SAMPLE = "00"


class ParameterMissing(InvalidInput):
    """No parameter is loaded for what was asked (a year, a province, a period)."""


@dataclass(frozen=True, slots=True)
class Param(Generic[T]):
    value: T
    status: str
    source: str


@dataclass(frozen=True, slots=True)
class _Dated(Generic[T]):
    start: YearMonth
    end: YearMonth | None
    param: Param[T]

    def covers(self, period: YearMonth) -> bool:
        return self.start <= period and (self.end is None or period <= self.end)


@dataclass(frozen=True, slots=True)
class CategoryRule:
    original_age: int
    step_months: int
    max_delay_months: int


def _missing(name: str, what: str) -> ParameterMissing:
    return ParameterMissing(
        "parameter.missing",
        f"未载入参数“{name}”（{what}）。请由管理员在参数目录中补充后再计算。",
        f"No parameter '{name}' is loaded for {what}; an operator must load it first.",
        field=name,
    )


class Parameters:
    """Typed, read-only access to every parameter table."""

    def __init__(self, tables: Mapping[str, Mapping[str, Any]]) -> None:
        self._t = tables
        rates = tables["contribution_rates"]
        self._employer = [_dated(e, "rate", Decimal) for e in rates["employer"]]
        self._individual = [_dated(e, "rate", Decimal) for e in rates["individual"]]
        self._account_share = [_dated(e, "rate", Decimal) for e in rates["account_share"]]
        self._flexible = [
            _Dated(
                YearMonth.parse(e["from"]),
                YearMonth.parse(e["to"]) if "to" in e else None,
                Param((Decimal(e["rate"]), Decimal(e["account"])), e["status"], e["source"]),
            )
            for e in rates["flexible"]
        ]
        self._limits = [
            _Dated(
                YearMonth.parse(e["from"]),
                YearMonth.parse(e["to"]) if "to" in e else None,
                Param((Decimal(e["floor"]), Decimal(e["cap"])), e["status"], e["source"]),
            )
            for e in tables["contribution_bases"]["limits"]
        ]
        self._interest = {
            int(e["year"]): Param(Decimal(e["rate"]), e["status"], e["source"])
            for e in tables["interest_rates"]["rate"]
        }
        self._resident_interest = _resident_rates(tables["interest_rates"].get("resident_rate", {}))
        resident = tables["resident"]
        self._local_top_up = _local_top_ups(resident.get("local_top_up", {}))
        self._scheme_starts = _scheme_starts(resident["transition"])
        self._deemed_last = _deemed_last_months(tables["transitional"].get("deemed", {}))
        self._resident_minimum = sorted(
            (
                dt.date.fromisoformat(e["from"]),
                Param(int(e["yuan"]) * 100, e["status"], e["source"]),
            )
            for e in resident["minimum_basic_pension"]
        )
        calendar = tables["calendar"]
        self.calendar_source = str(calendar["source"])
        self.holidays: dict[int, frozenset[dt.date]] = {}
        self.adjusted_workdays: dict[int, frozenset[dt.date]] = {}
        for year, days in calendar["years"].items():
            self.holidays[int(year)] = frozenset(map(dt.date.fromisoformat, days["holidays"]))
            self.adjusted_workdays[int(year)] = frozenset(
                map(dt.date.fromisoformat, days["workdays"])
            )

    # ------------------------------------------------------------------ contributions
    def employer_rate(self, period: YearMonth) -> Param[Decimal]:
        return _lookup(self._employer, period, "employer_rate")

    def individual_rate(self, period: YearMonth) -> Param[Decimal]:
        return _lookup(self._individual, period, "individual_rate")

    def account_share(self, period: YearMonth) -> Param[Decimal]:
        return _lookup(self._account_share, period, "account_share")

    def flexible_rates(self, period: YearMonth) -> Param[tuple[Decimal, Decimal]]:
        """(total rate, share to the personal account) for flexible workers."""
        return _lookup(self._flexible, period, "flexible_rates")

    def base_limits(self, period: YearMonth) -> Param[tuple[Decimal, Decimal]]:
        """(floor, cap) as shares of the provincial average wage."""
        return _lookup(self._limits, period, "base_limits")

    def average_wage(self, kind: str, province: str, year: int) -> Param[int]:
        """Monthly average wage in fen: kind ``benefit_wage`` (C) or ``base_wage``."""
        table = self._t["average_wages"]
        provinces = table["province"]
        for key in (province[:2], NATIONAL_SAMPLE):
            series = provinces.get(key, {}).get(kind, {})
            if str(year) in series:
                status = table.get("status", "sample")
                note = "" if key == province[:2] else f" (national sample series for {province})"
                return Param(int(series[str(year)]) * 100, status, table["source"] + note)
        raise _missing(kind, f"province {province}, year {year}")

    def transitional_coefficient(self, province: str) -> Param[Decimal]:
        table = self._t["transitional"]
        values = table["coefficient"]
        key = province[:2] if province[:2] in values else NATIONAL_SAMPLE
        return Param(Decimal(values[key]), table["status"], table["source"])

    def deemed_last_month(self, province: str) -> Param[YearMonth]:
        """The last month that can be 视同缴费年限 at a province's places (the month before its
        individual contributions began): the province's own if loaded, else the default."""
        return self._deemed_last.get(province[:2], self._deemed_last[""])

    # ------------------------------------------------------------------ accounts
    def interest_rate(self, year: int) -> Param[Decimal]:
        if year not in self._interest:
            raise _missing("interest_rate", f"year {year}")
        return self._interest[year]

    def resident_interest_rates(self, year: int) -> dict[str, Param[Decimal]]:
        """The residents' scheme's account rates for ``year``, by province (the first two digits
        of a region's code): each province sets its own (国发〔2014〕8号: 按国家规定计息; POLICY
        Part II §2.3). A province with none loaded for the year is absent."""
        return {p: rate for (p, y), rate in self._resident_interest.items() if y == year}

    def crediting_method(self, region: str) -> Param[str]:
        """年度计算法 ("annual") or 月积数法 ("monthly") for a province."""
        m = self._t["interest_rates"]["crediting_method"]
        value = m.get("province", {}).get(region[:2], m["default"])
        return Param(str(value), m["status"], m["source"])

    def crediting_methods_in_use(self) -> set[str]:
        """Every crediting method some province uses (the default and each exception)."""
        m = self._t["interest_rates"]["crediting_method"]
        return {str(m["default"]), *(str(v) for v in m.get("province", {}).values())}

    def interest_annual_factor(self) -> Param[Decimal]:
        m = self._t["interest_rates"]["method"]
        return Param(Decimal(m["annual_factor"]), m["status"], m["source"])

    # ------------------------------------------------------------------ benefits
    def annuity_months(self, age_years: int) -> Param[int]:
        table = self._t["annuity_months"]
        months = table["months"]
        if str(age_years) not in months:
            raise _missing("annuity_months", f"age {age_years} (the table covers 40–70)")
        if age_years == 47:
            note = table["age_47"]
            return Param(int(note["chosen"]), note["status"], note["note"])
        return Param(int(months[str(age_years)]), table["status"], table["source"])

    def annuity_fractional_method(self) -> Param[str]:
        f = self._t["annuity_months"]["fractional_age"]
        return Param(str(f["method"]), f["status"], f["note"])

    def minimum_contribution_months(self, year: int) -> Param[int]:
        """最低缴费年限 in months for a retirement in ``year`` (办法 第二条, 附件4)."""
        t = self._t["minimum_contribution"]
        rising = max(0, year - int(t["first_rising_year"]) + 1)
        months = min(int(t["max_months"]), int(t["base_months"]) + int(t["step_months"]) * rising)
        return Param(months, t["status"], t["source"])

    def retirement_rule(self, category: str) -> Param[CategoryRule]:
        t = self._t["retirement"]
        c = t["category"][category]
        rule = CategoryRule(
            int(c["original_age"]), int(c["step_months"]), int(c["max_delay_months"])
        )
        return Param(rule, t["status"], t["source"])

    def reform_start(self) -> YearMonth:
        return YearMonth.parse(self._t["retirement"]["reform_start"])

    def flexible_retirement(self) -> Param[dict[str, int]]:
        f = self._t["retirement"]["flexible"]
        values = {k: int(v) for k, v in f.items() if k != "source"}
        return Param(values, "official", f["source"])

    # ------------------------------------------------------------------ transfer
    def transfer(self, name: str) -> Param[Any]:
        entry = self._t["transfer"][name]
        value = {k: v for k, v in entry.items() if k not in ("status", "source")}
        return Param(value.get("value", value), entry["status"], entry["source"])

    # ------------------------------------------------------------------ resident scheme
    def resident(self, name: str) -> Param[Any]:
        entry = self._t["resident"][name]
        value = {k: v for k, v in entry.items() if k not in ("status", "source")}
        return Param(value.get("value", value), entry.get("status", ""), entry["source"])

    # ------------------------------------------------------------------ survivors
    def survivors(self, name: str) -> Param[Any]:
        entry = self._t["survivors"][name]
        value = {k: v for k, v in entry.items() if k not in ("status", "source")}
        return Param(value.get("value", value), entry.get("status", ""), entry["source"])

    def disposable_income(self, province: str, year: int) -> Param[int]:
        """城镇居民人均可支配收入 of a province and year, fen a year (sample series fallback)."""
        table = self._t["survivors"]["disposable_income"]
        for key in (province[:2], NATIONAL_SAMPLE):
            series = table.get(key, {})
            if str(year) in series:
                note = "" if key == province[:2] else f" (national sample series for {province})"
                return Param(int(series[str(year)]) * 100, table["status"], table["source"] + note)
        raise _missing("disposable_income", f"province {province}, year {year}")

    def resident_scheme_start(self, province: str) -> Param[dt.date]:
        """The day the residents' scheme began at a province's places (新农保/城居保 实施时; the
        transition of 国发〔2014〕8号 第七条): the province's own if loaded, else the default."""
        return self._scheme_starts.get(province[:2], self._scheme_starts[""])

    def resident_minimum_steps(self) -> list[tuple[dt.date, Param[int]]]:
        """The national minimum 基础养老金 series: (from, fen a month), oldest first."""
        return list(self._resident_minimum)

    def resident_local_top_up(self, province: str, on: dt.date) -> Param[int] | None:
        """A province's 地方加发 of the residents' basic pension in force on ``on`` (fen a month),
        or None where the province has none loaded (the first two digits of any code)."""
        found = [p for start, p in self._local_top_up.get(province[:2], []) if start <= on]
        return found[-1] if found else None

    def resident_local_top_up_steps(self, province: str) -> list[tuple[dt.date, Param[int]]]:
        """A province's 地方加发 series: (from, fen a month), oldest first; empty if none."""
        return list(self._local_top_up.get(province[:2], []))

    def resident_minimum_basic_pension(self, on: dt.date) -> Param[int]:
        """National minimum 基础养老金 in fen per month in force on ``on``."""
        found = [p for start, p in self._resident_minimum if start <= on]
        if not found:
            raise _missing("minimum_basic_pension", f"date {on}")
        return found[-1]

    # ------------------------------------------------------------------ report
    def report(self) -> list[str]:
        """Every parameter that is not an official figure, one line each (for start-up logs)."""
        lines: list[str] = []
        for name in FILES:
            lines += [f"{name}: {line}" for line in _non_official(self._t[name])]
        return lines


def _dated(entry: Mapping[str, Any], key: str, kind: type[Decimal]) -> _Dated[Decimal]:
    return _Dated(
        YearMonth.parse(entry["from"]),
        YearMonth.parse(entry["to"]) if "to" in entry else None,
        Param(kind(entry[key]), entry["status"], entry["source"]),
    )


# A residents' rate above this is a percentage written as a number ("1.75" for 1.75%): the
# employees' national rates have never reached a tenth.
_RESIDENT_RATE_CEILING = Decimal("0.2")


def _resident_rates(table: Mapping[str, Any]) -> dict[tuple[str, int], Param[Decimal]]:
    """``[resident_rate.<province>.<year>]`` entries by (province, year), each checked: these are
    the entries an operator writes every year, and a mistyped one must stop the loading with
    a message, not credit accounts at a wrong rate."""
    rates: dict[tuple[str, int], Param[Decimal]] = {}
    for province, years in table.items():
        for year, entry in years.items() if isinstance(years, Mapping) else [("?", years)]:
            where = f"interest_rates.resident_rate.{province}.{year}"
            rate = _decimal(entry.get("rate")) if isinstance(entry, Mapping) else None
            if not (
                len(province) == 2 and province.isdigit() and len(year) == 4 and year.isdigit()
                and rate is not None and 0 <= rate < _RESIDENT_RATE_CEILING
                and isinstance(entry.get("status"), str) and isinstance(entry.get("source"), str)
            ):  # fmt: skip
                raise InvalidInput(
                    "parameter.invalid",
                    f"参数“{where}”无效：应写在 [resident_rate.省级代码前两位.年度] 下，含 rate（小数，"
                    '如 1.75% 写作 "0.0175"）、status 和 source。',
                    f"The parameter '{where}' is invalid: it belongs under [resident_rate.<two-"
                    'digit province>.<year>] with a rate (a fraction: 1.75% is "0.0175"), a '
                    "status and a source.",
                    field=where,
                )
            rates[(province, int(year))] = Param(rate, entry["status"], entry["source"])
    return rates


def _scheme_starts(table: Mapping[str, Any]) -> dict[str, Param[dt.date]]:
    """``[transition]``: ``scheme_start`` (key "") and ``start_by_province`` (two digits → day),
    each a date, else the loading stops (``parameter.invalid``)."""
    return _by_province(
        table, "resident.transition", "scheme_start", "start_by_province",
        dt.date.fromisoformat, "2010-07-01", "日期",
    )  # fmt: skip


def _deemed_last_months(table: Mapping[str, Any]) -> dict[str, Param[YearMonth]]:
    """``[deemed]``: ``last_month`` (key "") and ``last_month_by_province`` (two digits →
    "YYYY-MM"), else the loading stops (``parameter.invalid``)."""
    return _by_province(
        table, "transitional.deemed", "last_month", "last_month_by_province",
        YearMonth.parse, "1995-09", "月份",
    )  # fmt: skip


def _by_province(
    table: Mapping[str, Any],
    where: str,
    default: str,
    by: str,
    parse: Callable[[str], T],
    example: str,
    what_zh: str,
) -> dict[str, Param[T]]:
    """A national value (``default``, key "") and provinces' own (``by``: two digits → value),
    each read by ``parse``, with the table's status and source; a value ``parse`` refuses or a
    province not written as two digits stops the loading (``parameter.invalid``), naming it."""
    entries = {"": table.get(default), **dict(table.get(by, {}))}
    out: dict[str, Param[T]] = {}
    for province, value in entries.items():
        at = f"{where}.{province or default}"
        try:
            parsed: T | None = parse(str(value))
        except (InvalidInput, ValueError):
            parsed = None
        if parsed is None or not (province == "" or (len(province) == 2 and province.isdigit())):
            raise InvalidInput(
                "parameter.invalid",
                f"参数“{at}”无效：{default} 和 {by} 中的{what_zh}应写作 "
                f'"{example}"，省份写作两位代码（如 41 = "{example}"）。',
                f"The parameter '{at}' is invalid: {default} and {by} take values as "
                f'"{example}", provinces as two digits (41 = "{example}").',
                field=at,
            )
        out[province] = Param(parsed, str(table.get("status", "")), str(table.get("source", "")))
    return out


_TOP_UP_CEILING = Decimal(100_000)  # yuan a month: far above any province's (a typo stops)


def _local_top_ups(table: Mapping[str, Any]) -> dict[str, list[tuple[dt.date, Param[int]]]]:
    """``[local_top_up.<province>]`` entries, ``"YYYY-MM-DD" = {yuan, status, source}``: the
    province's 地方加发 of the residents' basic pension (国发〔2014〕8号: 地方人民政府可以根据实际
    情况适当提高基础养老金标准) from that day, by province, oldest first; each checked as the
    residents' rates are (:func:`_resident_rates`)."""
    out: dict[str, list[tuple[dt.date, Param[int]]]] = {}
    for province, steps in table.items():
        for day, entry in steps.items() if isinstance(steps, Mapping) else [("?", steps)]:
            where = f"resident.local_top_up.{province}.{day}"
            amount = _decimal(entry.get("yuan")) if isinstance(entry, Mapping) else None
            try:
                on: dt.date | None = dt.date.fromisoformat(str(day))
            except ValueError:
                on = None
            if not (
                len(province) == 2 and province.isdigit() and on is not None
                and amount is not None and 0 <= amount < _TOP_UP_CEILING
                and amount == amount.quantize(Decimal("0.01"))
                and isinstance(entry.get("status"), str) and isinstance(entry.get("source"), str)
            ):  # fmt: skip
                raise InvalidInput(
                    "parameter.invalid",
                    f"参数“{where}”无效：应写在 [local_top_up.省级代码前两位] 下，形如 "
                    '"2025-01-01" = { yuan = 30, status = "official", source = "文号" }（每月元数，'
                    "至多两位小数）。",
                    f"The parameter '{where}' is invalid: it belongs under [local_top_up.<two-"
                    'digit province>] as "2025-01-01" = { yuan = 30, status = "official", source '
                    '= "…" } (yuan a month, at most two decimals).',
                    field=where,
                )
            out.setdefault(province, []).append(
                (on, Param(int(amount * 100), entry["status"], entry["source"]))
            )
    return {p: sorted(steps, key=lambda s: s[0]) for p, steps in out.items()}


def _decimal(value: Any) -> Decimal | None:
    """A finite number written as text or a TOML number, else None (TOML has nan and inf)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:  # decimal.InvalidOperation: not a number
        return None
    return number if number.is_finite() else None


def _lookup(series: list[_Dated[T]], period: YearMonth, name: str) -> Param[T]:
    for item in series:
        if item.covers(period):
            return item.param
    raise _missing(name, f"period {period}")


def _non_official(node: Any, path: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(node, Mapping):
        status = node.get("status")
        if isinstance(status, str) and status != "official":
            where = path or "(file)"
            out.append(f"{where} is {status.upper()}: {node.get('source', node.get('note', ''))}")
        for key, value in node.items():
            out += _non_official(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            label = value.get("from", value.get("year", i)) if isinstance(value, Mapping) else i
            out += _non_official(value, f"{path}[{label}]")
    return out


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_tables(extra_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    """The shipped tables, with an operator's files from ``extra_dir`` merged over them."""
    shipped = resources.files("jinbao.policy").joinpath("data")
    tables: dict[str, dict[str, Any]] = {}
    for name in FILES:
        tables[name] = tomllib.loads(shipped.joinpath(f"{name}.toml").read_text("utf-8"))
        if extra_dir is not None and (extra_dir / f"{name}.toml").exists():
            extra = tomllib.loads((extra_dir / f"{name}.toml").read_text("utf-8"))
            tables[name] = _merge(tables[name], extra)
    return tables


def load_parameters(extra_dir: Path | None = None) -> Parameters:
    return Parameters(read_tables(extra_dir))
