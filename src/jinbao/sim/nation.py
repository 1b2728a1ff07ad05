"""The synthetic nation (``jinbao sim generate``): a seeded population whose careers look like
the country's, streamed into the database through the same bulk paths as real declarations.

What it makes (every figure marked SAMPLE below is an illustration, not a statistic):

- agencies at every level: a provincial agency per province, a city agency per prefecture and a
  county agency per county of GB/T 2260, most of them on the exchange network;
- employers of every size (Pareto-distributed), placed where jobs are — the coastal provinces
  that receive migrant workers weigh more than their population;
- persons with a 户籍 county chosen by population, and one of four careers: local workers,
  migrants within their province, migrants between provinces (2021 migrant worker monitoring
  report: 172 million migrant workers, 80 million of them outside their province — the sample
  keeps that 47:53 split) and flexible workers (灵活就业人员, 国发〔2005〕38号) who pay both parts
  on a base they choose in the 60–300% band;
- careers of job spells with gaps between them, months declared late and back-paid (补缴),
  moves across agencies and provinces (the old relation kept, suspended, at the old place as
  people do until they apply to transfer — 国办发〔2009〕66号 第八条), temporary accounts where
  a man of 50 or a woman of 40 starts work outside the 户籍 province (66号 第五条, decided by
  :func:`jinbao.policy.transfer.temporary_account_decision`), the statutory retirement age
  (:func:`jinbao.policy.retirement.statutory_retirement`) ending a career, and deaths;
- residents insured in the urban and rural residents' scheme (城乡居保, 国发〔2014〕8号) at their
  户籍 county: from 16, a yearly payment in one of the scheme's tiers in most years, with the
  government's minimum subsidy, all of it into the personal account, until 60 or death — about
  half of the working-age insured (SAMPLE share, ``--residents``);
- contribution records computed by the policy engine (base clamped into the band in force,
  parts at the rates in force, :func:`jinbao.policy.contributions.split`), written with their
  payments, personal-account entries and fund-ledger journals by the declaration path's own
  writer, collected on the 15th of the following month (a few employers' last month left
  unpaid: arrears); then the yearly interest job for every finished year;
- transfers: a seeded share of the movers who contribute now apply, today, to bring over the
  relations they kept in other provinces, and the cases run through the real workflow
  (:mod:`jinbao.sim.transfers`);
- scheme linkages (城乡衔接, 人社部发〔2014〕17号): employees who reach the employees' statutory
  age before 60 with fewer than 15 years go on in the residents' scheme at home (a SAMPLE
  share), and a share of them apply there to bring their employee years in, through the same
  workflow; a SAMPLE share of the migrant workers also pay the residents' scheme at home while
  they work (重复参保), linked into the employee scheme when they retire;
- retirements: the employees who reached the statutory age with the minimum contribution
  period on record apply for their pension, which is awarded and paid through the benefits
  service (:mod:`jinbao.sim.retirements`; with 15 ``--years`` or more of history);
- deaths: the survivors of those who died insured before a pension claim their due, and this
  month's death feed reports the pensioners who died in the last months, their pensions
  stopped and settled (:mod:`jinbao.sim.deaths`).

Persons are generated and written a chunk at a time: memory holds one chunk's careers, the
employers and a byte per (county, birth date) to keep ID numbers unique — never the nation.
The result passes ``jinbao ledger check``. Everything it writes is SAMPLE data (names, numbers
and codes invented; ID numbers and credit codes carry valid check characters).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import os
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Engine, Integer, String, select

from jinbao.accounts.interest import run_interest
from jinbao.accounts.tables import account_entries
from jinbao.audit.service import record
from jinbao.audit.tables import audit_log
from jinbao.benefits.tables import life_events
from jinbao.contributions.model import Kind, period_int
from jinbao.contributions.service import Rules, record_row, write_batch
from jinbao.contributions.service.resident import FIRST_YEAR as RESIDENT_FIRST_YEAR
from jinbao.contributions.service.resident import account_entry
from jinbao.contributions.tables import (
    contribution_payments,
    contributions,
    deemed_years,
    resident_contributions,
)
from jinbao.db.bulk import (
    Writing,
    index_named,
    insert_rows,
    key_filter,
    key_table,
    load_mode,
)
from jinbao.db.engine import make_engine
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.kernel.clock import Clock
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.identifiers import Sex, resident_id_check_character, uscc_check_character
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, credit, debit, region_of
from jinbao.policy.contributions import Contribution
from jinbao.policy.parameters import Parameters
from jinbao.policy.resident import contribution_subsidy, resident_requirement
from jinbao.policy.retirement import Category, minimum_contribution_for, statutory_retirement
from jinbao.policy.transfer import temporary_account_decision
from jinbao.registry import repository as repo
from jinbao.registry import service
from jinbao.registry.model import AgencyLevel, Contact, RegionLevel
from jinbao.registry.regions import shipped_regions
from jinbao.registry.tables import (
    agencies,
    employers,
    persons,
    relationship_status_changes,
    relationships,
)
from jinbao.sim.deaths import DeathReport, PensionerDeathReport, claim_survivors, pensioners_die
from jinbao.sim.demo import GIVEN, NATIONAL_CODE, SURNAMES
from jinbao.sim.retirements import (
    CHECKER,
    MAKER,
    ResidentPensionReport,
    RetirementReport,
    award_residents,
    retire,
)
from jinbao.sim.transfers import LINKAGE as LINKAGE_ROUTE
from jinbao.sim.transfers import (
    TRANSFER_SHARE,
    TransferReport,
    chosen,
    forked_pool,
    transfer_kept,
)

SIM = "（模拟数据）"
NATIONAL_CONTACT = Contact(f"北京市西城区{SIM}", "养老保险关系转移接续处", "12333", "9:00-17:00")

# Province weights, SAMPLE: population in millions (rounded, after the 2020 census) for where
# people's 户籍 is, and a pull for where inter-province migrants go to work (the receiving
# coastal provinces). Illustrations of the shape, not statistics.
POPULATION = {
    "11": 22, "12": 14, "13": 75, "14": 35, "15": 24, "21": 43, "22": 24, "23": 32, "31": 25,
    "32": 85, "33": 65, "34": 61, "35": 41, "36": 45, "37": 101, "41": 99, "42": 58, "43": 66,
    "44": 126, "45": 50, "46": 10, "50": 32, "51": 84, "52": 39, "53": 47, "54": 4, "61": 40,
    "62": 25, "63": 6, "64": 7, "65": 26, "66": 3,
}  # fmt: skip
PULL = {"44": 30, "33": 17, "32": 10, "31": 10, "11": 7, "35": 7, "12": 3, "37": 3}
# Career mix, SAMPLE: the shares of migrants within and between provinces follow the 2021
# report's 80 of 172 million outside their province; the rest is illustration.
CAREERS = (("local", 0.47), ("intra", 0.19), ("inter", 0.17), ("flexible", 0.17))
# The residents' scheme (城乡居保) beside them. SAMPLE share, of the order of the 2021 statistical
# bulletin (人社部《2021年度人力资源和社会保障事业发展统计公报》, figures as commonly quoted and not
# checked against it here: UNVERIFIED): 548 million in the residents' scheme of whom 162 million
# drew a pension, against 349 million employees contributing in the employees' scheme — about
# half of the working-age insured.
RESIDENT = "resident"
RESIDENT_SHARE = 0.5  # SAMPLE
RESIDENT_PAYS = 0.85  # SAMPLE: a resident pays in a given year (many skip years: 断缴)
# SAMPLE: the tier a resident pays (yuan a year; most choose the lowest ones). The tiers are the
# scheme's twelve (国发〔2014〕8号: "100元…2000元12个档次"); before 2014 the rural pilot's five,
# 100–500 (国发〔2009〕32号 新农保), so a higher choice is paid at 500 then.
RESIDENT_TIERS = {100: 45, 200: 20, 300: 12, 400: 3, 500: 8, 600: 1, 700: 1, 800: 1, 900: 1,
                  1000: 5, 1500: 1, 2000: 2}  # fmt: skip
RESIDENT_UNIFIED = 2014  # 国发〔2014〕8号: the twelve tiers
PILOT_TOP_TIER = 500  # before it, the rural pilot's highest (国发〔2009〕32号)
# SAMPLE: of the employees who reach the employees' statutory age before the residents' scheme's
# pension age (women at 50 or 55) with fewer than 15 years paid, the share who go on in the
# residents' scheme at home — where 人社部发〔2014〕17号 takes their employee years (第三条, 第六条).
WENT_HOME_SHARE = 0.5
# SAMPLE: of the migrant workers (careers intra and inter) of a nation with the residents'
# scheme, the share also insured in it at home, paying its yearly tier in most years they work
# (重复参保: a rural family pays the residents' scheme for everyone). An illustration.
PAID_AT_HOME_SHARE = 0.2
# SAMPLE: of the local workers and migrants within their province whose working life began
# before individual contributions did (before 1998 here, parameter transitional.deemed) and
# before the window, the share with 视同缴费年限 on file — those who worked then in state or
# collective units (连续工龄), where the personnel file proves the years. An illustration.
DEEMED_SHARE = 0.6
MEAN_JOB_MONTHS = 40  # SAMPLE
GAP_CHANCE = 0.3  # SAMPLE: a job ends with a gap before the next one
LATE_CHANCE = 0.04  # SAMPLE: a job has a run of months declared late and back-paid (补缴)
RETURN_HOME_CHANCE = 0.3  # SAMPLE: an inter-province migrant's last job is back home
DEATH_PER_YEAR = 0.002  # SAMPLE
ARREARS_EVERY = 33  # SAMPLE: every 33rd employer has declared last month and not yet paid
NOT_NETWORKED = 0.05  # SAMPLE: county agencies not yet on the exchange network (manual mode)
# Persons a transaction writes: a chunk of 5 000 over 10 years is ~440 000 records, ~400 MB in a
# writing process at its peak (20 000 took 1.2 GB, no faster), so two writers and the drawing
# process stay well under 2 GB.
CHUNK = 5_000
# What generate reports after the persons are written, as (stage, steps done, steps in all,
# the step beginning): AFTER_LOAD, each index built and foreign key checked by name, then
# ANALYZE (PostgreSQL; minutes at a million persons); INTEREST, each year credited; TRANSFERS,
# opened by a call with no step, then each batch of movers as it ends (its batches may run at
# once: jinbao.sim.transfers); LINKAGE, the same for the scheme linkages; RETIREMENTS, each
# batch of retirees and then the payment runs (jinbao.sim.retirements); RESIDENT_PENSIONS, each
# batch of residents at 60, then the raises and the payment runs (the same); DEATHS, each batch of
# survivors' claims (jinbao.sim.deaths); PENSIONER_DEATHS, each batch of pensioners the death
# feed looked at (jinbao.sim.deaths). A last call per stage
# has done equal to the total and no step.
StageProgress = Callable[[str, int, int, str], None]
AFTER_LOAD = "after_load"
INTEREST = "interest"
TRANSFERS = "transfers"
LINKAGE = "linkage"
RETIREMENTS = "retirements"
RESIDENT_PENSIONS = "resident_pensions"
DEATHS = "deaths"
PENSIONER_DEATHS = "pensioner_deaths"
# Written in bulk with their foreign keys checked after the load (generate).
RECORD_TABLES = (contributions, contribution_payments, account_entries)
# Their indexes that the writer does not read by, built after the load (generate): the
# person-ordered ones, which every month of a chunk writes into all over, and the employer's.
# The primary keys and the batch index stay: the writer selects each batch back by it.
AFTER_LOAD_INDEXES = (
    index_named(contributions, "uq_contributions_person_id_scheme_period_entry_no"),
    index_named(contributions, "ix_contributions_employer_id_period"),
    index_named(contribution_payments, "ix_contribution_payments_person_id"),
    index_named(account_entries, "ix_account_entries_person_id_scheme_effective_on"),
)


@dataclass(frozen=True, slots=True)
class SimReport:
    persons: int
    employers: int
    agencies: int
    relationships: int
    records: int  # contribution records (the employees' scheme, monthly)
    resident_payments: int  # yearly payments in the residents' scheme
    careers: dict[str, int]
    deaths: int
    retired: int
    temporary: int
    back_paid: int
    interest_years: tuple[int, ...]
    seconds: float
    sample_ids: tuple[str, ...] = ()  # a few generated persons, one of each career, to look at
    transfers: TransferReport | None = None  # the movers' applications (None: none asked for)
    went_home: int = 0  # employees who went on in the residents' scheme at home (_went_home)
    linkage: TransferReport | None = None  # their applications for 城乡衔接 (None: none asked)
    paid_at_home: int = 0  # migrant workers also paying the residents' scheme (_paid_at_home)
    deemed: int = 0  # employees with 视同缴费年限 recorded (_deemed)
    retirements: RetirementReport | None = None  # pensions applied for (None: not asked for)
    survivors: DeathReport | None = (
        None  # survivors' claims, deaths before a pension (None: not asked)
    )
    # The death feed over the pensioners (None: not asked, or no retirements)
    pensioner_deaths: PensionerDeathReport | None = None
    # The residents' pensions applied for at 60 (None: retirements not asked for)
    resident_pensions: ResidentPensionReport | None = None


@dataclass(slots=True)
class _Employer:
    id: int
    agency_id: int
    region: str  # the agency's county code

    @property
    def province(self) -> str:  # two digits
        return self.region[:2]


@dataclass(slots=True)
class _Spell:
    employer: _Employer | None  # None: a flexible worker at ``agency``
    agency_id: int
    region: str
    start: int  # month index (YearMonth.index)
    end: int  # inclusive
    temporary: bool = False
    late: tuple[int, int] | None = None  # months [a, b] declared late and back-paid
    resident: bool = False  # the residents' scheme at ``agency`` (no employer, no months)

    @property
    def months(self) -> int:
        return self.end - self.start + 1


@dataclass(slots=True)
class _Person:
    id_number: str
    name: str
    sex: Sex
    born: dt.date
    hukou: str
    category: Category
    career: str
    factor: float  # wage as a multiple of the provincial average
    spells: list[_Spell] = field(default_factory=list)
    ended: str = ""  # "", "retired" or "died"
    died_on: dt.date | None = None
    last_month: int = 0  # the month index the career ends in (last month if it goes on)
    # A resident's yearly payments: (year, tier in yuan, month index paid in, on the 20th).
    paid_years: list[tuple[int, int, int]] = field(default_factory=list)
    # An employee who went on in the residents' scheme at home after the statutory age
    # (_went_home): that relation, apart from the job spells; paid_years are its payments.
    home: _Spell | None = None
    # A migrant worker also insured in the residents' scheme at home while working
    # (_paid_at_home): that relation; paid_years are its payments.
    at_home: _Spell | None = None
    # 视同缴费年限 before the window (_deemed): the months [start, end], recorded at the agency
    # of the first job (agency_id) as worked in its region.
    deemed: _Spell | None = None


class _Picker:
    """Weighted choice by bisection on cumulative weights (random.choices rebuilds them)."""

    def __init__(self, items: list[Any], weights: list[float]) -> None:
        self.items = items
        self.cum = list(itertools.accumulate(weights))

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


def generate(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    *,
    persons_wanted: int,
    seed: int = 1,
    years: int = 10,
    chunk: int = CHUNK,
    interest: bool = True,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    stages: StageProgress | None = None,
    transfers: float = TRANSFER_SHARE,
    residents: float = RESIDENT_SHARE,
    retirements: bool = True,
    deaths: bool = True,
) -> SimReport:
    """Generate ``persons_wanted`` persons with ``years`` years of history up to last month,
    the share ``residents`` of them in the residents' scheme (0: none).

    ``workers`` processes write the chunks (PostgreSQL; by default one per core): the draws
    stay in this process, in order, so the nation is the same whatever their number.
    ``progress`` gets (persons written, persons wanted); ``stages`` what follows the writing
    (see :data:`StageProgress`). Then the share ``transfers`` of the inter-province movers who
    contribute now apply, today, to bring over the relations they kept, through the workflow
    (:mod:`jinbao.sim.transfers`; 0: none). With ``retirements``, the employees who reached
    the statutory age with the minimum on record apply for their pension and are paid
    (:mod:`jinbao.sim.retirements`). With ``deaths``, the survivors of those who died before
    drawing a pension claim their due, and with ``retirements`` too the death feed reports
    the pensioners who died in the last months (:mod:`jinbao.sim.deaths`)."""
    _check_plan(persons_wanted, years)
    _check_share("transfers", transfers)
    _check_share("residents", residents)
    workers = writers(engine, workers)
    started = time.perf_counter()
    rng = random.Random(seed)
    today, first, last = _window(clock, years)
    plan: dict[str, object] = {"persons": persons_wanted, "years": years, "chunk": chunk,
                               "last": str(last)}  # fmt: skip
    if residents:  # absent at 0: the nations made before residents were drawn had none
        plan["residents"] = residents
    marker = f"sim:{seed}:"
    with UnitOfWork(engine, clock, "sim") as uow:
        before = uow.conn.execute(
            select(audit_log.c.new).where(
                audit_log.c.action == "sim.generate", audit_log.c.entity_key == str(seed)
            )
        ).first()
        if before is not None and before.new != plan:
            # Name what differs: a nation made before residents were drawn resumes only with
            # --residents 0, and the person has to see that it is the residents' share.
            differs = sorted(set(before.new) | set(plan), key=str)
            shown = ", ".join(
                f"{k}: {before.new.get(k, '—')} ≠ {plan.get(k, '—')}"
                for k in differs if before.new.get(k) != plan.get(k)
            )  # fmt: skip
            raise Conflict(
                "sim.seed_used",
                f"种子{seed}已用于另一规模的模拟人口（{before.new}；不同之处 {shown}）；"
                "请使用原来的选项续生成，或换一个种子（--seed）。",
                f"Seed {seed} already made a nation of another plan ({before.new}; differing "
                f"{shown}): resume with the same options, or use another --seed.",
            )
        if before is None:
            record(uow, "sim.generate", "sim", str(seed), new=plan)
        # A stream of its own: agencies already there draw nothing, yet the people must not change.
        made_agencies = _agencies(uow, random.Random(f"{seed}:agencies"))
        # Every agency's signing key pair, as on a node that has run for a while (each makes
        # its own at its first document): without them the transfers of a run made hundreds,
        # and the route look-ups were planned for the few that existed (session 35).
        exchange.ensure_keys(uow)
        counties = _counties(uow)
        firms = _employers(uow, rng, counties, max(5, persons_wanted // 20), seed)
        uow.commit()
    totals: dict[str, int] = defaultdict(int)
    samples: dict[str, str] = {}
    made = records = relations = paid_years = 0
    population = _population(rng, counties, firms, params, first, last, persons_wanted, chunk, totals, samples, residents)  # fmt: skip
    movers: list[str] = []
    linking: list[str] = []
    if transfers:
        population = _noting_movers(population, last, seed, transfers, movers, linking)
    retiring: list[str] = []
    residents_at_sixty: list[str] = []
    if retirements:
        population = _noting_retirees(population, params, last, retiring, residents_at_sixty)
    dead: list[tuple[str, dt.date, bool]] = []
    if deaths:
        population = _noting_deaths(population, dead)

    # The three tables of a month's records take nine rows in ten: their foreign keys are
    # checked and their person-ordered indexes built once at the end, not per row
    # (PostgreSQL; see load_mode). They go off at the first chunk an earlier run did not write.
    def after_load(name: str, done: int, total: int) -> None:
        if stages is not None:
            stages(AFTER_LOAD, done, total, name)

    with load_mode(
        engine, keys_of=RECORD_TABLES, indexes=AFTER_LOAD_INDEXES, on_step=after_load
    ) as writing:
        for n, written in _write_chunks(
            engine, clock, params, workers, population, marker, last, today, writing
        ):
            made += n
            if written is not None:
                relations, records = relations + written.relations, records + written.records
                paid_years += written.resident_payments
                totals["back_paid"] += written.back_paid
            if progress:
                progress(made, persons_wanted)
    done_years = _rated_years(params, first.year, today.year) if interest else []
    for n, year in enumerate(done_years):
        if stages is not None:
            stages(INTEREST, n, len(done_years), str(year))
        run_interest(engine, clock, year, params, chunk_size=5000)
    if stages is not None and done_years:
        stages(INTEREST, len(done_years), len(done_years), "")
    moved = linked = None
    if transfers:

        def batches(done: int, total: int, step: str) -> None:
            if stages is not None:
                stages(TRANSFERS, done, total, step)

        moved = transfer_kept(engine, clock, params, movers, progress=batches, workers=workers)
        if linking:

            def linkages(done: int, total: int, step: str) -> None:
                if stages is not None:
                    stages(LINKAGE, done, total, step)

            linked = transfer_kept(engine, clock, params, linking, progress=linkages,
                                   workers=workers, route=LINKAGE_ROUTE)  # fmt: skip
    retired = resident_pensions = None
    if retirements:

        def retiring_steps(done: int, total: int, step: str) -> None:
            if stages is not None:
                stages(RETIREMENTS, done, total, step)

        retired = retire(engine, clock, params, retiring, progress=retiring_steps, workers=workers)

        def residents_steps(done: int, total: int, step: str) -> None:
            if stages is not None:
                stages(RESIDENT_PENSIONS, done, total, step)

        resident_pensions = award_residents(
            engine, clock, params, residents_at_sixty, progress=residents_steps, workers=workers
        )
    survivors = None
    if deaths:

        def claims(done: int, total: int, step: str) -> None:
            if stages is not None:
                stages(DEATHS, done, total, step)

        survivors = claim_survivors(engine, clock, params, dead, progress=claims, workers=workers)
    fed = None
    if deaths and retirements:

        def feed(done: int, total: int, step: str) -> None:
            if stages is not None:
                stages(PENSIONER_DEATHS, done, total, step)

        fed = pensioners_die(
            engine, clock, params, retiring + residents_at_sixty, progress=feed, workers=workers
        )
    return _report(made, len(firms), made_agencies, relations, records, paid_years, totals,
                   samples, tuple(done_years), started, moved, linked, retired,
                   survivors, fed, resident_pensions)  # fmt: skip


# The shares generate takes: (error code, what it is a share of in Chinese and in English).
_SHARES = {
    "transfers": ("sim.transfer_share", "申请转移接续的流动人员比例", "share of movers who apply to transfer"),
    "residents": ("sim.resident_share", "参加城乡居民养老保险的人员比例", "share of persons in the residents' scheme"),
}  # fmt: skip


def _check_share(name: str, share: float) -> None:
    if not 0 <= share <= 1:
        code, zh, en = _SHARES[name]
        raise InvalidInput(
            code,
            f"{zh}应在0到1之间，而不是{share}。",
            f"The {en} is between 0 and 1, not {share}.",
            field=name,
        )


def _noting_movers(
    population: Iterator[list[_Person]], last: YearMonth, seed: int, share: float,
    movers: list[str], linking: list[str],
) -> Iterator[list[_Person]]:  # fmt: skip
    """The population as drawn, noting on the way the persons chosen to apply for a transfer
    (contributing now in a normal relation, with a normal one kept in another province) and for
    a scheme linkage (went home and still paying there: the relation the linkage joins)."""
    for people in population:
        for p in people:
            if _may_apply(p, last) and chosen(seed, p.id_number, share):
                movers.append(p.id_number)
            home = p.home
            if home is not None and home.end == last.index and chosen(seed, p.id_number, share):
                linking.append(p.id_number)
        yield people


def _noting_retirees(
    population: Iterator[list[_Person]], params: Parameters, last: YearMonth,
    retiring: list[str], residents: list[str],
) -> Iterator[list[_Person]]:  # fmt: skip
    """The population as drawn, noting on the way the employees who reached the statutory
    retirement age in the window with at least the minimum contribution period that applies to
    that month (:func:`minimum_contribution_for`) in their months on record: those who apply
    for their pension (:mod:`jinbao.sim.retirements`); and the residents who reached 60 in it
    with the years the residents' pension needs paid (国发〔2014〕8号: 15, fewer for those near 60
    when the scheme began, :func:`resident_requirement`), among them those who went home
    (:func:`_went_home`) and reached 60 before last month with the years needed once their
    employee years are linked in (17号 第六条: they count as the residents' years, the months
    paid in both once).
    """
    minimum: dict[int, int] = {}
    for people in population:
        for p in people:
            if p.ended == "retired" and p.career == RESIDENT:
                # 15 years, or fewer for one near 60 when the scheme began (8号 第七条)
                if len(p.paid_years) >= resident_requirement(p.born, p.hukou, params).value.years:
                    residents.append(p.id_number)
                continue
            home = p.home
            if home is not None and home.end == _sixty(p, params) - 1 and home.end < last.index:
                months = {m for s in p.spells for m in range(s.start, s.end + 1)}
                months.update(y * 12 + m for y, _, _ in p.paid_years for m in range(12))
                required = resident_requirement(p.born, p.hukou, params).value.years
                if len(months) >= 12 * required:
                    residents.append(p.id_number)
                continue
            if p.ended != "retired" or p.home is not None:
                continue
            statutory = YearMonth.from_index(p.last_month + 1)  # the career ends the month before
            if statutory.index not in minimum:
                minimum[statutory.index] = minimum_contribution_for(
                    statutory, statutory, params
                ).value
            deemed = p.deemed.months if p.deemed else 0
            if deemed + sum(s.months for s in p.spells) >= minimum[statutory.index]:
                retiring.append(p.id_number)
        yield people


def _noting_deaths(
    population: Iterator[list[_Person]], dead: list[tuple[str, dt.date, bool]]
) -> Iterator[list[_Person]]:
    """The population as drawn, noting on the way the persons who died insured (ID number, date
    of death, a resident): their survivors claim (:mod:`jinbao.sim.deaths`)."""
    for people in population:
        for p in people:
            if p.ended == "died" and p.spells and p.died_on:
                dead.append((p.id_number, p.died_on, p.career == RESIDENT))
        yield people


def _may_apply(p: _Person, last: YearMonth) -> bool:
    """Contributing last month in a normal relation (not a temporary account), with an earlier
    normal one in another province: what :mod:`jinbao.sim.transfers` looks up again in the
    database before the person applies."""
    if p.ended or not p.spells or p.career == RESIDENT:
        return False
    now = p.spells[-1]
    if now.end != last.index or now.temporary:
        return False
    return any(not s.temporary and s.region[:2] != now.region[:2] for s in p.spells[:-1])


def _rated_years(params: Parameters, first: int, end: int) -> list[int]:
    """The finished years whose interest rate the parameters publish (the others are not
    credited)."""
    rated = []
    for year in range(first, end):
        try:
            params.interest_rate(year)
        except InvalidInput:
            continue
        rated.append(year)
    return rated


def _check_plan(persons_wanted: int, years: int) -> None:
    if not 1 <= persons_wanted <= 20_000_000:
        raise InvalidInput(
            "sim.size", "人数须在1至2000万之间。", "The size must be 1 to 20 million persons."
        )
    if not 1 <= years <= 25:
        raise InvalidInput("sim.years", "年数须在1至25之间。", "Years must be 1 to 25.")


def writers(engine: Engine, wanted: int | None) -> int:
    """How many processes write: one per core on PostgreSQL unless told; one on SQLite, whose
    single writer would make the others wait out its busy timeout and fail."""
    if wanted is not None and wanted < 1:
        raise InvalidInput("sim.workers", "写入进程数须至少为1。", "--workers must be at least 1.")
    if engine.dialect.name != "postgresql":
        if wanted is not None and wanted > 1:
            raise InvalidInput(
                "sim.workers",
                "SQLite同一时间只允许一个写入者：多个写入进程（--workers大于1）须使用PostgreSQL。",
                "SQLite has one writer at a time: more than one writing process (--workers) "
                "needs PostgreSQL.",
            )
        return 1
    return wanted or os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class _Written:
    relations: int
    records: int
    back_paid: int
    resident_payments: int


def _write_chunk(
    engine: Engine,
    clock: Clock,
    rules: Rules,
    people: list[_Person],
    batch: str,
    last: YearMonth,
    today: dt.date,
) -> _Written | None:
    """One chunk in one transaction: persons, relations, records with payments, account
    entries and journals, residents' yearly payments. None if an earlier run of the same plan
    wrote it (and stopped later)."""
    with UnitOfWork(engine, clock, "sim") as uow:
        if _written_before(uow, people):
            return None
        ids = _write_people(uow, people, last)
        records, late = _write_records(uow, people, ids, rules, batch, last, today)
        paid = _write_resident_years(uow, people, ids, rules.params, batch)
        uow.commit()
    relations = sum(len(p.spells) + (p.home is not None) + (p.at_home is not None) for p in people)
    return _Written(relations, records, late, paid)


def _written_before(uow: UnitOfWork, people: list[_Person]) -> bool:
    """Whether an earlier run of the same plan wrote this chunk (and stopped later); refused if
    only some of its ID numbers are held."""
    with key_filter(uow.conn, (p.id_number for p in people), String) as matches:
        taken = uow.conn.execute(
            select(persons.c.id_number).where(matches(persons.c.id_number))
        ).scalars()
        held = sorted(taken)
    if len(held) == len(people):
        return True
    if held:
        # ID numbers are unique within one seed's nation, not across seeds: another nation
        # (or real data) in this database already holds some of them.
        shown = "、".join(held[:3]) + ("…" if len(held) > 3 else "")
        raise Conflict(
            "sim.id_taken",
            f"模拟人口的身份证号{shown}已被本数据库中的其他人员占用（另一个种子生成的模拟人口"
            "或真实数据）：请在空数据库中生成，或沿用原来的种子和规模续生成。",
            f"ID numbers of the synthetic nation ({shown.replace('、', ', ')}) are already "
            "held in this database (by a nation of another seed, or by real data): generate "
            "into an empty database, or resume with the same seed and plan.",
        )
    return False


def _write_chunks(
    engine: Engine,
    clock: Clock,
    params: Parameters,
    workers: int,
    population: Iterator[list[_Person]],
    marker: str,
    last: YearMonth,
    today: dt.date,
    writing: Writing,
) -> Iterator[tuple[int, _Written | None]]:
    """Write the chunks as they are drawn, here or in ``workers`` processes of their own; yields
    (persons, what was written) per chunk as each finishes. At most two chunks per worker wait,
    so memory holds a few chunks, never the nation. A chunk is named by the count of persons
    drawn before it (its batch keys), so a rerun finds what a stopped run wrote whatever the
    order the chunks were committed in.

    The chunks an earlier run wrote are passed over here, up to the first it did not write:
    only then, with no writer at work yet, are the keys and indexes taken off (``writing``).
    A rerun of a finished load takes nothing off and builds nothing again."""
    chunks = _named(population, marker)
    for batch, people in chunks:
        with UnitOfWork(engine, clock, "sim") as uow:  # a key table is a write, if temporary
            done = _written_before(uow, people)
        if not done:
            writing()
            chunks = itertools.chain([(batch, people)], chunks)
            break
        yield len(people), None
    else:
        return  # every chunk was written by an earlier run
    if workers == 1:
        rules = Rules(params)
        for batch, people in chunks:
            yield len(people), _write_chunk(engine, clock, rules, people, batch, last, today)
        return
    pool = forked_pool(engine, clock, params, workers, _worker_start)
    pending: dict[Future[_Written | None], int] = {}
    try:
        for batch, people in chunks:
            job = pool.submit(_worker_chunk, people, batch, last, today)
            pending[job] = len(people)
            while len(pending) >= 2 * workers:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for job in finished:
                    yield pending.pop(job), job.result()
        for job in as_completed(list(pending)):
            yield pending.pop(job), job.result()
    finally:
        # On a failure (or a stop), chunks not yet begun are dropped; those being written
        # finish or roll back as a whole. A rerun writes what is missing.
        pool.shutdown(wait=True, cancel_futures=True)


def _named(population: Iterator[list[_Person]], marker: str) -> Iterator[tuple[str, list[_Person]]]:
    """Each chunk with its batch key: the marker and the count of persons drawn before it."""
    offset = 0
    for people in population:
        yield f"{marker}{offset}", people
        offset += len(people)


_WORKER: dict[str, Any] = {}  # a worker process's engine, clock and rules


def _worker_start(url: str, clock: Clock, params: Parameters) -> None:
    _WORKER.update(engine=make_engine(url), clock=clock, rules=Rules(params))


def _worker_chunk(
    people: list[_Person], batch: str, last: YearMonth, today: dt.date
) -> _Written | None:
    w = _WORKER
    return _write_chunk(w["engine"], w["clock"], w["rules"], people, batch, last, today)


def _prefecture_place(names: dict[str, str], code: str, name: str) -> str:
    """The place a city agency is named after: the province for 市辖区 and the like."""
    return names[code[:2] + "0000"] + ("" if name in ("市辖区", "县") or "直辖" in name else name)


def _population(
    rng: random.Random,
    counties: dict[str, int],
    firms: list[tuple[_Employer, float]],
    params: Parameters,
    first: YearMonth,
    last: YearMonth,
    persons_wanted: int,
    chunk: int,
    totals: dict[str, int],
    samples: dict[str, str],
    residents: float,
) -> Iterator[list[_Person]]:
    """The persons with their careers, a chunk at a time (the same draws whatever is written);
    the share ``residents`` in the residents' scheme."""
    by_province: dict[str, _Picker] = {}
    grouped: dict[str, tuple[list[_Employer], list[float]]] = defaultdict(lambda: ([], []))
    for employer, size in firms:
        grouped[employer.province][0].append(employer)
        grouped[employer.province][1].append(size)
    for province, (items, weights) in grouped.items():
        by_province[province] = _Picker(items, weights)
    pull = _Picker(list(PULL), list(PULL.values()))
    per_province = Counter(c[:2] for c in counties)
    homes = _Picker(list(counties), [POPULATION[c[:2]] / per_province[c[:2]] for c in counties])
    issued = bytearray(len(counties) * 20_000)  # persons per (county, birth day): unique IDs
    county_index = {c: i for i, c in enumerate(counties)}
    retire_cache: dict[tuple[Category, int], int] = {}
    made = 0
    while made < persons_wanted:
        n = min(chunk, persons_wanted - made)
        people = [_person(rng, homes, issued, county_index, last, residents) for _ in range(n)]
        for p in people:
            _career(rng, p, first, last, by_province, pull, counties, params, totals, retire_cache)
            if residents and p.ended == "retired" and p.career != RESIDENT:
                _went_home(p, last, counties, params, totals)
            if residents:
                _paid_at_home(p, counties, params, totals)
            _deemed(p, first, params, totals)
            totals[p.career] += 1
            # One to look at: a person who retired before the window has no months (a resident
            # no payment).
            if p.paid_years if p.career == RESIDENT else p.spells:
                samples.setdefault(p.career, p.id_number)
        yield people
        made += n


