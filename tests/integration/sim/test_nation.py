"""The synthetic nation: consistent with the rules and the ledger, reproducible, resumable."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.orm import aliased

from jinbao.accounts.tables import account_entries
from jinbao.benefits.tables import death_settlements, life_events
from jinbao.contributions.model import period_of
from jinbao.contributions.tables import contribution_payments, contributions, resident_contributions
from jinbao.db import migrate
from jinbao.db.engine import make_engine
from jinbao.db.uow import UnitOfWork
from jinbao.exchange.tables import agency_keys
from jinbao.kernel.clock import FixedClock
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.identifiers import Sex
from jinbao.kernel.periods import YearMonth
from jinbao.ledger.check import check
from jinbao.ledger.tables import journals
from jinbao.policy.contributions import (
    base_limits,
    employee_contribution,
    employee_rates,
    flexible_rates,
    split,
)
from jinbao.policy.explain import Explainer
from jinbao.policy.parameters import load_parameters
from jinbao.policy.resident import contribution_subsidy
from jinbao.policy.retirement import Category
from jinbao.policy.transfer import temporary_account_decision
from jinbao.registry.regions import sync_regions
from jinbao.registry.tables import agencies, persons, relationship_status_changes, relationships
from jinbao.sim.nation import (
    AFTER_LOAD,
    AFTER_LOAD_INDEXES,
    AT_SIXTY,
    INTEREST,
    RECORD_TABLES,
    RETIRED,
    STOPPED,
    SimReport,
    _Person,
    _relations,
    _Spell,
    generate,
    generate_parquet,
)
from tests.integration.helpers import account_left, index_ids

PARAMS = load_parameters()


def _generate(engine: Engine, clock: FixedClock, **kw: object) -> SimReport:
    options: dict[str, object] = {"persons_wanted": 400, "years": 2, "seed": 7, "chunk": 150}
    options.update(kw)
    return generate(engine, clock, PARAMS, **options)  # type: ignore[arg-type]


def no_temporary_account_where_a_relation_is_kept(conn: Connection) -> None:
    """Never a temporary account in a province where the person keeps an earlier normal
    relation: that is an old place of 66号 第五条（二）, not a new one."""
    earlier, there = aliased(relationships), aliased(agencies)
    both = conn.execute(
        select(func.count())
        .select_from(relationships)
        .join(agencies, agencies.c.id == relationships.c.agency_id)
        .join(earlier, (earlier.c.person_id == relationships.c.person_id)
              & (earlier.c.kind == "normal") & (earlier.c.scheme == "enterprise")
              & (earlier.c.started_on < relationships.c.started_on))
        .join(there, there.c.id == earlier.c.agency_id)
        .where(relationships.c.kind == "temporary",
               func.substr(there.c.region_code, 1, 2) == func.substr(agencies.c.region_code, 1, 2))
    ).scalar_one()  # fmt: skip
    assert both == 0


def test_the_nation_keeps_every_rule_and_the_ledger(engine: Engine, clock: FixedClock) -> None:
    report = _generate(engine, clock)
    assert report.persons == 400
    assert all(report.careers[k] > 0 for k in ("local", "intra", "inter", "flexible", "resident"))
    assert report.resident_payments > 0
    assert report.back_paid > 0
    assert report.temporary > 0
    assert report.retired > 0
    with UnitOfWork(engine, clock) as uow:
        assert check(uow) == []
        conn = uow.conn
        assert conn.execute(select(func.count()).select_from(persons)).scalar_one() == 400
        assert (
            conn.execute(select(func.count()).select_from(contributions)).scalar_one()
            == report.records
        )
        levels = dict(
            conn.execute(select(agencies.c.level, func.count()).group_by(agencies.c.level)).all()
        )
        assert levels["national"] == 1
        assert levels["province"] == 32
        assert levels["city"] > 300
        assert levels["county"] > 2800
        # Every agency signs with a key pair of its own, made with the agencies (as on a node
        # that has run for a while), not one at a time at each agency's first document.
        signing = conn.execute(
            select(agency_keys.c.agency_id, func.count())
            .where(agency_keys.c.private_key.is_not(None), agency_keys.c.retired_at.is_(None))
            .group_by(agency_keys.c.agency_id)
        ).all()
        assert len(signing) == sum(levels.values())
        assert {n for _, n in signing} == {1}
        # Amounts are the policy engine's, on a base inside the band in force.
        rows = conn.execute(select(contributions).order_by(contributions.c.id)).all()
        for r in random.Random(1).sample(rows, 80):
            period = period_of(r.period)
            limits = base_limits(r.region, period, PARAMS, Explainer("t", "t", "t", ()))
            assert limits.floor <= r.base <= limits.cap
            expected = (
                split(r.base, flexible_rates(period, PARAMS)) if r.kind == "flexible"
                else employee_contribution(r.base, period, PARAMS).value
            )  # fmt: skip
            assert (r.employer_part, r.individual_part, r.to_account) == (
                expected.employer,
                expected.individual,
                expected.to_account,
            )
            assert (r.employer_id is None) == (r.kind == "flexible")
        # Back-paid months were paid after the month they are for; declared months in the next.
        for kind, period, paid_on in conn.execute(
            select(
                contributions.c.kind, contributions.c.period, contribution_payments.c.paid_on
            ).join(
                contribution_payments, contribution_payments.c.contribution_id == contributions.c.id
            )
        ):
            month = period_of(period)
            assert (
                paid_on > month.plus(1 if kind == "back_payment" else 0).first_day()
                or paid_on == clock.today()
            )
        # At most one current normal relation per person and scheme (the registry's rule: two
        # schemes at once is 重复参保, which the nation has); temporary accounts where 66号 says so.
        current = conn.execute(
            select(relationships.c.person_id, relationships.c.scheme, func.count())
            .where(relationships.c.kind == "normal", relationships.c.status == "contributing")
            .group_by(relationships.c.person_id, relationships.c.scheme)
            .having(func.count() > 1)
        ).all()
        assert current == []
        temporary = conn.execute(
            select(
                persons.c.sex,
                persons.c.birth_date,
                persons.c.hukou_region_code,
                relationships.c.started_on,
                agencies.c.region_code,
            )
            .join(relationships, relationships.c.person_id == persons.c.id)
            .join(agencies, agencies.c.id == relationships.c.agency_id)
            .where(relationships.c.kind == "temporary")
        ).all()
        assert temporary
        for sex, born, hukou, started, region in temporary:
            decision = temporary_account_decision(
                sex=Sex.MALE if sex == "M" else Sex.FEMALE, born=born, on=started,
                hukou_province=hukou[:2] + "0000", new_province=region[:2] + "0000", params=PARAMS,
            )  # fmt: skip
            assert decision.value.temporary
        no_temporary_account_where_a_relation_is_kept(conn)
        # The dead have their death recorded and their last relation terminated on that day.
        deaths = conn.execute(select(life_events.c.person_id, life_events.c.on)).all()
        assert len(deaths) == report.deaths
        for person_id, on in deaths:
            ended = (
                conn.execute(
                    select(relationship_status_changes.c.changed_on)
                    .join(
                        relationships,
                        relationships.c.id == relationship_status_changes.c.relationship_id,
                    )
                    .where(
                        relationships.c.person_id == person_id,
                        relationship_status_changes.c.to_status == "terminated",
                    )
                )
                .scalars()
                .all()
            )
            # [] when death came before any work in the window; the survivors' claim ends
            # every relation still kept on that day too
            assert set(ended) <= {on}
        # Every finished year with a published rate was credited.
        assert report.interest_years == (2024,)


def test_residents_pay_yearly_at_home_by_the_rules_of_their_scheme(
    engine: Engine, clock: FixedClock
) -> None:
    """城乡居保 (国发〔2014〕8号): insured at the 户籍 county's agency, from 16 to 60, a yearly
    tier of the scheme (the rural pilot's 100–500 before 2014, 国发〔2009〕32号; none before
    2009) with the government's minimum subsidy, all of it into the personal account, written
    as the payment service writes it; no employees' records for them. 18 years reach 2009."""
    report = _generate(
        engine,
        clock,
        persons_wanted=300,
        years=18,
        interest=False,
        transfers=0.0,
        retirements=False,
    )
    assert 100 < report.careers["resident"] < 200  # a half, drawn
    with UnitOfWork(engine, clock) as uow:
        assert check(uow) == []
        conn = uow.conn
        relations = conn.execute(
            select(
                relationships.c.id, relationships.c.person_id, relationships.c.status,
                relationships.c.employer_id, relationships.c.kind, relationships.c.started_on,
                agencies.c.id.label("agency_id"), agencies.c.level, agencies.c.region_code,
                persons.c.hukou_region_code, persons.c.birth_date,
            )
            .join(agencies, agencies.c.id == relationships.c.agency_id)
            .join(persons, persons.c.id == relationships.c.person_id)
            .where(relationships.c.scheme == "resident")
        ).all()  # fmt: skip
        assert len(relations) > 100
        by_person = {r.person_id: r for r in relations}
        assert len(by_person) == len(relations)  # one relation each
        for r in relations:
            assert (r.level, r.region_code, r.employer_id, r.kind) == (
                "county", r.hukou_region_code, None, "normal",
            )  # fmt: skip
        # Residents have nothing in the employees' scheme; those in both are employees who went
        # on in the residents' scheme at home (test_transfers has their linkage) and migrant
        # workers who also paid it at home (test_retirements links theirs).
        both = conn.execute(
            select(func.count(func.distinct(relationships.c.person_id))).where(
                relationships.c.scheme != "resident",
                relationships.c.person_id.in_(list(by_person)),
            )
        ).scalar_one()  # fmt: skip
        assert both == report.went_home + report.paid_at_home
        assert report.went_home > 0
        assert report.paid_at_home > 0
        ended = dict(
            conn.execute(
                select(relationship_status_changes.c.relationship_id,
                       relationship_status_changes.c.changed_on)
                .where(relationship_status_changes.c.from_status.is_not(None))
            ).all()
        )  # fmt: skip
        paid = conn.execute(select(resident_contributions)).all()
        assert len(paid) == report.resident_payments > 500
        assert min(p.year for p in paid) == 2009
        tiers = {int(t) * 100 for t in PARAMS.resident("tiers").value["yuan"]}
        for p in paid:
            r = by_person[p.person_id]
            assert p.agency_id == r.agency_id
            assert p.region == r.region_code[:2] + "0000"
            assert p.individual in tiers
            assert p.year >= 2014 or p.individual <= 50_000
            assert p.subsidy == contribution_subsidy(p.individual // 100, PARAMS).value
            assert p.collective == 0
            assert p.paid_on.year == p.year
            assert r.started_on <= p.paid_on < clock.today()
            assert p.paid_on < ended.get(r.id, clock.today())
            born = r.birth_date
            paid_in = (p.paid_on.year, p.paid_on.month)
            assert (born.year + 16, born.month) <= paid_in < (born.year + 60, born.month)
        # Each payment is one account entry of the whole amount, from a journal of the money
        # collected for the residents' scheme.
        entries = conn.execute(
            select(account_entries.c.person_id, account_entries.c.effective_on,
                   account_entries.c.amount, journals.c.kind)
            .join(journals, journals.c.id == account_entries.c.journal_id)
            .where(account_entries.c.scheme == "resident", journals.c.kind == "resident_paid")
        ).all()  # fmt: skip
        assert sorted(entries) == sorted(
            (p.person_id, p.paid_on, p.individual + p.collective + p.subsidy, "resident_paid")
            for p in paid
        )
        # The survivors of a resident who died inherit the account but for the government's
        # subsidies (国发〔2014〕8号); nothing is left in it.
        died = report.survivors
        assert died is not None
        assert died.residents > 0
        settled = conn.execute(
            select(death_settlements).where(death_settlements.c.person_id.in_(list(by_person)))
        ).all()
        assert len(settled) == died.residents
        for s in settled:
            own = [p for p in paid if p.person_id == s.person_id]
            assert (s.funeral, s.survivor_pension) == (0, 0)
            assert s.inheritance == sum(p.individual + p.collective for p in own)
            assert account_left(conn, s.person_id) == 0
        # Those who reached 60 stopped paying and wait for the scheme's pension.
        waiting = conn.execute(
            select(relationship_status_changes.c.reason).where(
                relationship_status_changes.c.reason.like("年满60周岁%")
            )
        ).scalars().all()  # fmt: skip
        assert waiting


def test_a_nation_without_residents_and_a_share_out_of_bounds(
    engine: Engine, clock: FixedClock
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _generate(engine, clock, persons_wanted=10, residents=-0.1)
    assert refused.value.code == "sim.resident_share"
    assert "城乡居民" in refused.value.zh
    report = _generate(
        engine, clock, persons_wanted=200, interest=False, transfers=0.0, residents=0.0
    )
    assert report.careers["resident"] == report.resident_payments == 0
    assert sum(report.careers.values()) == 200
    # The share is part of the plan: the same seed with residents would be another nation.
    with pytest.raises(Conflict) as other:
        _generate(engine, clock, persons_wanted=200, interest=False, transfers=0.0)
    assert other.value.code == "sim.seed_used"
    assert "residents: — ≠ 0.5" in other.value.en  # what differs, named
    assert "residents: — ≠ 0.5" in other.value.zh
    with engine.connect() as conn:
        assert conn.execute(
            select(func.count()).select_from(relationships).where(relationships.c.scheme == "resident")
        ).scalar_one() == 0  # fmt: skip


def _fresh(make: Callable[[str], str], clock: FixedClock, kind: str = "sqlite") -> Engine:
    engine = make_engine(make(kind))
    migrate.upgrade(engine)
    with UnitOfWork(engine, clock) as uow:
        sync_regions(uow)
        uow.commit()
    return engine


def _fingerprint(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as conn:
        return (
            sorted(conn.execute(select(persons.c.id_number)).scalars()),
            conn.execute(
                select(
                    func.count(),
                    func.sum(contributions.c.base),
                    func.sum(contributions.c.to_account),
                )
            ).one(),
            conn.execute(select(func.count()).select_from(contribution_payments)).scalar_one(),
        )


class Stop(Exception):
    pass


def test_the_persons_it_names_to_look_at_have_months_to_show(engine: Engine) -> None:
    """One per career. In a short window many persons retired before it and have no months:
    with seed 1, the first of the local workers is one of them (the CLI used to name her).
    The resident, named last, has yearly payments instead."""
    report = _generate(engine, FixedClock.on(dt.date(2026, 12, 2)), persons_wanted=200, seed=1)
    assert len(report.sample_ids) == 5
    *workers, resident = report.sample_ids
    with engine.connect() as conn:
        for number, table in [
            *((n, contributions) for n in workers),
            (resident, resident_contributions),
        ]:
            months = (
                select(func.count())
                .select_from(table.join(persons, persons.c.id == table.c.person_id))
                .where(persons.c.id_number == number)
            )
            assert conn.execute(months).scalar_one() > 0, number


def test_a_seed_makes_the_same_nation_and_a_stopped_run_resumes(
    new_database: Callable[[str], str], clock: FixedClock
) -> None:
    whole = _fresh(new_database, clock)
    _generate(whole, clock, persons_wanted=300, interest=False)
    stopped = _fresh(new_database, clock)

    def stop_after_first(done: int, total: int) -> None:
        raise Stop

    with pytest.raises(Stop):
        _generate(stopped, clock, persons_wanted=300, interest=False, progress=stop_after_first)
    assert 0 < _fingerprint(stopped)[1][0] < _fingerprint(whole)[1][0]  # type: ignore[index]
    _generate(stopped, clock, persons_wanted=300, interest=False)
    assert _fingerprint(stopped) == _fingerprint(whole)
    with UnitOfWork(stopped, clock) as uow:
        assert check(uow) == []
    with pytest.raises(Conflict) as refused:
        _generate(stopped, clock, persons_wanted=500, interest=False)
    assert refused.value.code == "sim.seed_used"
    assert _fingerprint(stopped) == _fingerprint(whole)


@pytest.mark.postgres
def test_a_rerun_of_a_finished_nation_takes_nothing_off_and_builds_nothing_again(
    new_database: Callable[[str], str], clock: FixedClock
) -> None:
    engine = _fresh(new_database, clock, "postgresql")
    _generate(engine, clock, persons_wanted=300, chunk=100, interest=False, workers=2)
    made = _fingerprint(engine)
    built = index_ids(engine)
    seen: list[tuple[str, int, int, str]] = []
    progress: list[int] = []
    _generate(
        engine, clock, persons_wanted=300, chunk=100, interest=False, workers=2,
        stages=lambda *step: seen.append(step), progress=lambda done, _: progress.append(done),
    )  # fmt: skip
    assert progress == [100, 200, 300]  # every chunk found written, none written again
    assert [s for s in seen if s[0] == AFTER_LOAD] == []  # no index built, no key checked
    assert index_ids(engine) == built
    assert _fingerprint(engine) == made
    assert migrate.drift(engine) == []


@pytest.mark.postgres
def test_writing_processes_make_the_same_nation_and_resume(
    new_database: Callable[[str], str], clock: FixedClock
) -> None:
    one = _fresh(new_database, clock, "postgresql")
    _generate(one, clock, persons_wanted=450, chunk=50, interest=False, workers=1)
    two = _fresh(new_database, clock, "postgresql")
    finished: list[int] = []

    def stop_after_two(done: int, total: int) -> None:
        finished.append(done)
        if len(finished) == 2:
            raise Stop

    with pytest.raises(Stop):
        _generate(
            two,
            clock,
            persons_wanted=450,
            chunk=50,
            interest=False,
            workers=2,
            progress=stop_after_two,
        )
    # Chunks that were being written when the stop came finished; those not begun were dropped.
    assert 0 < _fingerprint(two)[1][0] < _fingerprint(one)[1][0]  # type: ignore[index]
    # The records' foreign keys, off while the chunks were written, are back after the stop.
    assert migrate.drift(two) == []
    _generate(two, clock, persons_wanted=450, chunk=50, interest=False, workers=2)
    assert _fingerprint(two) == _fingerprint(one)
    assert migrate.drift(two) == []
    with UnitOfWork(two, clock) as uow:
        assert check(uow) == []


def test_sqlite_refuses_several_writing_processes(
    new_database: Callable[[str], str], clock: FixedClock
) -> None:
    engine = _fresh(new_database, clock)
    with pytest.raises(InvalidInput) as refused:
        _generate(engine, clock, workers=2)
    assert refused.value.code == "sim.workers"
    assert "PostgreSQL" in refused.value.en
    assert "PostgreSQL" in refused.value.zh
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(persons)).scalar_one() == 0


def test_an_id_number_already_held_is_refused_clearly(
    engine: Engine, new_database: Callable[[str], str], clock: FixedClock
) -> None:
    reference = _fresh(new_database, clock)
    _generate(reference, clock, persons_wanted=200, chunk=100, interest=False)
    with reference.connect() as conn:
        first_chunk = conn.execute(
            select(persons).where(persons.c.id <= 100).order_by(persons.c.id)
        ).all()
    held = first_chunk[49]  # inside the first chunk, not its first person
    with engine.begin() as conn:
        conn.execute(
            persons.insert().values({k: v for k, v in held._asdict().items() if k != "id"})
        )
    with pytest.raises(Conflict) as refused:
        _generate(engine, clock, persons_wanted=200, chunk=100, interest=False)
    assert refused.value.code == "sim.id_taken"
    assert "another seed" in refused.value.en
    assert held.id_number in refused.value.en
    assert held.id_number in refused.value.zh
    with engine.connect() as conn:  # the chunk wrote nothing (another may have, in parallel)
        numbers = [p.id_number for p in first_chunk]
        written = select(func.count()).where(persons.c.id_number.in_(numbers))
        assert conn.execute(written).scalar_one() == 1


def test_the_clock_decides_the_window(engine: Engine) -> None:
    report = _generate(engine, FixedClock.on(dt.date(2020, 3, 10)), persons_wanted=50, years=1)
    with engine.connect() as conn:
        first, last = conn.execute(
            select(func.min(contributions.c.period), func.max(contributions.c.period))
        ).one()
    assert (first, last) == (201903, 202002)
    assert report.interest_years == (2019,)


def test_what_follows_the_writing_is_reported_step_by_step(engine: Engine) -> None:
    seen: list[tuple[str, int, int, str]] = []
    report = _generate(
        engine, FixedClock.on(dt.date(2020, 3, 10)), persons_wanted=60, years=3,
        stages=lambda *step: seen.append(step),
    )  # fmt: skip
    after = [s for s in seen if s[0] == AFTER_LOAD]
    if engine.dialect.name == "postgresql":
        keys = [str(k.name) for t in RECORD_TABLES for k in t.foreign_key_constraints]
        indexes = [str(i.name) for i in AFTER_LOAD_INDEXES]
        total = len(keys) + len(indexes) + 1
        # Each step named before it runs: the indexes, the keys, then the statistics.
        assert after == [
            *((AFTER_LOAD, i, total, name) for i, name in enumerate(sorted(indexes))),
            *((AFTER_LOAD, len(indexes) + i, total, n) for i, n in enumerate(sorted(keys))),
            (AFTER_LOAD, total - 1, total, "ANALYZE"),
            (AFTER_LOAD, total, total, ""),
        ]
        with engine.connect() as conn:  # analyzed by the load, not left to autovacuum
            unanalyzed = conn.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE relname IN ('contributions', "
                    "'contribution_payments', 'account_entries', 'postings', 'journals', "
                    "'persons') AND last_analyze IS NULL"
                )
            ).all()
        assert unanalyzed == []
    else:
        assert after == []  # SQLite keeps its keys and indexes while it writes
    years = report.interest_years
    assert years == (2017, 2018, 2019)
    assert [s for s in seen if s[0] == INTEREST] == [
        *((INTEREST, i, 3, str(y)) for i, y in enumerate(years)),
        (INTEREST, 3, 3, ""),
    ]
    assert seen[-1] == (INTEREST, 3, 3, "")  # nothing after the last year


def test_the_nation_as_parquet_files(tmp_path: Path, clock: FixedClock) -> None:
    import pyarrow.parquet as pq

    report = generate_parquet(
        tmp_path, clock, PARAMS, persons_wanted=700, years=2, seed=3, chunk=300
    )
    people = pq.read_table(tmp_path / "persons.parquet").to_pylist()
    relations = pq.read_table(tmp_path / "relationships.parquet").to_pylist()
    records = pq.read_table(tmp_path / "contributions.parquet").to_pylist()
    agencies_ = {a["id"]: a for a in pq.read_table(tmp_path / "agencies.parquet").to_pylist()}
    employers_ = {e["id"]: e for e in pq.read_table(tmp_path / "employers.parquet").to_pylist()}
    assert [p["id"] for p in people] == list(range(1, 701))
    assert len({p["id_number"] for p in people}) == 700
    assert pq.ParquetFile(tmp_path / "persons.parquet").num_row_groups == 3  # one per chunk
    assert (len(relations), len(records)) == (report.relationships, report.records)
    assert {r["person_id"] for r in relations} <= {p["id"] for p in people}
    yearly = pq.read_table(tmp_path / "resident_contributions.parquet").to_pylist()
    assert len(yearly) == report.resident_payments > 0
    residents = {p["id"] for p in people if p["career"] == "resident"}
    in_both = {r["person_id"] for r in relations if r["scheme"] == "resident"} & {
        r["person_id"] for r in relations if r["scheme"] == "enterprise"
    }
    assert len(in_both) == report.went_home + report.paid_at_home  # went home, paid at home
    assert {y["person_id"] for y in yearly} <= residents | in_both
    assert {r["person_id"] for r in records}.isdisjoint(residents)
    # 视同缴费年限 before the window, for some local workers and migrants within a province:
    # from 18 at the earliest, to 1997-12 at the latest, before their first month on record.
    deemed = pq.read_table(tmp_path / "deemed_years.parquet").to_pylist()
    assert len(deemed) == report.deemed > 0
    careers = {p["id"]: p for p in people}
    first_month = {}
    for r in records:
        first_month[r["person_id"]] = min(r["period"], first_month.get(r["person_id"], 999999))
    for d in deemed:
        person = careers[d["person_id"]]
        assert person["career"] in ("local", "intra")
        start, end = period_of(d["from_period"]), period_of(d["to_period"])
        assert start >= YearMonth.of(person["birth_date"]).plus(12 * 18)
        assert end <= YearMonth(1997, 12)
        assert d["to_period"] < first_month.get(d["person_id"], 999999)
        assert d["months"] == start.months_until(end) + 1
    for y in yearly:
        assert y["subsidy"] == contribution_subsidy(y["individual"] // 100, PARAMS).value
        assert y["paid_on"].year == y["year"]
    for r in random.Random(2).sample(records, 60):
        period = period_of(r["period"])
        rates = (
            flexible_rates(period, PARAMS)
            if r["kind"] == "flexible"
            else employee_rates(period, PARAMS)
        )
        expected = split(r["base"], rates)
        assert (r["employer_part"], r["individual_part"], r["to_account"]) == (
            expected.employer,
            expected.individual,
            expected.to_account,
        )
        assert agencies_[r["agency_id"]]["level"] == "county"
        if r["employer_id"] is not None:
            assert employers_[r["employer_id"]]["agency_id"] == r["agency_id"]
        assert (
            r["paid_on"] is None
            or r["paid_on"] >= period.plus(1).first_day()
            or r["paid_on"] == clock.today()
        )


def test_a_relation_paid_at_home_stops_with_the_career_or_at_sixty() -> None:
    """重复参保 (_paid_at_home): the residents' relation goes on while the person works, and stops
    when the career ends — also by a retirement in last month, else it would still be
    contributing and could not be linked in at retirement (transfer.still_contributing: found
    at 100 000 persons) — or at 60, the residents' scheme's age."""
    last = YearMonth(2026, 10)
    start = YearMonth(2012, 3).index

    def statuses(ended: str, job_end: int, home_end: int) -> dict[bool, tuple[str, object]]:
        job = _Spell(None, 1, "440106", start, job_end)
        home = _Spell(None, 2, "410105", start, home_end, resident=True)
        p = _Person("410105197604040000", "测试", Sex.FEMALE, dt.date(1976, 4, 4), "410105",
                    Category.FEMALE_50, "inter", 1.0, [job], ended=ended, last_month=job_end,
                    at_home=home)  # fmt: skip
        return {s.resident: (status, why) for s, status, why in _relations(p, last)}

    working = statuses("", last.index, last.index)
    assert working == {False: ("contributing", None), True: ("contributing", None)}
    retired = statuses("retired", last.index, last.index)
    assert retired[True] == ("suspended", (dt.date(2026, 11, 1), STOPPED))
    assert retired[False] == ("suspended", (dt.date(2026, 11, 1), RETIRED))
    sixty = statuses("", last.index, YearMonth(2025, 12).index)
    assert sixty[True] == ("suspended", (dt.date(2026, 1, 1), AT_SIXTY))
