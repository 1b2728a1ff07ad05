"""待遇调整: the yearly adjustment of pensions in payment.

人社部发〔2024〕48号 and 〔2025〕38号 三 (POLICY §9): "采取定额调整、挂钩调整与适当倾斜相结合的办法"
for retirees who retired by 31 December of the previous year, from 1 January (another start
month can be given); the national
percentage caps the provincial average and each province sets its own plan. A plan here is that
provincial plan, entered by the operators (an input, not an official figure of ours): a fixed
amount (定额), an amount per year of contributions and a percentage of the person's own pension
(挂钩), and extra amounts from given ages (倾斜). Each award in force becomes a new approved
version from January of the year (the plan is approved as a whole by a second operator), and the
payment run pays the months already paid at the old amount as arrears.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, insert, select

from jinbao.audit.service import record
from jinbao.benefits.service import SCHEME, current_award
from jinbao.benefits.tables import awards, retirement_applications
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.kernel.money import Fen, format_yuan, round_to_fen
from jinbao.kernel.periods import YearMonth
from jinbao.registry.tables import persons
from jinbao.transfers.cases import agency as agency_of

NOTICE = "人社部发〔2025〕38号 三（定额调整、挂钩调整与适当倾斜相结合）"
REASON = "年待遇调整"  # a version's reason: "2025年待遇调整" (and the mark of a year applied)


@dataclass(frozen=True, slots=True)
class AdjustmentPlan:
    year: int
    fixed: int  # fen a month, everyone (定额)
    per_year: int  # fen a month per full year of contributions (挂钩缴费年限)
    percent: Decimal  # of the person's own monthly pension (挂钩养老金水平), e.g. 0.01
    by_age: dict[int, int] = field(default_factory=dict)  # from this age, extra fen a month (倾斜)
    from_month: int = 1  # applied from this month of the year (the national notices: January)


@dataclass(frozen=True, slots=True)
class AdjustmentReport:
    adjusted: int
    total_increase: int  # fen a month, all persons


def require_two_operators(maker: str, checker: str) -> None:
    """An adjustment (the employees' plan, a raise of the residents' basic pension) is made by
    one operator and checked by another."""
    if not maker.strip() or not checker.strip() or maker.strip() == checker.strip():
        raise Conflict(
            "adjustment.same_operator",
            "调整须由两名经办人分别制定和复核。",
            "An adjustment needs a maker and a different checker.",
            field="checker",
        )


def adjust(
    uow: UnitOfWork, agency_code: str, plan: AdjustmentPlan, maker: str, checker: str
) -> AdjustmentReport:
    """Apply the plan to every award in force at the agency for people retired by the end of
    the previous year; once per year (a second run is refused)."""
    require_two_operators(maker, checker)
    if plan.fixed < 0 or plan.per_year < 0 or plan.percent < 0 or plan.percent > Decimal("0.2"):
        raise InvalidInput(
            "adjustment.plan",
            "调整额不能为负，比例须在0至20%之间。",
            "Amounts cannot be negative and the percentage must be 0 to 20%.",
            field="percent",
        )
    agency_id, agency = agency_of(uow, agency_code)
    if not 1 <= plan.from_month <= 12:
        raise InvalidInput(
            "adjustment.from_month", "起始月份须在1至12之间。", "The month is 1 to 12.",
            field="from_month",
        )  # fmt: skip
    start = YearMonth(plan.year, plan.from_month)
    done = uow.conn.execute(
        select(func.count())
        .select_from(awards.join(retirement_applications))
        .where(
            retirement_applications.c.agency_id == agency_id,
            awards.c.reason == f"{plan.year}{REASON}",
        )
    ).scalar_one()
    if done:
        raise Conflict(
            "adjustment.already_applied",
            f"{agency.code}的{plan.year}年待遇调整已执行。",
            f"The {plan.year} adjustment has already been applied at {agency.code}.",
        )
    adjusted = increase_total = 0
    apps = uow.conn.execute(
        select(retirement_applications, persons.c.birth_date)
        .join(persons, persons.c.id == retirement_applications.c.person_id)
        .where(
            retirement_applications.c.agency_id == agency_id,
            retirement_applications.c.state == "awarded",
            # the employees' plan: a resident's basic pension rises with the national minimum
            # (jinbao.benefits.resident.raise_basic)
            retirement_applications.c.scheme == SCHEME,
            retirement_applications.c.retire_month <= (plan.year - 1) * 100 + 12,
        )
    ).all()
    for app in apps:
        current = current_award(uow, app.id)
        if current is None:
            continue
        inputs = json.loads(current.inputs)
        years = int(inputs["contribution_months"]) // 12
        age = YearMonth.of(app.birth_date).months_until(start) // 12
        tilt = max((extra for from_age, extra in plan.by_age.items() if age >= from_age), default=0)
        linked = int(round_to_fen(Decimal(current.total) * plan.percent))
        increase = plan.fixed + plan.per_year * years + linked + tilt
        steps = json.loads(current.explanation)
        steps["steps"].append(
            {
                "zh": f"{plan.year}年待遇调整（{NOTICE}）：定额 {format_yuan(Fen(plan.fixed))} + 缴费年限"
                f" {years} 年 × {format_yuan(Fen(plan.per_year))} + 本人养老金 "
                f"{format_yuan(Fen(current.total))} × {plan.percent} = {format_yuan(Fen(linked))}"
                + (
                    f" + 年满{max(a for a in plan.by_age if age >= a)}岁倾斜 {format_yuan(Fen(tilt))}"
                    if tilt
                    else ""
                )
                + f"，每月增加 {format_yuan(Fen(increase))} 元，自{start}起。",
                "en": f"{plan.year} adjustment: fixed {format_yuan(Fen(plan.fixed))} + {years} years × "
                f"{format_yuan(Fen(plan.per_year))} + {plan.percent} of {format_yuan(Fen(current.total))}"
                f" + age tilt {format_yuan(Fen(tilt))} = +{format_yuan(Fen(increase))} a month from {start}.",
            }
        )
        steps["sources"].append(NOTICE + "；省级调整方案（经办录入）")
        uow.conn.execute(
            insert(awards).values(
                application_id=app.id, version=current.version + 1, state="approved",
                from_month=max(current.from_month, plan.year * 100 + plan.from_month),
                basic=current.basic + increase, account=current.account,
                transitional=current.transitional, total=current.total + increase,
                inputs=current.inputs, explanation=json.dumps(steps, ensure_ascii=False),
                supersedes_id=current.id, reason=f"{plan.year}{REASON}", difference=increase,
                made_by=maker.strip(), checked_by=checker.strip(), approved_at=uow.clock.now(),
                created_at=uow.clock.now(),
            )
        )  # fmt: skip
        adjusted += 1
        increase_total += increase
    record(
        uow, "benefit.adjust", "agency", agency.code,
        new={"year": plan.year, "fixed": plan.fixed, "per_year": plan.per_year,
             "percent": str(plan.percent), "by_age": plan.by_age, "adjusted": adjusted,
             "maker": maker, "checker": checker},
    )  # fmt: skip
    return AdjustmentReport(adjusted, increase_total)