def _agencies(uow: UnitOfWork, rng: random.Random) -> int:
    """Agencies at every level, added through the registry's own rules; those already there
    (the demo's, an earlier run's) are kept as they are."""
    have = set(uow.conn.execute(select(agencies.c.code)).scalars())
    new: list[service.NewAgency] = []

    def add(code: str, name: str, level: AgencyLevel, parent: str | None, region: str | None,
            since: dt.date | None) -> None:  # fmt: skip
        if code in have:
            return
        phone = f"0{rng.randint(10, 999)}-{rng.randint(60000000, 89999999)}"
        contact = Contact(f"{name[:6]}人民路{rng.randint(1, 300)}号{SIM}", "养老保险科", phone,
                          "周一至周五 9:00-17:00")  # fmt: skip
        new.append(service.NewAgency(code, name, level, parent, region, contact, since))

    add(NATIONAL_CODE, "人力资源社会保障部社会保险事业管理中心", AgencyLevel.NATIONAL, None, None,
        dt.date(2010, 4, 30))  # fmt: skip
    regions = repo.list_regions(uow, level=None, parent_code=None, query=None)
    names = {r.code: r.name for r in regions}
    for r in regions:
        if r.level is RegionLevel.PROVINCE and r.code[:2] in POPULATION:
            add(r.code + "00", f"{r.name}社会保险事业管理局{SIM}", AgencyLevel.PROVINCE,
                NATIONAL_CODE, r.code, dt.date(2010, 7, 30))  # fmt: skip
    for r in regions:
        if r.level is RegionLevel.PREFECTURE and r.code[:2] in POPULATION:
            place = _prefecture_place(names, r.code, r.name)
            add(r.code + "00", f"{place}社会保险基金管理中心{SIM}", AgencyLevel.CITY,
                r.code[:2] + "000000", r.code, dt.date(2011, 1, 1))  # fmt: skip
    for r in regions:
        if r.level is RegionLevel.COUNTY and r.code[:2] in POPULATION and r.parent_code:
            since = None if rng.random() < NOT_NETWORKED else dt.date(2012, 1, 1)
            add(r.code + "00", f"{names.get(r.parent_code, '')}{r.name}社会保险经办中心{SIM}",
                AgencyLevel.COUNTY, r.parent_code + "00", r.code, since)  # fmt: skip
    # All at once, by the registry's rules. One by one, as a clerk adds an agency, the three
    # thousand counties took 20-30 s on PostgreSQL: look-ups by code, planned once while the
    # table was nearly empty, scanned it whole for as long as the transaction lasted.
    service.add_agencies(uow, new)
    return len(new)


