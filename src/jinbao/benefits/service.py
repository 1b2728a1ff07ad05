"""退休申请 and 待遇核定: the retirement application with its national record check, the transfers
it starts, and the award by the policy engine, approved by a second operator.

- The retirement month is the statutory one (2024 reform) unless the person chooses a flexible
  early or late month within the legal bounds (policy.retirement).
- The national record check (seed 003: missed contributions are reminded at retirement) lists
  arrears, gaps, relations kept at other agencies, temporary accounts not gathered, and whether
  the minimum contribution period is met. The application is made at the pension-receiving place
  (国办发〔2009〕66号 第六条); relations kept elsewhere are brought back (转回待遇领取地) and
  temporary accounts gathered (归集) by transfers started here, and the award waits for them;
  then a residents' scheme relation kept elsewhere is linked in (城乡衔接, 人社部发〔2014〕17号
  第三条、第四条), the award waiting for that case too.
- The award (基础养老金, 个人账户养老金, 过渡性养老金: 国发〔2005〕38号) is computed over the
  continuous record at this agency and stored with its inputs and explanation. It is approved by
  an operator other than the one who made it (maker-checker); an approved award is never changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update

from jinbao.accounts.service import statement
from jinbao.audit.service import record
from jinbao.benefits.tables import awards, payee_accounts, retirement_applications
from jinbao.contributions.model import period_int, period_of
from jinbao.contributions.service import history, overlaps, person_arrears
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, NotFound
from jinbao.kernel.money import Fen
from jinbao.kernel.periods import YearMonth, format_years_months_zh
from jinbao.policy.parameters import Parameters
from jinbao.policy.pension import monthly_pension
from jinbao.policy.receiving_place import receiving_place
from jinbao.policy.retirement import Category, minimum_contribution_for, statutory_retirement
from jinbao.registry import repository as repo
from jinbao.registry.model import Person, RelationshipStatus, Scheme
from jinbao.registry.service import NewRelationship
from jinbao.registry.service.persons import get_person, registered_person
from jinbao.registry.service.relationships import add_relationship, change_relationship_status
from jinbao.registry.tables import agencies, persons, relationships
from jinbao.transfers import workflow
from jinbao.transfers.cases import agency as agency_of
from jinbao.transfers.cases import open_receiving
from jinbao.transfers.model import FINAL, State
from jinbao.transfers.records import agency_record, national_history
from jinbao.transfers.rules import SCHEME_ZH
from jinbao.transfers.tables import transfer_cases

SCHEME = "enterprise"
INDEX_SOURCE = (
    "国发〔2005〕38号: 本人指数化月平均缴费工资 = C × 平均缴费指数; the index here is the mean over "
    "paid months of base ÷ the previous year's average wage (DERIVED: provinces average by year); "
    "deemed months (视同缴费) have no base and are left out of it (their index is provincial)"
)


@dataclass(frozen=True, slots=True)
class RetirementApplication:
    id_number: str
    agency_code: str  # the pension-receiving place's agency
    retire_month: YearMonth | None = None  # None: the statutory month
    operator: str = "operator"
    bank: str | None = None  # where the pension is paid (开户银行)
    account_number: str | None = None  # 银行账号 / 社会保障卡金融账号


def _finding(code: str, zh: str, en: str, blocking: bool) -> dict[str, Any]:
    return {"code": code, "zh": zh, "en": en, "blocking": blocking}


def apply_retirement(uow: UnitOfWork, cmd: RetirementApplication, params: Parameters) -> int:
    """File the application, check the national record, start the transfers it needs, and make
    the award draft if nothing stands in the way. Returns the application id."""
    person_id, person = registered_person(uow, cmd.id_number)
    agency_id, agency = agency_of(uow, cmd.agency_code)
    retirement = statutory_retirement(
        Category(person.retirement_category.value), YearMonth.of(person.birth_date), params
    ).value
    month = cmd.retire_month or retirement.statutory_month
    if not retirement.earliest_month <= month <= retirement.latest_month:
        raise InvalidInput(
            "retirement.month_out_of_bounds",
            f"退休时间须在弹性退休范围内：最早{retirement.earliest_month}，最晚{retirement.latest_month}"
            f"（法定退休时间{retirement.statutory_month}，《国务院关于渐进式延迟法定退休年龄的决定》）。",
            f"The retirement month must be within the flexible bounds {retirement.earliest_month} "
            f"to {retirement.latest_month} (statutory {retirement.statutory_month}).",
            field="retire_month",
        )
    one_pension_only(uow, person_id)
    flexible = params.flexible_retirement()
    this_month = YearMonth.of(uow.clock.today())
    notice = int(flexible.value["early_notice_months"])
    if month < retirement.statutory_month and this_month > month.plus(-notice):
        raise InvalidInput(
            "retirement.early_notice",
            f"弹性提前退休须提前{notice}个月书面告知所在单位：选择{month}退休，最迟应在{month.plus(-notice)}"
            "申请（《实施弹性退休制度暂行办法》）。",
            f"Early retirement needs {notice} months' written notice: for {month}, apply by "
            f"{month.plus(-notice)} (暂行办法).",
            field="retire_month",
        )
    agreement = int(flexible.value["late_notice_months"])
    if month > retirement.statutory_month and this_month > retirement.statutory_month.plus(
        -agreement
    ):
        raise InvalidInput(
            "retirement.late_agreement",
            f"弹性延迟退休须在法定退休年龄前{agreement}个月与单位书面约定，最迟{retirement.statutory_month.plus(-agreement)}"
            "（《实施弹性退休制度暂行办法》）。",
            f"Late retirement must be agreed in writing {agreement} month(s) before the statutory "
            f"age, by {retirement.statutory_month.plus(-agreement)} (暂行办法).",
            field="retire_month",
        )
    no_application_open(uow, person_id)
    application_id = open_application(
        uow, person_id, person.id_number, agency_id, agency.code, scheme=SCHEME,
        statutory=retirement.statutory_month, month=month, findings=[], bank=cmd.bank,
        account_number=cmd.account_number, action="retirement.apply",
    )  # fmt: skip
    _review(uow, application_id, params, cmd.operator, first_check=True)
    return application_id


def open_application(
    uow: UnitOfWork, person_id: int, id_number: str, agency_id: int, agency_code: str, *,
    scheme: str, statutory: YearMonth, month: YearMonth, findings: list[dict[str, Any]],
    bank: str | None, account_number: str | None, action: str,
) -> int:  # fmt: skip
    """Write an application, waiting, with the bank account given with it and its audit row
    (``action``); either scheme's. Returns its id."""
    now = uow.clock.now()
    application_id = int(
        uow.conn.execute(
            insert(retirement_applications)
            .values(
                person_id=person_id, agency_id=agency_id, scheme=scheme,
                statutory_month=period_int(statutory), retire_month=period_int(month),
                state="waiting", findings=json.dumps(findings, ensure_ascii=False),
                transfers="[]", created_at=now, updated_at=now,
            )
            .returning(retirement_applications.c.id)
        ).scalar_one()
    )  # fmt: skip
    if bank or account_number:
        set_payee(uow, id_number, bank or "", account_number or "")
    record(
        uow, action, "retirement_application", str(application_id),
        new={"id_number": id_number, "agency": agency_code, "retire_month": str(month)},
    )  # fmt: skip
    return application_id


