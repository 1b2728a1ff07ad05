from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest
from sqlalchemy import Connection, Engine, event, func, select, text

from jinbao.accounts.tables import account_entries
from jinbao.db.schema import metadata
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import DomainError

T = TypeVar("T")


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in metadata.sorted_tables
        }


def index_ids(engine: Engine) -> dict[str, int]:
    """Every index of the PostgreSQL database by name with its catalog id, which an index
    dropped and built again does not keep."""
    with engine.connect() as conn:
        return dict(
            conn.execute(
                text(
                    "SELECT c.relname, c.oid::int FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE c.relkind = 'i' "
                    "AND n.nspname = current_schema()"
                )
            ).all()
        )


def commit(make_uow: Callable[[], UnitOfWork], action: Callable[[UnitOfWork], T]) -> T:
    with make_uow() as uow:
        result = action(uow)
        uow.commit()
        return result


def rejected(
    engine: Engine,
    make_uow: Callable[[], UnitOfWork],
    action: Callable[[UnitOfWork], object],
    error: type[DomainError] = DomainError,
) -> DomainError:
    """Run a use case that must fail; check it raised ``error`` and wrote nothing at all."""
    before = row_counts(engine)
    with pytest.raises(error) as caught:
        commit(make_uow, action)
    assert row_counts(engine) == before, "a rejected use case must write nothing"
    return caught.value


def agency_row(code: str) -> dict[str, object]:
    """A national agency's row for a bare ``insert(agencies)``, all but ``created_at``: for
    tests of the unit of work itself, below the registry's use cases."""
    return {
        "code": code, "name": f"机构{code}", "level": "national", "address": "北京",
        "department": "中心", "phone": "010-1", "hours": "9-17",
    }  # fmt: skip


def account_left(conn: Connection, person_id: int) -> int:
    """What is left in all of a person's accounts, every scheme and region (fen)."""
    return int(
        conn.execute(
            select(func.coalesce(func.sum(account_entries.c.amount), 0)).where(
                account_entries.c.person_id == person_id
            )
        ).scalar_one()
    )


@contextmanager
def listening(engine: Engine, name: str, listener: Callable[..., None]) -> Iterator[None]:
    """``listener`` on the engine's event ``name`` (say ``before_cursor_execute``) for the block."""
    event.listen(engine, name, listener)
    try:
        yield
    finally:
        event.remove(engine, name, listener)
