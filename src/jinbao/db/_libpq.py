"""PostgreSQL's path past psycopg's cursor for :mod:`jinbao.db.driver`'s statements: prepared
once per connection under a name of ours and run by libpq (see that module's docstring). A
module of its own so that only a process on PostgreSQL imports psycopg."""

from __future__ import annotations

from typing import Any

from psycopg import errors as pg_errors
from psycopg.adapt import PyFormat, Transformer
from psycopg.pq import ExecStatus, TransactionStatus
from sqlalchemy import Connection

# What a PostgreSQL connection has prepared for the lean path, in the pooled connection's info
# (emptied with a new DBAPI connection, as the kept cursor is).
_LEAN = "jinbao.driver_lean"
# Statements prepared on one connection at most; past that a statement is sent unnamed, as it
# is on a connection psycopg is told not to prepare on (``prepare_threshold`` None). A
# statement is prepared once per set of its values' types (psycopg dumps an int as int2, int4
# or int8 by its size, None untyped), as psycopg's cursor does (its own limit is 100).
PREPARED_MAX = 500


class _Prepared:
    """A connection's adapters (psycopg's Transformer) and its statements prepared here.

    psycopg deallocates every prepared statement of its connection (``DEALLOCATE ALL``) when
    it forgets its own, if it had any: after a rollback, and after a command that drops or
    alters objects. Ours go with them, so the connection's manager of prepared statements is
    asked to tell us (its ``clear``, wrapped, which says whether that deallocation follows):
    then we forget ours too and prepare them again, under new names (a name is never used
    twice on a connection). A psycopg without that manager gets no lean path
    (:func:`state` returns None)."""

    def __init__(self, dbapi: Any) -> None:
        self.tx = Transformer(dbapi)
        self.names: dict[tuple[bytes, tuple[int, ...]], bytes] = {}
        self.made = 0  # statements ever prepared on this connection: the next one's number
        manager = dbapi._prepared
        forget = manager.clear

        def clear() -> bool:
            deallocating = bool(forget())
            if deallocating:
                self.names.clear()
            return deallocating

        manager.clear = clear

    def name(self) -> bytes:
        self.made += 1
        return f"_jinbao_{self.made}".encode()


def state(conn: Connection, dbapi: Any) -> _Prepared | None:
    """The connection's prepared statements and adapters, made at its first statement (None:
    a psycopg without the manager this path follows)."""
    info = conn.connection.info
    if _LEAN not in info:
        usable = callable(getattr(getattr(dbapi, "_prepared", None), "clear", None))
        info[_LEAN] = _Prepared(dbapi) if usable else None
    found: _Prepared | None = info[_LEAN]
    return found


def in_transaction(dbapi: Any) -> bool:
    """Whether a statement may skip psycopg's cursor: in autocommit, or in a transaction
    psycopg has begun (otherwise the cursor sends its BEGIN first)."""
    return bool(dbapi.autocommit) or dbapi.pgconn.transaction_status == TransactionStatus.INTRANS


def run(dbapi: Any, prepared: _Prepared, plan: Any, parameters: Any, fetch: str) -> Any:
    """Run ``plan`` (a driver statement's plan) by libpq's prepared execution: the rows as the
    cursor's fetch would give them (``one``: a list of at most one), or the rows changed."""
    tx = prepared.tx
    values = [parameters[name] for name in plan.order]
    dumped = tx.dump_sequence(values, [PyFormat.AUTO] * len(values))
    types = tuple(tx.types or ())
    pgconn = dbapi.pgconn
    assert plan.numbered is not None
    key = (plan.numbered, types)
    name = prepared.names.get(key)
    # Prepared only where psycopg would prepare too: a connection set not to (its
    # prepare_threshold None, as behind a pooler in transaction mode) runs each statement
    # unnamed, as it does.
    if name is None and len(prepared.names) < PREPARED_MAX and dbapi.prepare_threshold is not None:
        name = prepared.name()
        made = pgconn.prepare(name, plan.numbered, types)
        if made.status != ExecStatus.COMMAND_OK:
            raise pg_errors.error_from_result(made, encoding=dbapi.info.encoding)
        prepared.names[key] = name
    if name is None:
        result = pgconn.exec_params(plan.numbered, dumped, types, tx.formats)
    else:
        result = pgconn.exec_prepared(name, dumped, tx.formats)
    status = result.status
    if status == ExecStatus.TUPLES_OK:
        tx.set_pgresult(result)
        count = 1 if fetch == "one" and result.ntuples else result.ntuples
        return tx.load_rows(0, count, tuple) if fetch in ("all", "one") else count
    if status == ExecStatus.COMMAND_OK:
        return [] if fetch in ("all", "one") else (result.command_tuples or 0)
    raise pg_errors.error_from_result(result, encoding=dbapi.info.encoding)
