"""``jinbao transfer …``: apply, follow and work transfer cases; lists, supervision, settings.

Every write delivers the documents it caused and applies them at once (local delivery), like
the API; ``jinbao transfer pump`` does it on its own (say, after documents were received).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Annotated, Any

import typer

from jinbao.calculators.inputs import parameters
from jinbao.cli.common import JsonOption, engine, guard, read_file, run, settings
from jinbao.db.uow import UnitOfWork
from jinbao.exchange import service as exchange
from jinbao.kernel.clock import SystemClock
from jinbao.kernel.money import format_yuan
from jinbao.transfers import bulk, queries, workflow

app = typer.Typer(
    help="转移接续 Transfers of pension relations between agencies.", no_args_is_help=True
)
DateOpt = Annotated[
    dt.datetime | None, typer.Option("--on", formats=["%Y-%m-%d"], help="办理日期 (default today)")
]
ReasonOpt = Annotated[list[str], typer.Option("--reason", help="理由（可多次）A written reason")]


def _params() -> Any:
    return parameters(settings().parameters_dir)


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def _write(action: Any, as_json: bool) -> Any:
    result = run(action, as_json=as_json, write=True)
    workflow.pump(engine(), SystemClock(), _params())
    return result


def _print_case(case_id: str, as_json: bool) -> None:
    found = run(lambda uow: queries.show(uow, case_id, _params()), as_json=as_json, write=False)
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    typer.echo(_render(found))


def _render(case: dict[str, Any]) -> str:
    p = case["person"]
    lines = [
        f"转移案件 {case['case_id']}  {case['kind_zh']}（{case['mode']}）",
        f"  参保人员 {p['name']} {p['id_number']}",
    ]
    for s in case["sides"]:
        lines.append(
            f"  [{s['side_zh']} {s['agency']}] {s['state_zh']}"
            + ("  ⟵ 待经办人审核" if s["queued"] else "")
        )
        for leg in s["legs"]:
            lines.append(
                f"    环节{leg['number']}: {leg['started_on']} 起，限 {leg['due_on']}"
                + (f"，{leg['ended_on']} 完成" if leg["ended_on"] else "")
                + (f"，补正暂停自 {leg['paused_on']}" if leg["paused_on"] else "")
            )
        if s["clock"]:
            c = s["clock"]
            lines.append(
                f"    时限（环节{c['leg']}由{c['owed_by_zh']}办理）: {c['timeliness_zh']}，"
                f"应于 {c['due_on'] or '补正后重新计算'} 前办结"
            )
        for r in s["reasons"]:
            lines.append(f"    理由: {r['zh']} / {r['en']}")
        for n in s["notices"]:
            due = f"（{n['due_on']} 前书面告知）" if n["due_on"] else ""
            lines.append(f"    告知: {n['zh']}{due}")
        a = s["amounts"]
        if a["total"] is not None:
            lines.append(
                f"    金额: 统筹 {format_yuan(a['pooled'])} + 个人账户 {format_yuan(a['account'] or 0)}"
                f" = {format_yuan(a['total'])} 元，年限 {a['months']} 个月"
            )
    money = case["ledger_transfer"]
    if money:
        lines.append(
            f"  基金划转 {money['from_region']} → {money['to_region']}: "
            f"{format_yuan(money['total'])} 元，{money['state']}"
        )
    lines.append("  文书:")
    for d in case["documents"]:
        waiting = "待打印寄送" if d["channel"] == "paper" else "待发送"
        flags = ("已送达" if d["delivered"] else waiting) + ("、已处理" if d["applied"] else "")
        paper = f"  纸质 短码 {d['short_code']}  文书 {d['id']}" if d["channel"] == "paper" else ""
        lines.append(f"    {d['type_zh']} {d['sender']} → {d['receiver']}（{flags}）{paper}")
    for c in case["comments"]:
        lines.append(f"  督办 {c['agency']}: {c['text']}")
    return "\n".join(lines)


@app.command("apply")
def apply(
    id_number: str,
    to_agency: Annotated[str, typer.Option("--to", help="转入地经办机构代码")],
    from_agency: Annotated[str | None, typer.Option("--from", help="转出地经办机构代码")] = None,
    scheme: str = "enterprise",
    kind: Annotated[
        str | None,
        typer.Option(help="return_to_receiving_place: 转回待遇领取地 (at retirement)"),
    ] = None,
    on: DateOpt = None,
    as_json: JsonOption = False,
) -> None:
    """转移接续申请: apply at the agency where the person now contributes (or, with --kind
    return_to_receiving_place, at the pension-receiving place that keeps the relation)."""
    cmd = workflow.Application(id_number, to_agency, from_agency, scheme, _day(on), kind)
    case_id = _write(lambda uow: workflow.apply(uow, cmd, _params()), as_json)
    _print_case(case_id, as_json)


@app.command("show")
def show(case_id: str, as_json: JsonOption = False) -> None:
    """A case with its legs, dates, deadlines, documents, amounts and ledger transfer."""
    _print_case(case_id, as_json)


@app.command("approve")
def approve(
    case_id: str,
    on: DateOpt = None,
    keep: Annotated[
        str | None,
        typer.Option(help="先转后清: here | transferred — whose duplicate months stay"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """审核通过 the running leg: send the 联系函, or the 信息表 and funds, or complete."""
    _write(
        lambda uow: workflow.go_on(uow, case_id, params=_params(), on=_day(on), keep=keep),
        as_json,
    )
    _print_case(case_id, as_json)


@app.command("temporary-account")
def temporary_account(case_id: str, on: DateOpt = None, as_json: JsonOption = False) -> None:
    """建立临时缴费账户: at leg 1, when 66号 第五条（二） applies and no exception does — the
    relation here becomes a temporary account and the application is refused in writing."""
    _write(
        lambda uow: workflow.open_temporary_account(uow, case_id, params=_params(), on=_day(on)),
        as_json,
    )
    _print_case(case_id, as_json)


@app.command("return")
def return_(
    case_id: str, reason: ReasonOpt, on: DateOpt = None, as_json: JsonOption = False
) -> None:
    """不予受理/退回 the running leg with written reasons."""
    reasons = [{"zh": r, "en": r} for r in reason]
    _write(lambda uow: workflow.return_case(uow, case_id, reasons, on=_day(on)), as_json)
    _print_case(case_id, as_json)


@app.command("correction")
def correction(
    case_id: str, reason: ReasonOpt, on: DateOpt = None, as_json: JsonOption = False
) -> None:
    """补正: ask for missing material; the running leg's clock pauses."""
    items = [{"zh": r, "en": r} for r in reason]
    _write(
        lambda uow: workflow.ask_correction(uow, case_id, items, params=_params(), on=_day(on)),
        as_json,
    )
    _print_case(case_id, as_json)


