"""城乡居民养老保险待遇: the residents' scheme's own pension — applied for at 60, awarded by the
policy engine, approved by a second operator, paid by the agency's monthly run, raised with the
national minimum and the province's top-up.

国发〔2014〕8号 (POLICY §8): "年满60周岁、累计缴费满15年，并且没有领取国家规定的基本养老保障待遇，
按月领取"; the pension is the 基础养老金 (the national minimum in force, plus the province's
top-up, 地方加发, where its operators loaded one: ``local_top_up`` in resident.toml) and the
个人账户养老金, the whole account ÷ 139
(:func:`jinbao.policy.resident.resident_pension`). The years counted are the years paid at the
agency, less the months refunded because the person paid them in the employees' scheme too
(人社部发〔2014〕17号 第七条), plus the months the relation brought: employee years linked in
(第六条: "合并计算为城乡居民养老保险的缴费年限") and residents' years transferred with a move.

- The application is made at the agency that keeps the person's residents' relation; it is
  refused, with what to do, under 60, below the years needed, for one who already draws a basic
  pension anywhere on this node (one person, one basic pension) or whose death is recorded. An
  employee relation still kept is told (not blocking): 17号 第三条 lets the person link it in
  either direction, 第八条 forbids drawing both.
- The award starts the month after the 60th birthday's (as an employee's the month after
  retirement; a later application is paid back to then by the first run), for one already 60
  when the scheme began from its first month. The years needed are 15, or by the transition of
  8号 第七条 (as secondary pages quote it; :func:`jinbao.policy.resident.resident_requirement`)
  fewer for those under 15 years from 60 when their place's scheme began — the whole years to
  60 then — and none for those already 60.
- The approval, corrections (更正), the award notice and the payment run are the employees'
  (:mod:`jinbao.benefits.service`, :mod:`jinbao.benefits.payments`), on the application's scheme;
  the run books the basic pension to the government's subsidy (财政补助).
- :func:`raise_basic`: when the national minimum or the province's top-up rises, every
  resident award in force at the agency gets a version from the month it rose, made and
  checked by two operators (the yearly adjustment of the employees' pensions,
  :mod:`jinbao.benefits.adjustment`, leaves the residents alone); the next run pays the months
  already paid as arrears.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select

from jinbao.accounts.tables import account_entries
from jinbao.audit.service import record
from jinbao.benefits.adjustment import require_two_operators
from jinbao.benefits.deaths import recorded_death
from jinbao.benefits.service import (
    application_context,
    explanation_of,
    insert_award,
    no_application_open,
    one_pension_only,
    open_application,
)
from jinbao.benefits.tables import awards, retirement_applications
from jinbao.contributions.model import period_int, period_of
from jinbao.contributions.tables import resident_contributions
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.money import Fen, format_yuan
from jinbao.kernel.periods import YearMonth, format_years_months_zh
from jinbao.ledger.model import region_of
from jinbao.policy.parameters import Param, Parameters
from jinbao.policy.resident import resident_pension, resident_requirement
from jinbao.registry.model import Scheme
from jinbao.registry.service.persons import registered_person
from jinbao.registry.tables import agencies, relationships
from jinbao.transfers.cases import agency as agency_of
from jinbao.transfers.tables import cleared_months, transferred_years

SCHEME = Scheme.RESIDENT.value
RAISE = "城乡居民基础养老金提高"  # the reason of a raise's versions (and its mark)
RAISE_ADVICE = "执行基础养老金调整（jinbao benefit resident-raise）"


@dataclass(frozen=True, slots=True)
class ResidentPensionApplication:
    id_number: str
    agency_code: str  # the agency that keeps the person's residents' relation
    operator: str = "operator"
    bank: str | None = None  # where the pension is paid (开户银行)
    account_number: str | None = None  # 银行账号 / 社会保障卡金融账号


@dataclass(frozen=True, slots=True)
class ResidentMonths:
    """The residents' contribution period at one agency, in months."""

    paid_years: int  # years paid here (a year's payment counts twelve months)
    refunded: int  # months of those refunded, paid in the employees' scheme too (17号 第七条)
    brought: int  # months brought by transfers: employee years linked in (第六条), moves

    @property
    def total(self) -> int:
        return self.paid_years * 12 - self.refunded + self.brought