def _counties(uow: UnitOfWork) -> dict[str, int]:
    """County region code → its county agency's id (the counties employers and people live in)."""
    rows = uow.conn.execute(
        select(agencies.c.region_code, agencies.c.id).where(
            agencies.c.level == AgencyLevel.COUNTY.value, agencies.c.code.like("%00")
        )
    )
    return {code: agency_id for code, agency_id in rows if code and code[:2] in POPULATION}


def _employer_draws(
    rng: random.Random, counties: dict[str, int], count: int, seed: int
) -> list[tuple[str, str, float]]:
    """Employers as (credit code, county, size): Pareto sizes, in counties weighted by where
    the jobs are."""
    weight = {p: POPULATION[p] + 4 * PULL.get(p, 0) for p in POPULATION}
    per_province = Counter(c[:2] for c in counties)
    codes = list(counties)
    place = _Picker(codes, [weight[c[:2]] / per_province[c[:2]] for c in codes])
    made: list[tuple[str, str, float]] = []
    for i in range(count):
        county = place(rng)
        body = f"91{county}{seed % 1000:03d}{i:06d}"
        made.append((body + uscc_check_character(body), county, rng.paretovariate(1.16)))
    return made


def _employer_name(seed: int, i: int) -> str:
    return f"模拟{seed}-{i}号企业{SIM}"


