"""待遇资格认证 and what ends or pauses a pension: certification, the feeds of deaths,
imprisonment and settlement abroad, and a death's settlement.

- A pensioner is certified once in a rolling 12 months — by data comparison (a feed matched),
  a self-service attestation, or at a counter. The award's approval counts as the first. Not
  certified in time → the payment run pauses the person (listed in its report, the notice);
  certified again → the next run pays the months paused (back pay).
- Imprisonment or settlement abroad reported by a feed pauses payment from that date until the
  person is certified again after it.
- A death stops payment from the next month (the death month is paid). Months paid after it are
  an overpayment (冒领), first set off against what the survivors are due; what remains is to
  recover. The survivors' due (遗属待遇, policy.survivors) and the account balance (inherited,
  社会保险法 第十四条) are paid out in one journal. The relation is terminated.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select

from jinbao.accounts.tables import account_entries
from jinbao.audit.service import record
from jinbao.benefits.deaths import recorded_death
from jinbao.benefits.service import SCHEME, current_award, open_transfer, temporary_agencies
from jinbao.benefits.tables import (
    benefit_payments,
    certifications,
    death_settlements,
    life_events,
    retirement_applications,
)
from jinbao.contributions.model import period_of
from jinbao.contributions.service import history
from jinbao.contributions.tables import resident_contributions
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput, Issue, NotFound
from jinbao.kernel.identifiers import parse_resident_id
from jinbao.kernel.money import Fen, format_yuan, round_to_fen
from jinbao.kernel.periods import YearMonth
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, credit, debit, net
from jinbao.policy.interest import Portion
from jinbao.policy.parameters import Parameters
from jinbao.policy.resident import OPINION as RESIDENT_OPINION
from jinbao.policy.survivors import LAW, MEASURES, survivor_benefits
from jinbao.registry import repository as repo
from jinbao.registry.model import RelationshipStatus
from jinbao.registry.service.persons import person_row_id
from jinbao.registry.service.relationships import change_relationship_status
from jinbao.registry.tables import agencies, relationships
from jinbao.transfers.records import national_history

METHODS = ("data", "self", "counter")
KINDS = ("death", "imprisonment", "abroad")
CERTIFICATION_DAYS = 365  # a rolling 12 months


def certify(uow: UnitOfWork, id_number: str, method: str, on: dt.date, note: str = "") -> None:
    """Record a certification (a liveness attestation, a counter visit, a data match)."""
    if method not in METHODS:
        raise InvalidInput(
            "certification.method",
            "认证方式须为 data（数据比对）、self（自助认证）或 counter（柜台）。",
            "The method is data, self or counter.",
            field="method",
        )
    if on > uow.clock.today():
        raise InvalidInput(
            "certification.future", "认证日期不能晚于今天。", "The date cannot be in the future.",
            field="on",
        )  # fmt: skip
    person_id = person_row_id(uow, id_number)
    if died_on(uow, person_id) is not None:
        raise Conflict(
            "certification.deceased",
            "该人员已有死亡记录，不能认证。",
            "The person is recorded as deceased and cannot be certified.",
        )
    uow.conn.execute(
        insert(certifications).values(
            person_id=person_id, method=method, certified_on=on, note=note[:200] or None,
            created_at=uow.clock.now(),
        )
    )  # fmt: skip
    record(uow, "benefit.certify", "person", id_number, new={"method": method, "on": on})


def died_on(uow: UnitOfWork, person_id: int) -> dt.date | None:
    death = recorded_death(uow, person_id)
    return None if death is None else death[0]


@dataclass(frozen=True, slots=True)
class LifeStatus:
    """What the payment run needs to know of a person, read once: certifications and the
    events the feeds reported."""

    certified: tuple[dt.date, ...]
    events: tuple[tuple[str, dt.date], ...]  # (kind, on)

    @property
    def died_on(self) -> dt.date | None:
        return next((on for kind, on in self.events if kind == "death"), None)

    def paused(self, first_approved: dt.date, month: YearMonth) -> str | None:
        """Why the person is not paid in this run (None: paid): not certified within the 12
        months before the month, or reported abroad with no certification since. Both end
        with a certification, and the months paused are then paid back."""
        last = max([first_approved, *self.certified])
        if (month.first_day() - last).days > CERTIFICATION_DAYS:
            return "not_certified"
        if any(kind == "abroad" and last <= on for kind, on in self.events):
            return "abroad"
        return None

    def imprisoned(self, month: YearMonth) -> bool:
        """A month in prison (from the reported date until the first certification after it)
        is not paid, then or later."""
        first, last = month.first_day(), month.plus(1).first_day() - dt.timedelta(days=1)
        for kind, on in self.events:
            if kind != "imprisonment":
                continue
            released = next((c for c in sorted(self.certified) if c > on), None)
            if on <= last and (released is None or first < released):
                return True
        return False


def life_statuses(uow: UnitOfWork, person_ids: Any) -> dict[int, LifeStatus]:
    """The :class:`LifeStatus` of each person of ``person_ids`` (a select of person ids) who has
    a certification or a reported event, in two statements whatever their number: what a
    payment run reads for a chunk of its pensioners."""
    certified: dict[int, list[dt.date]] = defaultdict(list)
    events: dict[int, list[tuple[str, dt.date]]] = defaultdict(list)
    for person_id, on in uow.conn.execute(
        select(certifications.c.person_id, certifications.c.certified_on).where(
            certifications.c.person_id.in_(person_ids)
        )
    ):
        certified[person_id].append(on)
    for person_id, kind, on in uow.conn.execute(
        select(life_events.c.person_id, life_events.c.kind, life_events.c.on).where(
            life_events.c.person_id.in_(person_ids)
        )
    ):
        events[person_id].append((kind, on))
    return {
        pid: LifeStatus(tuple(certified[pid]), tuple(events[pid])) for pid in certified | events
    }


def import_life_events(uow: UnitOfWork, data: bytes, params: Parameters) -> int:
    """A feed (CSV ``id_number,kind,date,source``) from public security, civil affairs or the
    courts; all rows or none, each bad row reported. A death settles the pension at once."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "feed.encoding", "文件须为UTF-8编码的CSV。", "The file must be UTF-8 CSV."
        ) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    issues: list[Issue] = []
    good: list[tuple[int, str, str, dt.date, str]] = []
    for number, row in enumerate(rows, 2):
        try:
            rid = parse_resident_id(row.get("id_number") or "", today=uow.clock.today()).number
            kind = (row.get("kind") or "").strip()
            on = dt.date.fromisoformat((row.get("date") or "").strip())
        except (InvalidInput, ValueError):
            issues.append(
                Issue(
                    "feed.row",
                    f"第{number}行：身份号码或日期无效。",
                    f"Row {number}: invalid ID or date.",
                    row=number,
                )
            )
            continue
        if kind not in KINDS or on > uow.clock.today():
            issues.append(
                Issue(
                    "feed.row",
                    f"第{number}行：类别须为 death/imprisonment/abroad，日期不晚于今天。",
                    f"Row {number}: kind is death, imprisonment or abroad; the date not in the future.",
                    row=number,
                )
            )
            continue
        pid = repo.person_id(uow, rid)
        if pid is None:
            issues.append(
                Issue(
                    "feed.row",
                    f"第{number}行：{rid}未参保登记。",
                    f"Row {number}: {rid} is not registered.",
                    row=number,
                )
            )
            continue
        good.append((pid, rid, kind, on, (row.get("source") or "feed").strip()[:40]))
    if issues or not rows:
        raise InvalidInput(
            "feed.invalid",
            "比对数据有误，未导入任何记录，请按行修正。" if rows else "文件没有数据行。",
            "The feed has errors; nothing was imported. Fix the rows listed."
            if rows
            else "The file has no rows.",
            issues=issues,
        )
    for pid, rid, kind, on, source in good:
        if kind == "death":
            record_death(uow, rid, on, source, params)
            continue
        known = uow.conn.execute(
            select(life_events.c.id).where(
                life_events.c.person_id == pid, life_events.c.kind == kind, life_events.c.on == on
            )
        ).first()
        if known is None:
            uow.conn.execute(
                insert(life_events).values(
                    person_id=pid, kind=kind, on=on, source=source, created_at=uow.clock.now()
                )
            )
    return len(good)