def one_pension_only(uow: UnitOfWork, person_id: int) -> None:
    """Refuse a second basic pension: the person already draws one somewhere on this node, in
    either scheme (人社部规〔2016〕5号 五; 国发〔2014〕8号: "未领取国家规定的基本养老保障待遇")."""
    receiving = uow.conn.execute(
        select(agencies.c.code, relationships.c.scheme)
        .join(agencies, agencies.c.id == relationships.c.agency_id)
        .where(relationships.c.person_id == person_id, relationships.c.status == "receiving")
    ).first()
    if receiving is not None:
        scheme = SCHEME_ZH.get(receiving.scheme, receiving.scheme)
        raise Conflict(
            "award.duplicate",
            f"该参保人员已在{receiving.code}按月领取基本养老金（{scheme}），一人只能领取一份"
            "基本养老金，不再核定（人社部规〔2016〕5号 五）。",
            f"The person already draws a basic pension at {receiving.code} ({receiving.scheme}); "
            "one person, one basic pension (人社部规〔2016〕5号 五).",
        )


def no_application_open(uow: UnitOfWork, person_id: int) -> None:
    """Refuse a second application while one is in progress or awarded (either scheme)."""
    if uow.conn.execute(
        select(retirement_applications.c.id).where(
            retirement_applications.c.person_id == person_id,
            retirement_applications.c.state.in_(["waiting", "awarded"]),
        )
    ).first():
        raise Conflict(
            "retirement.already_applied",
            "该参保人员已有退休申请（办理中或已核定），不能重复申请。",
            "The person already has a retirement application in progress or awarded.",
        )


