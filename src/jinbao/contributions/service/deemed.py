"""视同缴费年限: recording the years a person worked before individual contributions began.

A 中人 (at work before 国发〔1997〕26号, retiring after) has years before the personal-account
system that count as contribution years with no money behind them: "缴费年限，除另有特殊规定外，
均包括视同缴费年限" (POLICY §1, S9), and 国发〔2005〕38号's N counts them ("含视同缴费年限"). The
agency reviews the personnel file (档案: 招工表, 工资表, 调动介绍信…) and records them; one
operator makes the entry, another checks it, as with every award (fraud in deemed years is
what risk control looks for first). They are counted at the place worked (人社部规〔2016〕5号 一:
"计算为当时工作地的视同缴费年限；在多地有视同缴费年限的，分别计算为各地的视同缴费年限") and
kept with the relation at the recording agency, so a transfer of it carries them on
(:mod:`jinbao.transfers.funds`).

Refused, writing nothing, with what to do: an unknown person, agency or region; no normal
relation (not a temporary account) of the person in the employees' scheme kept at the
agency; a span outside the months that can be deemed (from the month after the 16th
birthday, 劳动法 第十五条, to the month before individual contributions began at the place
worked, parameter ``transitional.deemed``); a span overlapping months already counted (deemed
years recorded or brought by a transfer, or contribution records); no basis; one operator for
both roles. An entry found wrong is cancelled (:func:`cancel_deemed_years`), not deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, insert, select, update

from jinbao.audit.service import record
from jinbao.benefits.tables import retirement_applications
from jinbao.contributions.model import period_int, period_of
from jinbao.contributions.service._base import SCHEME, records_in_force
from jinbao.contributions.tables import contributions, deemed_years
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.kernel.identifiers import parse_resident_id
from jinbao.kernel.periods import YearMonth, format_years_months_en, format_years_months_zh
from jinbao.policy.parameters import Parameters
from jinbao.registry import repository as repo
from jinbao.registry.service.persons import person_row_id
from jinbao.registry.tables import relationships
from jinbao.transfers.tables import transferred_years

BASIS_MAX = 200
WORKING_AGE = 16  # 劳动法 第十五条: 禁止用人单位招用未满十六周岁的未成年人


@dataclass(frozen=True, slots=True)
class DeemedYears:
    """What the operator enters after reviewing the file: whose, at which agency, the span,
    where the work was (a region code; the agency's own when None), on what basis, and the two
    operators."""

    id_number: str
    agency_code: str
    start: YearMonth
    end: YearMonth
    basis: str
    operator: str
    checker: str
    region_code: str | None = None


def record_deemed_years(uow: UnitOfWork, cmd: DeemedYears, params: Parameters) -> dict[str, Any]:
    """Record one continuous span of 视同缴费年限 (see the module); the row as the record shows it."""
    operator, checker = _two_operators(cmd.operator, cmd.checker, "录入")
    basis = cmd.basis.strip()
    if not basis or len(basis) > BASIS_MAX:
        raise InvalidInput(
            "deemed.basis",
            f"须写明认定依据（如档案中的招工表、工资表），不超过{BASIS_MAX}字。",
            f"State what the years rest on (the file's hiring form, wage sheets…), at most "
            f"{BASIS_MAX} characters.",
            field="basis",
        )
    rid = parse_resident_id(cmd.id_number, today=uow.clock.today())
    person_id = person_row_id(uow, rid.number)
    found = repo.agency_with_id(uow, cmd.agency_code)
    if found is None:
        raise NotFound(
            "agency.not_found",
            f"经办机构{cmd.agency_code}不存在。",
            f"No agency {cmd.agency_code}.",
            field="agency_code",
        )
    agency_id, agency = found
    if not _relation_kept(uow, person_id, SCHEME, agency_id):
        raise Conflict(
            "deemed.no_relation",
            f"{rid.number}在{cmd.agency_code}没有保留中的职工基本养老保险正常参保关系（临时缴费账户除外）："
            "视同缴费年限由保留参保关系的经办机构记录，随关系转移。",
            f"{rid.number} keeps no normal relation in the employees' scheme at "
            f"{cmd.agency_code} (a temporary account is not one): deemed years are recorded "
            "where the relation is kept, and move with it.",
            field="agency_code",
        )
    region = (cmd.region_code or agency.region_code or "").strip()
    if not region or not repo.get_region(uow, region):
        raise InvalidInput(
            "region.unknown",
            f"工作地行政区划代码{region or '（空）'}不存在（GB/T 2260）。",
            f"{region or '(empty)'} is not a GB/T 2260 region code in force.",
            field="region_code",
        )
    first = YearMonth.of(rid.birth_date).plus(12 * WORKING_AGE + 1)
    last = params.deemed_last_month(region)
    if cmd.start > cmd.end or cmd.start < first or cmd.end > last.value:
        raise InvalidInput(
            "deemed.span",
            f"视同缴费年限须在{first}（年满{WORKING_AGE}周岁的次月，劳动法 第十五条）至{last.value}"
            f"（工作地个人缴费制度实行前的最后月份，参数 transitional.deemed，{last.status}）之间，"
            "且起始不晚于终止；"
            f"所录为{cmd.start}至{cmd.end}。",
            f"Deemed years run from {first} (the month after the 16th birthday, 劳动法 第十五条) "
            f"to {last.value} (before individual contributions began at the place worked; "
            f"parameter transitional.deemed), start before end; {cmd.start}–{cmd.end} was entered.",
            field="start",
        )
    lo, hi = period_int(cmd.start), period_int(cmd.end)
    overlap = _overlap(uow, person_id, lo, hi)
    if overlap is not None:
        raise Conflict(
            "deemed.overlap",
            f"{cmd.start}至{cmd.end}与已计入的{overlap[0]}重叠（{period_of(overlap[1])}至{period_of(overlap[2])}）："
            "同一月份只计算一次，请核对档案。",
            f"{cmd.start}–{cmd.end} overlaps {overlap[3]} already counted ({period_of(overlap[1])}–"
            f"{period_of(overlap[2])}): a month counts once; check the file.",
            field="start",
        )
    months = cmd.start.months_until(cmd.end) + 1
    now = uow.clock.now()
    row = {
        "person_id": person_id,
        "scheme": SCHEME,
        "agency_id": agency_id,
        "region": region,
        "from_period": lo,
        "to_period": hi,
        "months": months,
        "basis": basis,
        "recorded_by": operator,
        "checked_by": checker,
        "created_at": now,
    }
    row_id = int(
        uow.conn.execute(
            insert(deemed_years).values(**row).returning(deemed_years.c.id)
        ).scalar_one()
    )
    shown = {
        "id": row_id,
        "id_number": rid.number,
        "agency_code": cmd.agency_code,
        "region": region,
        "from": str(cmd.start),
        "to": str(cmd.end),
        "months": months,
        "basis": basis,
        "explanation": {
            "zh": f"视同缴费年限{format_years_months_zh(months)}，计算为工作地{region}的视同缴费年限"
            "（人社部规〔2016〕5号 一），计入缴费年限、不划转资金（国发〔2005〕38号：N 含视同缴费年限）。",
            "en": f"{format_years_months_en(months)} of deemed years, counted at the place worked "
            f"{region} (人社部规〔2016〕5号 一): they count as contribution years and move no money "
            "(国发〔2005〕38号: N includes deemed years).",
        },
    }
    record(
        uow,
        "contribution.deemed",
        "deemed_years",
        str(row_id),
        new={k: v for k, v in shown.items() if k != "explanation"}
        | {"recorded_by": operator, "checked_by": checker},
    )
    return shown


def cancel_deemed_years(
    uow: UnitOfWork, row_id: int, reason: str, operator: str, checker: str
) -> dict[str, Any]:
    """撤销: an entry found wrong (a misread file, a span entered twice as two) is cancelled by two
    operators with the reason, not deleted; it counts no more from now on. Refused, changing
    nothing: no such entry, one already cancelled, one a transfer has carried away with the
    relation (the receiving agency holds them now: it is told, not this agency's entry), one
    operator for both, no reason. An award that counted it is not changed here: the answer
    names the applications to correct (更正, :func:`jinbao.benefits.service.correct_award`)."""
    operator, checker = _two_operators(operator, checker, "撤销")
    reason = reason.strip()
    if not reason or len(reason) > BASIS_MAX:
        raise InvalidInput(
            "deemed.reason",
            f"须写明撤销原因，不超过{BASIS_MAX}字。",
            f"State why they are cancelled, at most {BASIS_MAX} characters.",
            field="reason",
        )
    row = uow.conn.execute(select(deemed_years).where(deemed_years.c.id == row_id)).first()
    if row is None:
        raise NotFound(
            "deemed.not_found",
            f"视同缴费年限记录{row_id}不存在。",
            f"No deemed years entry {row_id}.",
        )
    if row.cancelled_at is not None:
        raise Conflict(
            "deemed.cancelled",
            f"视同缴费年限记录{row_id}已于{row.cancelled_at:%Y-%m-%d}撤销（{row.cancel_reason}）。",
            f"Deemed years entry {row_id} was cancelled on {row.cancelled_at:%Y-%m-%d}.",
        )
    if not _relation_kept(uow, row.person_id, row.scheme, row.agency_id):
        raise Conflict(
            "deemed.moved",
            f"视同缴费年限记录{row_id}已随参保关系转出（或关系已终止）：转入地经办机构持有这些年限，"
            "请通知转入地核实更正。",
            f"Deemed years entry {row_id} left with the relation (or the relation ended): the "
            "receiving agency holds the years now; tell it to check and correct them.",
        )
    now = uow.clock.now()
    uow.conn.execute(
        update(deemed_years)
        .where(deemed_years.c.id == row_id)
        .values(cancelled_at=now, cancelled_by=f"{operator}/{checker}", cancel_reason=reason)
    )
    awarded = list(
        uow.conn.execute(
            select(retirement_applications.c.id)
            .where(
                retirement_applications.c.person_id == row.person_id,
                retirement_applications.c.scheme == row.scheme,
                retirement_applications.c.state == "awarded",
            )
            .order_by(retirement_applications.c.id)
        ).scalars()
    )
    start, end = str(period_of(row.from_period)), str(period_of(row.to_period))
    record(
        uow,
        "contribution.deemed_cancel",
        "deemed_years",
        str(row_id),
        old={"from": start, "to": end, "months": row.months},
        new={"reason": reason, "operator": operator, "checker": checker},
    )
    return {
        "id": row_id,
        "from": start,
        "to": end,
        "months": row.months,
        "reason": reason,
        "to_correct": awarded,  # applications whose award counted them: 更正 each
    }


def _two_operators(operator: str, checker: str, act: str) -> tuple[str, str]:
    """The maker and the checker of an entry or a cancellation (``act``), stripped: two
    different operators, else ``deemed.same_operator``."""
    operator, checker = operator.strip(), checker.strip()
    if not operator or not checker or operator == checker:
        raise Conflict(
            "deemed.same_operator",
            f"{act}视同缴费年限须由两名经办人分别经办和复核。",
            "Deemed years are entered or cancelled by one operator and checked by another.",
            field="checker",
        )
    return operator, checker


def _relation_kept(uow: UnitOfWork, person_id: int, scheme: str, agency_id: int) -> bool:
    """Whether the agency keeps a normal relation of the person in the scheme (not a temporary
    account, 66号 第五条; not moved away or ended): where deemed years are kept."""
    return (
        uow.conn.execute(
            select(relationships.c.id).where(
                relationships.c.person_id == person_id,
                relationships.c.scheme == scheme,
                relationships.c.agency_id == agency_id,
                relationships.c.kind == "normal",
                relationships.c.status.in_(["contributing", "suspended", "receiving"]),
            )
        ).first()
        is not None
    )


def _overlap(uow: UnitOfWork, person_id: int, lo: int, hi: int) -> tuple[str, int, int, str] | None:
    """The first span of the person's already counted months meeting [lo, hi]: deemed years
    recorded anywhere or brought by a transfer, or contribution records in force."""
    within = and_(deemed_years.c.from_period <= hi, deemed_years.c.to_period >= lo)
    own = uow.conn.execute(
        select(deemed_years.c.from_period, deemed_years.c.to_period).where(
            deemed_years.c.person_id == person_id,
            deemed_years.c.scheme == SCHEME,
            deemed_years.c.cancelled_at.is_(None),
            within,
        )
    ).first()
    if own is not None:
        return ("视同缴费年限", own[0], own[1], "deemed years")
    brought = uow.conn.execute(
        select(transferred_years.c.from_period, transferred_years.c.to_period).where(
            transferred_years.c.person_id == person_id,
            transferred_years.c.scheme == SCHEME,
            transferred_years.c.months > 0,
            transferred_years.c.from_period <= hi,
            transferred_years.c.to_period >= lo,
        )
    ).first()
    if brought is not None:
        return ("转入的缴费年限", brought[0], brought[1], "years brought by a transfer")
    paid = records_in_force(
        contributions.c.person_id == person_id,
        contributions.c.scheme == SCHEME,
        contributions.c.period.between(lo, hi),
    ).subquery()
    month = uow.conn.execute(select(paid.c.period).order_by(paid.c.period).limit(1)).scalar()
    if month is not None:
        return ("缴费记录", month, month, "a contribution record")
    return None