@app.command("correction-received")
def correction_received(case_id: str, on: DateOpt = None, as_json: JsonOption = False) -> None:
    """补正材料已收到: the clock runs again, extended by the working days waited."""
    _write(
        lambda uow: workflow.correction_supplied(uow, case_id, params=_params(), on=_day(on)),
        as_json,
    )
    _print_case(case_id, as_json)


@app.command("comment")
def comment(
    case_id: str,
    agency: Annotated[str, typer.Option("--agency", help="督办机构代码")],
    text: Annotated[str, typer.Option("--text")],
    as_json: JsonOption = False,
) -> None:
    """督办意见 from a supervising agency."""
    _write(lambda uow: queries.comment(uow, case_id, agency, text), as_json)
    _print_case(case_id, as_json)


def _list(query: Callable[[UnitOfWork], list[dict[str, Any]]], as_json: bool) -> None:
    items = run(query, as_json=as_json, write=False)
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if not items:
        typer.echo("没有案件 No cases.")
    for c in items:
        clock = c["clock"] or {}
        typer.echo(
            f"{c['case_id']}  {c['side_zh']}{c['agency']}  {c['person']['name']}  "
            f"{c['state_zh']}  {clock.get('timeliness_zh', '')} {clock.get('due_on') or ''}"
            + ("  待审核" if c["queued"] else "")
        )