def set_payee(uow: UnitOfWork, id_number: str, bank: str, account_number: str) -> None:
    """Where the pension is paid: the bank and the account (digits, 8 to 30)."""
    number = account_number.replace(" ", "")
    if not bank.strip() or not number.isdigit() or not 8 <= len(number) <= 30:
        raise InvalidInput(
            "payee.account",
            "须填写开户银行和8至30位数字的银行账号。",
            "Give the bank and an account number of 8 to 30 digits.",
            field="account_number",
        )
    person_id = repo.person_id(uow, id_number.strip().upper())
    if person_id is None:
        raise NotFound(
            "person.not_found", f"公民身份号码{id_number}未参保登记。", f"No person {id_number}."
        )
    values = {"bank": bank.strip()[:60], "account_number": number, "updated_at": uow.clock.now()}
    if (
        uow.conn.execute(
            update(payee_accounts).where(payee_accounts.c.person_id == person_id).values(**values)
        ).rowcount
        == 0
    ):
        uow.conn.execute(insert(payee_accounts).values(person_id=person_id, **values))
    record(uow, "benefit.payee", "person", id_number, new={"bank": values["bank"]})


def refresh(uow: UnitOfWork, application_id: int, params: Parameters, operator: str) -> None:
    """Check the record again (say, once the transfers it waited for completed): start the
    transfer of the next relation kept elsewhere, or make the award draft when nothing stands
    in the way any more."""
    row = _application(uow, application_id)
    if row.state != "waiting":
        raise Conflict(
            "retirement.not_waiting",
            f"退休申请{application_id}不在待办状态。",
            f"Retirement application {application_id} is not waiting.",
        )
    _review(uow, application_id, params, operator, first_check=False)


