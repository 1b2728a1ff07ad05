"""The synthetic nation's deaths before a pension: the survivors of the insured who died before
drawing one claim their due (遗属待遇申领) through the real benefits service.

:mod:`jinbao.sim.nation` draws deaths at a SAMPLE rate (``DEATH_PER_YEAR``), ends the career
in the month before, records the death (a life event, source 模拟数据) and terminates the last
relation. Here the survivors of each claim today, at the agency of the last relation
(:func:`jinbao.benefits.events.claim_survivor_benefits`). An employee's: the funeral grant and
the survivor pension of 人社部发〔2021〕18号 on the months paid anywhere in the scheme
(第五条（一）), the individual part of the account inherited in every province that
holds part of it (社会保险法 第十四条), every relation still kept terminated. A resident's
(城乡居保) survivors inherit the account less the government's subsidies (国发〔2014〕8号), at any
date.

For an employee's death before 2021-09-01 the funeral grant and survivor pension are the
province's ("由各省妥善予以处理", not loaded): the claim settles the account alone and says so;
such deaths are counted apart. A rerun claims for no one again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select

from jinbao.benefits.events import claim_survivor_benefits
from jinbao.benefits.tables import death_settlements
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import Clock
from jinbao.kernel.errors import DomainError
from jinbao.policy.parameters import Parameters
from jinbao.registry.tables import persons
from jinbao.sim.transfers import tally_batches

OPERATOR = "sim"  # the operator who takes the claim (audit log: actor sim)
CLAIMANT = "模拟遗属"  # SAMPLE: the survivor who claims (made up)
BATCH = 200


@dataclass(frozen=True, slots=True)
class DeathReport:
    died: int  # persons who died insured and before a pension, in the window
    residents: int  # of them, in the residents' scheme
    before_measures: int  # employees who died before 2021-09-01: no 18号 grant (provincial rules)
    settled: int  # settled by a claim, in this run or an earlier one
    not_settled: int  # claims the service refused (reasons)
    funeral: int  # fen paid in this run: funeral grants
    survivor_pension: int  # fen: survivor pensions (抚恤金)
    inheritance: int  # fen: accounts inherited
    reasons: dict[str, int]  # error code → persons


def claim_survivors(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    dead: Sequence[tuple[str, dt.date, bool]],
    *,
    progress: Callable[[int, int, str], None] | None = None,
    batch: int = BATCH,
    workers: int = 1,
) -> DeathReport:
    """The survivors of each of ``dead`` (ID number, date of death, a resident) claim, in
    batches of ``batch``, ``workers`` processes at once (:func:`tally_batches`). ``progress`` gets (0,
    batches, "") first, then (batches done before, batches, what the batch did) as each ends,
    and (batches, batches, "") last."""
    in_force: dt.date = params.survivors("in_force").value
    counts, reasons, batches = tally_batches(
        engine, clock, params, [number for number, *_ in dead], _batch, batch=batch, workers=workers,
        progress=progress, describe=lambda span, did: f"deaths {span}: {did['settled']} settled",
    )  # fmt: skip
    if progress is not None and batches:
        progress(batches, batches, "")
    return DeathReport(
        died=len(dead), residents=sum(1 for *_, resident in dead if resident),
        before_measures=sum(1 for _, on, resident in dead if not resident and on < in_force),
        settled=counts["settled"] + counts["settled_before"], not_settled=counts["refused"],
        funeral=counts["funeral"], survivor_pension=counts["survivor_pension"],
        inheritance=counts["inheritance"], reasons=dict(sorted(reasons.items())),
    )  # fmt: skip


def _batch(
    engine: Engine, clock: Clock, params: Parameters, part: list[str]
) -> tuple[Counter[str], Counter[str]]:
    """One batch: each not yet settled claims, in a transaction of its own; counts, the fen
    paid by kind, and the codes of the claims refused."""
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    with UnitOfWork(engine, clock, OPERATOR, write=False) as uow:
        settled = set(
            uow.conn.execute(
                select(persons.c.id_number)
                .join(death_settlements, death_settlements.c.person_id == persons.c.id)
                .where(persons.c.id_number.in_(part))
            ).scalars()
        )
    for number in part:
        if number in settled:
            counts["settled_before"] += 1
            continue
        try:
            with UnitOfWork(engine, clock, OPERATOR) as uow:
                paid = claim_survivor_benefits(uow, number, CLAIMANT, params)
                uow.commit()
        except DomainError as exc:
            counts["refused"] += 1
            reasons[exc.code] += 1
            continue
        counts["settled"] += 1
        for kind in ("funeral", "survivor_pension", "inheritance"):
            counts[kind] += int(paid[kind])
    return counts, reasons
