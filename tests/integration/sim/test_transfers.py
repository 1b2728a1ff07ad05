"""The synthetic nation's transfers: a seeded share of the movers apply and their cases run
through the real workflow — money, accounts, years and relations as the rules say."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, Engine, func, select, update

from jinbao.accounts.tables import account_entries
from jinbao.audit.tables import audit_log
from jinbao.contributions.model import period_int
from jinbao.contributions.tables import contributions, resident_contributions
from jinbao.db.uow import UnitOfWork
from jinbao.exchange.tables import inbox, outbox
from jinbao.kernel.clock import FixedClock
from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.ledger.tables import pending_transfers
from jinbao.policy.retirement import Category, statutory_retirement
from jinbao.registry.tables import agencies, persons, relationships
from jinbao.sim.nation import TRANSFERS, SimReport
from jinbao.sim.transfers import TransferReport, chosen, transfer_kept
from jinbao.transfers import workflow
from jinbao.transfers.tables import transfer_cases, transferred_years
from tests.integration.sim.test_nation import PARAMS, _fresh, _generate

CLOCK = FixedClock.on(dt.date(2026, 12, 2))
# Enough movers at this size and seed for every branch below; a 5-year window lets people move.
# No residents and no retirements: the cases here are the movers' transfers only (the linkages
# and the retirees' transfers back, whom deemed years bring even into a 5-year window, have
# their own tests).
PLAN: dict[str, object] = {"persons_wanted": 1200, "years": 5, "seed": 11, "chunk": 600, "residents": 0.0, "retirements": False}  # fmt: skip
# Enough women who reached 50 or 55 in ten years and went on in the residents' scheme at home.
LINKING: dict[str, object] = {"persons_wanted": 2500, "years": 10, "seed": 5, "chunk": 1250}


def _movers(report: SimReport) -> TransferReport:
    assert report.transfers is not None
    return report.transfers


def test_a_share_of_the_movers_transfer_through_the_workflow(engine: Engine) -> None:
    seen: list[tuple[str, int, int, str]] = []
    report = _generate(engine, CLOCK, **PLAN, transfers=0.5, stages=lambda *s: seen.append(s))
    moved = _movers(report)
    assert moved.completed >= 20
    assert moved.waiting == moved.refused == moved.not_applied == 0
    assert moved.completed > moved.movers  # each applied; some had several relations kept
    assert 0 < moved.on_paper < moved.completed  # an agency off the network: the post carried
    steps = [s for s in seen if s[0] == TRANSFERS]
    batches = steps[0][2]
    assert steps[0] == (TRANSFERS, 0, batches, "")  # the stage opens
    assert [s[1] for s in steps[1:-1]] == list(range(batches))  # each batch as it ends
    assert steps[1][3].startswith(f"movers 1–{min(200, moved.movers)}: ")
    assert steps[-1] == (TRANSFERS, batches, batches, "")  # and closes
    with UnitOfWork(engine, CLOCK) as uow:
        assert check(uow) == []  # the money reserved, posted on both sides, balanced
        conn = uow.conn
        sides = conn.execute(
            select(transfer_cases.c.side, transfer_cases.c.state, transfer_cases.c.kind,
                   transfer_cases.c.mode, func.count())
            .group_by(transfer_cases.c.side, transfer_cases.c.state, transfer_cases.c.kind,
                      transfer_cases.c.mode)
        ).all()  # fmt: skip
        electronic = moved.completed - moved.on_paper
        assert sorted(sides) == [
            ("receiving", "completed", "cross_province", "electronic", electronic),
            ("receiving", "completed", "cross_province", "manual", moved.on_paper),
            ("transferring", "completed", "cross_province", "electronic", electronic),
            ("transferring", "completed", "cross_province", "manual", moved.on_paper),
        ]
        assert _documents_left(conn) == (0, 0, 0)  # every one delivered and applied, none failed
        # A case in manual mode went on paper, each form typed in at its receiver by its code;
        # the others by the network. Four documents a clean case.
        carried = dict(
            conn.execute(
                select(inbox.c.received_via, func.count())
                .join(outbox, outbox.c.document_id == inbox.c.document_id)
                .where(outbox.c.channel == "paper")
                .group_by(inbox.c.received_via)
            ).all()
        )
        assert carried == {"code": 4 * moved.on_paper}
        vias = dict(
            conn.execute(
                select(inbox.c.received_via, func.count()).group_by(inbox.c.received_via)
            ).all()
        )
        assert vias == {"network": 4 * electronic, "code": 4 * moved.on_paper}
        # The money: every reservation posted at both ends.
        states = conn.execute(
            select(pending_transfers.c.state, func.count()).group_by(pending_transfers.c.state)
        ).all()
        assert states == [("posted", moved.completed)]
        # The account went out at the old place and came in at the new one, to the fen.
        moves = dict(
            conn.execute(
                select(account_entries.c.kind, func.sum(account_entries.c.amount))
                .where(account_entries.c.kind.in_(["transfer_out", "transfer_in"]))
                .group_by(account_entries.c.kind)
            ).all()
        )
        assert moves["transfer_in"] > 0
        assert moves["transfer_in"] == -moves["transfer_out"]
        # Each case: the old relation 转出, in another province; the years merged at the new place.
        receiving = transfer_cases.alias("r")
        rows = conn.execute(
            select(
                receiving.c.case_id,
                receiving.c.person_id,
                agencies.c.region_code,
                relationships.c.status,
                relationships.c.agency_id,
            )
            .join(relationships, relationships.c.person_id == receiving.c.person_id)
            .join(agencies, agencies.c.id == receiving.c.agency_id)
            .where(receiving.c.side == "receiving", relationships.c.status == "transferred_out")
        ).all()
        assert {r.case_id for r in rows} == set(
            conn.execute(select(transfer_cases.c.case_id)).scalars()
        )
        regions = dict(conn.execute(select(agencies.c.id, agencies.c.region_code)).all())
        for r in rows:
            assert regions[r.agency_id][:2] != r.region_code[:2]
        merged = conn.execute(
            select(func.count(func.distinct(transferred_years.c.case_row_id)))
        ).scalar_one()
        assert merged == moved.completed
        # The sim approved each clean leg as an operator would: the audit log names it.
        approvals = dict(
            conn.execute(
                select(audit_log.c.action, func.count())
                .where(audit_log.c.actor == "sim", audit_log.c.action.like("transfer.%"))
                .group_by(audit_log.c.action)
            ).all()
        )
        assert approvals["transfer.apply"] == moved.completed
        assert approvals["transfer.accept"] == moved.completed
        # Only the movers chosen by the seeded draw applied.
        applied = conn.execute(
            select(persons.c.id_number).join(
                transfer_cases, transfer_cases.c.person_id == persons.c.id
            ).where(transfer_cases.c.side == "receiving")
        ).scalars().all()  # fmt: skip
        assert all(chosen(11, number, 0.5) for number in applied)
        assert len(set(applied)) == moved.movers
        # None of them keeps a relation in another province, on the network or off it.
        assert [m for m in _latest_kept(conn) if chosen(11, m[0], 0.5)] == []


def test_a_rerun_applies_for_no_one_again_and_zero_applies_for_no_one(
    new_database: Callable[[str], str],
) -> None:
    engine = _fresh(new_database, CLOCK)
    report = _generate(engine, CLOCK, **PLAN, interest=False, transfers=0.0)
    assert report.transfers is None
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(transfer_cases)).scalar() == 0
    first = _movers(_generate(engine, CLOCK, **PLAN, interest=False, transfers=0.5))
    assert first.completed > 0
    again = _movers(_generate(engine, CLOCK, **PLAN, interest=False, transfers=0.5))
    # The movers whose relations moved, on paper or not, are movers no more.
    assert first.on_paper > 0
    assert (again.completed, again.not_applied, again.on_paper) == (0, 0, 0)
    with engine.connect() as conn:
        cases = conn.execute(select(func.count()).select_from(transfer_cases)).scalar()
    assert cases == 2 * first.completed


def test_a_case_a_stopped_run_left_open_is_taken_up_and_one_with_a_finding_waits(
    new_database: Callable[[str], str],
) -> None:
    engine = _fresh(new_database, CLOCK)
    _generate(engine, CLOCK, **PLAN, interest=False, transfers=0.0)
    with engine.connect() as conn:
        movers = [m for m in _latest_kept(conn) if chosen(11, m[0], 0.5)]
    (left_open, here, there), (judged, judged_here, _) = movers[0], movers[1]
    # A stopped run applied for the first and went no further (review is manual: it waits).
    with UnitOfWork(engine, CLOCK, "sim") as uow:
        case_id = workflow.apply(uow, workflow.Application(left_open, here, there), PARAMS)
        uow.commit()
    # The second is a man past 50 whose 户籍 is elsewhere: 66号 第五条 would have opened a
    # temporary account at the new place. Only a person may judge that (a finding for review).
    with engine.begin() as conn:
        conn.execute(
            update(persons)
            .where(persons.c.id_number == judged)
            .values(sex="M", retirement_category="male", birth_date=dt.date(1970, 6, 1),
                    hukou_region_code=_other_province(conn, judged_here))
        )  # fmt: skip
    moved = _movers(_generate(engine, CLOCK, **PLAN, interest=False, transfers=0.5))
    assert moved.waiting == 1
    assert moved.reasons == {"transfer.temporary_account_due": 1}
    counterpart = agencies.alias("c")
    with engine.connect() as conn:
        cases = conn.execute(
            select(persons.c.id_number, transfer_cases.c.case_id, counterpart.c.code,
                   transfer_cases.c.state, transfer_cases.c.queued)
            .join(transfer_cases, transfer_cases.c.person_id == persons.c.id)
            .join(counterpart, counterpart.c.id == transfer_cases.c.counterpart_id)
            .where(transfer_cases.c.side == "receiving",
                   persons.c.id_number.in_([left_open, judged]))
        ).all()  # fmt: skip
    # The open case was driven to its end, not applied for again (older relations kept
    # elsewhere, if any, have cases of their own).
    from_there = [c for c in cases if c.id_number == left_open and c.code == there]
    assert [(c.case_id, c.state) for c in from_there] == [(case_id, "completed")]
    # The judged one waits in the operator's queue, its only case.
    assert [(c.state, c.queued) for c in cases if c.id_number == judged] == [("applied", True)]
    with UnitOfWork(engine, CLOCK) as uow:
        assert check(uow) == []


@pytest.mark.postgres
def test_two_processes_share_the_batches_and_the_inbox(
    new_database: Callable[[str], str],
) -> None:
    """Batches of three movers in two processes at once: each pumps documents of the other's
    cases too (SKIP LOCKED), and every case still ends, once."""
    engine = _fresh(new_database, CLOCK, "postgresql")
    _generate(engine, CLOCK, **PLAN, interest=False, transfers=0.0, workers=2)
    with engine.connect() as conn:
        movers = [m[0] for m in _latest_kept(conn) if chosen(11, m[0], 0.5)]
    seen: list[tuple[int, int, str]] = []
    moved = transfer_kept(
        engine, CLOCK, PARAMS, movers, batch=3, workers=2, progress=lambda *s: seen.append(s)
    )
    batches = -(-len(movers) // 3)
    assert seen[0] == (0, batches, "")
    assert seen[-1] == (batches, batches, "")
    assert sorted(s[0] for s in seen[1:-1]) == list(range(batches))
    assert moved.completed > len(movers)
    assert moved.on_paper > 0
    assert moved.waiting == moved.refused == moved.not_applied == 0
    with UnitOfWork(engine, CLOCK) as uow:
        assert check(uow) == []
        conn = uow.conn
        assert _documents_left(conn) == (0, 0, 0)
        states = conn.execute(
            select(transfer_cases.c.state, func.count()).group_by(transfer_cases.c.state)
        ).all()
        assert states == [("completed", 2 * moved.completed)]
        assert [m for m in _latest_kept(conn) if chosen(11, m[0], 0.5)] == []


def test_who_went_home_links_the_employee_years_into_the_residents_scheme(
    engine: Engine,
) -> None:
    """人社部发〔2014〕17号: an employee past the employees' statutory age with fewer than 15
    years (第三条) who pays in the residents' scheme at home applies there; the employee relation,
    kept at one other agency (第四条), moves in: the whole account joins and the years count as
    resident years (第六条), through the same workflow as a transfer."""
    report = _generate(engine, CLOCK, **LINKING, interest=False, transfers=1.0, retirements=False)
    linked = report.linkage
    assert linked is not None
    assert report.went_home >= 5
    assert linked.completed >= 3
    assert linked.waiting == linked.refused == linked.not_applied == 0
    assert linked.completed == linked.movers  # one relation each, on paper or not
    with UnitOfWork(engine, CLOCK) as uow:
        assert check(uow) == []
        conn = uow.conn
        assert _documents_left(conn) == (0, 0, 0)
        resident = relationships.alias("res")
        home = agencies.alias("home")
        both = conn.execute(
            select(persons.c.id, persons.c.sex, persons.c.birth_date, persons.c.hukou_region_code,
                   persons.c.retirement_category, resident.c.agency_id, resident.c.started_on,
                   home.c.region_code,
                   select(func.max(contributions.c.period))
                   .where(contributions.c.person_id == persons.c.id)
                   .scalar_subquery().label("last_paid"))
            .join(resident, resident.c.person_id == persons.c.id)
            .join(home, home.c.id == resident.c.agency_id)
            .where(resident.c.scheme == "resident",
                   persons.c.id.in_(select(relationships.c.person_id)
                                    .where(relationships.c.scheme == "enterprise")))
        ).all()  # fmt: skip
        # Who went home joined the residents' scheme after the last employee month; the others
        # in both schemes paid it at home while they worked (重复参保, _paid_at_home).
        went = [w for w in both if period_int(YearMonth.of(w.started_on)) > w.last_paid]
        assert len(went) == report.went_home
        assert len(both) - len(went) == report.paid_at_home > 0
        for w in went:
            statutory = statutory_retirement(
                Category(w.retirement_category), YearMonth.of(w.birth_date), PARAMS
            ).value.statutory_month
            assert w.started_on == statutory.first_day()  # from the employees' age on
            assert statutory.year - w.birth_date.year < 60
            assert w.region_code == w.hukou_region_code  # at home
            kept = conn.execute(
                select(relationships.c.agency_id).distinct().where(
                    relationships.c.person_id == w.id, relationships.c.scheme == "enterprise"
                )
            ).scalars().all()  # fmt: skip
            assert len(kept) == 1  # one place (第四条), not the home agency
            temporary = conn.execute(
                select(func.count()).where(
                    relationships.c.person_id == w.id, relationships.c.kind == "temporary"
                )
            ).scalar_one()
            assert temporary == 0  # none to gather first (66号 第五条)
            assert kept[0] != w.agency_id
            months = conn.execute(
                select(func.count()).where(contributions.c.person_id == w.id)
            ).scalar_one()
            assert months < 180  # fewer than 15 years: into the residents' scheme (第三条)
        cases = conn.execute(
            select(transfer_cases.c.person_id, transfer_cases.c.kind, transfer_cases.c.state)
            .where(transfer_cases.c.side == "receiving")
        ).all()  # fmt: skip
        linkages = [c for c in cases if c.kind == "linkage_to_resident"]
        assert len(linkages) == linked.completed
        assert {c.state for c in linkages} == {"completed"}
        for c in linkages:
            accounts = dict(
                conn.execute(
                    select(account_entries.c.scheme, func.sum(account_entries.c.amount))
                    .where(account_entries.c.person_id == c.person_id)
                    .group_by(account_entries.c.scheme)
                ).all()
            )
            paid = conn.execute(
                select(func.sum(resident_contributions.c.individual
                                + resident_contributions.c.collective
                                + resident_contributions.c.subsidy))
                .where(resident_contributions.c.person_id == c.person_id)
            ).scalar_one() or 0  # fmt: skip
            assert accounts["enterprise"] == 0  # the whole account joined (第六条)
            assert accounts["resident"] > paid
            statuses = conn.execute(
                select(relationships.c.status).where(
                    relationships.c.person_id == c.person_id,
                    relationships.c.scheme == "enterprise",
                )
            ).scalars().all()  # fmt: skip
            assert set(statuses) == {"transferred_out"}
            years = conn.execute(
                select(func.sum(transferred_years.c.months), transferred_years.c.scheme)
                .where(transferred_years.c.person_id == c.person_id)
                .group_by(transferred_years.c.scheme)
            ).all()  # fmt: skip
            months = conn.execute(
                select(func.count()).where(contributions.c.person_id == c.person_id)
            ).scalar_one()
            assert [(int(n), scheme) for n, scheme in years] == [(months, "resident")]


def test_a_share_outside_zero_to_one_is_refused(engine: Engine) -> None:
    with pytest.raises(InvalidInput) as refused:
        _generate(engine, CLOCK, persons_wanted=10, transfers=1.5)
    assert refused.value.code == "sim.transfer_share"
    assert "1.5" in refused.value.zh
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(persons)).scalar() == 0


def _documents_left(conn: Connection) -> tuple[int, int, int]:
    """Documents not delivered, not applied, and failed to apply."""
    return (
        conn.execute(select(func.count()).where(outbox.c.delivered_at.is_(None))).scalar_one(),
        conn.execute(select(func.count()).where(inbox.c.applied_at.is_(None))).scalar_one(),
        conn.execute(select(func.count()).where(inbox.c.apply_error.is_not(None))).scalar_one(),
    )


def _latest_kept(conn: Connection) -> list[tuple[str, str, str]]:
    """(ID number, agency contributing now, agency of the latest normal relation kept in another
    province) for every person with both."""
    here, there = agencies.alias("h"), agencies.alias("t")
    kept = relationships.alias("k")
    rows = conn.execute(
        select(persons.c.id_number, here.c.code, there.c.code)
        .join(relationships, relationships.c.person_id == persons.c.id)
        .join(here, here.c.id == relationships.c.agency_id)
        .join(kept, kept.c.person_id == persons.c.id)
        .join(there, there.c.id == kept.c.agency_id)
        .where(
            relationships.c.status == "contributing", relationships.c.kind == "normal",
            kept.c.status == "suspended", kept.c.kind == "normal",
            func.substr(here.c.region_code, 1, 2) != func.substr(there.c.region_code, 1, 2),
        )
        .order_by(persons.c.id_number, kept.c.started_on.desc())
    ).all()  # fmt: skip
    seen: dict[str, tuple[str, str, str]] = {}
    for number, a, b in rows:
        seen.setdefault(number, (number, a, b))
    return list(seen.values())


def _other_province(conn: Connection, agency_code: str) -> str:
    region = conn.execute(
        select(agencies.c.region_code).where(agencies.c.code == agency_code)
    ).scalar_one()
    return "110101" if region[:2] != "11" else "310101"