def _employers(
    uow: UnitOfWork, rng: random.Random, counties: dict[str, int], count: int, seed: int
) -> list[tuple[_Employer, float]]:
    """The employers, registered (once: a rerun of the same plan draws the same ones)."""
    made = _employer_draws(rng, counties, count, seed)
    now = uow.clock.now()
    there = uow.conn.execute(
        select(employers.c.id).where(employers.c.name.like(f"模拟{seed}-%"))
    ).first()
    if there is None:
        insert_rows(
            uow.conn,
            employers,
            ["uscc", "name", "agency_id", "created_at"],
            ([u, _employer_name(seed, i), counties[c], now] for i, (u, c, _) in enumerate(made)),
        )
    ids = dict(
        uow.conn.execute(
            select(employers.c.uscc, employers.c.id).where(employers.c.name.like(f"模拟{seed}-%"))
        ).all()
    )
    return [(_Employer(ids[u], counties[c], c), size) for u, c, size in made]


def _person(
    rng: random.Random,
    homes: _Picker,
    issued: bytearray,
    county_index: dict[str, int],
    last: YearMonth,
    residents: float,
) -> _Person:
    hukou = homes(rng)
    sex = Sex.MALE if rng.random() < 0.55 else Sex.FEMALE
    age_at_end = rng.randint(19, 63)
    while True:  # a birth day with a free sequence number in the county
        born = dt.date(last.year - age_at_end, 1, 1) + dt.timedelta(days=rng.randint(0, 364))
        cell = county_index[hukou] * 20_000 + (born - dt.date(1940, 1, 1)).days % 20_000
        if issued[cell] < 250:
            seq = issued[cell] * 2 + (1 if sex is Sex.MALE else 0)
            issued[cell] += 1
            break
        age_at_end = rng.randint(19, 63)
    body = f"{hukou}{born:%Y%m%d}{seq:03d}"
    category = (
        Category.MALE if sex is Sex.MALE
        else Category.FEMALE_50 if rng.random() < 0.7 else Category.FEMALE_55
    )  # fmt: skip
    career = _career_kind(rng, residents)
    name = (
        rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    )
    return _Person(body + resident_id_check_character(body), name, sex, born, hukou, category,
                   career, min(3.5, max(0.4, rng.lognormvariate(0, 0.45))))  # fmt: skip