@dataclass(frozen=True, slots=True)
class RaiseReport:
    raised: int  # awards given a new version
    versions: int  # versions added (one a step of the minimum)
    increase: int  # fen a month, all persons, from the last step
    pending: int  # awards left alone: a draft version waits for approval


def apply(uow: UnitOfWork, cmd: ResidentPensionApplication, params: Parameters) -> int:
    """File the application and make the award draft; refused outright, writing nothing,
    when the person cannot draw the pension yet (see the module). Returns the application id."""
    person_id, person = registered_person(uow, cmd.id_number)
    agency_id, agency = agency_of(uow, cmd.agency_code)
    one_pension_only(uow, person_id)
    no_application_open(uow, person_id)
    if _relation(uow, person_id, agency_id) is None:
        raise Conflict(
            "resident_pension.no_relation",
            f"{person.id_number}在{agency.code}没有城乡居民养老保险参保关系（缴费中或暂停缴费），"
            "请向其参保地的经办机构申请。",
            f"{person.id_number} has no residents' scheme relation (contributing or suspended) at "
            f"{agency.code}: apply at the agency where the person is insured.",
            field="agency_code",
        )
    death = recorded_death(uow, person_id)
    if death is not None:
        raise Conflict(
            "resident_pension.deceased",
            f"{person.id_number}已登记死亡（{death[0]}），不能申领养老金；遗属可申领个人账户继承。",
            f"{person.id_number} is recorded dead ({death[0]}): no pension; the survivors may "
            "claim the account.",
        )
    rules = params.resident("eligibility").value
    at_age = YearMonth.of(person.birth_date).plus(12 * int(rules["age"]))
    if YearMonth.of(uow.clock.today()) < at_age:
        raise InvalidInput(
            "resident_pension.under_age",
            f"城乡居民养老保险待遇须年满{rules['age']}周岁方可领取（国发〔2014〕8号）：{person.id_number}"
            f"于{at_age}年满{rules['age']}周岁，届时再申请。",
            f"The residents' pension starts at {rules['age']} (国发〔2014〕8号): "
            f"{person.id_number} reaches it in {at_age}; apply then.",
            field="id_number",
        )
    months = contribution_months(uow, person_id, agency_id)
    requirement = resident_requirement(person.birth_date, agency.region_code or "00", params)
    needed = requirement.value.years
    if months.total < needed * 12:
        raise Conflict(
            "resident_pension.below_minimum",
            f"{person.id_number}在{agency.code}累计缴费{format_years_months_zh(months.total)}"
            f"（缴费{months.paid_years}年，转入{months.brought}个月，退还{months.refunded}个月），"
            f"不足{needed}年，暂不能按月领取：{requirement.explanation.steps[-1].zh}"
            "在其他地方的缴费须先转入或衔接至此。",
            f"{person.id_number} has {months.total} months at {agency.code} ({months.paid_years} "
            f"years paid, {months.brought} months brought, {months.refunded} refunded), under "
            f"{needed} years: no monthly pension yet. {requirement.explanation.steps[-1].en} "
            "Years paid elsewhere count once transferred or linked here.",
        )
    application_id = open_application(
        uow, person_id, person.id_number, agency_id, agency.code, scheme=SCHEME,
        statutory=at_age, month=at_age, findings=_findings(uow, person_id), bank=cmd.bank,
        account_number=cmd.account_number, action="resident_pension.apply",
    )  # fmt: skip
    make_award(uow, application_id, params, cmd.operator)
    return application_id