def _review(
    uow: UnitOfWork,
    application_id: int,
    params: Parameters,
    operator: str,
    *,
    first_check: bool,
) -> None:
    """The national record check; on the ``first_check`` (the application itself) the
    application may move to the pension-receiving place."""
    row, person, agency = application_context(uow, application_id)
    id_number = person.id_number
    month = period_of(row.retire_month)
    statutory = period_of(row.statutory_month)
    findings: list[dict[str, Any]] = []
    started: list[str] = json.loads(row.transfers)

    history = national_history(uow, row.person_id, SCHEME, temporary_agencies(uow, row.person_id))
    place = receiving_place(person.hukou_region_code, history, params)
    there = None
    if place.value.province != (agency.region_code or "")[:2] and first_check:
        # Applied where the person is now, but the pension is paid elsewhere (第六条): the
        # application moves to the agency that keeps the relation in the receiving province,
        # and the relations elsewhere (this one included) go back there below.
        there = next(
            (
                k
                for k in _kept_elsewhere(uow, row.person_id, row.agency_id)
                if k.kind == "normal" and k.region[:2] == place.value.province
            ),
            None,
        )
        gathered = ""
        if there is None and place.value.rule == 4:
            # 第六条（四）: under 10 years everywhere, the relations and their funds are gathered
            # in the 户籍 province (归集到户籍所在地) — where nothing may be kept yet: a relation
            # is opened at the agency of the 户籍 place for them to come back to. Until session
            # 22 the application was refused, with nowhere to apply.
            there = _open_at_home(uow, id_number, person.hukou_region_code)
            if there is not None:
                gathered = f"在户籍所在地{there.code}（{there.name}）建立参保关系归集，"
        if there is not None:
            there_id = repo.agency_id(uow, there.code)
            uow.conn.execute(
                update(retirement_applications)
                .where(retirement_applications.c.id == application_id)
                .values(agency_id=there_id)
            )
            findings.append(
                _finding(
                    "retirement.moved_to_receiving_place",
                    f"按国办发〔2009〕66号 第六条，待遇领取地为{place.value.province}省："
                    + "".join(s.zh for s in place.explanation.steps[-1:])
                    + gathered
                    + f"申请转至{there.code}（{there.name}）办理。",
                    f"Under 第六条 the pension is paid in {place.value.province}: the application "
                    f"moves to {there.code}"
                    + (", where a relation is opened to gather the others" if gathered else "")
                    + ".",
                    False,
                )
            )
            row = _application(uow, application_id)
            agency = uow.conn.execute(select(agencies).where(agencies.c.id == row.agency_id)).one()
    if place.value.province != (agency.region_code or "")[:2]:
        findings.append(
            _finding(
                "retirement.not_receiving_place",
                f"按国办发〔2009〕66号 第六条，待遇领取地为{place.value.province}省，不是本经办机构所在地："
                + "".join(s.zh for s in place.explanation.steps[-1:])
                + "请向待遇领取地经办机构申请。",
                f"Under 国办发〔2009〕66号 第六条 the pension-receiving province is "
                f"{place.value.province}, not this agency's: "
                + " ".join(s.en for s in place.explanation.steps[-1:])
                + " Apply at the receiving place.",
                True,
            )
        )
    else:
        # A person has one transfer open at a time (the workflow's rule): the first relation
        # kept is brought back now, each next one by the check after the one before completed
        # (refresh). Until session 22 every one was applied for at once, so a person with two
        # relations kept elsewhere could not apply at all (transfer.already_open).
        any_open = open_transfer(uow, row.person_id)
        for other in _kept_elsewhere(uow, row.person_id, row.agency_id):
            open_case = open_transfer(uow, row.person_id, other.code)
            if open_case is None and any_open is None:
                case_id = workflow.apply(
                    uow,
                    workflow.Application(
                        id_number, agency.code, other.code,
                        kind=None if other.kind == "temporary" else workflow.RETURN,
                    ),
                    params,
                )  # fmt: skip
                started.append(case_id)
                open_case = any_open = case_id
            what = "临时缴费账户未归集" if other.kind == "temporary" else "参保关系保留在外地"
            findings.append(
                _finding(
                    "retirement.record_elsewhere",
                    f"{what}：{other.code}（{other.name}）"
                    + (
                        f"，已发起转移接续 {open_case}，待办结后核定。"
                        if open_case
                        else f"，待转移接续 {any_open} 办结后发起。"
                    ),
                    f"{'A temporary account not gathered' if other.kind == 'temporary' else 'A relation kept'}"
                    f" at {other.code}"
                    + (
                        f"; transfer {open_case} started, the award waits for it."
                        if open_case
                        else f"; its transfer starts once {any_open} has completed."
                    ),
                    True,
                )
            )
    arrears = sorted({str(r.period) for r in person_arrears(uow, id_number)})
    if arrears:
        findings.append(
            _finding(
                "retirement.arrears",
                f"欠费{len(arrears)}个月（{arrears[0]}至{arrears[-1]}）：未补缴的月份不计缴费年限，可在退休前补缴。",
                f"{len(arrears)} unpaid months ({arrears[0]}–{arrears[-1]}) do not count unless paid "
                "before retirement.",
                False,
            )
        )
    twice = overlaps(uow, row.person_id)
    if twice:
        months = sorted(str(o.period) for o in twice)
        findings.append(
            _finding(
                "retirement.duplicate_months",
                f"重复缴费{len(months)}个月（{months[0]}至{months[-1]}，"
                f"{'、'.join(sorted({s for o in twice for s in o.schemes}))}）：按规定清理，缴费年限不重复计算。",
                f"{len(months)} months paid twice ({months[0]}–{months[-1]}): settled by the rules; "
                "they count once.",
                False,
            )
        )
    gaps = _gaps(history)
    if gaps:
        findings.append(
            _finding(
                "retirement.gaps",
                f"缴费中断{gaps}个月（首次缴费至最后缴费之间）。",
                f"{gaps} months without contributions between the first and the last.",
                False,
            )
        )
    aid = row.agency_id
    record_here = agency_record(uow, row.person_id, SCHEME, aid, _region(agency.region_code))
    minimum = minimum_contribution_for(month, statutory, params)
    if record_here.months < minimum.value:
        findings.append(
            _finding(
                "retirement.below_minimum",
                f"累计缴费{format_years_months_zh(record_here.months)}，不足最低缴费年限"
                f"{format_years_months_zh(minimum.value)}：可延长缴费至满，或按规定一次性缴费"
                "（《国务院关于渐进式延迟法定退休年龄的办法》第二条）。",
                f"{record_here.months} months paid, under the minimum of {minimum.value}: extend "
                "contributions or pay a lump sum where allowed (办法 第二条).",
                True,
            )
        )
    if record_here.months >= minimum.value and not any(f["blocking"] for f in findings):
        findings += _resident_linkage(uow, row, id_number, agency, params, started)
    blocking = [f for f in findings if f["blocking"]]
    refused = any(f["code"] == "retirement.not_receiving_place" for f in blocking)
    state = "refused" if refused else "waiting"
    uow.conn.execute(
        update(retirement_applications)
        .where(retirement_applications.c.id == application_id)
        .values(
            findings=json.dumps(findings, ensure_ascii=False),
            transfers=json.dumps(started),
            state=state,
            updated_at=uow.clock.now(),
        )
    )
    if not blocking:
        _make_award(uow, application_id, params, operator)


