"""The goals' own size: a nation of N persons × 10 years, then the read and batch paths on it.

set-up: `jinbao sim generate` of N persons with 10 years of monthly history (no interest job:
      crediting ten years of interest over a million accounts would take longer than the rest
      together), its writer processes on PostgreSQL, and its movers' transfers through the
      workflow (the default share); printed: persons and records per second, the peak resident
      memory of the generator and its writers (goal: under 2 GB), the transfers' own time.
then, each by its own script with --url on that database, in this order:
  - bench_record: a person's record over HTTP for persons sampled from the whole nation;
  - bench_interest: the yearly interest job for 2024 (the first year credited, so one year's
    interest entries, not ten, are in the accounts);
  - bench_ledger: the ledger check over everything.
Each prints its own `bench:` line; this script prints none of its own (the generator has no raw
equivalent to compare with).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from bench.common import CLOCK, arguments, database, peak_rss, settle
from jinbao.policy.parameters import load_parameters
from jinbao.sim.nation import TRANSFERS, generate

SCRIPTS = ("bench_record", "bench_interest", "bench_ledger")


def main() -> None:
    args = arguments(__doc__ or "", 1_000_000)
    with database(args.engine) as engine:
        stop, peak = threading.Event(), [0]
        watcher = threading.Thread(target=peak_rss, args=(os.getpid(), stop, peak), daemon=True)
        watcher.start()
        t0 = time.perf_counter()
        shown = [t0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - shown[0] > 60 or done == total:
                shown[0] = now
                print(f"  {done}/{total} persons, {now - t0:.0f} s, peak {peak[0] / 2**20:.0f} MB", flush=True)

        began: dict[str, float] = {}

        def stage(name: str, done: int, total: int, step: str) -> None:
            began.setdefault(name, time.perf_counter())
            said = step or ("begins" if done < total else "done")
            print(f"  {name} {done}/{total} {said}, {time.perf_counter() - t0:.0f} s", flush=True)

        # The goals' size is persons with monthly history: the employees' scheme only (no
        # residents, whose payments are yearly), as before session 21.
        report = generate(engine, CLOCK, load_parameters(), persons_wanted=args.persons, years=10,
                          interest=False, progress=progress, stages=stage, residents=0.0)  # fmt: skip
        seconds = time.perf_counter() - t0
        stop.set()
        watcher.join()
        print(f"setup: jinbao sim generate {report.persons} persons × 10 years, {report.records} records "
              f"in {seconds:.0f} s ({report.persons / seconds:.0f} persons/s, {report.records / seconds:.0f} "
              f"records/s); peak resident memory {peak[0] / 2**20:.0f} MB "
              f"({'under' if peak[0] < 2 * 2**30 else 'OVER'} 2 GB)", flush=True)  # fmt: skip
        if report.transfers is not None and TRANSFERS in began:
            print(f"setup: of which transfers through the workflow: {report.transfers.completed} cases "
                  f"completed in {seconds - (began[TRANSFERS] - t0):.0f} s", flush=True)  # fmt: skip
        settle(engine)
        url = engine.url.render_as_string(hide_password=False)
        for script in SCRIPTS:
            command = [sys.executable, "-m", f"bench.{script}", "--url", url, "--workers", str(args.workers)]
            subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