@app.command("list")
def list_(
    agency: Annotated[str, typer.Option("--agency", help="经办机构代码")],
    only: Annotated[str, typer.Option(help="open | queued | due_soon | overdue | all")] = "open",
    as_json: JsonOption = False,
) -> None:
    """An agency's cases."""
    _list(lambda uow: queries.agency_cases(uow, agency, _params(), only), as_json)


@app.command("supervise")
def supervise(
    agency: Annotated[str, typer.Option("--agency", help="上级经办机构代码")],
    only: Annotated[str, typer.Option(help="overdue | due_soon | open | all")] = "overdue",
    as_json: JsonOption = False,
) -> None:
    """督办: overdue (or nearly due) cases of every agency under this one."""
    _list(lambda uow: queries.supervision(uow, agency, _params(), only), as_json)


@app.command("person")
def person(id_number: str, as_json: JsonOption = False) -> None:
    """A person's transfer applications."""
    _list(lambda uow: queries.person_cases(uow, id_number, _params()), as_json)


@app.command("auto-review")
def auto_review(
    agency: str,
    enabled: Annotated[bool, typer.Option("--on/--off", help="开启/关闭自动审核")] = True,
    as_json: JsonOption = False,
) -> None:
    """即时办结: let the system review clean legs at this agency (or stop it)."""

    def act(uow: UnitOfWork) -> None:
        workflow.set_auto_review(uow, agency, enabled)

    run(act, as_json=as_json, write=True)
    result = {"agency": agency, "auto_review": enabled}
    typer.echo(json.dumps(result) if as_json else f"{agency} 自动审核: {'开' if enabled else '关'}")


@app.command("void-overdue")
def void_overdue(
    agency: Annotated[str | None, typer.Option("--agency", help="转出地经办机构代码")] = None,
    as_json: JsonOption = False,
) -> None:
    """超时作废 (run daily): money in transit past the receiving agency's deadline by more than
    funds_void_after_working_days is taken back and the case voided; the other agency is told."""
    result = guard(
        lambda: workflow.void_overdue(engine(), SystemClock(), _params(), agency_code=agency),
        as_json=as_json,
    )
    workflow.pump(engine(), SystemClock(), _params())
    out = {"voided": result.voided, "undetermined": result.undetermined}
    if as_json:
        typer.echo(json.dumps(out))
        return
    typer.echo(f"作废 voided: {len(result.voided)} " + " ".join(result.voided))
    if result.undetermined:
        typer.echo(
            "无法计算时限（缺少节假日安排）undetermined (holiday calendar missing): "
            + " ".join(result.undetermined)
        )


@app.command("pump")
def pump(as_json: JsonOption = False) -> None:
    """Deliver the outbox and apply the inbox until nothing moves."""
    report = workflow.pump(engine(), SystemClock(), _params())
    out = {"delivered": report.delivered, "applied": report.applied, "failed": report.failed}
    typer.echo(
        json.dumps(out)
        if as_json
        else f"送达 {report.delivered}，处理 {report.applied}，失败 {report.failed}"
    )


@app.command("papers")
def papers(
    agency: Annotated[str | None, typer.Option("--agency", help="发文经办机构代码")] = None,
    all_: Annotated[bool, typer.Option("--all", help="含已录入的 Include those taken in")] = False,
    as_json: JsonOption = False,
) -> None:
    """人工模式: paper documents to print and post (the other agency is not on the network)."""
    items = run(
        lambda uow: queries.paper_documents(uow, agency, pending_only=not all_),
        as_json=as_json,
        write=False,
    )
    if as_json:
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if not items:
        typer.echo("没有待打印的纸质文书 No paper documents to print.")
    for d in items:
        typer.echo(
            f"{d['document_id']}  {d['type_zh']}  {d['case_id']}  {d['sender']} → "
            f"{d['receiver']}  短码 {d['short_code']}" + ("  已录入" if d["received"] else "")
        )


