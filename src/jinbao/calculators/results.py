"""JSON for explained results: money in fen (integers) with a yuan string beside each total."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from enum import Enum
from typing import Any

from jinbao.kernel.money import format_yuan
from jinbao.kernel.periods import YearMonth
from jinbao.policy.explain import Explained


def jsonable(value: Any) -> Any:
    if isinstance(value, YearMonth):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in ("total", "account_total", "pooled_total", "total_interest"):
            if hasattr(value, name):
                amount = getattr(value, name)
                out[name] = amount
                out[f"{name}_yuan"] = format_yuan(amount)
        return out
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    return value


def explained_json(result: Explained[Any]) -> dict[str, Any]:
    return {"result": jsonable(result.value), "explanation": result.explanation.as_dict()}
