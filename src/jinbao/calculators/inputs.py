"""Parsing of the calculators' human-friendly inputs, shared by the API and the CLI."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.money import Fen, yuan_to_fen
from jinbao.kernel.periods import YearMonth
from jinbao.policy.interest import Credit
from jinbao.policy.parameters import Parameters, load_parameters
from jinbao.policy.retirement import Category

_YM = re.compile(r"^\s*(\d+)\s*(?:[y年岁:]\s*(\d+)\s*(?:m|个月|月)?)?\s*$")


@cache
def parameters(extra_dir: str = "") -> Parameters:
    return load_parameters(Path(extra_dir) if extra_dir else None)


def bad(field: str, zh: str, en: str) -> InvalidInput:
    return InvalidInput(f"input.{field}", zh, en, field=field)


def category(text: str) -> Category:
    normalized = {"female55": "female_55", "female50": "female_50"}.get(text, text)
    try:
        return Category(normalized)
    except ValueError:
        raise bad(
            "category",
            "类别应为 male、female55 或 female50。",
            "category is male, female55 or female50.",
        ) from None


def year_month(text: str, field: str) -> YearMonth:
    try:
        return YearMonth.parse(text)
    except ValueError:
        raise bad(field, f"{field} 应写作 YYYY-MM。", f"{field} is written YYYY-MM.") from None


def yuan(text: str, field: str) -> Fen:
    try:
        amount = yuan_to_fen(text.replace(",", ""))
    except (InvalidOperation, ValueError):
        raise bad(
            field,
            f"{field} 应为金额（元，最多两位小数）。",
            f"{field} is an amount in yuan with at most 2 decimals.",
        ) from None
    if amount < 0:
        raise bad(field, f"{field} 不能为负。", f"{field} cannot be negative.")
    return amount


def decimal(text: str, field: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise bad(field, f"{field} 应为数字。", f"{field} must be a number.") from None
    if value < 0 or not value.is_finite():
        raise bad(field, f"{field} 不能为负。", f"{field} cannot be negative.")
    return value


def rate(text: str, field: str = "rate") -> Decimal:
    """``2.62%`` or ``0.0262``."""
    value = decimal(text.strip().rstrip("%"), field)
    return value / 100 if text.strip().endswith("%") else value


def months(text: str, field: str) -> int:
    """Years (and months) to months: ``35``, ``35y6m``, ``35:6``, ``35年6个月``, or ``35.5``."""
    match = _YM.match(text)
    if match:
        total = int(match.group(1)) * 12 + int(match.group(2) or 0)
    else:
        years = decimal(text, field) * 12
        if years != years.to_integral_value():
            raise bad(
                field,
                f"{field} 须为整月（如 35y6m 或 35.5）。",
                f"{field} must be whole months (e.g. 35y6m or 35.5).",
            )
        total = int(years)
    return total


def credits(text: str) -> list[Credit]:
    """``2024-01:400,2024-02:400`` (amounts in yuan)."""
    out: list[Credit] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        period, _, amount = item.partition(":")
        if not amount:
            raise bad(
                "credits",
                "记账额写作 YYYY-MM:金额，用逗号分隔。",
                "Credits are YYYY-MM:AMOUNT, comma-separated.",
            )
        out.append(Credit(year_month(period, "credits"), yuan(amount, "credits")))
    return out
