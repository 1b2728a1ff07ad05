"""Which read endpoints grow with the nation: each timed on two generated nations, N and
FACTOR × N persons (ten years each), and their growth printed.

Not a ratio benchmark (it prints no `bench:` line): a check of scale. A request for one person,
one month of one employer or one page should cost the same in a nation eight times larger; one
whose time grows with the nation reads more than its answer (a scan, a hash of a whole table,
a list without pages). Each endpoint is called through the app in process (FastAPI's
TestClient: a few milliseconds of its own per request, which the bare `/api/ping` measures and
the growth leaves out) on requests drawn alike from both nations: random persons, movers, the
dead, employers and the agency with the most cases. The largest employer's first page grows
with that employer, not with the nation; so do the busiest agency's lists. Both nations stay up
and are timed in turn, round after round, each read's median taken over its rounds: this
machine's speed drifts by a fifth within minutes, and timed one after the other reads of a
few milliseconds seemed to double.

    .venv/bin/python -m bench.scale_reads --engine postgresql --persons 5000 --factor 8

Session 37 found four reads that grew with the nation this way (the largest employer's
declarations sent whole, everyone's overlaps grouping every record, an agency's cases sent
whole, an agency's papers sought among every document sent); see bench/README.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from bench.common import CLOCK, database
from jinbao.policy.parameters import load_parameters
from jinbao.sim.nation import generate
from jinbao.web.app import create_app

# A growth of the time beyond the bare request's above this is printed as growing: an eightfold
# nation leaves a read of one person's rows or of one page within it (indexes one level deeper,
# caches colder).
GROWS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--persons", type=int, default=5000)
    parser.add_argument("--factor", type=int, default=8)
    parser.add_argument("--requests", type=int, default=10, help="of each kind, per nation and round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="the two nations are timed in turn, round after round (the machine's speed drifts)")  # fmt: skip
    args = parser.parse_args()
    sizes = (args.persons, args.persons * args.factor)
    params = load_parameters()
    with database(args.engine) as small_db, database(args.engine) as big_db:
        nations = [_generated(small_db, sizes[0], params), _generated(big_db, sizes[1], params)]
        samples: list[dict[str, list[float]]] = [{}, {}]
        for _ in range(args.rounds):
            for (client, paths), taken in zip(nations, samples, strict=True):
                for name, path_of in paths.items():
                    taken.setdefault(name, []).extend(_times(client, path_of, args.requests))
        for client, _ in nations:
            client.__exit__(None, None, None)
    small, big = ({k: statistics.median(v) * 1000 for k, v in s.items()} for s in samples)
    floor_small, floor_big = small["ping"], big["ping"]
    print(f"\n{'read':42s} {sizes[0]:>9,} {sizes[1]:>9,}  growth (beyond the bare request)")
    growing = []
    for name in small:
        extra_small = max(small[name] - floor_small, 0.1)
        extra_big = max(big[name] - floor_big, 0.1)
        growth = extra_big / extra_small
        flag = "  grows" if growth > GROWS and extra_big > 2.0 else ""
        if flag:
            growing.append(name)
        print(f"{name:42s} {small[name]:7.1f} ms {big[name]:7.1f} ms  {growth:5.1f}×{flag}")
    print(f"scale: {len(growing)} of {len(small)} reads grow with the nation: {', '.join(growing) or 'none'}")


def _generated(engine: Engine, persons: int, params: Any) -> tuple[TestClient, dict[str, Callable[[], str]]]:
    """A nation of ``persons`` generated into ``engine``, and a client of the app on it with the
    requests to make."""
    t0 = time.perf_counter()
    made = generate(engine, CLOCK, params, persons_wanted=persons, years=10)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    print(f"nation of {made.persons:,} persons, {made.records:,} records in {time.perf_counter() - t0:.0f} s", flush=True)
    client = TestClient(create_app(engine, CLOCK))
    client.__enter__()
    return client, reads(engine)


def reads(engine: Engine) -> dict[str, Callable[[], str]]:
    """The read endpoints, each as a function giving the next request's path."""
    rng = random.Random(1)
    with engine.connect() as conn:
        def ids(sql: str) -> list[Any]:
            return list(conn.execute(text(sql)).scalars())

        persons = ids("SELECT p.id_number FROM persons p WHERE EXISTS (SELECT 1 FROM relationships r WHERE r.person_id = p.id) ORDER BY p.id LIMIT 500")
        movers = ids("SELECT DISTINCT p.id_number FROM persons p JOIN transfer_cases t ON t.person_id = p.id ORDER BY 1 LIMIT 100")
        dead = ids("SELECT p.id_number FROM persons p JOIN life_events l ON l.person_id = p.id AND l.kind = 'death' ORDER BY 1 LIMIT 100")
        settled = ids("SELECT p.id_number FROM persons p JOIN death_settlements d ON d.person_id = p.id ORDER BY 1 LIMIT 100")
        employers = ids("SELECT uscc FROM employers ORDER BY id LIMIT 200")
        largest = ids("SELECT e.uscc FROM employers e JOIN contributions c ON c.employer_id = e.id GROUP BY e.uscc ORDER BY count(*) DESC LIMIT 1")[0]
        busiest = ids("SELECT a.code FROM agencies a JOIN transfer_cases t ON t.agency_id = a.id GROUP BY a.code ORDER BY count(*) DESC LIMIT 1")[0]
        province = ids("SELECT code FROM agencies WHERE level = 'province' ORDER BY code LIMIT 1")[0]
        # The agency off the network that sent the most paper. The sim carried all of it, so its
        # pending list is empty (finding that out is what it costs); all=true lists what went.
        on_paper = ids("SELECT sender FROM outbox WHERE channel = 'paper' GROUP BY sender ORDER BY count(*) DESC, sender LIMIT 1")[0]
    # fmt: off
    return {
        "ping": lambda: "/api/ping",
        "a person's record": lambda: f"/api/persons/{rng.choice(persons)}/record",
        "a mover's record": lambda: f"/api/persons/{rng.choice(movers)}/record",
        "the record of someone dead": lambda: f"/api/persons/{rng.choice(dead)}/record",
        "a person": lambda: f"/api/persons/{rng.choice(persons)}",
        "a person's relationships": lambda: f"/api/persons/{rng.choice(persons)}/relationships",
        "a person's contributions": lambda: f"/api/persons/{rng.choice(persons)}/contributions",
        "a person's arrears": lambda: f"/api/persons/{rng.choice(persons)}/arrears",
        "a person's account statement": lambda: f"/api/persons/{rng.choice(persons)}/account",
        "a mover's transfers": lambda: f"/api/persons/{rng.choice(movers)}/transfers",
        "a death settlement": lambda: f"/api/persons/{rng.choice(settled)}/death-settlement",
        "persons, a page": lambda: "/api/persons?limit=50",
        "persons named 王, a page": lambda: "/api/persons?q=%E7%8E%8B&limit=50",
        "employers, a page": lambda: "/api/employers?limit=50",
        "an employer's month": lambda: f"/api/employers/{rng.choice(employers)}/declarations?period=2024-05",
        "an employer's arrears": lambda: f"/api/employers/{rng.choice(employers)}/arrears",
        "the largest employer, first page": lambda: f"/api/employers/{largest}/declarations",
        "the busiest agency's open cases": lambda: f"/api/agencies/{busiest}/transfers",
        "the busiest agency's cases, first page": lambda: f"/api/agencies/{busiest}/transfers?only=all",
        "a province's overdue cases": lambda: f"/api/agencies/{province}/supervision",
        "papers to post, an agency off the network": lambda: f"/api/agencies/{on_paper}/paper-documents",
        "papers it sent, first page": lambda: f"/api/agencies/{on_paper}/paper-documents?all=true",
        "the nation's overdue cases": lambda: "/api/agencies/10000000/supervision",
        "the agency directory": lambda: "/api/agencies",
        "everyone's overlaps": lambda: "/api/contributions/overlaps",
        "everyone drawing two pensions": lambda: "/api/benefit-duplicates",
        "the trial balance": lambda: "/api/ledger/trial-balance",
        "the funds": lambda: "/api/ledger/funds",
    }
    # fmt: on


def _times(client: TestClient, path_of: Callable[[], str], n: int) -> list[float]:
    times = []
    for _ in range(n):
        path = path_of()
        t0 = time.perf_counter()
        answer = client.get(path)
        times.append(time.perf_counter() - t0)
        if answer.status_code >= 400:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
    return times


if __name__ == "__main__":
    main()
