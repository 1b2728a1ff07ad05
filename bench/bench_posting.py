"""Bulk contribution posting: a month's declaration file for N persons, imported and collected.

ours: `jinbao contribution import` of the file (parse, validate every row, clamp bases, compute
      both parts, write the records, payments, personal-account entries and the two journals).
raw:  the same number of contribution rows written by the engine's fastest plain path in the
      same run on the same database: COPY on PostgreSQL, a multi-row executemany on SQLite,
      into a copy of the contributions table with no indexes.
"""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import text

from bench.common import CLOCK, arguments, database, result, workforce
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
        t0 = time.perf_counter()
        if args.engine == "postgresql":
            raw_conn = engine.raw_connection()
            try:
                with raw_conn.cursor() as cur, cur.copy(f"COPY raw_contributions ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for r in rows:
                        copy.write_row([r[c] for c in columns])
                raw_conn.commit()
            finally:
                raw_conn.close()
        else:
            with engine.begin() as conn:
                conn.execute(text(f"INSERT INTO raw_contributions ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"), rows)
        raw = len(rows) / (time.perf_counter() - t0)
        result(f"contribution_posting_{args.engine}", ours, raw, "person-months/s")


if __name__ == "__main__":
    main()
