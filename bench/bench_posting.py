"""Bulk contribution posting: a month's declaration file for N persons, imported and collected.

ours: `jinbao contribution import` of the file (parse, validate every row, clamp bases, compute
      both parts, write the records, payments, personal-account entries and the two journals).
raw:  the same number of contribution rows written by the engine's fastest plain path in the
      same run on the same database: COPY on PostgreSQL, the driver's executemany of tuples in
      one transaction on SQLite (not through SQLAlchemy, whose per-row parameter handling cost
      SQLite's raw side three quarters of its speed until session 6), into a copy of the
      contributions table with no indexes.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from sqlalchemy import Engine, text

from bench.common import CLOCK, arguments, database, driver_cursor, result, workforce, write_rows
from jinbao.contributions.imports import import_declaration
from jinbao.db.uow import UnitOfWork
from jinbao.policy.parameters import load_parameters


def main() -> None:
    args = arguments(__doc__ or "", 100_000)
    with database(args.engine) as engine:
        _codes, pairs = workforce(engine, args.persons)
        csv = "employer_uscc,period,id_number,wage\n" + "".join(f"{u},2024-05,{n},{5000 + (i % 40) * 250}\n" for i, (u, n) in enumerate(pairs))
        params = load_parameters()
        t0 = time.perf_counter()
        with UnitOfWork(engine, CLOCK, "bench") as uow:
            report = import_declaration(uow, csv.encode(), batch="bench", params=params, paid_on=dt.date(2024, 6, 15))
            uow.commit()
        ours = report.records / (time.perf_counter() - t0)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE raw_contributions AS SELECT * FROM contributions WHERE 1 = 0"))
            rows = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM contributions"))]
        for r in rows:
            r["batch"] = "raw"
        columns = list(rows[0])
        values = [tuple(r[c] for c in columns) for r in rows]
        raw = len(rows) / write(engine, "raw_contributions", columns, values)
        # Not the comparison, a bound on it: the same rows (as next month's, so that they are
        # new) written the same way into the real table, whose foreign keys (person, agency,
        # employer) and indexes (one record per person-month, the issue's own rule) the engine
        # checks and maintains for every row. No import that keeps them can pass this rate.
        kept = [i for i, c in enumerate(columns) if c != "id"]  # new rows take new ids
        period = columns.index("period")
        shifted = [tuple(v[i] + 1 if i == period else v[i] for i in kept) for v in values]
        table_rate = len(rows) / write(engine, "contributions", [columns[i] for i in kept], shifted)
        print(f"the same records into the real table: {table_rate:.0f}/s ({table_rate / raw:.2f} of raw)")
        result(f"contribution_posting_{args.engine}", ours, raw, "person-months/s")


def write(engine: Engine, table: str, columns: list[str], values: list[tuple[Any, ...]]) -> float:
    """Seconds to write ``values`` into ``table`` by the engine's plain path: COPY on PostgreSQL,
    the driver's executemany on SQLite, in one transaction."""
    t0 = time.perf_counter()
    with driver_cursor(engine) as cur:
        write_rows(cur, engine, table, columns, values)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
