"""The rules checked at each leg of a transfer, pure: facts in, findings out.

A finding is *blocking* when a rule forbids going on (the case is refused or returned with the
finding as its written reason), and *for review* when a person must judge (the case waits in the
operator queue with the finding as the reason). A leg with no findings can be reviewed by the
system itself (即时办结) where the agency allows it.

Legal basis (POLICY §1, §2):
- 国办发〔2009〕66号 第二条: no transfer once basic pension benefits are being received.
- 国办发〔2009〕66号 第八条 一: the person enrols and contributes at the new place, then applies
  there; the receiving agency reviews and sends the 联系函 within 15 working days.
- 国办发〔2009〕66号 第五条 and 人社部发〔2010〕70号: men of 50 and women of 40 outside their 户籍
  province open a temporary account instead (exceptions need an operator's judgement).
- 国办发〔2009〕66号 第八条 三 / 第四条: the receiving agency takes the funds and record it was told of.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from jinbao.kernel.identifiers import Sex
from jinbao.kernel.periods import YearMonth
from jinbao.policy.explain import Explained
from jinbao.policy.linkage import Direction, Linkage
from jinbao.policy.parameters import Parameters
from jinbao.policy.receiving_place import ReceivingPlace
from jinbao.policy.transfer import temporary_account_decision


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    zh: str
    en: str
    blocking: bool

    def as_message(self) -> dict[str, str]:
        return {"code": self.code, "zh": self.zh, "en": self.en}


@dataclass(frozen=True, slots=True)
class RelationFacts:
    agency_code: str
    region_code: str
    kind: str  # normal | temporary
    status: str
    started_on: dt.date


@dataclass(frozen=True, slots=True)
class LinkageFacts:
    """城乡养老保险制度衔接 (人社部发〔2014〕17号) at leg 1."""

    statutory_month: YearMonth  # the employee statutory retirement month (第三条: linkage then)
    applied_month: YearMonth
    decision: Explained[Linkage]  # 第三条: which way, by the employee months
    receiving_either: bool  # 第八条: benefits already drawn in either scheme
    target_scheme: str  # the scheme the application moves the person into


@dataclass(frozen=True, slots=True)
class ApplicationFacts:
    sex: Sex
    born: dt.date
    hukou_region: str
    receiving_anywhere: bool  # a relation in this scheme is receiving benefits
    new_relation: RelationFacts | None  # the person's relation at the receiving agency
    old_relation: RelationFacts | None  # the relation to transfer
    # an earlier normal relation of the person in the receiving agency's province: an old place
    # of 66号 第五条（二）, where no temporary account is due (policy.transfer)
    kept_in_new_province: bool = False
    # the old relation is a temporary account, gathered (归集) into the relation kept here
    gathering: bool = False
    # no record of the named transferring agency's relation on this node (it is held on
    # another node): the transferring agency checks it at leg 2
    old_held_elsewhere: bool = False
    transferring_region: str | None = None
    # a return to the pension-receiving place (转回待遇领取地): where the rules say that is
    returning_to: Explained[ReceivingPlace] | None = None
    linkage: LinkageFacts | None = None


def check_application(facts: ApplicationFacts, params: Parameters) -> list[Finding]:
    """Leg 1, at the receiving agency: may it send the 联系函?"""
    out: list[Finding] = []
    if facts.receiving_anywhere:
        out.append(
            Finding(
                "transfer.receiving_benefits",
                "参保人员已按规定领取基本养老保险待遇，不再转移基本养老保险关系（国办发〔2009〕66号 第二条）。",
                "The person already receives a basic pension; the relation no longer transfers (国办发〔2009〕66号 第二条).",
                True,
            )
        )
    if facts.old_relation is None and not facts.old_held_elsewhere:
        out.append(
            Finding(
                "transfer.nothing_to_transfer",
                "未找到可转出的参保关系（原参保地没有保留的参保关系）。",
                "There is no relation to transfer (none is kept at the old place).",
                True,
            )
        )
    elif facts.old_relation is not None and facts.old_relation.status == "contributing":
        out.append(
            Finding(
                "transfer.still_contributing",
                f"原参保地{facts.old_relation.agency_code}的参保关系仍在缴费，须先停止缴费（中断）再申请转移。",
                f"The relation at {facts.old_relation.agency_code} is still contributing; it must stop before a transfer.",
                True,
            )
        )
    new = facts.new_relation
    if facts.gathering:
        if new is None or new.kind != "normal" or new.status not in ("contributing", "suspended"):
            out.append(
                Finding(
                    "transfer.gathering_target",
                    "临时基本养老保险缴费账户应归集到保留基本养老保险关系的原参保地或待遇领取地，"
                    "本经办机构没有该参保人员的基本养老保险关系（国办发〔2009〕66号 第五条（二））。",
                    "A temporary account is gathered into the relation kept at the old place or the "
                    "pension-receiving place; this agency holds no such relation of the person "
                    "(国办发〔2009〕66号 第五条（二））.",
                    True,
                )
            )
    elif facts.linkage is not None:
        out += _linkage_findings(facts.linkage, new)
    elif facts.returning_to is not None:
        place = facts.returning_to.value.province
        if new is None or new.kind != "normal" or new.status not in ("contributing", "suspended"):
            out.append(
                Finding(
                    "transfer.return_no_relation_here",
                    "转回待遇领取地须由保留基本养老保险关系的待遇领取地办理，本经办机构没有该参保人员的基本养老保险关系。",
                    "A return to the pension-receiving place is handled where a relation is kept; "
                    "this agency holds none of the person's.",
                    True,
                )
            )
        elif new.region_code[:2] != place:
            why = facts.returning_to.explanation
            out.append(
                Finding(
                    "transfer.not_receiving_place",
                    f"按国办发〔2009〕66号 第六条，待遇领取地为 {place} 省，不是本地："
                    + "；".join(s.zh for s in why.steps[-1:]),
                    f"Under 国办发〔2009〕66号 第六条 the pension-receiving province is {place}, not "
                    "this one: " + "; ".join(s.en for s in why.steps[-1:]),
                    True,
                )
            )
    elif new is None or new.status != "contributing":
        out.append(
            Finding(
                "transfer.not_enrolled_here",
                "参保人员须先在新参保地参保缴费，再向新参保地社保经办机构申请转移（国办发〔2009〕66号 第八条 一）。",
                "The person must first enrol and contribute at the new place, then apply there (国办发〔2009〕66号 第八条 一).",
                True,
            )
        )
    elif new.kind == "normal" and new.region_code[:2] != (
        facts.old_relation.region_code[:2]
        if facts.old_relation
        else (facts.transferring_region or new.region_code)[:2]
    ):
        decision = temporary_account_decision(
            sex=facts.sex,
            born=facts.born,
            on=new.started_on,
            hukou_province=facts.hukou_region,
            new_province=new.region_code,
            params=params,
            kept_in_new_province=facts.kept_in_new_province,
        )
        if decision.value.temporary:
            out.append(
                Finding(
                    "transfer.temporary_account_due",
                    "参保人员在新参保地参保时已达建立临时缴费账户的年龄且非户籍地（国办发〔2009〕66号 第五条（二））："
                    "除经批准调动、2010年前已在当地参保或在中断期间达到年龄外，应建立临时基本养老保险缴费账户、"
                    "原参保地保留关系。请经办人核实是否属于例外情形。",
                    "The person was of temporary-account age outside the hukou province when enrolling here "
                    "(国办发〔2009〕66号 第五条（二））: unless an approved transfer, insured here before 2010 or "
                    "the age was reached in a gap, a temporary account is due and the old place keeps the relation. "
                    "An operator must check the exceptions.",
                    False,
                )
            )
    return out


TARGET = {Direction.RESIDENT_TO_EMPLOYEE: "enterprise", Direction.EMPLOYEE_TO_RESIDENT: "resident"}


def _linkage_findings(facts: LinkageFacts, new: RelationFacts | None) -> list[Finding]:
    """17号: at the employee statutory age (第三条), not once benefits are drawn (第八条), in the
    direction 第三条 gives, into a relation kept here."""
    out: list[Finding] = []
    if facts.receiving_either:
        out.append(
            Finding(
                "linkage.already_receiving",
                "已按规定领取养老保险待遇的人员，不再办理城乡养老保险制度衔接（人社部发〔2014〕17号）。",
                "A person already drawing a pension no longer links schemes (人社部发〔2014〕17号).",
                True,
            )
        )
    if facts.applied_month < facts.statutory_month:
        out.append(
            Finding(
                "linkage.before_retirement_age",
                f"城乡养老保险制度衔接在达到城镇职工法定退休年龄后办理（人社部发〔2014〕17号 第三条），"
                f"本人法定退休时间为{facts.statutory_month}。",
                f"Linkage is handled once the employee statutory retirement age is reached "
                f"(人社部发〔2014〕17号 第三条): {facts.statutory_month} for this person.",
                True,
            )
        )
    target = TARGET[facts.decision.value.direction]
    if target != facts.target_scheme:
        step = facts.decision.explanation.steps[0]
        out.append(
            Finding(
                "linkage.direction",
                f"按人社部发〔2014〕17号 第三条应转入{SCHEME_ZH[target]}：{step.zh}",
                f"Under 人社部发〔2014〕17号 第三条 the move is into the {target} scheme: {step.en}",
                True,
            )
        )
    if new is None or new.kind != "normal" or new.status not in ("contributing", "suspended"):
        out.append(
            Finding(
                "linkage.no_relation_here",
                "制度衔接由转入险种的待遇领取地经办机构办理，本经办机构没有该参保人员转入险种的参保关系。",
                "A linkage is handled where the person keeps a relation in the scheme moved into; "
                "this agency holds none.",
                True,
            )
        )
    return out


SCHEME_ZH = {"enterprise": "城镇职工基本养老保险", "resident": "城乡居民基本养老保险"}


def check_relation_here(relation: RelationFacts | None) -> list[Finding]:
    """Leg 2, at the transferring agency: does it hold a relation that can still move?"""
    if relation is None or relation.status in ("transferred_out", "terminated"):
        return [
            Finding(
                "transfer.no_relation_here",
                "本经办机构没有该参保人员可转出的参保关系（未参保、已转出或已终止）。",
                "This agency holds no relation of the person that can transfer (none, transferred out or terminated).",
                True,
            )
        ]
    if relation.status == "receiving":
        return [
            Finding(
                "transfer.receiving_benefits",
                "参保人员已在本地领取基本养老保险待遇，不再转移（国办发〔2009〕66号 第二条）。",
                "The person receives a basic pension here; the relation no longer transfers (国办发〔2009〕66号 第二条).",
                True,
            )
        ]
    if relation.status == "contributing":
        return [
            Finding(
                "transfer.still_contributing",
                "参保人员在本地仍在缴费，须核实是否已离开本地就业。",
                "The person still contributes here; an operator must check that they have left.",
                False,
            )
        ]
    return []


def check_contact_letter(
    relation: RelationFacts | None, registry_name: str, letter_name: str
) -> list[Finding]:
    """Leg 2, at the transferring agency, on the 联系函: the relation, and whether the letter
    names the person as registered here."""
    out = check_relation_here(relation)
    if registry_name != letter_name:
        out.append(
            Finding(
                "transfer.name_mismatch",
                f"联系函上的姓名“{letter_name}”与本地登记的“{registry_name}”不一致，请核实。",
                f"The name on the contact letter ({letter_name}) differs from the one registered here ({registry_name}).",
                False,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class FundsFacts:
    info_total: int  # what the 信息表 says moves
    info_account: int
    info_pooled: int
    slip_total: int  # what the 基金划转表 says was sent
    # what this node's ledger holds in transit for the case (0: nothing; None: the reservation is
    # on the sending agency's node, and its signed fund slip stands for it)
    reserved_total: int | None
    same_person: bool
    duplicate_months: tuple[str, ...] = ()  # YYYY-MM paid both here and in the 信息表
    # deemed lines that cannot be deemed years (after the place's last month, or with money)
    deemed_out_of_range: tuple[str, ...] = ()


def _ranges(months: tuple[str, ...]) -> str:
    """'2025-02至2025-05、2025-08' from sorted YYYY-MM months."""
    out: list[list[str]] = []
    for m in months:
        year, month = int(m[:4]), int(m[5:])
        if out:
            y, mo = int(out[-1][1][:4]), int(out[-1][1][5:])
            if (year, month) == ((y, mo + 1) if mo < 12 else (y + 1, 1)):
                out[-1][1] = m
                continue
        out.append([m, m])
    return "、".join(a if a == b else f"{a}至{b}" for a, b in out)


def check_funds(facts: FundsFacts) -> list[Finding]:
    """Leg 3, at the receiving agency: do the 信息表, the 基金划转表 and the money agree? And are
    months paid twice, to be settled 先转后清 (人社部发〔2009〕187号 意见三; 70号 第十条)?"""
    out: list[Finding] = []
    if facts.duplicate_months:
        n = len(facts.duplicate_months)
        span = _ranges(facts.duplicate_months)
        out.append(
            Finding(
                "transfer.duplicate_months",
                f"转入的缴费记录与本地缴费重复{n}个月（{span}）。按“先转后清”由转入地清理：与本人协商"
                "保留一方的缴费（保留本地或保留转入），另一方同期的个人账户储存额退还本人，缴费年限不重复计算"
                "（人社部发〔2009〕187号 意见三；人社部发〔2010〕70号 第十条）。",
                f"{n} months ({span}) were paid both here and at the transferring place. Settled "
                "'transfer first, then clear' by the receiving agency: agree with the person which "
                "side's months to keep (here or transferred); the other side's account credits for "
                "those months are refunded and the months count once (人社部发〔2009〕187号 意见三; "
                "70号 第十条).",
                False,
            )
        )
    if facts.deemed_out_of_range:
        spans = "、".join(facts.deemed_out_of_range)
        out.append(
            Finding(
                "transfer.deemed_out_of_range",
                f"信息表中的视同缴费年限（{spans}）晚于工作地个人缴费制度实行前的最后月份或带有缴费基数、"
                "资金：视同缴费年限只计个人缴费制度实行前的工作年限，且不划转资金（国发〔1997〕26号；"
                "人社部规〔2016〕5号 一）。退回转出地核实。",
                f"The info table's deemed years ({spans}) fall after the last month that can be "
                "deemed where they were worked, or carry a base or money: deemed years are the "
                "years before individual contributions began, and move no money (国发〔1997〕26号; "
                "人社部规〔2016〕5号 一). Returned for the transferring agency to check.",
                True,
            )
        )
    if not facts.same_person:
        out.append(
            Finding(
                "transfer.person_mismatch",
                "信息表上的参保人员与本案件不一致，退回转出地。",
                "The info table is for another person than this case; returned.",
                True,
            )
        )
    if facts.info_account + facts.info_pooled != facts.info_total:
        out.append(
            Finding(
                "transfer.info_table_sum",
                "信息表中个人账户与统筹基金之和不等于转移基金总额，退回转出地。",
                "In the info table, account plus pooled funds do not add up to the total; returned.",
                True,
            )
        )
    if facts.slip_total != facts.info_total:
        out.append(
            Finding(
                "transfer.slip_mismatch",
                f"基金划转表金额（{facts.slip_total}分）与信息表转移基金总额（{facts.info_total}分）不符，退回转出地。",
                f"The fund slip ({facts.slip_total} fen) does not match the info table total ({facts.info_total} fen); returned.",
                True,
            )
        )
    if facts.reserved_total is not None and facts.reserved_total != facts.slip_total:
        out.append(
            Finding(
                "transfer.funds_not_arrived",
                f"到账的转移资金（{facts.reserved_total}分）与基金划转表（{facts.slip_total}分）不符，退回转出地。",
                f"The money in transit ({facts.reserved_total} fen) does not match the fund slip ({facts.slip_total} fen); returned.",
                True,
            )
        )
    return out
