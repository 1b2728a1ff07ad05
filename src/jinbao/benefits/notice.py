"""The benefits' notices as PDFs in Chinese. 基本养老金核定表: the award — the person, the
retirement, each part of the monthly pension, the inputs with their status, every step of the
computation and its sources, and who made and who approved it; 城乡居民基本养老保险待遇核定表 the
same for the residents' scheme. 遗属待遇核定表: a death's settlement. The font is the one paper
forms use (exchange.forms)."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos

from jinbao.exchange.forms import find_font, yuan

STATE_ZH = {"draft": "待复核（草稿）", "approved": "已复核"}


def render(application: dict[str, Any], award: dict[str, Any]) -> bytes:
    if application["scheme"] == "resident":
        return render_resident(application, award)
    inputs = award["inputs"]
    person = application["person"]
    rows = [
        ("姓名", person["name"]),
        ("公民身份号码", person["id_number"]),
        ("经办机构", application["agency"]),
        ("法定退休时间", application["statutory_month"]),
        ("退休时间", application["retire_month"]),
        ("待遇起始月份", award["from_month"]),
        (
            "累计缴费月数",
            f"{inputs['contribution_months']} 个月"
            + (
                f"（含视同缴费 {inputs['deemed_months']} 个月）"
                if inputs.get("deemed_months")
                else ""
            ),
        ),
        ("平均缴费指数", inputs["index"]),
        (
            "上年度在岗职工月平均工资",
            f"{yuan(inputs['average_wage'])} 元（{inputs['average_wage_status']}）",
        ),
        ("个人账户储存额", f"{yuan(inputs['account_balance'])} 元"),
        ("基础养老金", f"{yuan(award['basic'])} 元"),
        ("个人账户养老金", f"{yuan(award['account'])} 元"),
        (
            "过渡性养老金",
            f"{yuan(award['transitional'])} 元"
            + (
                f"（过渡系数 {inputs['transitional_coefficient']}，"
                f"{inputs['transitional_coefficient_status']}）"
                if inputs.get("transitional_coefficient")
                else ""
            ),
        ),
        ("月基本养老金合计", f"{yuan(award['total'])} 元"),
        ("核定人", award["made_by"]),
        ("复核人", award["checked_by"] or "（未复核）"),
    ]
    return _form(
        "基本养老金核定表",
        f"核定编号 {award['id']}-{award['version']}　状态：{STATE_ZH[award['state']]}",
        rows,
        award["explanation"],
        f"平均工资来源：{inputs['average_wage_source']}；平均缴费指数：{inputs['index_method']}",
    )


def render_resident(application: dict[str, Any], award: dict[str, Any]) -> bytes:
    """城乡居民基本养老保险待遇核定表: the residents' scheme's award (国发〔2014〕8号) — the person,
    the age reached, the years counted, the account, each part, every step and its sources."""
    inputs = award["inputs"]
    person = application["person"]
    months = int(inputs["contribution_months"])
    rows = [
        ("姓名", person["name"]),
        ("公民身份号码", person["id_number"]),
        ("经办机构", application["agency"]),
        ("年满60周岁", application["retire_month"]),
        ("待遇起始月份", award["from_month"]),
        (
            "累计缴费年限",
            f"{months // 12}年{months % 12}个月（缴费{inputs['paid_years']}年，转入"
            f"{inputs['brought_months']}个月，退还{inputs['refunded_months']}个月）",
        ),
        ("个人账户储存额", f"{yuan(inputs['account_balance'])} 元"),
        ("基础养老金", f"{yuan(award['basic'])} 元"),
        ("个人账户养老金", f"{yuan(award['account'])} 元"),
        ("月养老金合计", f"{yuan(award['total'])} 元"),
        ("核定人", award["made_by"]),
        ("复核人", award["checked_by"] or "（未复核）"),
    ]
    return _form(
        "城乡居民基本养老保险待遇核定表",
        f"核定编号 {award['id']}-{award['version']}　状态：{STATE_ZH[award['state']]}",
        rows,
        award["explanation"],
        f"首次核定时全国基础养老金最低标准 {yuan(inputs['minimum_basic'])} 元（{inputs['minimum_status']}："
        f"{inputs['minimum_source']}）；"
        + (
            f"地方加发 {yuan(inputs['local_top_up'])} 元（{inputs['local_top_up_status']}："
            f"{inputs['local_top_up_source']}）。"
            if inputs.get("local_top_up")
            else "本省地方加发基础养老金未录入。"
        ),
    )


def render_survivors(person: dict[str, Any], settlement: dict[str, Any]) -> bytes:
    """遗属待遇核定表: a death's settlement — the person, the death, who claimed, each amount
    (funeral grant, survivor pension, the accounts inherited, an overpayment set off), what is
    paid and what remains to recover, every step of the computation and its sources."""
    rows = [
        ("姓名", person["name"]),
        ("公民身份号码", person["id_number"]),
        ("死亡日期", settlement["died_on"]),
        ("经办机构", settlement["agency_code"]),
        ("申领人", settlement["claimant"] or "（登记死亡时结算）"),
        ("丧葬补助金", f"{yuan(settlement['funeral'])} 元"),
        ("抚恤金", f"{yuan(settlement['survivor_pension'])} 元"),
        ("个人账户继承额", f"{yuan(settlement['inheritance'])} 元"),
        ("死亡后多发待遇（冒领）", f"{yuan(settlement['overpaid'])} 元"),
        ("实付遗属", f"{yuan(settlement['payable'])} 元"),
        ("尚需追回", f"{yuan(settlement['to_recover'])} 元"),
    ]
    kind = "退休人员" if settlement["application_id"] is not None else "未领取养老金人员"
    used = settlement["explanation"].get("parameters", [])  # not kept before session 23
    note = "参数：" + "；".join(
        f"{u['name']} = {u['value']}（{u['status']}：{u['source']}）" for u in used
    )
    return _form(
        "遗属待遇核定表", f"{kind}死亡", rows, settlement["explanation"], note if used else None
    )


def _form(
    title: str,
    subtitle: str,
    rows: list[tuple[str, Any]],
    explanation: dict[str, Any],
    note: str | None,
) -> bytes:
    """The one layout of the benefits' notices: a title, a table of what was decided, the
    computation step by step, its sources and a note."""
    font, face = find_font()
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Jinbao 金保")
    pdf.add_font("cjk", "", font, collection_font_number=face)
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_page()
    pdf.set_font("cjk", size=17)
    pdf.cell(0, 10, title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=9)
    pdf.cell(0, 6, subtitle, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("cjk", size=10)
    with pdf.table(
        col_widths=(58, 132), first_row_as_headings=False, line_height=6.5,
        wrapmode=WrapMode.CHAR,
    ) as table:  # fmt: skip
        for label, value in rows:
            table.row((label, str(value)))
    pdf.ln(4)
    pdf.set_font("cjk", size=11)
    pdf.cell(0, 7, "计算过程", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("cjk", size=9)
    for i, step in enumerate(explanation["steps"], 1):
        pdf.multi_cell(
            0, 5.5, f"{i}. {step['zh']}", new_x=XPos.LMARGIN, new_y=YPos.NEXT,
            wrapmode=WrapMode.CHAR,
        )  # fmt: skip
    pdf.ln(2)
    pdf.set_font("cjk", size=8)
    pdf.multi_cell(
        0, 4.5, "依据：" + "；".join(explanation["sources"]),
        new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR,
    )  # fmt: skip
    if note:
        pdf.multi_cell(0, 4.5, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=WrapMode.CHAR)
    return bytes(pdf.output())