def record_death(
    uow: UnitOfWork, id_number: str, on: dt.date, source: str, params: Parameters
) -> dict[str, Any] | None:
    """Record a death; for a pensioner, settle at once: the overpayment, the survivors' due,
    the inheritance, and the relation terminated. A death in service is settled when the
    survivors claim (:func:`claim_survivor_benefits`). A second report of the same death
    changes nothing."""
    person_id = person_row_id(uow, id_number)
    if on > uow.clock.today():
        raise InvalidInput(
            "death.future", "死亡日期不能晚于今天。", "The date cannot be in the future."
        )
    known = died_on(uow, person_id)
    if known is not None:
        if known != on:
            raise Conflict(
                "death.conflict",
                f"已有死亡记录（{known}），与报送的日期{on}不一致，请核实。",
                f"A death is already recorded on {known}, not {on}; check the reports.",
            )
        return None
    uow.conn.execute(
        insert(life_events).values(
            person_id=person_id, kind="death", on=on, source=source[:40],
            created_at=uow.clock.now(),
        )
    )  # fmt: skip
    record(uow, "benefit.death", "person", id_number, new={"on": on, "source": source})
    application = _awarded(uow, person_id)
    award = current_award(uow, application.id) if application is not None else None
    if application is None or award is None:
        return None
    death_month = on.year * 100 + on.month
    overpaid = int(
        sum(
            uow.conn.execute(
                select(benefit_payments.c.amount).where(
                    benefit_payments.c.application_id == application.id,
                    benefit_payments.c.month > death_month,
                )
            ).scalars()
        )
    )
    start = period_of(award.from_month)
    return _settle(
        uow, id_number, person_id, on, params,
        agency_id=application.agency_id,
        # a resident pensioner's: no 18号 due (the employees' measures); the residents'
        # scheme's local funeral grants are not built (benefits README)
        contribution_months=int(json.loads(award.inputs)["contribution_months"])
        if application.scheme == SCHEME
        else None,
        drawn_months=max(0, start.months_until(YearMonth(on.year, on.month)) + 1),
        overpaid=overpaid, application_id=application.id,
        key=str(application.id), reason=source,
    )  # fmt: skip