def _career_kind(rng: random.Random, residents: float) -> str:
    """A resident with the chance ``residents``, else one of CAREERS by their shares — by one
    draw, so that at 0 the nation is the same as before residents were drawn."""
    x = rng.random()
    if x < residents:
        return RESIDENT
    x = (x - residents) / (1 - residents)
    for kind, share in CAREERS:
        if x < share:
            return kind
        x -= share
    return CAREERS[-1][0]


def _career(
    rng: random.Random,
    p: _Person,
    first: YearMonth,
    last: YearMonth,
    by_province: dict[str, _Picker],
    pull: _Picker,
    county_agency: dict[str, int],
    params: Parameters,
    totals: dict[str, int],
    retire_cache: dict[tuple[Category, int], int],
) -> None:
    """Job spells from the first working month to last month, the statutory age or death; a
    resident's yearly payments (:func:`_resident_years`)."""
    born = YearMonth.of(p.born)
    if p.career == RESIDENT:
        # 国发〔2014〕8号: from 16 ("年满16周岁"; SAMPLE: joining within ten years of it) to the
        # scheme's pension age ("年满60周岁", the parameter).
        start = max(first.index, born.plus(12 * 16 + rng.randint(0, 120)).index)
        end = _ending(rng, p, first, last, start, _sixty(p, params), totals)
        if start <= end:
            p.spells.append(_resident_years(rng, p, county_agency, start, end))
        return
    start = max(first.index, born.plus(12 * 18 + rng.randint(0, 48)).index)
    key = (p.category, born.index)
    if key not in retire_cache:
        retire_cache[key] = statutory_retirement(
            p.category, born, params
        ).value.statutory_month.index
    end = _ending(rng, p, first, last, start, retire_cache[key], totals)
    home = p.hukou[:2]
    month = start
    away = p.career == "inter" and rng.random() < 0.6  # already working away at the start
    while month <= end:
        length = max(1, int(rng.expovariate(1 / MEAN_JOB_MONTHS)))
        stop = min(end, month + length - 1)
        if p.career == "flexible":
            spell = _Spell(None, county_agency[p.hukou], p.hukou, month, end)
            stop = end
        else:
            last_job = stop >= end
            if (
                p.career == "inter"
                and (away or rng.random() < 0.5)
                and not (last_job and rng.random() < RETURN_HOME_CHANCE)
            ):
                away = True
                province = pull(rng)
                if province == home:
                    province = "44" if home != "44" else "33"
            else:
                province = home
            picker = (
                by_province.get(province)
                or by_province.get(home)
                or next(iter(by_province.values()))
            )
            employer = picker(rng)
            if p.career == "local":
                for _ in range(3):  # prefer the home city
                    if employer.region[:4] == p.hukou[:4]:
                        break
                    employer = picker(rng)
            spell = _Spell(employer, employer.agency_id, employer.region, month, stop)
            spell.temporary = _temporary(p, employer.region, month, params)
            if spell.temporary:
                totals["temporary"] += 1
            if stop - month >= 6 and rng.random() < LATE_CHANCE:
                a = rng.randint(month, stop - 3)
                spell.late = (a, min(stop - 1, a + rng.randint(0, 5)))
        p.spells.append(spell)
        month = stop + 1
        if rng.random() < GAP_CHANCE:
            month += rng.randint(1, 18)


def _ending(
    rng: random.Random, p: _Person, first: YearMonth, last: YearMonth, start: int, retire: int,
    totals: dict[str, int],
) -> int:  # fmt: skip
    """The last month of a career that starts in ``start``: last month, the month before the
    one of retirement age (``retire``), or the month before death (SAMPLE rate). Notes the
    ending on the person."""
    end = min(last.index, retire - 1)
    if rng.random() < DEATH_PER_YEAR * (last.index - first.index + 1) / 12:
        died = rng.randint(first.index, last.index)
        if died <= end:
            end = died - 1
            p.ended = "died"
            ym = YearMonth.from_index(died)
            p.died_on = dt.date(ym.year, ym.month, rng.randint(1, 28))
            totals["died"] += 1
    if not p.ended and retire - 1 <= last.index and end >= start:
        p.ended = "retired"
        totals["retired"] += 1
    p.last_month = end
    return end


def _sixty(p: _Person, params: Parameters) -> int:
    """The month index of the residents' scheme's pension age (国发〔2014〕8号: "年满60周岁")."""
    age = int(params.resident("eligibility").value["age"])
    return YearMonth.of(p.born).plus(12 * age).index


_TIER = _Picker(list(RESIDENT_TIERS), list(RESIDENT_TIERS.values()))


