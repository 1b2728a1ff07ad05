"""The synthetic nation's retirements: the employees who reached the statutory retirement age
in the window with the minimum contribution period on record apply for their pension, through
the real benefits service, and are paid.

:mod:`jinbao.sim.nation` ends an employee's career in the month before the statutory retirement
month (:func:`jinbao.policy.retirement.statutory_retirement`) and leaves the relation suspended,
"达到法定退休年龄，待办理退休". Here each of them whose months on record reach the minimum
contribution period that applies to that month (:func:`minimum_contribution_for`: 15 years
until 2029, then rising, 国务院关于渐进式延迟法定退休年龄的决定) applies today — a late application,
after the window — at the agency of the last relation, at the statutory month, as an operator
would file it (:func:`jinbao.benefits.service.apply_retirement`):

- the national record check decides the pension-receiving place (国办发〔2009〕66号 第六条); the
  application moves there if it is another province's, and every relation kept at another
  agency and every temporary account not gathered is brought back by a transfer the service
  starts (转回待遇领取地, 归集). The sim drives those cases as :mod:`jinbao.sim.transfers` drives
  the movers' (carrying the post where an agency is off the network; a leg with a finding for a
  person to judge leaves the application waiting) and then has the record checked again
  (``refresh``), which then starts the linkage of a residents' relation kept at home
  (人社部发〔2014〕17号, :func:`jinbao.benefits.service.apply_retirement`), driven the same way;
- the award by the policy engine (国发〔2005〕38号: basic, account and transitional parts) is made
  by the operator ``sim`` and approved by a second one, ``sim-checker`` (maker-checker); the
  relation becomes 待遇享受 (receiving);
- then the payment run of each agency with pensioners (:func:`jinbao.benefits.payments.run_payments`)
  for the window's last month: as for any late application, that first run pays every month
  from the month after retirement on (补发), each from the pooled fund and the personal account
  (drawn down), to a bank account given with the application (a made-up number, 模拟银行).

The employees below the minimum are not applied for: they would be refused (they may pay on to
the minimum, 延长缴费), and with a window of ten years nobody reaches fifteen — a nation needs
``--years`` of 15 or more before anyone retires with a pension.

The residents who reached 60 in the window with the years paid they need (国发〔2014〕8号: 15, or
fewer for those near 60 when the scheme began, 第七条) apply for the
residents' scheme's pension at the agency of their relation (:func:`award_residents`, through
:func:`jinbao.benefits.resident.apply`): the award (the national minimum in force + the account
÷ 139) made by ``sim`` and approved by ``sim-checker``, then each agency's awards raised to the
later national minimums (``resident.raise_basic``), then the payment runs. Those with fewer
years stay suspended, "待领取". The nation holds the years in its window only: a window of
ten years leaves those born before the 1960s short of the years they paid before it.

A rerun carries on: a person with an application is not applied for again; one still waiting is
checked again; the payment run pays no month twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, Row, func, select

from jinbao.benefits import resident
from jinbao.benefits import service as benefits
from jinbao.benefits.payments import run_payments
from jinbao.benefits.tables import awards, benefit_payments, retirement_applications
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import Clock
from jinbao.kernel.errors import DomainError
from jinbao.kernel.periods import YearMonth
from jinbao.policy.parameters import Parameters
from jinbao.registry.tables import agencies, persons, relationships
from jinbao.sim.transfers import (
    LINKAGE_AT_SIXTY,
    drive,
    in_batches,
    link_or_transfer,
    tally_batches,
)
from jinbao.transfers import workflow
from jinbao.transfers.tables import transfer_cases

MAKER = "sim"  # the operator who applies and makes the award (audit log: actor sim)
CHECKER = "sim-checker"  # the second operator who approves it
BANK = "模拟银行"  # SAMPLE: the bank the pensions are paid into (made up)
BATCH = 200  # applications filed, their transfers driven, then checked and approved together


@dataclass(frozen=True, slots=True)
class RetirementReport:
    retirees: int  # persons who applied or had applied (the minimum on record)
    awarded: int  # award approved, the relation receiving
    waiting: int  # waiting: a transfer back not completed (paper, a finding), or a blocking finding
    refused: int  # refused by the record check (no agency of the receiving place on this node)
    not_applied: int  # applications the service refused outright
    linked: int  # residents' relations linked in before the award, this run (17号, 重复参保)
    paid_months: int  # person-months paid by the payment runs (this run)
    paid: int  # fen paid by the payment runs (this run)
    reasons: dict[str, int]  # why waiting, refused or not applied: finding or error code → persons


def retire(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    retirees: Sequence[str],
    *,
    progress: Callable[[int, int, str], None] | None = None,
    batch: int = BATCH,
    workers: int = 1,
) -> RetirementReport:
    """Each of ``retirees`` (ID numbers) applies for the pension at the agency of the last
    relation; the transfers the record check starts are driven, the awards approved, and each
    agency with pensioners runs its payments for last month. Batches of ``batch`` retirees, and
    then the agencies' runs, in ``workers`` processes at once (:func:`tally_batches`). ``progress``
    gets (0, steps, "") first, then (steps done before, steps, what the step did) as each batch
    and the payment runs end, and (steps, steps, "") last."""

    def describe(span: str, did: Counter[str]) -> str:
        waiting = did["waiting"]
        return f"retirees {span}: {did['awarded']} awarded" + (
            f", {waiting} waiting" if waiting else ""
        )

    counts, reasons, batches = tally_batches(
        engine, clock, params, retirees, _batch, batch=batch, workers=workers,
        progress=progress, describe=describe, extra_steps=1,
    )  # fmt: skip
    if workers > 1:  # what another process's pump left unapplied when its batch ended
        workflow.pump(engine, clock, params)
    months = paid = 0
    if batches:
        months, paid = _payment_runs(engine, clock, params, workers)
        if progress is not None:
            progress(batches, batches + 1, f"payment runs: {months} months paid")
            progress(batches + 1, batches + 1, "")
    return RetirementReport(
        retirees=len(retirees), awarded=counts["awarded"], waiting=counts["waiting"],
        refused=counts["refused"], not_applied=counts["not_applied"],
        linked=counts["linked"], paid_months=months,
        paid=paid, reasons=dict(sorted(reasons.items())),
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ResidentPensionReport:
    residents: int  # reached 60 in the window with the years needed paid: applied
    awarded: int  # award approved, the relation receiving
    not_applied: int  # applications the service refused
    raised: int  # awards raised to a later national minimum (基础养老金调整)
    paid_months: int  # person-months paid by the payment runs (this run)
    paid: int  # fen paid by the payment runs (this run)
    reasons: dict[str, int]  # why not applied: error code → persons
    # of them, those who went home and linked their employee relation in first (17号 第三条)
    linked: int = 0


def award_residents(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    residents: Sequence[str],
    *,
    progress: Callable[[int, int, str], None] | None = None,
    batch: int = BATCH,
    workers: int = 1,
) -> ResidentPensionReport:
    """Each of ``residents`` (ID numbers) applies for the residents' scheme's pension at the
    agency of the relation; the drafts are approved; each agency's awards are raised to the
    basic pensions since their first month (national minimum and province's top-up); then the
    payment runs (see the module). Batches as :func:`retire`'s."""
    counts, reasons, batches = tally_batches(
        engine, clock, params, residents, _resident_batch, batch=batch, workers=workers,
        progress=progress, extra_steps=1,
        describe=lambda span, did: f"residents {span}: {did['awarded']} awarded",
    )  # fmt: skip
    raised = months = paid = 0
    if batches:
        raised = _raises(engine, clock, params)
        months, paid = _payment_runs(engine, clock, params, workers)
        if progress is not None:
            progress(batches, batches + 1, f"{raised} raised, payment runs: {months} months paid")
            progress(batches + 1, batches + 1, "")
    return ResidentPensionReport(
        residents=len(residents), awarded=counts["awarded"], not_applied=counts["not_applied"],
        raised=raised, paid_months=months, paid=paid, reasons=dict(sorted(reasons.items())),
        linked=counts["linked"],
    )  # fmt: skip


def _resident_batch(
    engine: Engine, clock: Clock, params: Parameters, part: list[str]
) -> tuple[Counter[str], Counter[str]]:
    """One batch of residents: one who went home and keeps the employee relation links it in
    first (人社部发〔2014〕17号 第三条: the employee years join the residents' at the time of the
    benefit, 第六条), the case driven to its end as the movers' are; then each applies where
    the relation is (unless an earlier run applied), the drafts approved; counts of awarded,
    linked and not applied, and the reasons."""
    linking, why = link_or_transfer(engine, clock, params, part, route=LINKAGE_AT_SIXTY)
    counts: Counter[str] = Counter(linked=linking["completed"])
    # a linkage that did not complete: why (its award is then refused below the minimum)
    reasons: Counter[str] = Counter({f"linkage: {code}": n for code, n in why.items()})
    with UnitOfWork(engine, clock, MAKER, write=False) as uow:
        insured = dict(
            uow.conn.execute(
                select(persons.c.id_number, agencies.c.code)
                .join(relationships, relationships.c.person_id == persons.c.id)
                .join(agencies, agencies.c.id == relationships.c.agency_id)
                .where(
                    persons.c.id_number.in_(part),
                    relationships.c.scheme == resident.SCHEME,
                    relationships.c.status.in_(["contributing", "suspended"]),
                )
            ).all()
        )
    _, applied = _lookup(engine, clock, part)

    def apply(uow: UnitOfWork, number: str, agency: str) -> None:
        cmd = resident.ResidentPensionApplication(
            number, agency, operator=MAKER, bank=BANK, account_number=_bank_account(number)
        )
        resident.apply(uow, cmd, params)

    _apply_each(engine, clock, part, applied, insured, "sim.no_resident_relation", apply, counts, reasons)  # fmt: skip
    _approve_drafts(engine, clock, part)
    counts["awarded"] += sum(row.state == "awarded" for row in _applications(engine, clock, part))
    return counts, reasons


def _raises(engine: Engine, clock: Clock, params: Parameters) -> int:
    """Each agency with residents' awards raises them to the national minimums since their
    first month (one transaction an agency, maker and checker as for the awards)."""
    with UnitOfWork(engine, clock, MAKER, write=False) as uow:
        codes = sorted(
            set(
                uow.conn.execute(
                    select(agencies.c.code)
                    .join(
                        retirement_applications,
                        retirement_applications.c.agency_id == agencies.c.id,
                    )
                    .where(
                        retirement_applications.c.state == "awarded",
                        retirement_applications.c.scheme == resident.SCHEME,
                    )
                ).scalars()
            )
        )
    raised = 0
    for code in codes:
        with UnitOfWork(engine, clock, MAKER) as uow:
            raised += resident.raise_basic(uow, code, params, MAKER, CHECKER).raised
            uow.commit()
    return raised


def _approve_drafts(engine: Engine, clock: Clock, part: list[str]) -> None:
    """The second operator approves every award draft of the batch's persons."""
    with UnitOfWork(engine, clock, MAKER, write=False) as uow:
        drafts = uow.conn.execute(
            select(awards.c.id)
            .join(retirement_applications, retirement_applications.c.id == awards.c.application_id)
            .join(persons, persons.c.id == retirement_applications.c.person_id)
            .where(persons.c.id_number.in_(part), awards.c.state == "draft")
        ).scalars().all()  # fmt: skip
    for award_id in drafts:
        with UnitOfWork(engine, clock, CHECKER) as uow:
            benefits.approve_award(uow, award_id, CHECKER)
            uow.commit()


def _bank_account(id_number: str) -> str:
    """A made-up account number for a person's pension (digits only, as the service checks)."""
    return "6200" + id_number[:17]


def _batch(
    engine: Engine, clock: Clock, params: Parameters, part: list[str]
) -> tuple[Counter[str], Counter[str]]:
    """One batch of retirees: each applies (unless an earlier run applied), the transfers back
    are driven and the applications checked again until none starts, the drafts approved;
    counts by state (and ``not_applied``) and the reasons of those not awarded."""
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    last_agency, applied = _lookup(engine, clock, part)

    def apply(uow: UnitOfWork, number: str, agency: str) -> None:
        cmd = benefits.RetirementApplication(
            number, agency, operator=MAKER, bank=BANK, account_number=_bank_account(number)
        )
        benefits.apply_retirement(uow, cmd, params)

    _apply_each(engine, clock, part, applied, last_agency, "sim.no_employee_relation", apply, counts, reasons)  # fmt: skip
    # The transfers the record checks start (转回, 归集) — one open per person, the workflow's
    # rule — driven to their end; then each application waiting for them is checked again,
    # which starts the next relation's transfer or makes the award. Until none starts.
    driven: set[str] = set()
    while True:
        rows = _applications(engine, clock, part)
        started = [c for row in rows for c in json.loads(row.transfers) if c not in driven]
        if not started:
            break
        driven.update(started)
        drive(engine, clock, params, started)
        moved = set(started)
        for row in rows:  # those whose transfer just moved: the others have nothing new
            if row.state == "waiting" and moved.intersection(json.loads(row.transfers)):
                try:
                    with UnitOfWork(engine, clock, MAKER) as uow:
                        benefits.refresh(uow, row.id, params, MAKER)
                        uow.commit()
                except DomainError as exc:
                    reasons[exc.code] += 1
    _approve_drafts(engine, clock, part)
    counts["linked"] += _linked(engine, clock, driven)
    for row in _applications(engine, clock, part):
        counts[row.state] += 1
        if row.state != "awarded":
            blocking = [f["code"] for f in json.loads(row.findings) if f["blocking"]]
            reasons.update(set(blocking) or {"sim.retirement_in_progress"})
    return counts, reasons


def _apply_each(
    engine: Engine, clock: Clock, part: list[str], applied: set[str], where: dict[str, str],
    missing: str, apply: Callable[[UnitOfWork, str, str], None], counts: Counter[str],
    reasons: Counter[str],
) -> None:  # fmt: skip
    """Each of ``part`` not yet ``applied`` applies at the agency ``where`` names, a
    transaction each; one with no agency there (``missing``: not what the nation drew) or whom
    the service refuses is counted as not applied, with the reason: said, not passed over."""
    for number in part:
        if number in applied:
            continue
        if number not in where:
            counts["not_applied"] += 1
            reasons[missing] += 1
            continue
        try:
            with UnitOfWork(engine, clock, MAKER) as uow:
                apply(uow, number, where[number])
                uow.commit()
        except DomainError as exc:
            counts["not_applied"] += 1
            reasons[exc.code] += 1


def _lookup(engine: Engine, clock: Clock, part: list[str]) -> tuple[dict[str, str], set[str]]:
    """Per ID number, the agency of the latest normal relation in the employees' scheme (where
    the person last contributed, and applies); and the ID numbers that already applied."""
    with UnitOfWork(engine, clock, MAKER, write=False) as uow:
        rows = uow.conn.execute(
            select(persons.c.id_number, agencies.c.code)
            .join(relationships, relationships.c.person_id == persons.c.id)
            .join(agencies, agencies.c.id == relationships.c.agency_id)
            .where(
                persons.c.id_number.in_(part),
                relationships.c.scheme == benefits.SCHEME,
                relationships.c.kind == "normal",
            )
            .order_by(persons.c.id_number, relationships.c.started_on)
        ).all()
        applied = set(
            uow.conn.execute(
                select(persons.c.id_number)
                .join(retirement_applications, retirement_applications.c.person_id == persons.c.id)
                .where(persons.c.id_number.in_(part))
            ).scalars()
        )
    return dict(rows), applied  # by started_on: the latest relation wins


def _linked(engine: Engine, clock: Clock, case_ids: set[str]) -> int:
    """Of the cases driven, the residents' relations linked into the employee scheme."""
    if not case_ids:
        return 0
    with UnitOfWork(engine, clock, MAKER, write=False) as uow:
        return int(
            uow.conn.execute(
                select(func.count()).where(
                    transfer_cases.c.case_id.in_(case_ids),
                    transfer_cases.c.side == "receiving",
                    transfer_cases.c.kind == "linkage_to_employee",
                    transfer_cases.c.state == "completed",
                )
            ).scalar_one()
        )


def _applications(engine: Engine, clock: Clock, part: list[str]) -> list[Row[Any]]:
    with UnitOfWork(engine, clock, MAKER, write=False) as uow:
        return list(
            uow.conn.execute(
                select(retirement_applications)
                .join(persons, persons.c.id == retirement_applications.c.person_id)
                .where(persons.c.id_number.in_(part))
            ).all()
        )


def _payment_runs(
    engine: Engine, clock: Clock, params: Parameters, workers: int
) -> tuple[int, int]:
    """Each agency with an awarded application runs its payments for last month (one
    transaction each, as an agency runs them; the agencies shared among ``workers``
    processes); the person-months and fen this paid."""
    with UnitOfWork(engine, clock, MAKER, write=False) as uow:
        codes = sorted(
            set(
                uow.conn.execute(
                    select(agencies.c.code)
                    .join(
                        retirement_applications,
                        retirement_applications.c.agency_id == agencies.c.id,
                    )
                    .where(retirement_applications.c.state == "awarded")
                ).scalars()
            )
        )
        before = _paid(uow)
    shares = {n: codes[n::workers] for n in range(workers) if codes[n::workers]}
    in_batches(engine, clock, params, shares, _run_payments, lambda *_: None, workers)
    with UnitOfWork(engine, clock, MAKER, write=False) as uow:
        after = _paid(uow)
    return after[0] - before[0], after[1] - before[1]


def _run_payments(engine: Engine, clock: Clock, params: Parameters, codes: list[str]) -> None:
    month = YearMonth.of(clock.today()).plus(-1)
    for code in codes:
        with UnitOfWork(engine, clock, MAKER) as uow:
            run_payments(uow, code, month)
            uow.commit()


def _paid(uow: UnitOfWork) -> tuple[int, int]:
    count, total = uow.conn.execute(
        select(func.count(), func.coalesce(func.sum(benefit_payments.c.amount), 0))
    ).one()
    return int(count), int(total)
