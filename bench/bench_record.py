"""A person's whole record (电子档案袋) over HTTP under concurrent load.

ours: GET /api/persons/{id}/record for random persons of N with a year of monthly history each
      (relations, contributions by year and place, accounts, transfers, pension — grouped in the
      database), C client threads for T seconds against `jinbao serve`'s stack (uvicorn,
      FastAPI) on loopback. Reported: requests/s, p50 and p99 latency.
raw:  the bare endpoint of the same stack, GET /api/ping, the same clients and time.
"""

from __future__ import annotations

import random
import statistics
import threading
import time

import httpx2 as httpx

from bench.common import (
    arguments,
    database,
    declare_year,
    existing,
    result,
    run_clients,
    sample_persons,
    served,
    settle,
    workforce,
)
from jinbao.policy.parameters import load_parameters

CLIENTS = 8
SECONDS = 10.0
PORT = 8791


def load(url: str, paths: list[str]) -> tuple[float, list[float], int]:
    """requests/s, latencies (s) and errors of CLIENTS threads hammering random paths."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    end = time.perf_counter() + SECONDS

    def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        mine: list[float] = []
        bad = 0
        with httpx.Client(base_url=url, timeout=30) as http:
            while time.perf_counter() < end:
                t = time.perf_counter()
                response = http.get(rng.choice(paths))
                mine.append(time.perf_counter() - t)
                bad += response.status_code != 200
        with lock:
            latencies.extend(mine)
            errors += bad

    seconds = run_clients(CLIENTS, client)
    return len(latencies) / seconds, latencies, errors


def main() -> None:
    args = arguments(__doc__ or "", 10_000)
    params = load_parameters()
    with existing(args.url) if args.url else database(args.engine) as engine:
        if args.url:  # e.g. a nation of 1 000 000 persons × 10 years made by `jinbao sim generate`
            numbers = sample_persons(engine, 100_000)
            print(f"setup: an existing database, {len(numbers)} persons sampled")
        else:
            _, pairs = workforce(engine, args.persons)
            print(f"setup: 12 months declared in {declare_year(engine, pairs, params):.1f} s")
            settle(engine)
            numbers = [p for _, p in pairs]
        with served(engine, PORT, args.workers) as (url, _):
            records = [f"/api/persons/{p}/record" for p in numbers]
            ours, latencies, errors = load(url, records)
            raw, bare, raw_errors = load(url, ["/api/ping"])
        q = statistics.quantiles(latencies, n=100)
        qb = statistics.quantiles(bare, n=100)
        print(f"record: p50={q[49] * 1000:.1f} ms p99={q[98] * 1000:.1f} ms errors={errors}; "
              f"ping: p50={qb[49] * 1000:.1f} ms p99={qb[98] * 1000:.1f} ms errors={raw_errors}; "
              f"{args.workers} server processes, {CLIENTS} clients, {SECONDS:.0f} s")
        if errors or raw_errors:
            raise SystemExit("errors under load")
        result(f"record_{engine.dialect.name}", ours, raw, "requests/s")


if __name__ == "__main__":
    main()