def _resident_linkage(
    uow: UnitOfWork, row: Any, id_number: str, agency: Any, params: Parameters, started: list[str]
) -> list[dict[str, Any]]:
    """城乡养老保险制度衔接 at retirement (人社部发〔2014〕17号): with the employee relations
    gathered here and the minimum met (15 years: 第三条, resident → employee), a residents'
    scheme relation the person keeps, here or at another agency, is linked in before the
    award — its whole account joins the employee account (第五条; the residents' years do not
    count) and the residents' payments for months paid in both schemes are refunded (第七条).
    第四条: the employee receiving place is settled and the relations gathered first; the
    application for the linkage is made there. The retirement application stands for the
    person's (第九条 一): the linkage is started here, one case at a time, and the award waits
    for it. A linkage that ended without completing (refused in writing, voided) is not started
    again: the award is made on the employee record alone, and the finding says what is left
    to settle. A residents' relation kept at this same agency makes a case between the agency
    and itself, its documents straight to its own inbox."""
    kept = uow.conn.execute(
        select(agencies.c.code, agencies.c.name)
        .join(relationships, relationships.c.agency_id == agencies.c.id)
        .where(
            relationships.c.person_id == row.person_id,
            relationships.c.scheme == Scheme.RESIDENT.value,
            relationships.c.status.in_(["contributing", "suspended"]),
        )
        .order_by(relationships.c.started_on.desc())
    ).first()
    if kept is None:
        return []
    where = f"{kept.code}（{kept.name}）"
    ended = uow.conn.execute(
        select(transfer_cases.c.case_id, transfer_cases.c.state).where(
            transfer_cases.c.case_id.in_(started),
            transfer_cases.c.side == "receiving",
            transfer_cases.c.kind == "linkage_to_employee",
            transfer_cases.c.state.in_([s.value for s in FINAL if s is not State.COMPLETED]),
        )
    ).first()
    if ended is not None:
        return [
            _finding(
                "retirement.resident_not_linked",
                f"城乡居民养老保险关系保留在{where}：衔接申请{ended.case_id}未办结（{ended.state}），"
                "待遇按职工养老保险核定；居民养老保险关系另行处理，不得同时领取两项待遇"
                "（人社部发〔2014〕17号 第八条）。",
                f"A residents' scheme relation is kept at {kept.code}: linkage {ended.case_id} "
                f"ended {ended.state}; the award is made on the employee record, the residents' "
                "relation is settled apart, and no one draws both (17号 第八条).",
                False,
            )
        ]
    case_id = open_transfer(uow, row.person_id)
    if case_id is None:
        case_id = workflow.apply(
            uow,
            workflow.Application(
                id_number, agency.code, kept.code, scheme=SCHEME, kind=workflow.LINKAGE
            ),
            params,
        )
        started.append(case_id)
    return [
        _finding(
            "retirement.resident_relation",
            f"城乡居民养老保险关系保留在{where}：按人社部发〔2014〕17号 第三条、第四条，"
            f"已发起城乡养老保险制度衔接 {case_id}（居民个人账户全部并入职工个人账户，"
            "重复缴费时段的居民个人缴费和集体补助按第七条退还本人），待办结后核定。",
            f"A residents' scheme relation is kept at {kept.code}: under 人社部发〔2014〕17号 "
            f"第三条 and 第四条 the linkage {case_id} was started (the whole residents' account "
            "joins the employee account; months paid in both are refunded, 第七条); the award "
            "waits for it.",
            True,
        )
    ]


