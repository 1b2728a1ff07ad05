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

from bench.common import (
    Loopback,
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
ROUNDS = 5  # ours and raw alternate, SECONDS / ROUNDS at a time: this machine's speed drifts
PORT = 8791


def load(url: str, paths: list[str], seconds: float) -> tuple[int, float, list[float], int]:
    """Requests, seconds, latencies (s) and errors of CLIENTS threads hammering random paths."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    end = time.perf_counter() + seconds

    def client(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        mine: list[float] = []
        bad = 0
        with Loopback(url, timeout=30) as http:
            while time.perf_counter() < end:
                t = time.perf_counter()
                status, _ = http.get(rng.choice(paths))
                mine.append(time.perf_counter() - t)
                bad += status != 200
        with lock:
            latencies.extend(mine)
            errors += bad

    took = run_clients(CLIENTS, client)
    return len(latencies), took, latencies, errors


def alternate(url: str, ours: list[str], raw: list[str]) -> tuple[tuple[float, list[float], int], ...]:
    """Both loads in alternating rounds, so a drift of the machine's speed (seen here: the bare
    ping at 340 to 940 requests/s between runs) falls on both alike; rate, latencies, errors."""
    done, took, errors = [0, 0], [0.0, 0.0], [0, 0]  # [ours, raw]
    latencies: tuple[list[float], list[float]] = ([], [])
    for _ in range(ROUNDS):
        for side, paths in enumerate((ours, raw)):
            n, seconds, seen, bad = load(url, paths, SECONDS / ROUNDS)
            done[side] += n
            took[side] += seconds
            latencies[side].extend(seen)
            errors[side] += bad
    return tuple((done[i] / took[i], latencies[i], errors[i]) for i in (0, 1))


def main() -> None:
    args = arguments(__doc__ or "", 10_000, url=True)
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
            (ours, latencies, errors), (raw, bare, raw_errors) = alternate(url, records, ["/api/ping"])
        q = statistics.quantiles(latencies, n=100)
        qb = statistics.quantiles(bare, n=100)
        print(f"record: p50={q[49] * 1000:.1f} ms p99={q[98] * 1000:.1f} ms errors={errors}; "
              f"ping: p50={qb[49] * 1000:.1f} ms p99={qb[98] * 1000:.1f} ms errors={raw_errors}; "
              f"{args.workers} server processes, {CLIENTS} clients, {SECONDS:.0f} s each in {ROUNDS} alternating rounds")
        if errors or raw_errors:
            raise SystemExit("errors under load")
        result(f"record_{engine.dialect.name}", ours, raw, "requests/s")


if __name__ == "__main__":
    main()