def make_award(
    uow: UnitOfWork,
    application_id: int,
    params: Parameters,
    operator: str,
    *,
    supersedes: Any = None,
    reason: str | None = None,
) -> int:
    """The award draft (国发〔2014〕8号) from the month after the 60th birthday's, at the basic
    pension in force that month (the national minimum and the province's top-up) and the
    account as it is now; also a correction's new version
    (:func:`jinbao.benefits.service.correct_award`)."""
    row, person, agency = application_context(uow, application_id)
    at_age = period_of(row.retire_month)
    region = region_of(agency.region_code or "000000")
    requirement = resident_requirement(person.birth_date, region, params)
    # the month after the 60th birthday's; for one already 60 then, the scheme's first month
    start = max(at_age.plus(1), YearMonth.of(requirement.value.start))
    months = contribution_months(uow, row.person_id, row.agency_id)
    balance = int(
        uow.conn.execute(
            select(func.coalesce(func.sum(account_entries.c.amount), 0)).where(
                account_entries.c.person_id == row.person_id,
                account_entries.c.scheme == SCHEME,
                account_entries.c.region == region,
            )
        ).scalar_one()
    )
    age_months = YearMonth.of(person.birth_date).months_until(start)
    province = region[:2]
    local = params.resident_local_top_up(province, start.first_day())
    pension = resident_pension(
        account_balance=Fen(balance), on=start.first_day(), age_years=age_months // 12,
        contribution_years=months.total // 12, params=params, local_parameter=local,
        born=person.birth_date, province=province,
    )  # fmt: skip
    if not pension.value.eligible:  # a correction after the record lost years
        raise Conflict(
            "resident_pension.not_eligible",
            "按现有记录不符合按月领取条件："
            + "".join(s.zh for s in pension.explanation.steps[-1:]),
            "Not eligible on the record as it is now: "
            + " ".join(s.en for s in pension.explanation.steps[-1:]),
        )
    minimum = params.resident_minimum_basic_pension(start.first_day())
    explanation = explanation_of(pension)
    if local is not None:
        explanation["sources"].append(f"{local.source}（地方加发，{local.status}）")
    later = [
        step for step in basic_steps(params, province, start.first_day(), uow.clock.today())
        if step.basic > pension.value.basic
    ]  # fmt: skip
    if later:
        last = later[-1]
        explanation["steps"].append(
            {
                "zh": f"基础养老金此后已提高（{last.on}起 {format_yuan(Fen(last.basic))} 元）："
                f"复核后{RAISE_ADVICE}，按月补发差额。",
                "en": f"The basic pension has risen since ({format_yuan(Fen(last.basic))} from "
                f"{last.on}): once approved, run the raise (jinbao benefit resident-raise); the "
                "difference is paid back by month.",
            }
        )
    inputs = {
        "contribution_months": months.total, "required_years": requirement.value.years,
        "paid_years": months.paid_years,
        "brought_months": months.brought, "refunded_months": months.refunded,
        "account_balance": balance, "age_months": age_months, "retire_month": str(at_age),
        "minimum_basic": minimum.value, "minimum_status": minimum.status,
        "minimum_source": minimum.source,
        "local_top_up": local.value if local else 0,
        "local_top_up_status": local.status if local else None,
        "local_top_up_source": local.source if local else None,
    }  # fmt: skip
    return insert_award(
        uow, application_id, from_month=start, basic=int(pension.value.basic),
        account=int(pension.value.account), transitional=0, inputs=inputs,
        explanation=explanation, operator=operator, supersedes=supersedes, reason=reason,
    )  # fmt: skip