def claim_survivor_benefits(
    uow: UnitOfWork, id_number: str, claimant: str, params: Parameters
) -> dict[str, Any]:
    """遗属待遇申领 of a person who died insured and drawing no pension (在职死亡), at the agency
    of the last relation (社会保险经办条例 第十九条: "其遗属可以依法向社会保险经办机构申领丧葬补助金
    和抚恤金"):

    - in the employees' scheme (a relation there not moved away, months paid): the funeral
      grant and survivor pension of 人社部发〔2021〕18号 第四条、第五条（一） on the months paid
      anywhere in the scheme, from the pooled fund of the last relation's region;
    - every account the person holds is inherited (社会保险法 第十四条), in every region that
      holds part of it: the employees' less its employer-funded part, the residents' (城乡居保)
      less the government's subsidies (国发〔2014〕8号; POLICY §8). A person only in the
      residents' scheme gets that alone: its funeral grants are provincial, not loaded;
    - every relation still kept is terminated.

    Refused before the death is recorded, while a transfer is open, for a pensioner (settled
    when the death was recorded), for a person insured nowhere, and a second time."""
    claimant = claimant.strip()
    if not claimant:
        raise InvalidInput(
            "survivors.claimant", "请填写申领人（遗属）姓名。", "Name the claimant (the survivor).",
            field="claimant",
        )  # fmt: skip
    person_id = person_row_id(uow, id_number)
    on = died_on(uow, person_id)
    if on is None:
        raise Conflict(
            "survivors.no_death",
            "未登记死亡：请先凭死亡证明或比对数据登记死亡，再申领遗属待遇。",
            "No death is recorded: record it first (certificate or feed), then claim.",
        )
    settled = uow.conn.execute(
        select(death_settlements.c.id).where(death_settlements.c.person_id == person_id)
    ).first()
    if settled is not None:
        raise Conflict(
            "survivors.settled", "遗属待遇已结算，不能重复申领。",
            "The survivors' benefits are already settled.",
        )  # fmt: skip
    if _awarded(uow, person_id) is not None:
        raise Conflict(
            "survivors.pensioner",
            "该人员已领取基本养老金，遗属待遇在登记死亡时已按退休人员结算。",
            "The person drew a pension: the survivors' due was settled when the death was recorded.",
        )
    if open_transfer(uow, person_id) is not None:
        raise Conflict(
            "survivors.transfer_open",
            "该人员有正在办理的转移接续，请待办结后申领。",
            "A transfer of the person is in progress; claim once it has completed.",
        )
    employee_at = _last_agency(uow, person_id, SCHEME)
    months = _months_paid(uow, person_id) if employee_at is not None else 0
    resident_at = _last_agency(uow, person_id, "resident")
    if not months and resident_at is None:
        raise Conflict(
            "survivors.not_insured",
            "该人员没有企业职工基本养老保险缴费记录，也未参加城乡居民基本养老保险，无遗属待遇可结算。",
            "The person has no paid months in the employees' scheme and no residents' "
            "relation: there is nothing to settle.",
        )
    at = employee_at if months else resident_at
    assert at is not None  # one of the two, as just checked
    result = _settle(
        uow, id_number, person_id, on, params,
        agency_id=at,
        contribution_months=months or None, drawn_months=None, overpaid=0,
        application_id=None, key=f"in-service:{person_id}", reason="在职死亡",
        claimant=claimant[:40],
    )  # fmt: skip
    record(uow, "benefit.survivors", "person", id_number, new={"claimant": claimant, **result})
    return result


