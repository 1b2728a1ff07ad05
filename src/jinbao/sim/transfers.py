"""The synthetic nation's transfers: a share of the persons who keep a relation in another
province apply, where they contribute now, to bring it over — through the real workflow.

The careers of :mod:`jinbao.sim.nation` leave every old relation kept (suspended) where it was,
as people do until they apply (国办发〔2009〕66号 第八条 一: the application is made at the new
place, where the person contributes). Here a seeded share of the inter-province movers who
contribute now apply today for the relations they kept in other provinces, one case at a time
(a person has one open), the latest first; each case runs as any other: the 联系函, the 信息表 and 基金划转表 with the amounts of the policy engine
(:func:`jinbao.policy.transfer.transfer_amount`), the money reserved and posted on both sides,
the account out and in, the years merged, the old relation 转出 — every document signed and
applied from the inbox (:mod:`jinbao.transfers.workflow`). Nothing is written around it.

Review: where an agency reviews automatically (即时办结) the pump carries a clean case through.
Where it does not, the sim does what its operator would do with a clean case and approves each
leg that waits with no finding (``transfer.operator_review`` alone: the audit log names the
actor ``sim``). A leg with a finding — a temporary account's age exception, say, which only a
person may judge (66号 第五条（二）) — is left in the operator's queue, as it would be. Kept
temporary accounts (their gathering) and relations kept in the same province are left as they
are. Agencies' settings are not changed.

The post: where either agency is off the exchange network the case runs in manual mode (人工模式)
and its documents go on paper (:mod:`jinbao.exchange.paper`). The sim carries that post: each
paper document of the cases it drives that the receiver has not taken in is typed in there by
the short code printed on it (:func:`jinbao.exchange.service.intake_code`; the inbox says it
came by code), as that agency's clerk does when the form arrives; the signature is checked as
for any copy, and the pump applies it. The sim's clock does not move, so the post arrives the
day it is sent.

A rerun carries on: a relation that moved is no longer kept (its status is 转出), and a case a
stopped run left open is driven on, not applied for again.

The same machinery carries the nation's scheme linkages (城乡衔接, 人社部发〔2014〕17号,
``route=LINKAGE``): an employee who went on in the residents' scheme at home after the
employees' statutory age applies there, in the residents' scheme, to bring in the employee
relation kept at one other agency (第三条: fewer than 15 employee years, so into the residents'
scheme; 第六条: the whole account joins and the years count).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import aliased

from jinbao.db.engine import make_engine
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.kernel.clock import Clock
from jinbao.kernel.errors import DomainError
from jinbao.policy.parameters import Parameters
from jinbao.registry.tables import agencies, persons, relationships
from jinbao.transfers import workflow
from jinbao.transfers.cases import CaseRow, Side, rows_where
from jinbao.transfers.model import FINAL, State
from jinbao.transfers.tables import transfer_cases

# SAMPLE: of the inter-province movers who contribute now and keep a relation in another
# province, the share that has applied to bring it over (and of those who may apply for a
# scheme linkage, the share that has). An illustration, not a statistic.
TRANSFER_SHARE = 0.3
BATCH = 200  # cases applied, then pumped and reviewed together
CLEAN = "transfer.operator_review"  # the only reason a clean leg waits where review is manual
IN_PROGRESS = "sim.transfer_in_progress"  # a case not ended with no reason given (reported)
IDLE_ROUNDS = 250  # rounds of 20 ms with nothing moved before a case is reported as it stands
# The operator's approval of each leg (the side whose turn it is acts).
APPROVE: dict[State, Callable[..., None]] = {
    State.APPLIED: workflow.accept,
    State.CONTACT_SENT: workflow.send_funds,
    State.FUNDS_SENT: workflow.complete,
}


@dataclass(frozen=True, slots=True)
class TransferReport:
    movers: int  # persons chosen (the seeded share of those who may apply)
    completed: int  # cases 已办结 (a person with several relations kept has a case for each)
    waiting: int  # cases left in an operator's queue with a finding for a person to judge
    refused: int  # cases refused in writing or voided by the workflow
    not_applied: int  # applications the workflow refused outright
    on_paper: int  # of the cases, those in manual mode (an agency off the network): post carried
    reasons: dict[str, int]  # why waiting, refused or not applied: code → cases


@dataclass(frozen=True, slots=True)
class Route:
    """What a person applies for: from the relation they contribute in now (``here``, of
    ``scheme``), to bring over a normal relation kept (suspended) at another agency in
    ``kept_scheme`` — in another province only, for a transfer — as an application of ``kind``.
    ``here_status``: the status of the relation here (contributing, or for a resident at 60
    suspended, 待领取)."""

    scheme: str
    kept_scheme: str
    other_province: bool
    kind: str | None
    who: str  # how the progress lines name the persons
    here_status: str = "contributing"


TRANSFER = Route("enterprise", "enterprise", True, None, "movers")
LINKAGE = Route("resident", "enterprise", False, "linkage", "persons linking")
# A resident at 60 who went home links the employee relation in before the residents' pension
# (人社部发〔2014〕17号 第三条: at the time of the benefit), the residents' relation 待领取.
LINKAGE_AT_SIXTY = Route(
    "resident", "enterprise", False, "linkage", "residents at 60 linking", "suspended"
)


def chosen(seed: int, id_number: str, share: float) -> bool:
    """Whether this person of the nation of ``seed`` applies: a fixed draw per person, not per
    run, so that a rerun and a run with more writers choose the same persons."""
    digest = hashlib.blake2b(f"{seed}:transfer:{id_number}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < share * 2**64


def transfer_kept(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    movers: Sequence[str],
    *,
    progress: Callable[[int, int, str], None] | None = None,
    batch: int = BATCH,
    workers: int = 1,
    route: Route = TRANSFER,
) -> TransferReport:
    """Each of ``movers`` (ID numbers) applies, at the agency of the relation contributing
    now, for the relations kept in other provinces (or as ``route`` says), latest first; the
    cases are driven to their end where nothing needs a person's judgement. Batches of
    ``batch`` movers, in ``workers`` processes at once (PostgreSQL: the inbox is claimed with
    SKIP LOCKED, so the pumps of two processes share the documents). ``progress`` gets (0, batches, "") first, then (batches
    done before, batches, what the batch did) as each ends, and (batches, batches, "") last."""

    def describe(span: str, did: Counter[str]) -> str:
        waiting = did["waiting"]
        return f"{route.who} {span}: {did['completed']} completed, {did['on_paper']} on paper" + (
            f", {waiting} waiting" if waiting else ""
        )

    counts, reasons, batches = tally_batches(
        engine, clock, params, movers, partial(link_or_transfer, route=route),
        batch=batch, workers=workers, progress=progress, describe=describe,
    )  # fmt: skip
    if workers > 1:  # what another process's pump left unapplied when its batch ended
        workflow.pump(engine, clock, params)
    if progress is not None and batches:
        progress(batches, batches, "")
    return TransferReport(
        movers=len(movers), reasons=dict(sorted(reasons.items())), **{k: counts[k] for k in COUNTS}
    )


# What a batch did: counts by COUNTS, and cases or applications by reason code.
_Counts = tuple[Counter[str], Counter[str]]
COUNTS = ("completed", "waiting", "refused", "not_applied", "on_paper")


K = TypeVar("K")
T = TypeVar("T")


def tally_batches(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    ids: Sequence[str],
    work: Callable[[Engine, Clock, Parameters, list[str]], _Counts],
    *,
    batch: int,
    workers: int,
    progress: Callable[[int, int, str], None] | None,
    describe: Callable[[str, Counter[str]], str],
    extra_steps: int = 0,
) -> tuple[Counter[str], Counter[str], int]:
    """``work`` on ``ids`` in batches of ``batch``, in ``workers`` processes (:func:`in_batches`),
    each batch returning its counts and its reasons (code → persons): their sums, and how
    many batches there were. ``progress`` gets (0, steps, "") first, then (batches done
    before, steps, ``describe("first–last", the batch's counts)``) as each ends; steps are the
    batches and ``extra_steps`` more, which the caller reports, with the last call. The sim's
    transfers, retirements and deaths run their batches through it."""
    parts = {i + 1: list(ids[i : i + batch]) for i in range(0, len(ids), batch)}
    steps = len(parts) + extra_steps if parts else 0
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    if progress is not None and steps:
        progress(0, steps, "")

    def done(first: int, result: _Counts) -> None:
        did, why = result
        counts.update(did)
        reasons.update(why)
        counts["batches"] += 1
        if progress is not None:
            span = f"{first}–{first + len(parts[first]) - 1}"
            progress(counts["batches"] - 1, steps, describe(span, did))

    in_batches(engine, clock, params, parts, work, done, workers)
    return counts, reasons, len(parts)


def in_batches(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    parts: dict[K, list[str]],
    work: Callable[[Engine, Clock, Parameters, list[str]], T],
    done: Callable[[K, T], None],
    workers: int,
) -> None:
    """``work`` on each of ``parts``, in ``workers`` processes at once (one: in this one), and
    ``done`` with its key and result in this process as each ends. ``work`` is a module-level
    function (or a partial of one): the processes are given it by name."""
    if workers == 1 or len(parts) < 2:
        for key, part in parts.items():
            done(key, work(engine, clock, params, part))
        return
    pool = forked_pool(engine, clock, params, workers, _worker_start)
    try:
        jobs = {pool.submit(_in_worker, work, part): key for key, part in parts.items()}
        for job in as_completed(jobs):
            done(jobs[job], job.result())
    finally:
        # On a failure or a stop, batches not begun are dropped; a rerun takes them up.
        pool.shutdown(wait=True, cancel_futures=True)


def forked_pool(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    workers: int,
    start: Callable[[str, Clock, Parameters], None],
) -> ProcessPoolExecutor:
    """``workers`` processes, each begun by ``start(url, clock, params)`` (which opens an engine
    of its own: the inherited connections are never touched). Forked, not spawned: a spawned
    worker re-imports the caller's main module, which a script without a main guard does not
    survive. The nation's writers and the sim's batches both run in one."""
    return ProcessPoolExecutor(
        workers, mp_context=get_context("fork"), initializer=start,
        initargs=(engine.url.render_as_string(hide_password=False), clock, params),
    )  # fmt: skip


_WORKER: dict[str, Any] = {}


def _worker_start(url: str, clock: Clock, params: Parameters) -> None:
    _WORKER.update(engine=make_engine(url), clock=clock, params=params)


def _in_worker(work: Callable[[Engine, Clock, Parameters, list[str]], T], part: list[str]) -> T:
    return work(_WORKER["engine"], _WORKER["clock"], _WORKER["params"], part)


def link_or_transfer(
    engine: Engine, clock: Clock, params: Parameters, part: list[str], *, route: Route
) -> _Counts:
    """One batch of movers: each applies for the latest relation kept in another province (or
    its open case is taken up), the cases are driven together, and those whose case completed
    apply for the next one kept, until none is left. A person has one case open at a time."""
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    pending = part
    while pending:
        case_ids = []
        for mover in _movers(engine, clock, pending, route):
            if mover.open_case is not None:  # applied by a run that stopped
                case_ids.append(mover.open_case)
                continue
            try:
                with UnitOfWork(engine, clock, "sim") as uow:
                    application = workflow.Application(
                        mover.id_number, mover.here, mover.there, scheme=route.scheme,
                        kind=route.kind,
                    )  # fmt: skip
                    case_ids.append(workflow.apply(uow, application, params))
                    uow.commit()
            except DomainError as exc:
                counts["not_applied"] += 1
                reasons[exc.code] += 1
        pending = []
        for row in drive(engine, clock, params, case_ids):
            counts["on_paper"] += row.mode == "manual"
            if row.state is State.COMPLETED:
                counts["completed"] += 1
                pending.append(row.id_number)
                continue
            counts["refused" if row.state in FINAL else "waiting"] += 1
            reasons.update({r.get("code", "") for r in row.reasons} or {IN_PROGRESS})
    return counts, reasons


@dataclass(frozen=True, slots=True)
class _Mover:
    id_number: str
    here: str  # the agency of the relation contributing now: where the person applies
    there: str  # the agency keeping the latest normal relation in another province
    open_case: str | None  # a case applied for and not finished (a stopped run's)


_HERE = aliased(agencies)
_THERE = aliased(agencies)
_KEPT = aliased(relationships)


def _movers(engine: Engine, clock: Clock, id_numbers: Sequence[str], route: Route) -> list[_Mover]:
    """The persons who may apply now: a normal relation contributing, and a normal one kept
    (suspended) at another agency (in another province, for a transfer); the latest kept one
    when several are."""
    elsewhere = (
        func.substr(_THERE.c.region_code, 1, 2) != func.substr(_HERE.c.region_code, 1, 2)
        if route.other_province
        else _THERE.c.id != _HERE.c.id
    )
    kept_elsewhere = (
        select(persons.c.id_number, persons.c.id, _HERE.c.code, _THERE.c.code)
        .join(relationships, relationships.c.person_id == persons.c.id)
        .join(_HERE, _HERE.c.id == relationships.c.agency_id)
        .join(_KEPT, _KEPT.c.person_id == persons.c.id)
        .join(_THERE, _THERE.c.id == _KEPT.c.agency_id)
        .where(
            persons.c.id_number.in_(id_numbers),  # a batch: an IN list will do
            relationships.c.status == route.here_status,
            relationships.c.kind == "normal",
            relationships.c.scheme == route.scheme,
            _KEPT.c.status == "suspended",
            _KEPT.c.kind == "normal",
            _KEPT.c.scheme == route.kept_scheme,
            elsewhere,
        )
        .order_by(persons.c.id_number, _KEPT.c.started_on.desc())
    )
    with UnitOfWork(engine, clock, "sim", write=False) as uow:
        rows = uow.conn.execute(kept_elsewhere).all()
        open_cases = dict(
            uow.conn.execute(
                select(transfer_cases.c.person_id, transfer_cases.c.case_id).where(
                    transfer_cases.c.person_id.in_({r[1] for r in rows}),
                    transfer_cases.c.side == Side.RECEIVING.value,
                    transfer_cases.c.state.in_([s.value for s in State if s not in FINAL]),
                )
            ).all()
        )
    found: dict[str, _Mover] = {}
    for number, person_id, here, there in rows:  # the latest relation kept first
        found.setdefault(number, _Mover(number, here, there, open_cases.get(person_id)))
    return list(found.values())


def drive(engine: Engine, clock: Clock, params: Parameters, case_ids: list[str]) -> list[CaseRow]:
    """Pump the documents, carry the post (:func:`carry_post`) and approve each clean leg whose
    turn it is, until every case has ended or waits for a person; the receiving side's copy of
    each case. An approval the workflow refuses (its recheck found what blocks) is not tried
    again: the case waits with its reasons. A document another process is applying is left to
    it; a case that does not move for ``IDLE_ROUNDS`` rounds is reported as it stands."""
    tried: set[tuple[str, Side, State]] = set()
    idle = 0
    while True:
        pumped = workflow.pump(engine, clock, params)
        posted = carry_post(engine, clock, case_ids) if case_ids else 0
        with UnitOfWork(engine, clock, "sim", write=False) as uow:
            rows = rows_where(uow, transfer_cases.c.case_id.in_(case_ids)) if case_ids else []
        turns = [
            r
            for r in rows
            if r.queued
            and r.owes_action
            and _clean(r)
            and (r.case_id, r.side, r.state) not in tried
        ]
        for row in turns:
            tried.add((row.case_id, row.side, row.state))
            try:
                with UnitOfWork(engine, clock, "sim") as uow:
                    APPROVE[row.state](uow, row.case_id, params=params)
                    uow.commit()
            except DomainError:
                continue
        if turns or pumped.applied or posted:
            idle = 0
            continue
        # Waiting for a person: a finding to judge, or an approval refused.
        waits = {
            r.case_id
            for r in rows
            if r.queued and (not _clean(r) or (r.case_id, r.side, r.state) in tried)
        }
        moving = {r.case_id for r in rows if r.state not in FINAL} - waits
        if not moving or idle >= IDLE_ROUNDS:
            return [r for r in rows if r.side is Side.RECEIVING]
        idle += 1
        time.sleep(0.02)


def carry_post(engine: Engine, clock: Clock, case_ids: Collection[str]) -> int:
    """The post of the cases ``case_ids``: each of their paper documents (manual mode) that its
    receiver has not taken in is typed in there by the short code printed on it, one counter
    transaction a form, as the receiving agency's clerk does when it arrives
    (:func:`jinbao.exchange.service.intake_code`: the signature checked, the document in the
    receiver's inbox for the pump). How many were taken in."""
    with UnitOfWork(engine, clock, "sim", write=False) as uow:
        post = exchange.paper_documents(uow, case_ids=case_ids, pending_only=True)
    for form in post:
        with UnitOfWork(engine, clock, "sim") as uow:
            exchange.intake_code(uow, form.receiver, form.short_code)
            uow.commit()
    return len(post)


def _clean(row: CaseRow) -> bool:
    """Waiting only because this agency's review is manual: no finding for a person to judge."""
    return bool(row.reasons) and all(r.get("code") == CLEAN for r in row.reasons)
