"""Write an audit row in the caller's unit of work, so it commits or rolls back with the change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from enum import Enum

from jinbao.audit.tables import audit_log
from jinbao.db.driver import DriverWrite
from jinbao.db.uow import UnitOfWork

# Built once and run on the driver's cursor (jinbao.db.driver): every change writes one.
_INSERT = DriverWrite(audit_log.insert())


def record(
    uow: UnitOfWork,
    action: str,
    entity: str,
    entity_key: str,
    *,
    old: Mapping[str, object] | None = None,
    new: Mapping[str, object] | None = None,
) -> None:
    _INSERT.run(uow.conn, _row(uow, uow.clock.now(), action, entity, entity_key, old, new))


def record_many(
    uow: UnitOfWork,
    action: str,
    entity: str,
    changes: Iterable[tuple[str, Mapping[str, object] | None, Mapping[str, object] | None]],
) -> None:
    """One audit row per ``(entity_key, old, new)``, written together (a batch of changes of
    one kind: rows as :func:`record` writes them, in a few statements instead of one each)."""
    now = uow.clock.now()
    rows = [_row(uow, now, action, entity, key, old, new) for key, old, new in changes]
    _INSERT.run_many(uow.conn, rows)


def _row(
    uow: UnitOfWork,
    now: dt.datetime,
    action: str,
    entity: str,
    entity_key: str,
    old: Mapping[str, object] | None,
    new: Mapping[str, object] | None,
) -> dict[str, object]:
    return {
        "occurred_at": now,
        "actor": uow.actor,
        "action": action,
        "entity": entity,
        "entity_key": entity_key[:60],
        "old": _jsonable(old),
        "new": _jsonable(new),
    }


def _jsonable(values: Mapping[str, object] | None) -> dict[str, object] | None:
    if values is None:
        return None
    out: dict[str, object] = {}
    for key, value in values.items():
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, dt.date):
            value = value.isoformat()
        out[key] = value
    return out