def _make_award(
    uow: UnitOfWork,
    application_id: int,
    params: Parameters,
    operator: str,
    *,
    supersedes: Any = None,
    reason: str | None = None,
) -> int:
    """The award draft (国发〔2005〕38号) over the continuous record at this agency."""
    row, person, agency = application_context(uow, application_id)
    id_number = person.id_number
    month = period_of(row.retire_month)
    region = _region(agency.region_code)
    province = region[:2]
    record_here = agency_record(uow, row.person_id, SCHEME, row.agency_id, region)
    wage = params.average_wage("benefit_wage", province, month.year - 1)
    index = _average_index(uow, id_number, province, params)
    balance = statement(uow, id_number, uow.clock.today()).total
    age_months = YearMonth.of(person.birth_date).months_until(month)
    # A 中人's deemed years (视同缴费年限, before individual contributions began) count in N and
    # earn the transitional pension at the province's coefficient (国发〔2005〕38号; POLICY §5.1).
    deemed = record_here.deemed_months
    coefficient = params.transitional_coefficient(province) if deemed else None
    pension = monthly_pension(
        average_wage=Fen(wage.value),
        index=index,
        contribution_months=record_here.months,
        account_balance=balance,
        age_months=age_months,
        retirement_year=month.year,
        params=params,
        transitional_months=deemed,
        transitional_coefficient=coefficient.value if coefficient else None,
        coefficient_status=coefficient.status if coefficient else "input",
        coefficient_source=coefficient.source if coefficient else "",
    )
    p = pension.value
    inputs = {
        "average_wage": wage.value, "average_wage_status": wage.status,
        "average_wage_source": wage.source, "index": str(index), "index_method": INDEX_SOURCE,
        "contribution_months": record_here.months, "account_balance": int(balance),
        "age_months": age_months, "retire_month": str(month),
    }  # fmt: skip
    if coefficient is not None:
        inputs |= {
            "deemed_months": deemed, "transitional_coefficient": str(coefficient.value),
            "transitional_coefficient_status": coefficient.status,
            "transitional_coefficient_source": coefficient.source,
        }  # fmt: skip
    return insert_award(
        uow, application_id, from_month=month.plus(1), basic=int(p.basic), account=int(p.account),
        transitional=int(p.transitional), inputs=inputs, explanation=explanation_of(pension),
        operator=operator, supersedes=supersedes, reason=reason,
    )  # fmt: skip


def insert_award(
    uow: UnitOfWork,
    application_id: int,
    *,
    from_month: YearMonth,
    basic: int,
    account: int,
    transitional: int,
    inputs: dict[str, Any],
    explanation: dict[str, Any],
    operator: str,
    supersedes: Any = None,
    reason: str | None = None,
) -> int:
    """Write the next draft version of an application's award (the application awarded), with
    the difference from the version it ``supersedes`` (a correction), and its audit row."""
    total = basic + account + transitional
    version = (
        uow.conn.execute(
            select(func.max(awards.c.version)).where(awards.c.application_id == application_id)
        ).scalar()
        or 0
    ) + 1
    award_id = int(
        uow.conn.execute(
            insert(awards)
            .values(
                application_id=application_id, version=version, state="draft",
                from_month=period_int(from_month), basic=basic, account=account,
                transitional=transitional, total=total,
                inputs=json.dumps(inputs, ensure_ascii=False),
                explanation=json.dumps(explanation, ensure_ascii=False),
                made_by=operator, created_at=uow.clock.now(),
                supersedes_id=supersedes.id if supersedes is not None else None,
                reason=reason,
                difference=total - supersedes.total if supersedes is not None else None,
            )
            .returning(awards.c.id)
        ).scalar_one()
    )  # fmt: skip
    uow.conn.execute(
        update(retirement_applications)
        .where(retirement_applications.c.id == application_id)
        .values(state="awarded", updated_at=uow.clock.now())
    )
    record(uow, "award.draft", "award", str(award_id), new={"total": total, "by": operator})
    return award_id


def correct_award(
    uow: UnitOfWork, application_id: int, params: Parameters, operator: str, reason: str
) -> int:
    """更正: recompute from the record as it is now (say, after a back-payment or a correction of
    a wage) as a new draft version replacing the approved one; the monthly difference is kept
    with it (arrears to pay, or overpayment to recover). The approved version stays as it was."""
    if not reason.strip():
        raise InvalidInput(
            "award.reason_required", "更正须写明原因。", "A correction needs a reason.",
            field="reason",
        )  # fmt: skip
    row = _application(uow, application_id)
    versions = uow.conn.execute(
        select(awards).where(awards.c.application_id == application_id).order_by(awards.c.version)
    ).all()
    approved = [a for a in versions if a.state == "approved"]
    if not approved or versions[-1].state != "approved":
        raise Conflict(
            "award.nothing_to_correct",
            "只有已复核的最新核定才能更正；尚有待复核的版本时请先复核。",
            "Only the latest award, once approved, can be corrected; approve the draft first.",
        )
    make = _make_award
    if row.scheme == Scheme.RESIDENT.value:
        from jinbao.benefits import resident  # it builds on this module, so imported here

        make = resident.make_award
    return make(
        uow, application_id, params, operator, supersedes=approved[-1], reason=reason.strip()
    )


def current_award(uow: UnitOfWork, application_id: int) -> Any:
    """The award in force: the latest approved version (None before the first approval). A
    person's record picks it the same way in SQL (``jinbao.records.service._AWARD_IN_FORCE``)."""
    return uow.conn.execute(
        select(awards)
        .where(awards.c.application_id == application_id, awards.c.state == "approved")
        .order_by(awards.c.version.desc())
        .limit(1)
    ).first()


