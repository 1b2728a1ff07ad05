"""``jinbao benefit …``: retirement applications and awards (退休申请、待遇核定)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from jinbao.benefits import adjustment, duplicates, events, payments, resident, service
from jinbao.calculators.inputs import parameters, rate, year_month, yuan
from jinbao.cli.common import JsonOption, read_file, run, settings
from jinbao.kernel.money import format_yuan

app = typer.Typer(help="退休与待遇 Retirement and benefits.", no_args_is_help=True)
OperatorOpt = Annotated[str, typer.Option("--operator", help="经办人 who does this")]


def _params() -> Any:
    return parameters(settings().parameters_dir)


def _print(application_id: int, as_json: bool) -> None:
    found = run(lambda uow: service.show(uow, application_id), as_json=as_json, write=False)
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    p = found["person"]
    typer.echo(
        f"城乡居民养老保险待遇申请 {found['id']}  {p['name']} {p['id_number']}  {found['agency']}  "
        f"年满60周岁 {found['retire_month']}  状态 {found['state']}"
        if found["scheme"] == resident.SCHEME
        else f"退休申请 {found['id']}  {p['name']} {p['id_number']}  {found['agency']}  "
        f"退休时间 {found['retire_month']}（法定 {found['statutory_month']}）  状态 {found['state']}"
    )
    for f in found["findings"]:
        typer.echo(f"  {'⛔' if f['blocking'] else '·'} {f['zh']}")
    for case_id in found["transfers"]:
        typer.echo(f"  转移接续 {case_id}（jinbao transfer show {case_id}）")
    for a in found["awards"]:
        # a resident's pension has no transitional part; a version made by an adjustment or a
        # raise of the residents' minimum is not a correction (更正)
        transitional = (
            ""
            if found["scheme"] == resident.SCHEME
            else f" + 过渡 {format_yuan(a['transitional'])}"
        )
        change = (
            "调整" if (a["reason"] or "").endswith((adjustment.REASON, resident.RAISE)) else "更正"
        )
        typer.echo(
            f"  核定 {a['id']} 第{a['version']}版 {a['state']}：基础 {format_yuan(a['basic'])} + 个人账户 "
            f"{format_yuan(a['account'])}{transitional} = "
            f"{format_yuan(a['total'])} 元/月，自 {a['from_month']}；核定 {a['made_by']}"
            + (f"，复核 {a['checked_by']}" if a["checked_by"] else "")
            + (
                f"；{change}（{a['reason']}），每月差额 {format_yuan(a['difference'])} 元"
                if a["reason"]
                else ""
            )
        )


@app.command("apply")
def apply(
    id_number: str,
    agency: Annotated[str, typer.Option("--agency", help="待遇领取地经办机构代码")],
    operator: OperatorOpt,
    retire: Annotated[str | None, typer.Option(help="退休年月 YYYY-MM (default statutory)")] = None,
    bank: Annotated[str | None, typer.Option(help="待遇发放开户银行")] = None,
    account: Annotated[str | None, typer.Option(help="银行账号")] = None,
    as_json: JsonOption = False,
) -> None:
    """退休申请: check the national record, start the transfers it needs, make the award draft."""
    month = year_month(retire, "retire") if retire else None
    cmd = service.RetirementApplication(id_number, agency, month, operator, bank, account)
    application_id = run(
        lambda uow: service.apply_retirement(uow, cmd, _params()), as_json=as_json, write=True
    )
    _print(application_id, as_json)


@app.command("resident-apply")
def resident_apply(
    id_number: str,
    agency: Annotated[str, typer.Option("--agency", help="城乡居民养老保险参保地经办机构代码")],
    operator: OperatorOpt,
    bank: Annotated[str | None, typer.Option(help="待遇发放开户银行")] = None,
    account: Annotated[str | None, typer.Option(help="银行账号")] = None,
    as_json: JsonOption = False,
) -> None:
    """城乡居民养老保险待遇申请: at 60 with 15 years, the award draft (国发〔2014〕8号)."""
    cmd = resident.ResidentPensionApplication(id_number, agency, operator, bank, account)
    application_id = run(
        lambda uow: resident.apply(uow, cmd, _params()), as_json=as_json, write=True
    )
    _print(application_id, as_json)


@app.command("resident-raise")
def resident_raise(
    agency: Annotated[str, typer.Option("--agency", help="经办机构代码")],
    maker: Annotated[str, typer.Option("--operator", help="制定人")],
    checker: Annotated[str, typer.Option("--checker", help="复核人 (another operator)")],
    as_json: JsonOption = False,
) -> None:
    """基础养老金调整: residents' awards raised to the national minimum in force, from the month
    it rose (the next payment run pays the difference for months already paid)."""
    report = run(
        lambda uow: resident.raise_basic(uow, agency, _params(), maker, checker),
        as_json=as_json,
        write=True,
    )
    typer.echo(
        json.dumps(asdict(report))
        if as_json
        else f"{agency} 城乡居民基础养老金调整：{report.raised} 人（{report.versions} 个核定版本），"
        f"每月共增加 {format_yuan(report.increase)} 元"
        + (
            "；下次发放按月补发差额"
            if report.raised
            else "；均已达到现行基础养老金标准（全国最低标准及本省加发）"
        )
        + (f"；{report.pending} 人有待复核的核定，未调整" if report.pending else "")
    )


@app.command("show")
def show(application_id: int, as_json: JsonOption = False) -> None:
    """A retirement application: the record check, transfers, award versions."""
    _print(application_id, as_json)


@app.command("refresh")
def refresh(application_id: int, operator: OperatorOpt, as_json: JsonOption = False) -> None:
    """Check again (once the transfers it waits for completed) and make the award draft."""
    run(
        lambda uow: service.refresh(uow, application_id, _params(), operator),
        as_json=as_json,
        write=True,
    )
    _print(application_id, as_json)


@app.command("approve")
def approve(award_id: int, operator: OperatorOpt, as_json: JsonOption = False) -> None:
    """复核: a second operator approves an award draft."""
    run(lambda uow: service.approve_award(uow, award_id, operator), as_json=as_json, write=True)
    typer.echo(
        json.dumps({"award": award_id, "approved_by": operator})
        if as_json
        else f"核定 {award_id} 已复核 approved by {operator}"
    )


@app.command("correct")
def correct(
    application_id: int,
    operator: OperatorOpt,
    reason: Annotated[str, typer.Option("--reason", help="更正原因")],
    as_json: JsonOption = False,
) -> None:
    """更正: a new award version from the record as it is now, with the monthly difference."""
    run(
        lambda uow: service.correct_award(uow, application_id, _params(), operator, reason),
        as_json=as_json,
        write=True,
    )
    _print(application_id, as_json)


@app.command("notice")
def notice(
    award_id: int,
    out: Annotated[str, typer.Option("--out", "-o", help="PDF 文件")],
    as_json: JsonOption = False,
) -> None:
    """基本养老金核定表: the award as a PDF."""
    pdf = run(lambda uow: service.award_notice(uow, award_id), as_json=as_json, write=False)
    _save_pdf(pdf, out, as_json, award=award_id)


def _save_pdf(pdf: bytes, out: str, as_json: bool, **about: object) -> None:
    """Write a notice to ``out`` and say so (as JSON: what it is of, the file, its size)."""
    with open(out, "wb") as fh:
        fh.write(pdf)
    typer.echo(
        json.dumps({**about, "file": out, "bytes": len(pdf)})
        if as_json
        else f"已生成 {out}（{len(pdf) // 1024} KB）"
    )


@app.command("pay")
def pay(
    agency: Annotated[str, typer.Option("--agency", help="经办机构代码")],
    month: Annotated[str, typer.Option("--month", help="发放月份 YYYY-MM")],
    bank_dir: Annotated[str | None, typer.Option(help="写出各银行代发文件的目录")] = None,
    as_json: JsonOption = False,
) -> None:
    """待遇发放: the month's payment run at an agency (a rerun pays nothing twice). The run is
    kept (发放批次); ``--bank-dir`` writes its bank files, which ``bank-files RUN`` writes again."""
    period = year_month(month, "month")
    report = run(
        lambda uow: payments.run_payments(uow, agency, period), as_json=as_json, write=True
    )
    written = _write_bank_files(report.run, bank_dir, as_json) if bank_dir and report.run else []
    out = asdict(report) | {"files": written}
    typer.echo(
        json.dumps(out, ensure_ascii=False)
        if as_json
        else f"{report.agency} {report.month} 发放 {report.paid} 人，合计 {format_yuan(report.total)} 元"
        f"（其中补发 {format_yuan(report.arrears)} 元）；未发 {report.skipped} 人"
        + (f"；暂停（未认证）{len(report.suspended)} 人" if report.suspended else "")
        + (f"；缺银行账户 {len(report.no_account)} 人" if report.no_account else "")
        + (f"；多发待追回 {format_yuan(report.overpaid)} 元" if report.overpaid else "")
        + (f"\n发放批次 {report.run}" if report.run else "")
        + "".join(f"\n  {b.bank} {b.payments} 笔 {format_yuan(b.total)} 元" for b in report.banks)
        + "".join(f"\n  {p}" for p in written)
    )


@app.command("bank-files")
def bank_files(
    run_id: Annotated[int, typer.Argument(help="发放批次号 (jinbao benefit pay 所示)")],
    bank_dir: Annotated[str, typer.Option(help="写出各银行代发文件的目录")],
    as_json: JsonOption = False,
) -> None:
    """代发文件: write a kept payment run's bank files again, made from its payments (the same
    each time: a file lost or sent wrong can be made again)."""
    written = _write_bank_files(run_id, bank_dir, as_json)
    typer.echo(json.dumps({"run": run_id, "files": written}, ensure_ascii=False) if as_json
               else "\n".join(written))  # fmt: skip


@app.command("runs")
def runs(
    agency: Annotated[str, typer.Option("--agency", help="经办机构代码")],
    month: Annotated[str, typer.Option("--month", help="发放月份 YYYY-MM")],
    as_json: JsonOption = False,
) -> None:
    """发放批次: the payment runs kept of an agency for a month, with what each bank paid."""
    period = year_month(month, "month")
    found = run(lambda uow: payments.runs_of(uow, agency, period), as_json=as_json, write=False)
    if as_json:
        typer.echo(json.dumps([asdict(r) for r in found], ensure_ascii=False, default=str))
        return
    if not found:
        typer.echo(f"{agency} {month} 没有发放批次")
    for r in found:
        typer.echo(
            f"发放批次 {r.id}  {r.agency} {r.month}  {r.created_at:%Y-%m-%d %H:%M}  {r.actor}"
        )
        for b in r.banks:
            typer.echo(f"  {b.bank} {b.payments} 笔 {format_yuan(b.total)} 元")


def _write_bank_files(run_id: int, bank_dir: str, as_json: bool) -> list[str]:
    """Each bank's file of the run into ``bank_dir``, streamed from the payments, in one read
    unit (one state of the database for every file)."""
    folder = Path(bank_dir)
    folder.mkdir(parents=True, exist_ok=True)

    def write_all(uow: Any) -> list[str]:
        found = payments.get_run(uow, run_id)
        written = []
        for b in found.banks:
            path = folder / f"{found.agency}-{found.month}-{run_id}-{b.bank}.csv"
            with path.open("w", encoding="utf-8", newline="") as fh:
                for text in payments.bank_file(uow, found, b.bank):
                    fh.write(text)
            written.append(str(path))
        return written

    return run(write_all, as_json=as_json, write=False, snapshot=True)


@app.command("adjust")
def adjust(
    agency: Annotated[str, typer.Option("--agency", help="经办机构代码")],
    year: Annotated[int, typer.Option(help="调整年度 (from January)")],
    maker: Annotated[str, typer.Option("--operator", help="制定人")],
    checker: Annotated[str, typer.Option("--checker", help="复核人 (another operator)")],
    fixed: Annotated[str, typer.Option(help="定额, yuan a month")] = "0",
    per_year: Annotated[str, typer.Option(help="挂钩: yuan a month per contribution year")] = "0",
    percent: Annotated[str, typer.Option(help="挂钩: share of the own pension, e.g. 1%")] = "0%",
    age_extra: Annotated[
        list[str], typer.Option("--age-extra", help="倾斜 AGE:YUAN, e.g. 70:30 (repeatable)")
    ] = [],  # noqa: B006 - typer reads the default
    from_month: Annotated[int, typer.Option(help="起始月份 (1 = January)")] = 1,
    as_json: JsonOption = False,
) -> None:
    """待遇调整: the province's plan of 定额 + 挂钩 + 倾斜 for people retired by last year's end."""
    by_age = {int(a): int(yuan(v, "age_extra")) for a, v in (x.split(":", 1) for x in age_extra)}
    plan = adjustment.AdjustmentPlan(
        year, int(yuan(fixed, "fixed")), int(yuan(per_year, "per_year")),
        rate(percent, "percent"), by_age, from_month,
    )  # fmt: skip
    report = run(
        lambda uow: adjustment.adjust(uow, agency, plan, maker, checker),
        as_json=as_json,
        write=True,
    )
    typer.echo(
        json.dumps(asdict(report))
        if as_json
        else f"{agency} {year}年待遇调整：{report.adjusted} 人，每月共增加 "
        f"{format_yuan(report.total_increase)} 元；下次发放补发1月以来的差额"
    )


DayOpt = Annotated[dt.datetime, typer.Option("--on", formats=["%Y-%m-%d"], help="日期")]


@app.command("certify")
def certify_(
    id_number: str,
    method: Annotated[str, typer.Option(help="data | self | counter")],
    on: DayOpt,
    note: str = "",
    as_json: JsonOption = False,
) -> None:
    """待遇资格认证: record a certification (a data match, a self-service attestation, a counter)."""
    run(
        lambda uow: events.certify(uow, id_number, method, on.date(), note),
        as_json=as_json,
        write=True,
    )
    typer.echo(json.dumps({"certified": id_number}) if as_json else f"{id_number} 已认证 certified")


@app.command("feed")
def feed(file: str, as_json: JsonOption = False) -> None:
    """比对数据导入: deaths, imprisonment, settlement abroad (CSV id_number,kind,date,source)."""
    data = read_file(file)
    count = run(
        lambda uow: events.import_life_events(uow, data, _params()), as_json=as_json, write=True
    )
    typer.echo(json.dumps({"imported": count}) if as_json else f"已导入 {count} 条 imported")


@app.command("death")
def death(
    id_number: str,
    on: DayOpt,
    source: Annotated[str, typer.Option(help="信息来源")] = "counter",
    as_json: JsonOption = False,
) -> None:
    """死亡登记: payment stops from the next month; overpayment, survivors' due, inheritance."""
    settled = run(
        lambda uow: events.record_death(uow, id_number, on.date(), source, _params()),
        as_json=as_json,
        write=True,
    )
    if as_json:
        typer.echo(json.dumps(settled or {}))
    elif settled is None:
        typer.echo(
            "已登记死亡；未领取养老金的，遗属可申领丧葬补助金、抚恤金和个人账户继承"
            f"（jinbao benefit survivors {id_number} --claimant 姓名）. Recorded; the survivors of a "
            "person not drawing a pension claim with `jinbao benefit survivors`."
        )
    else:
        _echo_settlement(settled)


