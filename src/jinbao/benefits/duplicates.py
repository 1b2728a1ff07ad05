"""重复领取养老金: one person, one basic pension, for duplicates found in existing data.

New awards are refused while a pension is drawn anywhere (service.apply_retirement); data
migrated from several places can still hold two. The rule (policy.linkage.duplicate_benefits:
人社部发〔2014〕17号 第八条, 人社部规〔2016〕5号 五, 人社厅发〔2021〕77号) says which stays:
- an employee and a resident pension: the employee one stays; the resident relation ends and its
  account is refunded except the government subsidies; the resident basic pension drawn is
  repaid (17号 第八条: "已领取的城乡居民养老保险基础养老金应予以退还"): what this node's payment
  runs paid of it (since session 41 they pay the residents' pension), read from its payments,
  plus what the operator enters for what was paid elsewhere or before the data came here;
- two employee pensions: the one agreed with the person stays; the other ends, its remaining
  account is refunded, and what it paid is recovered (5号 五).
Each settlement is one transaction: relations, account entries, ledger and the record of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select

from jinbao.accounts.tables import account_entries
from jinbao.audit.service import record
from jinbao.benefits.tables import benefit_payments, retirement_applications
from jinbao.contributions.tables import resident_contributions
from jinbao.db.uow import UnitOfWork
from jinbao.kernel.errors import Conflict, InvalidInput
from jinbao.ledger import service as ledger
from jinbao.ledger.model import Account, Journal, credit, debit
from jinbao.policy.interest import Portion
from jinbao.policy.linkage import BenefitPair, duplicate_benefits
from jinbao.registry.model import RelationshipStatus
from jinbao.registry.service.persons import person_row_id
from jinbao.registry.service.relationships import change_relationship_status
from jinbao.registry.tables import agencies, persons, relationships
from jinbao.transfers.records import account_balance


@dataclass(frozen=True, slots=True)
class Drawing:
    relationship_id: int
    agency_code: str
    region: str
    scheme: str


def find(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Everyone who draws more than one basic pension, with where."""
    many = (
        select(relationships.c.person_id)
        .where(relationships.c.status == "receiving")
        .group_by(relationships.c.person_id)
        .having(func.count() > 1)
    )
    out: dict[str, list[dict[str, str]]] = {}
    for id_number, code, scheme in uow.conn.execute(
        select(persons.c.id_number, agencies.c.code, relationships.c.scheme)
        .join(persons, persons.c.id == relationships.c.person_id)
        .join(agencies, agencies.c.id == relationships.c.agency_id)
        .where(relationships.c.person_id.in_(many), relationships.c.status == "receiving")
        .order_by(persons.c.id_number, agencies.c.code)
    ):
        out.setdefault(id_number, []).append({"agency": code, "scheme": scheme})
    return [{"id_number": k, "pensions": v} for k, v in out.items()]