def _awarded(uow: UnitOfWork, person_id: int) -> Any:
    """The person's awarded retirement application (they draw a pension), or None."""
    return uow.conn.execute(
        select(retirement_applications).where(
            retirement_applications.c.person_id == person_id,
            retirement_applications.c.state == "awarded",
        )
    ).first()


def _last_agency(uow: UnitOfWork, person_id: int, scheme: str) -> int | None:
    """The agency of the person's latest relation in the scheme not moved away (转出: the
    months and the account went with it), or None."""
    found = uow.conn.execute(
        select(relationships.c.agency_id)
        .where(
            relationships.c.person_id == person_id,
            relationships.c.scheme == scheme,
            relationships.c.status != "transferred_out",
        )
        .order_by(relationships.c.started_on.desc(), relationships.c.id.desc())
        .limit(1)
    ).scalar()
    return None if found is None else int(found)


def death_settlement(uow: UnitOfWork, id_number: str) -> dict[str, Any] | None:
    """The person's death settlement as kept (amounts in fen, the explanation's steps and
    sources), or None while there is none. A person's record writes the same object in SQL
    (``jinbao.records.service._SETTLEMENT``): a key added here goes there too."""
    person_id = person_row_id(uow, id_number)
    row = uow.conn.execute(
        select(death_settlements, agencies.c.code.label("agency_code"))
        .join(agencies, agencies.c.id == death_settlements.c.agency_id)
        .where(death_settlements.c.person_id == person_id)
    ).first()
    if row is None:
        return None
    return {
        "id_number": id_number, "died_on": row.died_on.isoformat(),
        "agency_code": row.agency_code, "application_id": row.application_id,
        "claimant": row.claimant, "overpaid": row.overpaid, "funeral": row.funeral,
        "survivor_pension": row.survivor_pension, "inheritance": row.inheritance,
        "payable": row.payable, "to_recover": row.to_recover,
        "explanation": json.loads(row.explanation),
    }  # fmt: skip


def no_settlement() -> NotFound:
    return NotFound(
        "survivors.none",
        "该人员没有遗属待遇结算记录。",
        "No death settlement is recorded for the person.",
    )


def death_settlement_notice(uow: UnitOfWork, id_number: str) -> bytes:
    """The 遗属待遇核定表 PDF of the person's death settlement."""
    settlement = death_settlement(uow, id_number)
    if settlement is None:
        raise no_settlement()
    person = repo.get_person(uow, id_number)
    assert person is not None  # death_settlement found them
    from jinbao.benefits import notice  # the PDF stack, on first use (exchange.service's note)

    return notice.render_survivors({"name": person.name, "id_number": person.id_number}, settlement)


