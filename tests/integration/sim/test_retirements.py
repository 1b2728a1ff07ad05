"""The synthetic nation's retirements and deaths in service, on both engines: who reached the
statutory age with the minimum on record applies, is awarded by the policy engine, approved by a
second operator and paid every month since; the rest are not applied for; the survivors of
those who died in service since the measures took effect are paid by their rule; a rerun pays
nothing twice."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import Connection, Engine, func, select

from jinbao.accounts.tables import account_entries
from jinbao.benefits.payments import run_payments
from jinbao.benefits.tables import (
    awards,
    benefit_payments,
    death_settlements,
    life_events,
    retirement_applications,
)
from jinbao.contributions.model import period_int, period_of
from jinbao.contributions.tables import (
    contribution_payments,
    contributions,
    resident_contributions,
)
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.clock import FixedClock
from jinbao.kernel.money import Fen, round_to_fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.policy.parameters import load_parameters
from jinbao.policy.pension import monthly_pension
from jinbao.policy.resident import resident_requirement
from jinbao.policy.retirement import minimum_contribution_for
from jinbao.policy.survivors import survivor_benefits
from jinbao.registry.tables import agencies, persons, relationships
from jinbao.sim.deaths import CLAIMANT, FEED, FEED_MONTHS, death_in_feed, pensioners_die
from jinbao.sim.nation import RESIDENT_PENSIONS, RETIREMENTS, SimReport, generate
from jinbao.sim.retirements import CHECKER, MAKER
from jinbao.transfers.tables import cleared_months, transfer_cases
from tests.integration.helpers import account_left
from tests.integration.sim.test_nation import no_temporary_account_where_a_relation_is_kept

PARAMS = load_parameters()
# 20 years reach back to 2006-11: the employees who reached the statutory age from 2021 on
# may have 15 years on record.
PLAN = {"persons_wanted": 500, "years": 20, "seed": 11, "chunk": 250, "residents": 0.0}


def app_region(conn: Connection, agency_id: int) -> str:
    return str(
        conn.execute(select(agencies.c.region_code).where(agencies.c.id == agency_id)).scalar_one()
    )


def test_who_reached_the_age_with_the_minimum_is_awarded_and_paid_every_month_since(
    engine: Engine, clock: FixedClock
) -> None:
    steps: list[tuple[str, int, int, str]] = []
    report = generate(engine, clock, PARAMS, stages=lambda *s: steps.append(s), **PLAN)  # type: ignore[arg-type]
    retired = report.retirements
    assert retired is not None
    assert 0 < retired.retirees < report.retired  # some reached the age with too few months
    assert retired.awarded > retired.retirees // 2
    assert [s for s in steps if s[0] == RETIREMENTS][-1][1:] == (2, 2, "")
    last = YearMonth.of(clock.today()).plus(-1)
    with UnitOfWork(engine, clock) as uow:
        conn = uow.conn
        assert check(uow) == []
        no_temporary_account_where_a_relation_is_kept(conn)
        applications = conn.execute(select(retirement_applications)).all()
        assert len(applications) + retired.not_applied == retired.retirees
        states = [a.state for a in applications]
        assert states.count("awarded") == retired.awarded
        assert states.count("waiting") == retired.waiting
        assert states.count("refused") == retired.refused
        # The transfers back (转回, 归集) ran to their end, those with an agency off the network
        # on paper (the sim carries the post): no application waits for one.
        assert retired.waiting == 0
        back = conn.execute(
            select(transfer_cases.c.mode, transfer_cases.c.state, func.count())
            .where(transfer_cases.c.kind.in_(["return_to_receiving_place", "temporary_gathering"]))
            .group_by(transfer_cases.c.mode, transfer_cases.c.state)
        ).all()  # fmt: skip
        assert {(mode, state) for mode, state, _ in back} == {
            ("electronic", "completed"), ("manual", "completed"),
        }  # fmt: skip
        paid = with_deemed = 0
        for app in applications:
            if app.state != "awarded":
                continue
            (award,) = conn.execute(select(awards).where(awards.c.application_id == app.id)).all()
            assert (award.state, award.made_by, award.checked_by) == ("approved", MAKER, CHECKER)
            # The award is the policy engine's on the inputs it keeps (国发〔2005〕38号).
            inputs = json.loads(award.inputs)
            month = YearMonth.parse(inputs["retire_month"])
            assert month == period_of(app.statutory_month)
            assert (
                inputs["contribution_months"]
                >= minimum_contribution_for(month, month, PARAMS).value
            )
            # A 中人's deemed years earn the transitional part at the province's coefficient.
            deemed = inputs.get("deemed_months", 0)
            coefficient = PARAMS.transitional_coefficient(app_region(conn, app.agency_id))
            again = monthly_pension(
                average_wage=Fen(inputs["average_wage"]), index=Decimal(inputs["index"]),
                contribution_months=inputs["contribution_months"],
                account_balance=Fen(inputs["account_balance"]), age_months=inputs["age_months"],
                retirement_year=month.year, params=PARAMS, transitional_months=deemed,
                transitional_coefficient=coefficient.value if deemed else None,
            ).value  # fmt: skip
            assert award.total == again.total > 0
            assert (award.transitional > 0) == (deemed > 0)
            with_deemed += deemed > 0
            # Its relations: all at the receiving place (the others transferred there), one receiving.
            kept = conn.execute(
                select(relationships.c.agency_id, relationships.c.status).where(
                    relationships.c.person_id == app.person_id,
                    relationships.c.scheme == "enterprise",
                    relationships.c.status.in_(["contributing", "suspended", "receiving"]),
                )
            ).all()
            # Brought back here; receiving, unless the death feed reported the pensioner dead.
            died = conn.execute(
                select(func.count()).where(death_settlements.c.application_id == app.id)
            ).scalar_one()
            assert {agency for agency, _ in kept} <= {app.agency_id}
            assert [status for _, status in kept].count("receiving") == 1 - died
            # Paid once for every month from the one after retirement to the window's last.
            months = conn.execute(
                select(benefit_payments.c.month, benefit_payments.c.amount)
                .where(benefit_payments.c.application_id == app.id)
                .order_by(benefit_payments.c.month)
            ).all()
            first = period_of(award.from_month)
            expected = [first.plus(i) for i in range(max(0, first.months_until(last) + 1))]
            assert [period_of(m) for m, _ in months] == expected
            assert {a for _, a in months} <= {award.total}
            paid += len(months)
        assert paid == retired.paid_months > 0
        # Deemed years (视同缴费年限) before the window: recorded for some, counted by their awards.
        assert 0 < with_deemed <= report.deemed
        total = conn.execute(select(func.sum(benefit_payments.c.amount))).scalar_one()
        assert total == retired.paid
        survivors_paid_by_their_rule(conn, report)

    # A rerun applies for no one again and pays no month twice.
    again = generate(engine, clock, PARAMS, **PLAN)  # type: ignore[arg-type]
    assert again.retirements is not None
    assert again.retirements.paid_months == 0
    assert again.retirements.awarded == retired.awarded
    assert again.survivors is not None
    assert report.survivors is not None
    assert again.survivors.settled == report.survivors.settled
    assert again.survivors.funeral == again.survivors.inheritance == 0  # nothing paid twice
    fed, fed_again = report.pensioner_deaths, again.pensioner_deaths
    assert fed is not None
    assert fed_again is not None
    assert fed.pensioners == fed_again.pensioners == retired.awarded
    assert (fed_again.died, fed_again.before) == (0, fed.died)  # reported once
    with UnitOfWork(engine, clock) as uow:
        count = uow.conn.execute(select(func.count()).select_from(retirement_applications))
        assert count.scalar_one() == len(applications)
        assert check(uow) == []
    the_death_feed_stops_pensions_and_sets_off_what_was_paid_after(engine, clock, fed.died)


# Residents too (the default share): some migrant workers pay the residents' scheme at home.
DOUBLE = {"persons_wanted": 2000, "years": 20, "seed": 11, "chunk": 1000}


def test_who_also_paid_the_residents_scheme_at_home_links_it_in_at_retirement(
    engine: Engine, clock: FixedClock
) -> None:
    """重复参保 in the nation: a share of the migrant workers also pay the residents' scheme at
    their 户籍 county. Those who retire with 15 employee years have it linked into the employee
    scheme before the award (人社部发〔2014〕17号 第三条、第四条): the residents' relation 转出,
    its account emptied into the employee one (第五条), and for each year paid in both schemes
    the residents' payment refunded by the months paid in both, × m/12 (第七条); the award
    counts the employee months alone."""
    report = generate(
        engine,
        clock,
        PARAMS,
        interest=False,
        deaths=False,
        transfers=0.0,
        **DOUBLE,  # type: ignore[arg-type]
    )
    retired = report.retirements
    assert retired is not None
    assert report.paid_at_home > retired.linked >= 1
    assert retired.awarded == retired.retirees
    assert retired.waiting == 0
    with UnitOfWork(engine, clock) as uow:
        conn = uow.conn
        assert check(uow) == []
        linked = conn.execute(
            select(transfer_cases.c.person_id, transfer_cases.c.id, awards.c.inputs)
            .join(retirement_applications,
                  retirement_applications.c.person_id == transfer_cases.c.person_id)
            .join(awards, awards.c.application_id == retirement_applications.c.id)
            .where(transfer_cases.c.kind == "linkage_to_employee",
                   transfer_cases.c.side == "receiving", transfer_cases.c.state == "completed")
        ).all()  # fmt: skip
        assert len(linked) == retired.linked
        for person_id, row_id, inputs in linked:
            schemes = conn.execute(
                select(relationships.c.scheme, relationships.c.status).where(
                    relationships.c.person_id == person_id
                )
            ).all()  # fmt: skip
            assert ("resident", "transferred_out") in schemes
            assert ("enterprise", "receiving") in schemes
            resident_left = conn.execute(
                select(func.coalesce(func.sum(account_entries.c.amount), 0)).where(
                    account_entries.c.person_id == person_id, account_entries.c.scheme == "resident"
                )
            ).scalar_one()
            assert resident_left == 0  # 第五条: the whole account joined
            employee = {
                period_of(p)
                for p in conn.execute(
                    select(contributions.c.period).where(contributions.c.person_id == person_id)
                ).scalars()
            }
            deemed = json.loads(inputs).get("deemed_months", 0)  # 视同缴费年限 count too
            assert json.loads(inputs)["contribution_months"] == len(employee) + deemed  # 第五条
            expected = sum(
                (Decimal(individual + collective) * n / 12).quantize(Decimal(1), "ROUND_HALF_UP")
                for year, individual, collective in conn.execute(
                    select(
                        resident_contributions.c.year,
                        resident_contributions.c.individual,
                        resident_contributions.c.collective,
                    ).where(resident_contributions.c.person_id == person_id)
                )
                if (n := sum(1 for m in employee if m.year == year))
            )
            refunded = conn.execute(
                select(func.coalesce(func.sum(cleared_months.c.refund), 0)).where(
                    cleared_months.c.case_row_id == row_id, cleared_months.c.scheme == "resident"
                )
            ).scalar_one()
            assert refunded == expected > 0  # 第七条


def the_death_feed_stops_pensions_and_sets_off_what_was_paid_after(
    engine: Engine, clock: FixedClock, died_before: int
) -> None:
    """The feed at a rate far above the SAMPLE one, so that many die: each death in the feed's
    months, not before the pension's first; recorded as the feed reports it; the months paid
    after the death month are the overpayment, set off against the survivors' due of
    人社部发〔2021〕18号 on the months paid and the months drawn; the relation terminated; the
    account emptied; the ledger whole; the next payment run pays them nothing."""
    with UnitOfWork(engine, clock, write=False) as uow:
        pensioners = list(
            uow.conn.execute(
                select(persons.c.id_number)
                .join(retirement_applications, retirement_applications.c.person_id == persons.c.id)
                .where(retirement_applications.c.state == "awarded")
                .order_by(persons.c.id_number)
            ).scalars()
        )
    fed = pensioners_die(engine, clock, PARAMS, pensioners, rate=0.9, batch=7)
    assert fed.pensioners == len(pensioners)
    assert fed.before == died_before
    assert fed.not_settled == 0, fed.reasons
    assert 0 < fed.died < len(pensioners) - died_before
    assert fed.overpaid_months > 0  # some died before the last month paid
    last = YearMonth.of(clock.today()).plus(-1)
    with UnitOfWork(engine, clock) as uow:
        conn = uow.conn
        rows = conn.execute(
            select(death_settlements, agencies.c.region_code, awards.c.from_month,
                   awards.c.inputs, persons.c.id_number, life_events.c.source)
            .join(agencies, agencies.c.id == death_settlements.c.agency_id)
            .join(awards, awards.c.application_id == death_settlements.c.application_id)
            .join(persons, persons.c.id == death_settlements.c.person_id)
            .join(life_events, (life_events.c.person_id == persons.c.id)
                  & (life_events.c.kind == "death"))
            .where(death_settlements.c.application_id.is_not(None))
        ).all()  # fmt: skip
        assert len(rows) == fed.died + died_before
        overpaid_months = 0
        for r in rows:
            assert r.source == FEED
            month = YearMonth.of(r.died_on)
            assert last.plus(-(FEED_MONTHS - 1)) <= month <= last
            assert month >= period_of(r.from_month)
            assert r.died_on == death_in_feed(r.id_number, period_of(r.from_month), last, 0.9)
            after = conn.execute(
                select(func.count(), func.coalesce(func.sum(benefit_payments.c.amount), 0))
                .where(benefit_payments.c.application_id == r.application_id,
                       benefit_payments.c.month > r.died_on.year * 100 + r.died_on.month)
            ).one()  # fmt: skip
            overpaid_months += after[0]
            assert r.overpaid == after[1]
            due = survivor_benefits(
                province=r.region_code[:2], died_on=r.died_on,
                contribution_months=json.loads(r.inputs)["contribution_months"],
                drawn_months=period_of(r.from_month).months_until(month) + 1,
                account_balance=Fen(r.inheritance), params=PARAMS,
            ).value  # fmt: skip
            assert (r.funeral, r.survivor_pension) == (due.funeral, due.survivor_pension)
            gross = r.funeral + r.survivor_pension + r.inheritance
            assert (r.payable, r.to_recover) == (max(0, gross - r.overpaid),
                                                 max(0, r.overpaid - gross))  # fmt: skip
            assert account_left(conn, r.person_id) == 0
            kept = conn.execute(  # those brought back stay transferred_out
                select(func.count()).where(
                    relationships.c.person_id == r.person_id,
                    relationships.c.status.in_(["contributing", "suspended", "receiving"]),
                )
            ).scalar_one()
            assert kept == 0
        assert overpaid_months >= fed.overpaid_months
        assert check(uow) == []
        # This month's run pays the dead nothing (their relations are terminated).
        dead = {r.application_id for r in rows}
        codes = set(conn.execute(
            select(agencies.c.code).join(retirement_applications,
                                         retirement_applications.c.agency_id == agencies.c.id)
            .where(retirement_applications.c.id.in_(dead))
        ).scalars())  # fmt: skip
        for code in codes:
            run_payments(uow, code, YearMonth.of(clock.today()))
        paid_now = conn.execute(
            select(func.count()).where(
                benefit_payments.c.application_id.in_(dead),
                benefit_payments.c.month == period_int(YearMonth.of(clock.today())),
            )
        ).scalar_one()
        assert paid_now == 0
        uow.commit()


def survivors_paid_by_their_rule(conn: Connection, report: SimReport) -> None:
    """Each death in service is settled (none refused): since 2021-09-01 the funeral grant and
    survivor pension of 人社部发〔2021〕18号 on the months the person paid, counted here from the
    records, at the last relation's province, before it none (the province's rule); the
    account emptied; every relation terminated."""
    died = report.survivors
    assert died is not None
    assert died.settled > 0
    assert died.before_measures > 0  # the window reaches back before the measures
    assert died.not_settled == 0, died.reasons
    assert died.settled == died.died
    rows = conn.execute(
        select(death_settlements, agencies.c.region_code)
        .join(agencies, agencies.c.id == death_settlements.c.agency_id)
        .where(death_settlements.c.application_id.is_(None))  # the pensioners' are the feed's
    ).all()  # fmt: skip
    assert len(rows) == died.settled
    assert any(r.funeral for r in rows)  # deaths since the measures, with the 18号 grant
    assert sum(r.funeral for r in rows) == died.funeral
    assert sum(r.survivor_pension for r in rows) == died.survivor_pension
    assert sum(r.inheritance for r in rows) == died.inheritance
    for r in rows:
        assert (r.application_id, r.claimant, r.overpaid) == (None, CLAIMANT, 0)
        assert account_left(conn, r.person_id) == 0
        kept = conn.execute(
            select(func.count()).where(
                relationships.c.person_id == r.person_id, relationships.c.status != "terminated"
            )
        ).scalar_one()
        assert kept == 0
        if r.died_on < dt.date(2021, 9, 1):  # the province's rule: the account alone
            assert (r.funeral, r.survivor_pension) == (0, 0)
            assert "由各省" in r.explanation
            continue
        months = conn.execute(
            select(func.count(func.distinct(contributions.c.period)))
            .join(contribution_payments,
                  contribution_payments.c.contribution_id == contributions.c.id)
            .where(contributions.c.person_id == r.person_id)
        ).scalar_one()  # fmt: skip
        due = survivor_benefits(
            province=r.region_code[:2], died_on=r.died_on, contribution_months=months,
            drawn_months=None, account_balance=Fen(0), params=PARAMS,
        ).value  # fmt: skip
        assert (r.funeral, r.survivor_pension) == (due.funeral, due.survivor_pension) != (0, 0)


# Residents alone: 20 years reach back to 2006-11, and the scheme's payments to 2009, so that
# those who reached 60 from 2024 on may have 15 years paid.
RESIDENTS = {"persons_wanted": 800, "years": 20, "seed": 5, "chunk": 400, "residents": 1.0}


def test_who_reached_60_with_fifteen_years_paid_draws_the_residents_pension_every_month_since(
    engine: Engine, clock: FixedClock
) -> None:
    """国发〔2014〕8号: at 60 with 15 years paid, the award — the national minimum in force the
    month after the 60th birthday's, and the account ÷ 139 — approved by a second operator,
    raised to each later national minimum from the month it rose, and paid once for every month
    since at the version in force; those with fewer years stay 待领取; a rerun pays nothing."""
    steps: list[tuple[str, int, int, str]] = []
    report = generate(
        engine, clock, PARAMS, transfers=0.0, stages=lambda *s: steps.append(s), **RESIDENTS,  # type: ignore[arg-type]
    )  # fmt: skip
    pensions = report.resident_pensions
    assert pensions is not None
    assert pensions.awarded == pensions.residents > 0, pensions.reasons
    assert pensions.raised > 0  # some turned 60 before a rise of the minimum
    _, done, total, step = [s for s in steps if s[0] == RESIDENT_PENSIONS][-1]
    assert (done, step) == (total, "")  # the last call, after the batches, raises and runs
    last = YearMonth.of(clock.today()).plus(-1)
    with UnitOfWork(engine, clock) as uow:
        conn = uow.conn
        assert check(uow) == []
        applications = conn.execute(
            select(retirement_applications).where(retirement_applications.c.scheme == "resident")
        ).all()
        assert len(applications) == pensions.awarded
        paid = 0
        for app in applications:
            versions = conn.execute(
                select(awards).where(awards.c.application_id == app.id).order_by(awards.c.version)
            ).all()
            first = versions[0]
            assert (first.made_by, first.checked_by) == (MAKER, CHECKER)
            inputs = json.loads(first.inputs)
            start = period_of(first.from_month)
            assert start == period_of(app.retire_month).plus(1)
            assert inputs["contribution_months"] >= 12 * inputs["required_years"]
            person = conn.execute(select(persons).where(persons.c.id == app.person_id)).one()
            needed = resident_requirement(person.birth_date, person.hukou_region_code, PARAMS)
            assert inputs["required_years"] == needed.value.years
            assert first.account == round_to_fen(Decimal(inputs["account_balance"]) / 139)
            assert first.basic == PARAMS.resident_minimum_basic_pension(start.first_day()).value
            now = PARAMS.resident_minimum_basic_pension(last.first_day()).value
            assert versions[-1].basic == now  # raised to the minimum in force
            months = conn.execute(
                select(benefit_payments.c.month, benefit_payments.c.amount)
                .where(benefit_payments.c.application_id == app.id)
                .order_by(benefit_payments.c.month)
            ).all()
            expected = [start.plus(i) for i in range(max(0, start.months_until(last) + 1))]
            died = conn.execute(
                select(func.count()).where(death_settlements.c.application_id == app.id)
            ).scalar_one()
            if not died:
                assert [period_of(m) for m, _ in months] == expected
            for m, amount in months:
                in_force = [v for v in versions if v.from_month <= m][-1]
                assert amount == in_force.total
            paid += len(months)
        assert paid == pensions.paid_months > 0
        # Who reached 60 with fewer years paid waits, 待领取: no application.
        waiting = conn.execute(
            select(func.count()).where(
                relationships.c.scheme == "resident",
                relationships.c.status == "suspended",
                relationships.c.person_id.not_in(select(retirement_applications.c.person_id)),
            )
        ).scalar_one()
        assert waiting > 0
    again = generate(engine, clock, PARAMS, transfers=0.0, **RESIDENTS)  # type: ignore[arg-type]
    assert again.resident_pensions is not None
    assert (again.resident_pensions.paid_months, again.resident_pensions.raised) == (0, 0)


# Women who went home at 50 or 55 with under 15 employee years and reached 60 in the window.
WENT_HOME = {"persons_wanted": 1200, "years": 20, "seed": 4, "chunk": 600}


def test_who_went_home_links_the_employee_years_in_at_60_and_draws_the_residents_pension(
    engine: Engine, clock: FixedClock
) -> None:
    """人社部发〔2014〕17号 at 60: one who went home to the residents' scheme with under fifteen
    employee years links the employee relation in (第三条) before the residents' pension: the
    employee months count as the residents' years (第六条), the months paid in both once; the
    award counts them all, so some with too few residents' years alone draw it."""
    report = generate(
        engine, clock, PARAMS, transfers=0.0, interest=False, deaths=False, **WENT_HOME,  # type: ignore[arg-type]
    )  # fmt: skip
    pensions = report.resident_pensions
    assert pensions is not None
    assert pensions.awarded == pensions.residents > pensions.linked >= 2, pensions.reasons
    with UnitOfWork(engine, clock) as uow:
        conn = uow.conn
        assert check(uow) == []
        linked = conn.execute(
            select(transfer_cases.c.person_id, awards.c.inputs)
            .join(retirement_applications,
                  retirement_applications.c.person_id == transfer_cases.c.person_id)
            .join(awards, awards.c.application_id == retirement_applications.c.id)
            .where(transfer_cases.c.kind == "linkage_to_resident",
                   transfer_cases.c.side == "receiving", transfer_cases.c.state == "completed",
                   retirement_applications.c.scheme == "resident", awards.c.version == 1)
        ).all()  # fmt: skip
        assert len(linked) == pensions.linked
        alone = 0
        for person_id, inputs in linked:
            employee = set(
                conn.execute(
                    select(contributions.c.period).where(contributions.c.person_id == person_id)
                ).scalars()
            )
            years = set(
                conn.execute(
                    select(resident_contributions.c.year).where(
                        resident_contributions.c.person_id == person_id
                    )
                ).scalars()
            )
            months = employee | {y * 100 + m for y in years for m in range(1, 13)}
            counted = json.loads(inputs)
            assert counted["contribution_months"] == len(months)  # 第六条, the overlap once
            assert counted["contribution_months"] >= 12 * counted["required_years"]
            alone += 12 * len(years) < 12 * counted["required_years"]
            statuses = set(
                conn.execute(
                    select(relationships.c.scheme, relationships.c.status).where(
                        relationships.c.person_id == person_id
                    )
                ).all()
            )
            assert statuses == {("enterprise", "transferred_out"), ("resident", "receiving")}
        assert alone > 0  # without the employee years they would have waited