def _echo_settlement(settled: dict[str, Any]) -> None:
    overpaid = f"冒领 {format_yuan(settled['overpaid'])}；" if settled["overpaid"] else ""
    recover = settled["to_recover"]
    typer.echo(
        f"{overpaid}丧葬补助金 {format_yuan(settled['funeral'])}"
        f" + 抚恤金 {format_yuan(settled['survivor_pension'])}（{settled['months']}个月）+ 个人账户继承 "
        f"{format_yuan(settled['inheritance'])}；实付遗属 {format_yuan(settled['payable'])} 元"
        + (f"，尚需追回 {format_yuan(recover)} 元" if recover else "")
    )


@app.command("survivors")
def survivors(
    id_number: str,
    claimant: Annotated[str, typer.Option(help="申领人（遗属）姓名")],
    as_json: JsonOption = False,
) -> None:
    """遗属待遇申领 after a death before a pension: funeral grant, survivor pension, accounts."""
    settled = run(
        lambda uow: events.claim_survivor_benefits(uow, id_number, claimant, _params()),
        as_json=as_json,
        write=True,
    )
    if as_json:
        typer.echo(json.dumps(settled))
    else:
        _echo_settlement(settled)


@app.command("survivors-notice")
def survivors_notice(
    id_number: str,
    out: Annotated[str, typer.Option("--out", "-o", help="PDF 文件")],
    as_json: JsonOption = False,
) -> None:
    """遗属待遇核定表: a death's settlement as a PDF."""
    pdf = run(
        lambda uow: events.death_settlement_notice(uow, id_number), as_json=as_json, write=False
    )
    _save_pdf(pdf, out, as_json, id_number=id_number)