def contribution_months(uow: UnitOfWork, person_id: int, agency_id: int) -> ResidentMonths:
    """The residents' contribution period kept at the agency (see the module)."""
    paid = uow.conn.execute(
        select(func.count()).where(
            resident_contributions.c.person_id == person_id,
            resident_contributions.c.agency_id == agency_id,
        )
    ).scalar_one()
    refunded = uow.conn.execute(
        select(func.count()).where(
            cleared_months.c.person_id == person_id,
            cleared_months.c.scheme == SCHEME,
            cleared_months.c.agency_id == agency_id,
        )
    ).scalar_one()
    brought = uow.conn.execute(
        select(func.coalesce(func.sum(transferred_years.c.months), 0)).where(
            transferred_years.c.person_id == person_id,
            transferred_years.c.scheme == SCHEME,
            transferred_years.c.agency_id == agency_id,
        )
    ).scalar_one()
    return ResidentMonths(int(paid), int(refunded), int(brought))


def raise_basic(
    uow: UnitOfWork, agency_code: str, params: Parameters, maker: str, checker: str
) -> RaiseReport:
    """基础养老金调整: each resident award in force at the agency whose basic pension is below
    one in force since its first month — the national minimum (人社部发〔2015〕5号, 〔2020〕67号,
    〔2022〕36号, 〔2023〕42号 and the later government work reports) with the province's top-up,
    parameters with their status — gets an approved version from the month it rose, one a
    step. Made and checked by two operators, as the employees' adjustment; a rerun adds
    nothing; after a correction (which recomputes from the first month) it raises again."""
    require_two_operators(maker, checker)
    agency_id, agency = agency_of(uow, agency_code)
    steps = basic_steps(
        params, region_of(agency.region_code or "000000")[:2], None, uow.clock.today()
    )
    # every version of the agency's residents' awards, read at once; the latest of each counts
    latest: dict[int, Any] = {}
    for version in uow.conn.execute(
        select(awards)
        .join(retirement_applications, retirement_applications.c.id == awards.c.application_id)
        .where(
            retirement_applications.c.agency_id == agency_id,
            retirement_applications.c.scheme == SCHEME,
            retirement_applications.c.state == "awarded",
        )
        .order_by(awards.c.application_id, awards.c.version)
    ):
        latest[version.application_id] = version
    raised = added = increase = pending = 0
    for current in latest.values():
        if current.state != "approved":
            pending += 1  # a draft (first award or correction) comes first
            continue
        before = current.basic
        for step in steps:
            # a step on the first day of the version's first month is in it already
            if step.on <= period_of(current.from_month).first_day() or step.basic <= current.basic:
                continue
            current = _raised(uow, current, step, maker, checker)
            added += 1
        if current.basic != before:
            raised += 1
            increase += current.basic - before
    record(
        uow, "resident_pension.raise", "agency", agency.code,
        new={"raised": raised, "versions": added, "increase": increase, "maker": maker,
             "checker": checker},
    )  # fmt: skip
    return RaiseReport(raised, added, increase, pending)


def _raised(uow: UnitOfWork, current: Any, step: BasicStep, maker: str, checker: str) -> Any:
    """The approved version at the step's basic pension from its month, the account part
    unchanged."""
    basic, month = step.basic, YearMonth(step.on.year, step.on.month)
    local = step.local.value if step.local else 0
    steps = json.loads(current.explanation)
    # the draft's advice to run this raise is done with
    steps["steps"] = [s for s in steps["steps"] if RAISE_ADVICE not in s["zh"]]
    steps["steps"].append(
        {
            "zh": f"{step.on}起基础养老金 = 全国最低标准 {format_yuan(Fen(step.minimum.value))} 元"
            f"（{step.minimum.source}；{step.minimum.status}）+ 地方加发 {format_yuan(Fen(local))} 元"
            + (f"（{step.local.source}；{step.local.status}）" if step.local else "")
            + f" = {format_yuan(Fen(basic))} 元：{format_yuan(Fen(current.basic))} → "
            f"{format_yuan(Fen(basic))} 元，自{month}起。",
            "en": f"From {step.on} the basic pension is the national minimum "
            f"{format_yuan(Fen(step.minimum.value))} ({step.minimum.status}) + the local top-up "
            f"{format_yuan(Fen(local))} = {format_yuan(Fen(basic))}: "
            f"{format_yuan(Fen(current.basic))} → {format_yuan(Fen(basic))} from {month}.",
        }
    )
    steps["sources"].append(step.minimum.source)
    if step.local is not None:
        steps["sources"].append(f"{step.local.source}（地方加发，{step.local.status}）")
    total = basic + current.account + current.transitional
    return uow.conn.execute(
        insert(awards)
        .values(
            application_id=current.application_id, version=current.version + 1,
            state="approved", from_month=period_int(month), basic=basic,
            account=current.account, transitional=current.transitional, total=total,
            inputs=current.inputs, explanation=json.dumps(steps, ensure_ascii=False),
            supersedes_id=current.id, reason=f"{step.on}{RAISE}", difference=total - current.total,
            made_by=maker.strip(), checked_by=checker.strip(), approved_at=uow.clock.now(),
            created_at=uow.clock.now(),
        )
        .returning(*awards.c)
    ).one()  # fmt: skip