def _resident_years(
    rng: random.Random, p: _Person, county_agency: dict[str, int], start: int, end: int
) -> _Spell:
    """A resident's relation at the 户籍 county's agency (国发〔2014〕8号: "在户籍地参加") from
    ``start`` to ``end``, and a payment in most of its years (RESIDENT_PAYS), in one tier
    chosen once (RESIDENT_TIERS; the rural pilot's 500 at most before 2014), on the 20th of a
    month of the year inside the relation."""
    spell = _Spell(None, county_agency[p.hukou], p.hukou, start, end, resident=True)
    tier = _TIER(rng)
    for year in range(start // 12, end // 12 + 1):
        if year < RESIDENT_FIRST_YEAR or rng.random() >= RESIDENT_PAYS:
            continue
        month = rng.randint(max(start, year * 12), min(end, year * 12 + 11))
        paid = tier if year >= RESIDENT_UNIFIED else min(tier, PILOT_TOP_TIER)
        p.paid_years.append((year, paid, month))
    return spell


def _went_home(
    p: _Person, last: YearMonth, county_agency: dict[str, int], params: Parameters,
    totals: dict[str, int],
) -> None:  # fmt: skip
    """An employee who reached the statutory age before 60 with fewer than 15 years paid, all
    at one agency other than the home county's and none in a temporary account, goes on in the
    residents' scheme at home with the chance WENT_HOME_SHARE, from the month of that age to 60
    (or last month) — the case of
    人社部发〔2014〕17号 第三条 for a linkage into the residents' scheme at the employees' age, with
    the employee relation already at one place (第四条). Drawn from the person's own stream
    (their ID number), so the rest of the nation is drawn as it was without it."""
    start = p.last_month + 1  # the statutory month: the career ended the month before
    sixty = _sixty(p, params)
    places = {s.agency_id for s in p.spells}
    months = sum(s.months for s in p.spells)
    home = county_agency[p.hukou]
    if start >= sixty or start > last.index or len(places) != 1 or home in places or months >= 180:
        return
    if any(s.temporary for s in p.spells):  # a temporary account is gathered first (66号 第五条)
        return
    rng = random.Random(f"home:{p.id_number}")
    if rng.random() >= WENT_HOME_SHARE:
        return
    p.home = _resident_years(rng, p, county_agency, start, min(last.index, sixty - 1))
    totals["went_home"] += 1


def _paid_at_home(
    p: _Person, county_agency: dict[str, int], params: Parameters, totals: dict[str, int]
) -> None:
    """A migrant worker (careers intra and inter) also insured in the residents' scheme at the
    户籍 county's agency, with the chance PAID_AT_HOME_SHARE: a relation there from the first
    job (not before the scheme's first year) to the end of the career or the scheme's age of
    60, whichever comes first (国发〔2014〕8号), paid in most of its years
    (:func:`_resident_years`) — 重复参保, months paid in both schemes, which a linkage at
    retirement settles (人社部发〔2014〕17号 第七条, :mod:`jinbao.benefits.service`). Not where a
    job was at that same agency (left out when a linkage within one agency was not built, and
    still: drawing them now would change every nation of session 38's seeds), nor for one who
    died (their survivors' claim is the employee scheme's) or went home. Drawn from the
    person's own stream (their ID number), so the rest of the nation is drawn as it was
    without it."""
    if p.career not in ("intra", "inter") or not p.spells or p.ended == "died" or p.home:
        return
    home = county_agency[p.hukou]
    if any(s.agency_id == home for s in p.spells):
        return
    rng = random.Random(f"paid-at-home:{p.id_number}")
    if rng.random() >= PAID_AT_HOME_SHARE:
        return
    start = max(p.spells[0].start, YearMonth(RESIDENT_FIRST_YEAR, 1).index)  # 国发〔2009〕32号
    end = min(p.last_month, _sixty(p, params) - 1)
    if start > end:
        return
    p.at_home = _resident_years(rng, p, county_agency, start, end)
    totals["paid_at_home"] += 1


def _deemed(p: _Person, first: YearMonth, params: Parameters, totals: dict[str, int]) -> None:
    """A local worker or a migrant within the province whose working life began before
    individual contributions did where they worked (parameter ``transitional.deemed``: 1997-12
    unless the province says) and before the window has, with the chance DEEMED_SHARE, 视同缴费
    年限 from that start to the month before the earlier of the two (国发〔1997〕26号's 中人),
    recorded at the agency of the first job in the window as worked there (人社部规〔2016〕5号
    一; :mod:`jinbao.contributions.service.deemed`). The gap between them and the window is
    history not loaded, as before. Not for one who went home (their years were counted short,
    :func:`_went_home`) or whose first job is a temporary account. Drawn from the person's own
    stream (their ID number), so the rest of the nation is drawn as it was without it."""
    if p.career not in ("local", "intra") or not p.spells or p.home is not None:
        return
    job = p.spells[0]
    if job.temporary:
        return
    rng = random.Random(f"deemed:{p.id_number}")
    if rng.random() >= DEEMED_SHARE:
        return
    start = YearMonth.of(p.born).plus(12 * 18 + rng.randint(0, 48)).index
    end = min(params.deemed_last_month(job.region).value.index, first.index - 1, job.start - 1)
    if start > end:
        return
    p.deemed = _Spell(None, job.agency_id, job.region, start, end)
    totals["deemed"] += 1


def _temporary(p: _Person, region: str, month: int, params: Parameters) -> bool:
    """66号 第五条 by the policy engine, asked only where the age could make it apply; a province
    where an earlier job left a normal relation kept is not a new place (until session 22 it
    was, and such a person held a relation and a temporary account at one agency, which the
    transfer workflow refuses and the receiving-place rule cannot read)."""
    if region[:2] == p.hukou[:2]:
        return False
    ym = YearMonth.from_index(month)
    age = ym.year - p.born.year
    if age < (50 if p.sex is Sex.MALE else 40) - 1:
        return False
    kept = any(not s.temporary and s.region[:2] == region[:2] for s in p.spells)
    decision = temporary_account_decision(
        sex=p.sex, born=p.born, on=ym.first_day(), hukou_province=p.hukou[:2] + "0000",
        new_province=region[:2] + "0000", params=params, kept_in_new_province=kept,
    )  # fmt: skip
    return decision.value.temporary


RELATION_COLUMNS = ["person_id", "scheme", "agency_id", "employer_id", "kind", "status", "started_on", "created_at"]  # fmt: skip


# Why a relation's status changed, as the sim records it (relationship_status_changes).
ENROLLED = "参保登记（模拟数据）"
DIED = "参保人员死亡（模拟数据）"
RETIRED = "达到法定退休年龄，待办理退休（模拟数据）"
# At 60 the relation waits for the pension: awarded by sim.retirements where 15 years are paid
AT_SIXTY = "年满60周岁，待领取城乡居民养老保险待遇（模拟数据）"
LEFT = "离职，中断缴费（模拟数据）"
STOPPED = "停止缴纳城乡居民养老保险费（模拟数据）"  # a migrant worker's at home, as the career ends


def _relations(p: _Person, last: YearMonth) -> list[tuple[_Spell, str, tuple[dt.date, str] | None]]:
    """Each relation of a person — one per job spell, and the residents' one of who went home
    or paid at home (:func:`_paid_at_home`, suspended when the career ends) —
    with its status now and, if it ended, the day and reason of the change that ended it: the
    last spell contributing if the career goes on, terminated at death, suspended at the
    statutory age (at 60 in the residents' scheme), the others suspended — kept where they
    were."""
    out: list[tuple[_Spell, str, tuple[dt.date, str] | None]] = []
    for i, s in enumerate(p.spells):
        is_last = i == len(p.spells) - 1
        left = YearMonth.from_index(s.end + 1).first_day()
        if is_last and not p.ended and s.end == last.index:
            out.append((s, "contributing", None))
        elif is_last and p.ended == "died":
            assert p.died_on is not None
            out.append((s, "terminated", (p.died_on, DIED)))
        elif is_last and p.ended == "retired" and s.end == p.last_month:
            out.append((s, "suspended", (left, AT_SIXTY if s.resident else RETIRED)))
        else:
            out.append((s, "suspended", (left, LEFT)))
    h = p.home
    if h is not None:
        ended = h.end != last.index
        at_sixty = (YearMonth.from_index(h.end + 1).first_day(), AT_SIXTY)
        out.append((h, "suspended" if ended else "contributing", at_sixty if ended else None))
    a = p.at_home
    if a is not None:  # ended with the career, or at 60 (_paid_at_home)
        why = STOPPED if a.end == p.last_month else AT_SIXTY
        stopped = (YearMonth.from_index(a.end + 1).first_day(), why)
        # A career ended by retirement in last month stops the payments at home too: a
        # relation still contributing cannot be linked in (transfer.still_contributing).
        ended = a.end != last.index or p.ended == "retired"
        out.append((a, "suspended" if ended else "contributing", stopped if ended else None))
    return out


def _relation_rows(
    people: list[_Person], ids: dict[str, int], last: YearMonth, now: dt.datetime
) -> list[list[Any]]:
    """One row per relation (RELATION_COLUMNS), with its status now (:func:`_relations`)."""
    rows = []
    for p in people:
        pid = ids[p.id_number]
        for s, status, _ in _relations(p, last):
            rows.append([pid, RESIDENT if s.resident else "enterprise", s.agency_id,
                         s.employer.id if s.employer else None,
                         "temporary" if s.temporary else "normal", status,
                         YearMonth.from_index(s.start).first_day(), now])  # fmt: skip
    return rows


def _write_people(uow: UnitOfWork, people: list[_Person], last: YearMonth) -> dict[str, int]:
    """Persons, one relation per job spell with its status history, and deaths; returns the
    persons' row ids by ID number."""
    now = uow.clock.now()
    insert_rows(
        uow.conn,
        persons,
        ["id_number", "name", "sex", "birth_date", "hukou_region_code", "retirement_category", "phone", "address", "created_at"],
        ([p.id_number, p.name, "M" if p.sex is Sex.MALE else "F", p.born, p.hukou, p.category.value, None, None, now] for p in people),
    )  # fmt: skip
    with key_table(uow.conn, (p.id_number for p in people), String) as keys:
        ids = dict(
            uow.conn.execute(
                select(persons.c.id_number, persons.c.id).join(
                    keys, keys.c.k == persons.c.id_number
                )
            ).all()
        )
    rows = _relation_rows(people, ids, last, now)
    insert_rows(uow.conn, relationships, RELATION_COLUMNS, rows)
    with key_table(uow.conn, ids.values(), Integer) as keys:
        found = uow.conn.execute(
            select(
                relationships.c.person_id,
                relationships.c.scheme,
                relationships.c.started_on,
                relationships.c.id,
            ).join(keys, keys.c.k == relationships.c.person_id)
        ).all()
    # By scheme too: a relation paid at home may begin in the month of the first job.
    relation = {(r.person_id, r.scheme, r.started_on): r.id for r in found}
    changes = []
    deaths = []
    for p in people:
        pid = ids[p.id_number]
        for s, status, ended in _relations(p, last):
            began = YearMonth.from_index(s.start).first_day()
            rid = relation[(pid, RESIDENT if s.resident else "enterprise", began)]
            changes.append([rid, None, "contributing", began, ENROLLED, now])
            if ended is not None:
                changes.append([rid, "contributing", status, *ended, now])
        if p.died_on is not None:
            deaths.append([pid, "death", p.died_on, "模拟数据", now])
    insert_rows(uow.conn, relationship_status_changes, ["relationship_id", "from_status", "to_status", "changed_on", "reason", "recorded_at"], changes)  # fmt: skip
    if deaths:
        insert_rows(
            uow.conn, life_events, ["person_id", "kind", "on", "source", "created_at"], deaths
        )
    deemed = [[*row, DEEMED_BASIS, MAKER, CHECKER, now] for row in _deemed_rows(people, ids)]
    if deemed:
        insert_rows(uow.conn, deemed_years, DEEMED_COLUMNS, deemed)
    return ids


DEEMED_COLUMNS = [
    "person_id", "scheme", "agency_id", "region", "from_period", "to_period", "months", "basis",
    "recorded_by", "checked_by", "created_at",
]  # fmt: skip
DEEMED_BASIS = "模拟数据：档案记载的连续工龄（个人缴费前）"


def _deemed_rows(people: list[_Person], ids: dict[str, int]) -> list[list[Any]]:
    """The persons' deemed years (:func:`_deemed`) as the first seven of DEEMED_COLUMNS, for
    the database and the Parquet files alike."""
    return [
        [ids[p.id_number], "enterprise", d.agency_id, d.region,
         period_int(YearMonth.from_index(d.start)), period_int(YearMonth.from_index(d.end)),
         d.months]
        for p in people
        if (d := p.deemed) is not None
    ]  # fmt: skip


Batches = dict[tuple[Kind, int, int | None], list[dict[str, Any]]]


def _records(
    people: list[_Person],
    ids: dict[str, int],
    rules: Rules,
    last: YearMonth,
    today: dt.date,
    now: dt.datetime,
) -> Batches:
    """Every month of every spell as a record row, by (kind, month or -1 for a back-payment,
    month index it is paid in or None): declarations paid on the 15th of the next month,
    back-payments two months after the late run, every 33rd employer's last month unpaid."""
    batches: Batches = defaultdict(list)
    terms: dict[
        tuple[str, int, bool], tuple[Fen, Fen, Callable[[Fen], Contribution], float, int]
    ] = {}
    this_month = YearMonth.of(today).index
    for p in people:
        if p.career == RESIDENT:  # yearly payments, not months (_resident_rows)
            continue
        pid = ids[p.id_number]
        for s in p.spells:
            region = region_of(s.region)
            flexible = s.employer is None
            for month in range(s.start, s.end + 1):
                key = (region, month, flexible)
                t = terms.get(key)
                if t is None:
                    ym = YearMonth.from_index(month)
                    limits = rules.limits(region, ym)
                    # The average wage the band is taken on, back from the floor and its share.
                    average = float(limits.floor / rules.params.base_limits(ym).value[0])
                    t = terms[key] = (
                        limits.floor,
                        limits.cap,
                        # bases repeat (whole ten-yuan wages): the split remembers them
                        rules.split_at(rules.flexible(ym) if flexible else rules.rates(ym)),
                        average,
                        period_int(ym),
                    )
                floor, cap, split_base, average, period = t
                # The declared wage, a sampled input (not an amount a rule computes): the
                # person's multiple of the average, in whole ten yuan.
                wage = int(p.factor * average) // 1000 * 1000
                base = Fen(min(max(wage, floor), cap))
                late = s.late is not None and s.late[0] <= month <= s.late[1]
                kind = Kind.BACK_PAYMENT if late else Kind.FLEXIBLE if flexible else Kind.EMPLOYEE
                if late:
                    assert s.late is not None
                    paid: int | None = s.late[1] + 2
                elif (
                    month == last.index
                    and s.employer is not None
                    and s.employer.id % ARREARS_EVERY == 0
                ):
                    paid = None
                else:
                    paid = month + 1
                if paid is not None and paid > this_month:
                    paid = this_month
                batches[(kind, month if not late else -1, paid)].append(
                    record_row(
                        pid,
                        s.agency_id,
                        s.employer.id if s.employer else None,
                        region,
                        period,
                        0,
                        kind,
                        split_base(base),
                        "",
                        now,
                    )
                )
    return batches


class _YearPaid(NamedTuple):
    """A resident's yearly payment, as ``resident_contributions`` holds it (fen)."""

    person_id: int
    agency_id: int
    region: str
    year: int
    individual: int
    collective: int
    subsidy: int
    paid_on: dt.date

    @property
    def total(self) -> int:
        return self.individual + self.collective + self.subsidy


RESIDENT_COLUMNS = list(_YearPaid._fields)


def _resident_rows(
    people: list[_Person], ids: dict[str, int], params: Parameters
) -> list[_YearPaid]:
    """The residents' yearly payments (RESIDENT_COLUMNS): the tier paid by the person, no
    collective subsidy (SAMPLE: rare), the government's minimum subsidy for the tier
    (:func:`jinbao.policy.resident.contribution_subsidy`, 国发〔2014〕8号: "不低于每人每年30元")."""
    subsidy: dict[int, int] = {}
    rows = []
    for p in people:
        for year, tier, month in p.paid_years:
            if tier not in subsidy:
                subsidy[tier] = contribution_subsidy(tier, params).value
            s = p.home or p.at_home or p.spells[0]
            ym = YearMonth.from_index(month)
            rows.append(_YearPaid(ids[p.id_number], s.agency_id, region_of(s.region), year,
                                  tier * 100, 0, subsidy[tier], dt.date(ym.year, ym.month, 20)))  # fmt: skip
    return rows


def _write_resident_years(
    uow: UnitOfWork, people: list[_Person], ids: dict[str, int], params: Parameters, batch: str
) -> int:
    """A chunk's residents' payments as :func:`pay_resident_year
    <jinbao.contributions.service.resident.pay_resident_year>` records each — the payment, its
    account entry (:func:`account_entry`) and the money collected (bank → personal-account fund)
    — written in bulk: one journal per month of payment for the chunk, a pair of postings per
    region, instead of one per payment."""
    rows = _resident_rows(people, ids, params)
    if not rows:
        return 0
    by_day: dict[dt.date, list[_YearPaid]] = defaultdict(list)
    for r in rows:
        by_day[r.paid_on].append(r)
    now = uow.clock.now()
    payments, entries = [], []
    for day, paid in sorted(by_day.items()):
        totals: dict[str, int] = defaultdict(int)
        for r in paid:
            totals[r.region] += r.total
        legs = []
        for region, total in sorted(totals.items()):
            legs += [
                debit(region, Account.BANK, total),
                credit(region, Account.ACCOUNT_FUND, total),
            ]
        journal_id = ledger.post(uow, Journal(
            "resident_paid", f"{batch}:resident:{day}", day,
            f"城乡居民养老保险费 {day}（模拟数据）", tuple(legs),
        ))  # fmt: skip
        for r in paid:
            payments.append([*r, journal_id, now])
            entries.append(
                account_entry(r.person_id, r.region, r.year, day, r.total, journal_id, now)
            )
    insert_rows(uow.conn, resident_contributions, [*RESIDENT_COLUMNS, "journal_id", "created_at"], payments)  # fmt: skip
    insert_rows(uow.conn, account_entries, list(entries[0]), (list(e.values()) for e in entries))
    return len(rows)


def _write_records(
    uow: UnitOfWork,
    people: list[_Person],
    ids: dict[str, int],
    rules: Rules,
    batch: str,
    last: YearMonth,
    today: dt.date,
) -> tuple[int, int]:
    """The records of a chunk, written by the declaration writer one batch per (kind, month,
    payment month): records, payments, account entries and journals."""
    batches = _records(people, ids, rules, last, today, uow.clock.now())
    count = late_months = 0
    for (kind, month, paid), rows in sorted(
        batches.items(), key=lambda kv: (kv[0][2] or 0, kv[0][1])
    ):
        name = f"{batch}:{kind.value}:{month}:{paid}"
        for r in rows:
            r["batch"] = name
        paid_on = None if paid is None else _fifteenth(paid, today)
        on = paid_on or today
        write_batch(uow, "sim.contributions", name, rows, paid_on, on)
        count += len(rows)
        late_months += len(rows) if kind is Kind.BACK_PAYMENT else 0
    return count, late_months


def generate_parquet(
    directory: Path,
    clock: Clock,
    params: Parameters,
    *,
    persons_wanted: int,
    seed: int = 1,
    years: int = 10,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
    residents: float = RESIDENT_SHARE,
) -> SimReport:
    """The same nation as files, for analysis outside the system: ``agencies``, ``employers``,
    ``persons``, ``relationships``, ``contributions`` (with ``paid_on``) and the residents'
    ``resident_contributions`` and the ``deemed_years`` (no payments, account entries or
    journals, which only the database path writes) as Parquet, a row group per chunk. Row ids are numbered from 1 in
    each file and refer to each other."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    _check_plan(persons_wanted, years)
    _check_share("residents", residents)
    started = time.perf_counter()
    rng = random.Random(seed)
    today, first, last = _window(clock, years)
    directory.mkdir(parents=True, exist_ok=True)
    agency_rows = _agency_table()
    counties = {r["region_code"]: r["id"] for r in agency_rows if r["level"] == "county"}
    draws = _employer_draws(rng, counties, max(5, persons_wanted // 20), seed)
    firms = [(_Employer(i + 1, counties[c], c), size) for i, (_, c, size) in enumerate(draws)]
    pq.write_table(pa.Table.from_pylist(agency_rows), directory / "agencies.parquet")
    pq.write_table(
        pa.Table.from_pylist(
            [
                {"id": i + 1, "uscc": u, "name": _employer_name(seed, i), "agency_id": counties[c]}
                for i, (u, c, _) in enumerate(draws)
            ]
        ),
        directory / "employers.parquet",
    )
    schemas = {
        "persons": pa.schema([("id", pa.int64()), ("id_number", pa.string()), ("name", pa.string()),
                              ("sex", pa.string()), ("birth_date", pa.date32()), ("hukou_region_code", pa.string()),
                              ("retirement_category", pa.string()), ("career", pa.string()), ("died_on", pa.date32())]),
        "relationships": pa.schema([("person_id", pa.int64()), ("scheme", pa.string()), ("agency_id", pa.int64()),
                                    ("employer_id", pa.int64()), ("kind", pa.string()), ("status", pa.string()),
                                    ("started_on", pa.date32())]),
        "contributions": pa.schema([("person_id", pa.int64()), ("agency_id", pa.int64()), ("employer_id", pa.int64()),
                                    ("region", pa.string()), ("period", pa.int32()), ("kind", pa.string()),
                                    ("base", pa.int64()), ("employer_part", pa.int64()), ("individual_part", pa.int64()),
                                    ("to_account", pa.int64()), ("paid_on", pa.date32())]),
        "resident_contributions": pa.schema([("person_id", pa.int64()), ("agency_id", pa.int64()), ("region", pa.string()),
                                             ("year", pa.int32()), ("individual", pa.int64()), ("collective", pa.int64()),
                                             ("subsidy", pa.int64()), ("paid_on", pa.date32())]),
        "deemed_years": pa.schema([("person_id", pa.int64()), ("scheme", pa.string()), ("agency_id", pa.int64()),
                                   ("region", pa.string()), ("from_period", pa.int32()), ("to_period", pa.int32()),
                                   ("months", pa.int32())]),
    }  # fmt: skip
    writers = {name: pq.ParquetWriter(directory / f"{name}.parquet", schema) for name, schema in schemas.items()}  # fmt: skip
    rules = Rules(params)
    now = clock.now()
    totals: dict[str, int] = defaultdict(int)
    samples: dict[str, str] = {}
    made = records = relations = paid_years = 0
    try:
        for people in _population(rng, counties, firms, params, first, last, persons_wanted, chunk, totals, samples, residents):  # fmt: skip
            ids = {p.id_number: made + i + 1 for i, p in enumerate(people)}
            writers["persons"].write_table(pa.Table.from_pylist(
                [{"id": ids[p.id_number], "id_number": p.id_number, "name": p.name,
                  "sex": "M" if p.sex is Sex.MALE else "F", "birth_date": p.born, "hukou_region_code": p.hukou,
                  "retirement_category": p.category.value, "career": p.career, "died_on": p.died_on}
                 for p in people], schemas["persons"]))  # fmt: skip
            rows = _relation_rows(people, ids, last, now)
            writers["relationships"].write_table(pa.Table.from_pylist(
                [dict(zip(RELATION_COLUMNS[:-1], r[:-1], strict=True)) for r in rows], schemas["relationships"]))  # fmt: skip
            relations += len(rows)
            out = []
            for (kind, _, paid), batch in _records(people, ids, rules, last, today, now).items():
                paid_on = None if paid is None else _fifteenth(paid, today)
                totals["back_paid"] += len(batch) if kind is Kind.BACK_PAYMENT else 0
                out += [{**{c: r[c] for c in schemas["contributions"].names if c != "paid_on"}, "paid_on": paid_on}
                        for r in batch]  # fmt: skip
            writers["contributions"].write_table(
                pa.Table.from_pylist(out, schemas["contributions"])
            )
            records += len(out)
            yearly = _resident_rows(people, ids, params)
            writers["resident_contributions"].write_table(pa.Table.from_pylist(
                [r._asdict() for r in yearly], schemas["resident_contributions"]))  # fmt: skip
            paid_years += len(yearly)
            writers["deemed_years"].write_table(pa.Table.from_pylist(
                [dict(zip(DEEMED_COLUMNS, r, strict=False)) for r in _deemed_rows(people, ids)],
                schemas["deemed_years"]))  # fmt: skip
            made += len(people)
            if progress:
                progress(made, persons_wanted)
    finally:
        for writer in writers.values():
            writer.close()
    return _report(made, len(firms), len(agency_rows), relations, records, paid_years, totals,
                   samples, (), started)  # fmt: skip


def _report(
    persons_made: int, firms: int, agencies_made: int, relations: int, records: int,
    resident_payments: int, totals: dict[str, int], samples: dict[str, str],
    interest_years: tuple[int, ...], started: float, transfers: TransferReport | None = None,
    linkage: TransferReport | None = None, retirements: RetirementReport | None = None,
    survivors: DeathReport | None = None, pensioner_deaths: PensionerDeathReport | None = None,
    resident_pensions: ResidentPensionReport | None = None,
) -> SimReport:  # fmt: skip
    kinds = [*(k for k, _ in CAREERS), RESIDENT]
    return SimReport(
        persons=persons_made, employers=firms, agencies=agencies_made, relationships=relations,
        records=records, resident_payments=resident_payments,
        careers={k: totals[k] for k in kinds}, deaths=totals["died"],
        retired=totals["retired"], temporary=totals["temporary"], back_paid=totals["back_paid"],
        interest_years=interest_years, seconds=round(time.perf_counter() - started, 1),
        sample_ids=tuple(samples[k] for k in kinds if k in samples), transfers=transfers,
        went_home=totals["went_home"], linkage=linkage, retirements=retirements,
        paid_at_home=totals["paid_at_home"], deemed=totals["deemed"],
        survivors=survivors, pensioner_deaths=pensioner_deaths,
        resident_pensions=resident_pensions,
    )  # fmt: skip


def _window(clock: Clock, years: int) -> tuple[dt.date, YearMonth, YearMonth]:
    """Today, and the first and last month of history: ``years`` years up to last month."""
    today = clock.today()
    last = YearMonth.of(today).plus(-1)
    return today, last.plus(-(12 * years - 1)), last


def _fifteenth(month_index: int, today: dt.date) -> dt.date:
    """Collection day: the 15th of the month, or today if that is still to come."""
    ym = YearMonth.from_index(month_index)
    return min(dt.date(ym.year, ym.month, 15), today)


def _agency_table() -> list[dict[str, Any]]:
    """The agencies of the nation without a database: the national centre, then one per
    province, prefecture and county of GB/T 2260 (codes and names as the database path makes
    them; no contacts)."""
    regions = shipped_regions()
    names = {r.code: r.name for r in regions}
    rows: list[dict[str, Any]] = [{"id": 1, "code": NATIONAL_CODE, "name": "人力资源社会保障部社会保险事业管理中心",
                                   "level": "national", "region_code": None, "parent_code": None}]  # fmt: skip

    def add(code: str, name: str, level: AgencyLevel, parent: str, region: str) -> None:
        rows.append({"id": len(rows) + 1, "code": code, "name": name, "level": level.value,
                     "region_code": region, "parent_code": parent})  # fmt: skip

    for r in regions:
        if r.level is RegionLevel.PROVINCE and r.code[:2] in POPULATION:
            add(
                r.code + "00",
                f"{r.name}社会保险事业管理局{SIM}",
                AgencyLevel.PROVINCE,
                NATIONAL_CODE,
                r.code,
            )
    for r in regions:
        if r.level is RegionLevel.PREFECTURE and r.code[:2] in POPULATION:
            add(
                r.code + "00",
                f"{_prefecture_place(names, r.code, r.name)}社会保险基金管理中心{SIM}",
                AgencyLevel.CITY,
                r.code[:2] + "000000",
                r.code,
            )
    for r in regions:
        if r.level is RegionLevel.COUNTY and r.code[:2] in POPULATION and r.parent_code:
            add(
                r.code + "00",
                f"{names.get(r.parent_code, '')}{r.name}社会保险经办中心{SIM}",
                AgencyLevel.COUNTY,
                r.parent_code + "00",
                r.code,
            )
    return rows
