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

from sqlalchemy import text

from bench.common import CLOCK, arguments, database, driver_cursor, result, workforce
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
        t0 = time.perf_counter()
        with driver_cursor(engine) as cur:
            if args.engine == "postgresql":
                with cur.copy(f"COPY raw_contributions ({', '.join(columns)}) FROM STDIN") as copy:
                    for v in values:
                        copy.write_row(v)
            else:
                cur.executemany(f"INSERT INTO raw_contributions ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", values)
        raw = len(rows) / (time.perf_counter() - t0)
        result(f"contribution_posting_{args.engine}", ours, raw, "person-months/s")


if __name__ == "__main__":
    main()