def _months_paid(uow: UnitOfWork, person_id: int) -> int:
    """Months paid anywhere in the employees' scheme, each once (第五条: "缴费年限…计算到月"),
    with the deemed years (视同缴费年限: the years include them, POLICY §10.2); months in
    arrears do not count."""
    history = national_history(uow, person_id, SCHEME, temporary_agencies(uow, person_id))
    return len(
        {
            index
            for p in history.periods
            if not p.arrears_months
            for index in range(p.start.index, p.end.index + 1)
        }
    )


@dataclass(frozen=True, slots=True)
class _Held:
    """One part of an account at death: what is left and what of it the heirs inherit."""

    scheme: str
    region: str
    portion: Portion
    balance: int
    inherited: int


def _settle(
    uow: UnitOfWork,
    id_number: str,
    person_id: int,
    on: dt.date,
    params: Parameters,
    *,
    agency_id: int,
    contribution_months: int | None,
    drawn_months: int | None,
    overpaid: int,
    application_id: int | None,
    key: str,
    reason: str,
    claimant: str | None = None,
) -> dict[str, Any]:
    """``key`` names the settlement in its journal (``survivors:KEY``) and account entries
    (``inheritance:KEY``): the pension's application id, or ``in-service:PERSON``.
    ``contribution_months`` None: not in the employees' scheme, no 18号 due.

    Pay the survivors' due from the pooled fund of the agency's region and the inherited
    accounts from each region that holds them, in one journal (what is not inherited goes to
    that region's pooled fund); set the overpayment off; keep the settlement with its
    explanation; terminate every relation still kept."""
    agency = uow.conn.execute(
        select(agencies.c.region_code).where(agencies.c.id == agency_id)
    ).one()
    region = (agency.region_code or "000000")[:2] + "0000"
    death_month = on.year * 100 + on.month
    held = _held(uow, id_number, person_id)
    inherited = sum(h.inherited for h in held)
    steps: list[dict[str, str]] = []
    sources: list[str] = []
    parameters: list[dict[str, str]] = []  # with their status: a SAMPLE figure says so
    funeral = survivor_pension = 0
    months = Decimal(0)
    in_force: dt.date = params.survivors("in_force").value
    before_measures = contribution_months is not None and on < in_force
    if before_measures:
        # 18号: "对在社会保险法实施后至本办法施行前死亡参保人员的遗属尚未享受遗属待遇的，由各省
        # 妥善予以处理" — the province's rule, not loaded. The death still stops the pension
        # and the account is still inherited (社会保险法 第十四条, in force since 2011).
        steps.append(
            {
                "zh": f"死亡日期{on}早于人社部发〔2021〕18号施行（{in_force}）：丧葬补助金和抚恤金由各省"
                "妥善予以处理，本系统未载入该省办法，须按本省规定另行核发；个人账户照常继承。",
                "en": f"The death on {on} is before 人社部发〔2021〕18号 took effect ({in_force}): the "
                "funeral grant and survivor pension are the province's to settle by its own rule, "
                "not loaded here; the account is inherited as always.",
            }
        )
        sources.append(MEASURES.cite())
    if contribution_months is not None and not before_measures:
        due = survivor_benefits(
            province=region[:2], died_on=on, contribution_months=contribution_months,
            drawn_months=drawn_months, account_balance=Fen(inherited), params=params,
        )  # fmt: skip
        funeral, survivor_pension = int(due.value.funeral), int(due.value.survivor_pension)
        months = due.value.months
        steps += [{"zh": s.zh, "en": s.en} for s in due.explanation.steps]
        sources += [s.cite() for s in due.explanation.sources]
        parameters += [
            {"name": u.name, "value": u.value, "status": u.status, "source": u.source}
            for u in due.explanation.parameters
        ]
    employee_pool = sum(h.balance - h.inherited for h in held if h.scheme == SCHEME)
    resident = [h for h in held if h.scheme != SCHEME]
    gross = funeral + survivor_pension + inherited
    payable = max(0, gross - overpaid)
    to_recover = max(0, overpaid - gross)
    journal_id = None
    if held or gross:
        postings = [
            debit(region, Account.POOLED_FUND, funeral + survivor_pension),
            credit(region, Account.BANK, funeral + survivor_pension),
        ]
        for h in held:
            postings += [
                debit(h.region, Account.ACCOUNT_FUND, h.balance),
                credit(h.region, Account.BANK, h.inherited),
                credit(h.region, Account.POOLED_FUND, h.balance - h.inherited),
            ]
        # The overpayment set off stays in the pooled fund instead of leaving the bank.
        kept = min(gross, overpaid)
        postings += [debit(region, Account.BANK, kept), credit(region, Account.POOLED_FUND, kept)]
        journal_id = ledger.post(
            uow,
            Journal(
                "survivor_paid", f"survivors:{key}", uow.clock.today(), f"遗属待遇 {id_number}",
                net(postings),
            ),
        )  # fmt: skip
        for h in held:
            uow.conn.execute(
                insert(account_entries).values(
                    person_id=person_id, scheme=h.scheme, region=h.region,
                    portion=h.portion.value, kind="payout", period=death_month,
                    effective_on=uow.clock.today(), amount=-h.balance, journal_id=journal_id,
                    source=f"inheritance:{key}", created_at=uow.clock.now(),
                )
            )  # fmt: skip
    if employee_pool:
        steps.append(
            {
                "zh": f"职工个人账户中单位缴费划入的部分 {format_yuan(Fen(employee_pool))} 元不予继承，归入统筹基金"
                "（按各期记账额中个人缴费所占比例计算，DERIVED）。",
                "en": f"The employee account's employer-funded part, {format_yuan(Fen(employee_pool))}, is not "
                "inherited and goes to the pooled fund (by the individual share of each portion's "
                "credits, DERIVED).",
            }
        )
    if resident:
        balance = sum(h.balance for h in resident)
        heirs = sum(h.inherited for h in resident)
        steps.append(
            {
                "zh": f"城乡居民养老保险个人账户 {format_yuan(Fen(balance))} 元，除政府补贴 "
                f"{format_yuan(Fen(balance - heirs))} 元外，{format_yuan(Fen(heirs))} 元依法继承"
                "（国发〔2014〕8号；政府补贴余额归入基金）"
                + (
                    "；城乡居保的丧葬补助由各地规定，未载入。"
                    if contribution_months is None
                    else "。"
                ),
                "en": f"The residents' account of {format_yuan(Fen(balance))} is inherited but for the "
                f"government's subsidies ({format_yuan(Fen(balance - heirs))}): {format_yuan(Fen(heirs))} "
                "(国发〔2014〕8号)"
                + (
                    "; the scheme's funeral grants are local and not loaded."
                    if contribution_months is None
                    else "."
                ),
            }
        )
        sources.append(RESIDENT_OPINION.cite())
    if contribution_months is None or before_measures:
        steps.insert(
            0,
            {
                "zh": f"个人账户余额合计 {format_yuan(Fen(inherited))} 元依法继承（社会保险法 第十四条）。",
                "en": f"The inheritable balance, {format_yuan(Fen(inherited))}, is inherited (社会保险法 第十四条).",
            },
        )
        sources.append(LAW.cite())
    if application_id is not None:
        steps.append(
            {
                "zh": f"死亡次月起停发；死亡后已发待遇 {format_yuan(Fen(overpaid))} 元为冒领，先从遗属待遇中抵扣"
                f"，尚需追回 {format_yuan(Fen(to_recover))} 元，实付遗属 {format_yuan(Fen(payable))} 元。",
                "en": f"Payment stops from the next month; {format_yuan(Fen(overpaid))} paid after the death is "
                f"an overpayment, set off first against the survivors' due; {format_yuan(Fen(to_recover))} "
                f"remains to recover; {format_yuan(Fen(payable))} is paid to the survivors.",
            }
        )
    else:
        steps.append(
            {
                "zh": f"未领取养老金前死亡，遗属{claimant}申领，实付 {format_yuan(Fen(payable))} 元；"
                "参保关系终止（社会保险经办条例 第十九条）。",
                "en": f"Died before drawing a pension; claimed by {claimant}; {format_yuan(Fen(payable))} "
                "is paid; the relations end (社会保险经办条例 第十九条).",
            }
        )
    uow.conn.execute(
        insert(death_settlements).values(
            person_id=person_id, agency_id=agency_id, application_id=application_id,
            claimant=claimant, died_on=on, overpaid=overpaid,
            funeral=funeral, survivor_pension=survivor_pension,
            inheritance=inherited, payable=payable, to_recover=to_recover,
            explanation=json.dumps(
                {"steps": steps, "sources": sources, "parameters": parameters},
                ensure_ascii=False,
            ),
            journal_id=journal_id, created_at=uow.clock.now(),
        )
    )  # fmt: skip
    kept_relations = uow.conn.execute(
        select(relationships.c.id).where(
            relationships.c.person_id == person_id,
            relationships.c.status.in_(["contributing", "suspended", "receiving"]),
        )
    ).scalars()
    for relation in list(kept_relations):
        change_relationship_status(
            uow, int(relation), RelationshipStatus.TERMINATED,
            changed_on=max(on, _last_change(uow, int(relation))), reason=f"死亡（{reason}）",
        )  # fmt: skip
    return {
        "overpaid": overpaid, "funeral": funeral, "survivor_pension": survivor_pension,
        "months": str(months), "inheritance": inherited, "payable": payable,
        "to_recover": to_recover,
    }  # fmt: skip


