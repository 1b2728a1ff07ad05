"""待遇领取地: where a person claims the pension, by the four ordered rules, at province level.

Legal basis: 国办发〔2009〕66号 第六条、第十二条 as restated by 人社部规〔2016〕5号 一 (POLICY §1.4):
1. the relation is in the 户籍 province → 户籍 province;
2. not there, and ≥ 10 years (累计缴费年限, 视同 included) where the relation is → there;
3. not there, < 10 years where it is → the last former place with ≥ 10 years;
4. < 10 years everywhere → the 户籍 province (relation and funds collected there).
视同缴费年限 count where the person worked then (5号 一; 人社厅函〔2017〕151号). A temporary-account
place is never the receiving place (POLICY §1.3). Unpaid arrears and excluded lump sums do not count.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinbao.kernel.errors import InvalidInput
from jinbao.kernel.periods import format_years_months_zh
from jinbao.policy.explain import Explained, Explainer, Source
from jinbao.policy.history import History, Kind
from jinbao.policy.parameters import Parameters

ART6 = Source("国办发〔2009〕66号", "第六条、第十二条")
NOTICE5 = Source("人社部规〔2016〕5号", "一")
LETTER151 = Source("人社厅函〔2017〕151号")


@dataclass(frozen=True, slots=True)
class ReceivingPlace:
    province: str
    rule: int  # 1–4
    months_by_province: dict[str, int]


def receiving_place(hukou: str, history: History, params: Parameters) -> Explained[ReceivingPlace]:
    """Decide the receiving province from the whole history (the current relation is the last
    normal — employee or flexible — period)."""
    x = Explainer(
        "benefit.receiving_place",
        "待遇领取地确定",
        "Pension-receiving place",
        (ART6, NOTICE5, LETTER151),
    )
    need = int(params.transfer("receiving_place_years").value) * 12
    x.param("receiving_place_years", need // 12, "official", ART6.cite())
    threshold = int(params.transfer("lump_sum_documents_threshold_months").value)
    hukou = hukou[:2]
    months: dict[str, int] = {}
    last_seen: dict[str, int] = {}
    current: str | None = None
    for p in history.periods:
        if p.kind is Kind.TEMPORARY:
            continue
        if p.lump_sum == "no-documents" and p.months >= threshold:
            continue
        months[p.province] = months.get(p.province, 0) + p.months - p.arrears_months
        last_seen[p.province] = max(last_seen.get(p.province, 0), p.end.index)
        if p.kind is not Kind.DEEMED:
            current = p.province
    if current is None:
        raise InvalidInput(
            "receiving_place.no_relation",
            "历史中没有正常参保关系。",
            "The history has no normal relation.",
            field="history",
        )
    summary = "，".join(f"{k}: {format_years_months_zh(v)}" for k, v in sorted(months.items()))
    x.step(f"各省累计缴费年限（含视同、不含临时账户）：{summary}；户籍 {hukou}，现关系所在地 {current}。",
           f"Months by province (deemed included, temporary accounts not): {months}; hukou {hukou}, current {current}.")  # fmt: skip

    def decide(province: str, rule: int, zh: str, en: str) -> Explained[ReceivingPlace]:
        x.step(zh, en)
        return x.done(ReceivingPlace(province, rule, months))

    if current == hukou:
        return decide(
            hukou,
            1,
            "规则一：基本养老保险关系在户籍所在地，由户籍所在地办理。",
            "Rule 1: the relation is in the hukou province.",
        )
    if months.get(current, 0) >= need:
        return decide(
            current,
            2,
            f"规则二：关系所在地 {current} 累计满10年，在该地办理。",
            f"Rule 2: {current} has 10 years or more.",
        )
    former = sorted(
        (p for p in months if p != current and months[p] >= need),
        key=lambda p: last_seen[p],
        reverse=True,
    )
    if former:
        return decide(
            former[0],
            3,
            f"规则三：关系所在地不满10年，转回上一个满10年的原参保地 {former[0]}。",
            f"Rule 3: back to the last former place with 10 years, {former[0]}.",
        )
    return decide(
        hukou,
        4,
        "规则四：每个参保地均不满10年，归集到户籍所在地。",
        "Rule 4: under 10 years everywhere: collected in the hukou province.",
    )
