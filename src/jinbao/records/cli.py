"""``jinbao person record ID``: a person's whole record in one view (电子档案袋)."""

from __future__ import annotations

import json
from typing import Any

import typer

from jinbao.calculators.inputs import parameters
from jinbao.cli.common import JsonOption, run, settings
from jinbao.kernel.money import format_yuan
from jinbao.records.service import person_record


def record(id_number: str, as_json: JsonOption = False) -> None:
    """电子档案袋: relations, years by place, accounts, transfers and pension, in one view."""
    found: dict[str, Any] = run(
        lambda uow: person_record(uow, id_number, parameters(settings().parameters_dir)),
        as_json=as_json,
        write=False,
    )
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    p = found["person"]
    t = found["totals"]
    typer.echo(
        f"{p['name']} {p['id_number']}  户籍 {p['hukou']}  缴费 {t['paid_months']} 个月"
        f"（欠缴 {t['unpaid_months']}）"
        + (f"  视同缴费 {t['deemed_months']} 个月" if t["deemed_months"] else "")
        + f"  参保地 {'、'.join(t['places']) or '—'}"
    )
    for r in found["relationships"]:
        typer.echo(
            f"  关系 {r['scheme']} {r['kind']} {r['agency']} {r['status']} 自 {r['started_on']}"
        )
    for y in found["contribution_years"]:
        typer.echo(
            f"  {y['year']} {y['agency']} 已缴 {y['paid_months']} 月 欠缴 {y['unpaid_months']} 月"
            f" 基数 {format_yuan(y['base_min'])}–{format_yuan(y['base_max'])}"
        )
    for y in found["resident_years"]:
        paid = y["individual"] + y["collective"] + y["subsidy"]
        typer.echo(
            f"  {y['year']} {y['agency']} 城乡居保 缴费 {format_yuan(y['individual'])} 元"
            f"（集体补助 {format_yuan(y['collective'])}，政府补贴 {format_yuan(y['subsidy'])}；"
            f"记入个人账户 {format_yuan(paid)} 元）"
        )
    for d in found["deemed_years"]:
        typer.echo(
            f"  视同缴费 {d['from']}至{d['to']} {d['months']} 月（工作地 {d['region']}，"
            f"{d['agency']} 记录；依据：{d['basis']}）"
        )
    for y in found["transferred_years"]:
        kind = "视同" if y["kind"] == "deemed" else "转入"
        typer.echo(f"  {y['year']} {kind} {y['agency']} {y['months']} 月（来自 {y['region']}）")
    for scheme, a in found["accounts"].items():
        typer.echo(f"  个人账户 {scheme}: {format_yuan(a['total'])} 元")
    for c in found["transfers"]:
        typer.echo(f"  转移 {c['case_id']} {c['state_zh']}")
    if found["pension"]:
        pension = found["pension"]
        monthly = format_yuan(pension["monthly"]) if pension["monthly"] is not None else "—"
        what = "年满60周岁" if pension["scheme"] == "resident" else "退休"
        month, state = pension["retire_month"], pension["state"]
        typer.echo(f"  {what} {month} 月养老金 {monthly} 元（{state}）")
    if found["death"]:
        death = found["death"]
        settled = death["settlement"]
        typer.echo(
            f"  死亡 {death['died_on']}："
            + (
                f"遗属待遇已结算 丧葬补助金 {format_yuan(settled['funeral'])} + 抚恤金 "
                f"{format_yuan(settled['survivor_pension'])} + 个人账户继承 "
                f"{format_yuan(settled['inheritance'])} 元（{settled['agency_code']}）"
                if settled
                else "遗属待遇未申领 survivors have not claimed"
            )
        )