def _held(uow: UnitOfWork, id_number: str, person_id: int) -> list[_Held]:
    """Every account the person holds, by scheme, region and portion (what is left, not zero),
    with what the heirs inherit of each: of the employees' account the individual part of each
    portion's credits (:func:`_individual_shares`); of the residents' all but the government's
    subsidies paid in, region by region (国发〔2014〕8号 as POLICY §8 quotes it: "除政府补贴外")."""
    shares = _individual_shares(uow, id_number)
    held = [
        _Held(SCHEME, r, p, v, int(round_to_fen(Decimal(v) * shares.get(p, Decimal(1)))))
        for (r, p), v in _balances(uow, person_id, SCHEME).items()
    ]
    subsidies: dict[str, int] = dict(
        uow.conn.execute(
            select(resident_contributions.c.region, func.sum(resident_contributions.c.subsidy))
            .where(resident_contributions.c.person_id == person_id)
            .group_by(resident_contributions.c.region)
        ).all()
    )
    for (r, p), v in sorted(_balances(uow, person_id, "resident").items()):
        kept = max(0, min(v, int(subsidies.get(r, 0))))
        subsidies[r] = int(subsidies.get(r, 0)) - kept
        held.append(_Held("resident", r, p, v, v - kept))
    return held


def _balances(uow: UnitOfWork, person_id: int, scheme: str) -> dict[tuple[str, Portion], int]:
    """The person's account in the scheme by region and portion, what is left of it (not zero)."""
    rows = uow.conn.execute(
        select(
            account_entries.c.region, account_entries.c.portion, func.sum(account_entries.c.amount)
        )
        .where(account_entries.c.person_id == person_id, account_entries.c.scheme == scheme)
        .group_by(account_entries.c.region, account_entries.c.portion)
    )
    return {(r, Portion(p)): int(v) for r, p, v in rows if v}


def _individual_shares(uow: UnitOfWork, id_number: str) -> dict[Portion, Decimal]:
    """Per account portion, the share of its credits that came from the person's own
    contributions (社会保险法 第十四条 lets the heirs inherit the balance; the individual part
    only, as the issue and common practice have it): Σ min(individual part, account credit) ÷
    Σ account credit over the paid records. Portions without own records (say, brought by a
    transfer) count as wholly individual — UNVERIFIED, the 信息表 carries no split."""
    own: dict[Portion, int] = {}
    credited: dict[Portion, int] = {}
    for r in history(uow, id_number):
        if r.paid_on is None or r.reversed or r.to_account <= 0:
            continue
        portion = Portion.of(r.period)
        own[portion] = own.get(portion, 0) + min(int(r.individual_part), int(r.to_account))
        credited[portion] = credited.get(portion, 0) + int(r.to_account)
    return {p: Decimal(own[p]) / credited[p] for p in credited if credited[p]}


def _last_change(uow: UnitOfWork, relationship_id: int) -> dt.date:
    return repo.last_status_change_on(uow, relationship_id) or dt.date.min