def approve_award(uow: UnitOfWork, award_id: int, checker: str) -> None:
    """The second operator approves (复核); the maker cannot approve their own award, and an
    approved award is never changed."""
    row = uow.conn.execute(select(awards).where(awards.c.id == award_id)).first()
    if row is None:
        raise NotFound("award.not_found", f"没有待遇核定{award_id}。", f"No award {award_id}.")
    if row.state != "draft":
        raise Conflict(
            "award.already_approved",
            f"待遇核定{award_id}已复核通过，不能再改动；更正请重新核定。",
            f"Award {award_id} is already approved and cannot change; correct it with a new one.",
        )
    if not checker.strip() or checker.strip() == row.made_by:
        raise Conflict(
            "award.same_operator",
            "复核须由核定人以外的经办人进行。",
            "The award must be approved by an operator other than the one who made it.",
            field="operator",
        )
    uow.conn.execute(
        update(awards)
        .where(awards.c.id == award_id, awards.c.state == "draft")
        .values(state="approved", checked_by=checker.strip(), approved_at=uow.clock.now())
    )
    application = _application(uow, row.application_id)
    relation = uow.conn.execute(
        select(relationships.c.id)
        .where(
            relationships.c.person_id == application.person_id,
            relationships.c.agency_id == application.agency_id,
            relationships.c.scheme == application.scheme,
            relationships.c.kind == "normal",
            relationships.c.status.in_(["contributing", "suspended"]),
        )
        .order_by(relationships.c.started_on.desc(), relationships.c.id.desc())
        .limit(1)
    ).scalar()
    if relation is not None:  # the first approval: the relation here now receives benefits
        # From the award's first month — or, for a late application, from the relation's last
        # change if that came after (a relation opened to gather the others into, say).
        last = repo.last_status_change_on(uow, int(relation))
        since = min(period_of(row.from_month).first_day(), uow.clock.today())
        change_relationship_status(
            uow, int(relation), RelationshipStatus.RECEIVING,
            changed_on=since if last is None else max(since, last),
            reason=f"待遇核定{award_id}已复核，按月领取",
        )  # fmt: skip
    record(uow, "award.approve", "award", str(award_id), new={"by": checker.strip()})


def show(uow: UnitOfWork, application_id: int) -> dict[str, Any]:
    row = _application(uow, application_id)
    person = uow.conn.execute(
        select(persons.c.id_number, persons.c.name).where(persons.c.id == row.person_id)
    ).one()
    agency = uow.conn.execute(select(agencies.c.code).where(agencies.c.id == row.agency_id)).one()
    return {
        "id": application_id,
        "person": {"id_number": person.id_number, "name": person.name},
        "agency": agency.code,
        "scheme": row.scheme,
        "statutory_month": _ym_text(row.statutory_month),
        "retire_month": _ym_text(row.retire_month),
        "state": row.state,
        "findings": json.loads(row.findings),
        "transfers": json.loads(row.transfers),
        "awards": [
            {
                "id": a.id, "version": a.version, "state": a.state,
                "from_month": _ym_text(a.from_month), "basic": a.basic, "account": a.account,
                "transitional": a.transitional, "total": a.total, "inputs": json.loads(a.inputs),
                "explanation": json.loads(a.explanation), "made_by": a.made_by,
                "checked_by": a.checked_by, "reason": a.reason, "difference": a.difference,
            }
            for a in uow.conn.execute(
                select(awards).where(awards.c.application_id == application_id).order_by(
                    awards.c.version
                )
            )
        ],
    }  # fmt: skip


# ----------------------------------------------------------------------------- helpers


def _application(uow: UnitOfWork, application_id: int) -> Any:
    row = uow.conn.execute(
        select(retirement_applications).where(retirement_applications.c.id == application_id)
    ).first()
    if row is None:
        raise NotFound(
            "retirement.not_found",
            f"没有退休申请{application_id}。",
            f"No retirement application {application_id}.",
        )
    return row


def application_context(uow: UnitOfWork, application_id: int) -> tuple[Any, Person, Any]:
    """An application's row, its person and its agency's row."""
    row = _application(uow, application_id)
    id_number = uow.conn.execute(
        select(persons.c.id_number).where(persons.c.id == row.person_id)
    ).scalar_one()
    agency = uow.conn.execute(select(agencies).where(agencies.c.id == row.agency_id)).one()
    return row, get_person(uow, id_number), agency


@dataclass(frozen=True, slots=True)
class _Kept:
    code: str
    name: str
    kind: str
    region: str