@app.command("print")
def print_(
    document_id: str,
    out: Annotated[str, typer.Option("--out", "-o", help="PDF 文件 Where to write the PDF")],
) -> None:
    """打印纸质文书: the PDF form of a document, with its QR codes and short code."""
    pdf = run(lambda uow: exchange.print_form(uow, document_id), as_json=False, write=False)
    with open(out, "wb") as fh:
        fh.write(pdf)
    typer.echo(f"已生成 {out}（{len(pdf) // 1024} KB）: 打印后寄送收文机构 Print it and post it.")


def _taken_in(received: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(received, ensure_ascii=False, indent=2))
        return
    for d in received:
        typer.echo(
            f"{d['type_zh']}  {d['case_id']}  来自 {d['sender']}："
            + ("已录入过，本次不重复办理 already taken in" if d["duplicate"] else "已录入 taken in")
        )


@app.command("scan")
def scan(
    agency: Annotated[str, typer.Option("--agency", help="收文经办机构代码")],
    files: Annotated[list[str], typer.Argument(help="扫描件 PDF/PNG/JPEG")],
    as_json: JsonOption = False,
) -> None:
    """录入纸质文书（扫码）: take in the documents on scanned forms; the case goes on at once."""
    data = [read_file(f) for f in files]
    received = _write(
        lambda uow: [
            item
            for blob in data
            for item in queries.taken_in(exchange.intake_scan(uow, agency, blob))
        ],
        as_json,
    )
    _taken_in(received, as_json)


@app.command("code")
def code(
    short_code: Annotated[list[str], typer.Argument(help="短码, e.g. ABCD-EFGH-JKMN-PQRS")],
    agency: Annotated[str, typer.Option("--agency", help="收文经办机构代码")],
    as_json: JsonOption = False,
) -> None:
    """录入纸质文书（短码）: take in a paper document by the short code printed on it."""
    typed = "".join(short_code)  # typed with spaces between the groups is fine too
    received = _write(
        lambda uow: queries.taken_in([exchange.intake_code(uow, agency, typed)]), as_json
    )
    _taken_in(received, as_json)


def _print_batch(batch: str, as_json: bool) -> None:
    found = run(lambda uow: bulk.batch_cases(uow, batch, _params()), as_json=as_json, write=False)
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    counts = "，".join(f"{state} {n}" for state, n in sorted(found["by_state"].items()))
    typer.echo(f"成建制划转批次 {found['batch']}：{len(found['cases'])} 人（{counts}）")
    for c in found["cases"]:
        typer.echo(
            f"  {c['case_id']}  {c['person']['name']} {c['person']['id_number']}  "
            f"{c['state_zh']}" + ("  待审核" if c["queued"] else "")
        )


@app.command("bulk")
def bulk_move(
    employer_uscc: str,
    to_agency: Annotated[str, typer.Option("--to", help="转入地经办机构代码")],
    on: Annotated[
        dt.datetime | None,
        typer.Option("--on", formats=["%Y-%m-%d"], help="划转日期 (default today)"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """成建制划转: the employer and all its contributing staff move to another agency."""
    move = bulk.EmployerMove(employer_uscc, to_agency, _day(on))
    batch = _write(lambda uow: bulk.apply_bulk(uow, move, _params()), as_json)
    _print_batch(batch, as_json)


@app.command("batch")
def batch(batch_id: str, as_json: JsonOption = False) -> None:
    """The cases of one employer move (成建制划转) and how far each has gone."""
    _print_batch(batch_id, as_json)