@dataclass(frozen=True, slots=True)
class BasicStep:
    """A day the residents' basic pension of a province changed: the national minimum and the
    province's top-up in force from then, and their sum (fen a month)."""

    on: dt.date
    minimum: Param[int]
    local: Param[int] | None

    @property
    def basic(self) -> int:
        return self.minimum.value + (self.local.value if self.local else 0)


def basic_steps(
    params: Parameters, province: str, after: dt.date | None, until: dt.date
) -> list[BasicStep]:
    """Each day after ``after`` (None: from the first) up to ``until`` on which the national
    minimum (the series of resident.toml: 人社部发〔2015〕5号 and later) or the province's top-up
    (``local_top_up``: 国发〔2014〕8号, 地方人民政府可以适当提高基础养老金标准) changed, oldest
    first."""
    days = {on for on, _ in params.resident_minimum_steps()}
    days |= {on for on, _ in params.resident_local_top_up_steps(province)}
    return [
        BasicStep(
            on, params.resident_minimum_basic_pension(on),
            params.resident_local_top_up(province, on),
        )
        for on in sorted(days)
        if (after is None or on > after) and on <= until
    ]  # fmt: skip


def _relation(uow: UnitOfWork, person_id: int, agency_id: int) -> int | None:
    """The person's residents' relation at the agency, contributing or suspended."""
    found = uow.conn.execute(
        select(relationships.c.id).where(
            relationships.c.person_id == person_id,
            relationships.c.agency_id == agency_id,
            relationships.c.scheme == SCHEME,
            relationships.c.status.in_(["contributing", "suspended"]),
        )
    ).scalar()
    return None if found is None else int(found)


def _findings(uow: UnitOfWork, person_id: int) -> list[dict[str, Any]]:
    """Told, not blocking: an employee relation still kept (17号 第三条, 第八条)."""
    kept = uow.conn.execute(
        select(agencies.c.code, agencies.c.name)
        .join(relationships, relationships.c.agency_id == agencies.c.id)
        .where(
            relationships.c.person_id == person_id,
            relationships.c.scheme != SCHEME,
            relationships.c.status.in_(["contributing", "suspended"]),
        )
        .order_by(agencies.c.code)
    ).all()
    return [
        {
            "code": "resident_pension.employee_relation",
            "zh": f"职工养老保险关系保留在{k.code}（{k.name}）：可按人社部发〔2014〕17号 第三条申请城乡"
            "制度衔接（职工缴费不足15年的转入城乡居保，缴费年限合并计算，第六条）；不得同时领取两项待遇"
            "（第八条）。",
            "en": f"An employee relation is kept at {k.code}: the person may link the schemes "
            "(人社部发〔2014〕17号 第三条; under 15 employee years they join the residents' and "
            "count, 第六条); no one draws both (第八条).",
            "blocking": False,
        }
        for k in kept
    ]