def _kept_elsewhere(uow: UnitOfWork, person_id: int, agency_id: int) -> list[_Kept]:
    rows = uow.conn.execute(
        select(
            agencies.c.code,
            agencies.c.name,
            relationships.c.kind,
            func.coalesce(agencies.c.region_code, "000000"),
        )
        .join(agencies, agencies.c.id == relationships.c.agency_id)
        .where(
            relationships.c.person_id == person_id,
            relationships.c.scheme == SCHEME,
            relationships.c.agency_id != agency_id,
            relationships.c.status.in_(["contributing", "suspended"]),
        )
        .order_by(agencies.c.code)
    )
    return [_Kept(*r) for r in rows]


def _open_at_home(uow: UnitOfWork, id_number: str, hukou: str) -> _Kept | None:
    """A relation opened, suspended, at the agency of the person's 户籍 place — its county's,
    else its city's, else its province's — to gather the others into (66号 第六条（四)); None if
    this node has no agency there."""
    candidates = (hukou, hukou[:4] + "00", hukou[:2] + "0000")
    found = {
        r.region_code: r
        for r in uow.conn.execute(
            select(agencies.c.code, agencies.c.name, agencies.c.region_code).where(
                agencies.c.region_code.in_(candidates)
            )
        )
    }
    home = next((found[c] for c in candidates if c in found), None)
    if home is None:
        return None
    today = uow.clock.today()
    opened = add_relationship(uow, NewRelationship(id_number, Scheme.ENTERPRISE, home.code, today))
    change_relationship_status(
        uow, opened.id, RelationshipStatus.SUSPENDED, changed_on=today,
        reason="待遇领取地为户籍所在地，归集参保关系（国办发〔2009〕66号 第六条（四））",
    )  # fmt: skip
    return _Kept(home.code, home.name, "normal", home.region_code)


def open_transfer(uow: UnitOfWork, person_id: int, from_code: str | None = None) -> str | None:
    """The person's transfer in progress in the employees' scheme (from ``from_code``, if
    given), received here."""
    if from_code is None:
        return open_receiving(uow, person_id, SCHEME)
    counterpart = repo.agency_id(uow, from_code)
    return None if counterpart is None else open_receiving(uow, person_id, SCHEME, counterpart)


def temporary_agencies(uow: UnitOfWork, person_id: int) -> frozenset[int]:
    return frozenset(
        uow.conn.execute(
            select(relationships.c.agency_id).where(
                relationships.c.person_id == person_id, relationships.c.kind == "temporary"
            )
        ).scalars()
    )


def _gaps(history: Any) -> int:
    months = sorted(
        {
            YearMonth.from_index(i)
            for p in history.periods
            for i in range(p.start.index, p.end.index + 1)
        }
    )
    if not months:
        return 0
    return months[0].months_until(months[-1]) + 1 - len(months)


def _average_index(uow: UnitOfWork, id_number: str, province: str, params: Parameters) -> Decimal:
    """Mean over the paid months of base ÷ the previous year's average wage (see INDEX_SOURCE)."""
    ratios = [
        Decimal(int(r.base))
        / params.average_wage("benefit_wage", province, r.period.year - 1).value
        for r in history(uow, id_number)
        if r.paid_on is not None and not r.reversed and r.base > 0
    ]
    if not ratios:
        return Decimal(0)
    return (sum(ratios, Decimal(0)) / len(ratios)).quantize(Decimal("0.0001"))


def explanation_of(pension: Any) -> dict[str, Any]:
    """An award's explanation as stored with it: the rule, its steps and sources (either
    scheme's)."""
    x = pension.explanation
    return {
        "rule": x.rule,
        "steps": [{"zh": s.zh, "en": s.en} for s in x.steps],
        "sources": [s.cite() for s in x.sources],
    }


def _ym_text(value: int) -> str:
    return f"{value // 100}-{value % 100:02d}"


def _region(code: str | None) -> str:
    return (code or "000000")[:2] + "0000"


def award_notice(uow: UnitOfWork, award_id: int) -> bytes:
    """The 核定表 PDF of one award version."""
    application_id = uow.conn.execute(
        select(awards.c.application_id).where(awards.c.id == award_id)
    ).scalar()
    if application_id is None:
        raise NotFound("award.not_found", f"没有待遇核定{award_id}。", f"No award {award_id}.")
    shown = show(uow, int(application_id))
    (award,) = [a for a in shown["awards"] if a["id"] == award_id]
    from jinbao.benefits import notice  # the PDF stack, on first use (exchange.service's note)

    return notice.render(shown, award)
