"""What a transfer moves (转移基金), and when a move opens a temporary account instead.

Legal basis (POLICY §1.2, §1.3, §2.4, §2.6, Part II §6):
- 国办发〔2009〕66号 第四条: 个人账户储存额 (before 1998 the individual contributions with
  interest; from 1998 the whole account) plus 统筹基金 = 12% of each year's actual monthly base
  since 1998-01-01, by the months actually paid; 人社部发〔2009〕187号: 1998–2005 at 11%, 2006+
  at 8%; temporary accounts at the actual employer rate if above 12%; persons insured as
  individuals always 12%; no interest on the pooled part.
- Arrears the person refuses to pay: 欠缴的时间不计算缴费年限，个人欠费的时间不转移基金
  (贵州省社保局 quoting 人社部发〔2010〕70号, POLICY Part II §6.1).
- Lump sums of 3 years or more without the legal documents of 人社厅发〔2019〕94号 二 move neither
  years nor funds; the person is told in writing within 10 working days of the 联系函 (94号 三).
- 国办发〔2009〕66号 第五条 and 人社部发〔2010〕70号: temporary accounts for men ≥ 50 and women ≥ 40
  outside their 户籍 province, with the exceptions listed in :func:`temporary_account_decision`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from jinbao.kernel.identifiers import Sex
from jinbao.kernel.money import Fen, format_yuan, round_to_fen
from jinbao.kernel.periods import YearMonth
from jinbao.policy.explain import Explained, Explainer, Source
from jinbao.policy.history import History, Kind, Period
from jinbao.policy.interest import Portion
from jinbao.policy.parameters import Parameters

ART4 = Source("国办发〔2009〕66号", "第四条")
ART5 = Source("国办发〔2009〕66号", "第五条")
IMPL = Source("人社部发〔2009〕187号", "", "quoted secondhand")
ARREARS = Source("人社部发〔2010〕70号", "", "as quoted by 贵州省社保局; UNVERIFIED wording")
LUMP = Source("人社厅发〔2019〕94号", "一、二、三")
TEMP = Source("人社部发〔2010〕70号", "", "temporary-account rules, attribution medium")

PORTION_ZH = {
    Portion.PRE_1998: "1998年前个人缴费本息",
    Portion.Y1998_2005: "1998–2005年（11%）",
    Portion.FROM_2006: "2006年起（8%）",
}


@dataclass(frozen=True, slots=True)
class YearLine:
    """One calendar year of one period: the 信息表 rule 一个自然年一条记录, split on changes."""

    year: int
    province: str
    kind: Kind
    first: YearMonth  # the span of the period within this year
    last: YearMonth
    months: int  # months counted (paid)
    base: Fen
    rate: Decimal
    pooled: Fen


@dataclass(frozen=True, slots=True)
class Exclusion:
    line: int
    months: int
    reason: str  # "arrears" | "lump_sum_without_documents"
    notify_within_working_days: int | None


@dataclass(frozen=True, slots=True)
class TransferAmount:
    account: dict[Portion, Fen]
    years: tuple[YearLine, ...]
    exclusions: tuple[Exclusion, ...]
    counted_months: int  # contribution months that move, 视同 included

    @property
    def account_total(self) -> Fen:
        return Fen(sum(self.account.values()))

    @property
    def pooled_total(self) -> Fen:
        return Fen(sum(y.pooled for y in self.years))

    @property
    def total(self) -> Fen:
        return Fen(self.account_total + self.pooled_total)


def transfer_amount(history: History, params: Parameters) -> Explained[TransferAmount]:
    """The funds and years a transfer moves, year by year, with exclusions explained."""
    x = Explainer("transfer.amount", "转移基金计算", "Transfer amount", (ART4, IMPL, ARREARS, LUMP))
    pooled_rate = params.transfer("pooled_rate")
    since = YearMonth.parse(params.transfer("pooled_since").value)
    threshold = int(params.transfer("lump_sum_documents_threshold_months").value)
    notice = params.transfer("lump_sum_notice_working_days")
    x.param("pooled_rate", pooled_rate.value, pooled_rate.status, pooled_rate.source)
    x.param("lump_sum_threshold_months", threshold, "official", LUMP.cite())
    base_rate = Decimal(pooled_rate.value)
    years: list[YearLine] = []
    exclusions: list[Exclusion] = []
    counted = 0
    excluded_account = Fen(0)
    for p in history.periods:
        if p.lump_sum == "no-documents" and p.months >= threshold:
            exclusions.append(
                Exclusion(p.line, p.months, "lump_sum_without_documents", int(notice.value))
            )
            excluded_account = Fen(excluded_account + p.lump_sum_account)
            x.step(
                f"第{p.line}行 {p.start}–{p.end} 一次性缴费{p.months}个月（≥3年）无相关法律文书：年限和资金均不转移，"
                f"转出地应在收到联系函{notice.value}个工作日内书面告知本人。",
                f"Line {p.line}: a lump sum of {p.months} months (≥ 3 years) without the legal "
                f"documents moves neither years nor funds; the person is told within {notice.value} working days.",
            )
            continue
        if p.kind is Kind.DEEMED:
            counted += p.months
            x.step(
                f"第{p.line}行 视同缴费{p.months}个月：计入年限，无资金。",
                f"Line {p.line}: {p.months} deemed months count; no funds.",
            )
            continue
        if p.arrears_months:
            exclusions.append(Exclusion(p.line, p.arrears_months, "arrears", None))
            x.step(
                f"第{p.line}行 欠费{p.arrears_months}个月未补缴：不计缴费年限，不转移基金。",
                f"Line {p.line}: {p.arrears_months} unpaid months count no years and move no funds.",
            )
        counted += p.months - p.arrears_months
        rate = _pooled_rate(p, base_rate, x)
        years += _year_lines(p, rate, since)
    for line in years:
        x.step(
            f"{line.year}年 {line.province} {line.kind.value}：{format_yuan(line.base)} × {line.rate} × {line.months}个月 = {format_yuan(line.pooled)} 元。",
            f"{line.year} {line.province} {line.kind.value}: {format_yuan(line.base)} × {line.rate} × {line.months} = {format_yuan(line.pooled)}.",
        )
    account = dict(history.account)
    if excluded_account:
        # The account credits of an excluded lump sum stay behind (from 2006: the 8% portion).
        account[Portion.FROM_2006] = Fen(account.get(Portion.FROM_2006, Fen(0)) - excluded_account)
        x.step(
            f"扣除不转移的一次性缴费记账额 {format_yuan(excluded_account)} 元。",
            f"Minus the excluded lump sum's account credits {format_yuan(excluded_account)}.",
        )
    for portion, amount in account.items():
        x.step(
            f"个人账户 {PORTION_ZH[portion]}：{format_yuan(amount)} 元。",
            f"Personal account {portion.value}: {format_yuan(amount)}.",
        )
    result = TransferAmount(account, tuple(years), tuple(exclusions), counted)
    x.step(
        f"转移基金总额 = 个人账户 {format_yuan(result.account_total)} + 统筹基金 {format_yuan(result.pooled_total)} = {format_yuan(result.total)} 元（统筹基金不计利息）；转移缴费年限 {counted} 个月。",
        f"Total = account {format_yuan(result.account_total)} + pooled {format_yuan(result.pooled_total)} = {format_yuan(result.total)} (no interest on the pooled part); {counted} months move.",
    )
    return x.done(result)


def _pooled_rate(p: Period, base_rate: Decimal, x: Explainer) -> Decimal:
    if p.kind is Kind.TEMPORARY and p.unit_rate is not None and p.unit_rate > base_rate:
        x.step(
            f"第{p.line}行 临时缴费账户单位缴费比例{p.unit_rate}高于12%，按实际比例计算。",
            f"Line {p.line}: temporary account at employer rate {p.unit_rate} > 12%: the actual rate.",
        )
        return p.unit_rate
    if p.kind is Kind.FLEXIBLE:
        x.step(
            f"第{p.line}行 以个人身份参保，统一按12%计算。",
            f"Line {p.line}: insured as an individual: always 12%.",
        )
    return base_rate


def _year_lines(p: Period, rate: Decimal, since: YearMonth) -> list[YearLine]:
    """Split a period into calendar years from 1998; unpaid months come off the last years."""
    lines: list[YearLine] = []
    unpaid = p.arrears_months
    start = max(p.start, since)
    for year in range(p.end.year, start.year - 1, -1):
        first = max(start, YearMonth(year, 1))
        last = min(p.end, YearMonth(year, 12))
        months = first.months_until(last) + 1
        taken = min(unpaid, months)
        unpaid -= taken
        months -= taken
        if months > 0:
            pooled = round_to_fen(Decimal(p.base) * rate * months)
            lines.append(
                YearLine(year, p.province, p.kind, first, last, months, p.base, rate, pooled)
            )
    return sorted(lines, key=lambda line: line.year)


@dataclass(frozen=True, slots=True)
class TemporaryDecision:
    temporary: bool
    reason: str


def temporary_account_decision(
    *,
    sex: Sex,
    born: dt.date,
    on: dt.date,
    hukou_province: str,
    new_province: str,
    params: Parameters,
    approved_transfer: bool = False,
    insured_here_before_2010: bool = False,
    reached_age_during_gap: bool = False,
    kept_in_new_province: bool = False,
) -> Explained[TemporaryDecision]:
    """Does enrolling in ``new_province`` on ``on`` open a temporary account (临时缴费账户)?

    66号 第五条: returning to the 户籍 province — never; elsewhere, a man of 50 or a woman of 40
    keeps the relation at the old place and opens a temporary account at the new one, unless the
    move is an approved transfer (第五条（三）: 经组织、人社部门批准调动). 70号: a relation opened in a
    non-户籍 place before 2010-01-01, or an age reached during a contribution gap, is not turned
    into a temporary account. ``kept_in_new_province``: the person keeps a normal relation in
    that province already — an 原参保地 of 第五条（二）, not a new one (the reading here: the
    article keeps the relation at the old place and opens the account at the new), so the work
    is contributed in that relation and no temporary account opens; the transfer workflow
    likewise refuses a relation and a temporary account at one agency.
    """
    x = Explainer(
        "transfer.temporary_account",
        "是否建立临时基本养老保险缴费账户",
        "Temporary account decision",
        (ART5, TEMP),
    )
    ages = params.transfer("temporary_account_age")
    limit = int(ages.value["male"] if sex is Sex.MALE else ages.value["female"])
    x.param(
        "temporary_account_age",
        f"男{ages.value['male']}/女{ages.value['female']}",
        ages.status,
        ages.source,
    )
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))

    def decide(temporary: bool, code: str, zh: str, en: str) -> Explained[TemporaryDecision]:
        x.step(zh, en)
        return x.done(TemporaryDecision(temporary, code))

    if new_province[:2] == hukou_province[:2]:
        return decide(
            False,
            "hukou",
            "新参保地为户籍所在省：转入基本养老保险关系，不建临时账户（第五条（一））。",
            "The new place is the hukou province: the relation moves there (第五条（一）).",
        )
    if kept_in_new_province:
        return decide(
            False,
            "kept_there",
            "新参保地所在省保留有本人的基本养老保险关系（原参保地）：在该关系中继续缴费，不建临时账户"
            "（第五条（二）：原参保地保留关系，新参保地建临时账户）。",
            "The person keeps a relation in that province already (an old place): contributions "
            "go on in it, no temporary account (第五条（二）: the old place keeps the relation, a "
            "new place opens the account).",
        )
    if approved_transfer:
        return decide(
            False,
            "approved_transfer",
            "经批准调动，不受年龄限制（第五条（三））。",
            "An approved transfer: no age limit (第五条（三）).",
        )
    if age < limit:
        return decide(
            False,
            "under_age",
            f"{on}时年满{age}周岁，未达{limit}周岁：关系随同转移。",
            f"Aged {age} on {on}, under {limit}: the relation moves.",
        )
    if insured_here_before_2010:
        return decide(
            False,
            "insured_before_2010",
            "2010年1月1日前已在非户籍地参保：不得调整为临时账户（70号）。",
            "Insured at this non-hukou place before 2010-01-01: not turned into a temporary account (70号).",
        )
    if reached_age_during_gap:
        return decide(
            False,
            "age_in_gap",
            "在中断缴费期间达到年龄：不得调整为临时账户（70号）。",
            "The age was reached during a contribution gap: not turned into a temporary account (70号).",
        )
    return decide(
        True,
        "temporary",
        f"{on}时年满{age}周岁（≥{limit}），非户籍地参保：原参保地保留关系，新参保地建立临时基本养老保险缴费账户（第五条（二））。",
        f"Aged {age} (≥ {limit}) outside the hukou province: the old place keeps the relation and the new place opens a temporary account (第五条（二）).",
    )