def settle(
    uow: UnitOfWork,
    id_number: str,
    *,
    keep_agency: str | None = None,
    resident_pension_drawn: int = 0,
) -> dict[str, Any]:
    """Settle one person's duplicate pensions by the rule; returns what was done."""
    person_id = person_row_id(uow, id_number)
    drawing = [
        Drawing(r.id, r.code, (r.region_code or "000000")[:2] + "0000", r.scheme)
        for r in uow.conn.execute(
            select(
                relationships.c.id, agencies.c.code, agencies.c.region_code, relationships.c.scheme
            )
            .join(agencies, agencies.c.id == relationships.c.agency_id)
            .where(relationships.c.person_id == person_id, relationships.c.status == "receiving")
            .order_by(relationships.c.id)
        )
    ]
    if len(drawing) < 2:
        raise Conflict(
            "duplicate.none",
            "该人员没有重复领取基本养老金。",
            "The person does not draw more than one basic pension.",
        )
    schemes = {d.scheme for d in drawing}
    kept: Drawing | None
    if schemes == {"enterprise", "resident"} and len(drawing) == 2:
        rule = duplicate_benefits(BenefitPair.EMPLOYEE_AND_RESIDENT)
        kept = next(d for d in drawing if d.scheme == "enterprise")
    elif schemes == {"enterprise"}:
        rule = duplicate_benefits(BenefitPair.EMPLOYEE_AND_EMPLOYEE)
        kept = next((d for d in drawing if d.agency_code == (keep_agency or "").upper()), None)
        if kept is None:
            raise InvalidInput(
                "duplicate.keep",
                "两份职工养老金须与本人协商保留一处，请指明保留的经办机构："
                + "、".join(d.agency_code for d in drawing),
                "Two employee pensions: name the agency kept, as agreed with the person: "
                + ", ".join(d.agency_code for d in drawing),
                field="keep_agency",
            )
    else:
        raise InvalidInput(
            "duplicate.unsupported",
            "此种重复领取（如两份城乡居民养老金）按首次领取地保留，尚未在本系统办理。",
            "This kind of duplicate (say, two resident pensions) is not handled here yet.",
        )
    assert kept is not None
    refunded = recovered = set_off = 0
    for other in (d for d in drawing if d is not kept):
        balance = account_balance(uow, person_id, other.scheme, other.region)
        total = sum(int(v) for v in balance.values())
        subsidies = 0
        if other.scheme == "resident":
            subsidies = int(
                uow.conn.execute(
                    select(func.coalesce(func.sum(resident_contributions.c.subsidy), 0)).where(
                        resident_contributions.c.person_id == person_id
                    )
                ).scalar_one()
            )
            recovered += resident_pension_drawn + _resident_basic_paid(uow, person_id, other)
        else:
            recovered += _paid_at(uow, person_id, other)
        to_person = max(0, total - min(subsidies, total))
        kept_subsidy = total - to_person
        # The refund is set off against what must be recovered; the rest is paid out.
        setoff = min(to_person, recovered)
        if total:
            journal_id = ledger.post(
                uow,
                Journal(
                    "duplicate_pension_refund",
                    f"duplicate-pension:{other.relationship_id}",
                    uow.clock.today(),
                    f"重复领取清理 {id_number} {other.agency_code}",
                    (
                        debit(other.region, Account.ACCOUNT_FUND, total),
                        credit(other.region, Account.BANK, to_person - setoff),
                        credit(other.region, Account.POOLED_FUND, setoff + kept_subsidy),
                    ),
                ),
            )
            for portion in Portion:
                amount = int(balance.get(portion, 0))
                if amount:
                    uow.conn.execute(
                        insert(account_entries).values(
                            person_id=person_id, scheme=other.scheme, region=other.region,
                            portion=portion.value, kind="payout",
                            period=uow.clock.today().year * 100 + uow.clock.today().month,
                            effective_on=uow.clock.today(), amount=-amount,
                            journal_id=journal_id,
                            source=f"duplicate-pension:{other.relationship_id}",
                            created_at=uow.clock.now(),
                        )
                    )  # fmt: skip
        refunded += to_person
        recovered -= setoff
        set_off += setoff
        change_relationship_status(
            uow, other.relationship_id, RelationshipStatus.TERMINATED,
            changed_on=uow.clock.today(), reason=f"重复领取清理，保留{kept.agency_code}",
        )  # fmt: skip
    result = {
        "kept": kept.agency_code, "refunded": refunded, "set_off": set_off,
        "to_recover": recovered,
        "rule": [{"zh": s.zh, "en": s.en} for s in rule.explanation.steps],
    }  # fmt: skip
    record(uow, "benefit.duplicate_settled", "person", id_number, new=result)
    return result


def _resident_basic_paid(uow: UnitOfWork, person_id: int, drawing: Drawing) -> int:
    """The residents' basic pension this node's runs paid the person at the drawing's agency:
    the payments less what they drew from the person's own account (the account part, not
    repaid: 17号 第八条 names the 基础养老金)."""
    paid = _paid_at(uow, person_id, drawing)
    from_account = uow.conn.execute(
        select(func.coalesce(func.sum(account_entries.c.amount), 0)).where(
            account_entries.c.person_id == person_id,
            account_entries.c.scheme == drawing.scheme,
            account_entries.c.region == drawing.region,
            account_entries.c.kind == "payout",
            account_entries.c.source.like("benefit:%"),
        )
    ).scalar_one()
    return paid + int(from_account)  # the entries drawn are negative


def _paid_at(uow: UnitOfWork, person_id: int, drawing: Drawing) -> int:
    """What this node's payment runs paid the person in the drawing's scheme at its agency."""
    return int(
        uow.conn.execute(
            select(func.coalesce(func.sum(benefit_payments.c.amount), 0))
            .join(
                retirement_applications,
                retirement_applications.c.id == benefit_payments.c.application_id,
            )
            .join(agencies, agencies.c.id == retirement_applications.c.agency_id)
            .where(
                retirement_applications.c.person_id == person_id,
                retirement_applications.c.scheme == drawing.scheme,
                agencies.c.code == drawing.agency_code,
            )
        ).scalar_one()
    )