@app.command("duplicates")
def duplicates_(as_json: JsonOption = False) -> None:
    """重复领取: everyone drawing more than one basic pension (from migrated data)."""
    found = run(duplicates.find, as_json=as_json, write=False)
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False))
        return
    if not found:
        typer.echo("没有重复领取 No duplicate pensions.")
    for f in found:
        where = "、".join(f"{p['agency']}({p['scheme']})" for p in f["pensions"])
        typer.echo(f"{f['id_number']}  {where}")


@app.command("settle-duplicate")
def settle_duplicate(
    id_number: str,
    keep: Annotated[str | None, typer.Option(help="two employee pensions: the agency kept")] = None,
    resident_drawn: Annotated[
        str,
        typer.Option(help="resident basic pension drawn elsewhere, yuan (this node's: read)"),
    ] = "0",
    as_json: JsonOption = False,
) -> None:
    """重复领取清理: keep one pension by the rule, refund and recover the other."""
    drawn = int(yuan(resident_drawn, "resident_drawn"))
    result = run(
        lambda uow: duplicates.settle(
            uow, id_number, keep_agency=keep, resident_pension_drawn=drawn
        ),
        as_json=as_json,
        write=True,
    )
    typer.echo(
        json.dumps(result, ensure_ascii=False)
        if as_json
        else f"保留 {result['kept']}；退还 {format_yuan(result['refunded'])} 元（其中抵扣应追回的 "
        f"{format_yuan(result['set_off'])} 元）；尚需追回 {format_yuan(result['to_recover'])} 元"
    )


@app.command("payee")
def payee(
    id_number: str,
    bank: Annotated[str, typer.Option(help="开户银行")],
    account: Annotated[str, typer.Option(help="银行账号")],
    as_json: JsonOption = False,
) -> None:
    """待遇发放账户: where a pensioner's pension is paid."""
    run(lambda uow: service.set_payee(uow, id_number, bank, account), as_json=as_json, write=True)
    typer.echo(
        json.dumps({"payee": id_number, "bank": bank}) if as_json else f"{id_number} → {bank}"
    )
