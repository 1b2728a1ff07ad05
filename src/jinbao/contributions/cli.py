"""``jinbao contribution …`` and ``jinbao account …``: declarations, payments, records, accounts."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from typing import Annotated, Any

import typer

from jinbao.accounts.interest import InterestReport, run_interest
from jinbao.accounts.service import statement
from jinbao.calculators.inputs import parameters, year_month, yuan
from jinbao.cli.common import JsonOption, engine, guard, read_file, run, settings
from jinbao.contributions import imports, service
from jinbao.contributions.model import Authority, LegalDocument, Record
from jinbao.contributions.schemas import RecordOut, ReportOut, StatementOut
from jinbao.contributions.service.resident import ResidentPayment, pay_resident_year
from jinbao.kernel.clock import SystemClock
from jinbao.kernel.money import format_yuan

contribution_app = typer.Typer(
    help="缴费 Contributions: declarations, payments, back-payments, refunds.", no_args_is_help=True
)
account_app = typer.Typer(
    help="个人账户 Personal accounts: statements and yearly interest.", no_args_is_help=True
)
DateOpt = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"])]


def _params() -> Any:
    return parameters(settings().parameters_dir)


def _report(report: service.PostingReport, as_json: bool) -> None:
    out = ReportOut.of(report)
    if as_json:
        typer.echo(out.model_dump_json(indent=2))
    else:
        typer.echo(
            f"{out.records} 条记录 records · 单位 employer {format_yuan(out.employer_part)} · 个人 individual "
            f"{format_yuan(out.individual_part)} · 记入个人账户 to accounts {format_yuan(out.to_account)} · "
            f"{'已征收 paid' if out.paid else '待征收 due'} · batch {out.batch}"
        )


def _records(records: list[Record], as_json: bool) -> None:
    out = [RecordOut.of(r) for r in records]
    if as_json:
        typer.echo(
            json.dumps([r.model_dump(mode="json") for r in out], ensure_ascii=False, indent=2)
        )
        return
    for r in out:
        state = (
            "冲销 reversed"
            if r.reversed
            else ("已缴 paid " + str(r.paid_on) if r.paid_on else "欠费 due")
        )
        typer.echo(
            f"#{r.id} {r.period} {r.kind:<12} base {format_yuan(r.base)}  单位 {format_yuan(r.employer_part)}  个人 {format_yuan(r.individual_part)}  账户 {format_yuan(r.to_account)}  {state}{'  一次性' if r.lump_sum else ''}"
        )
    if not out:
        typer.echo("(none)")


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


@contribution_app.command("declare")
def declare(
    employer: Annotated[str, typer.Option(help="Employer USCC.")],
    period: Annotated[str, typer.Option(help="YYYY-MM")],
    line: Annotated[
        list[str], typer.Option(help="ID_NUMBER:WAGE (yuan); repeat for each employee.")
    ],
    paid_on: DateOpt = None,
    batch: Annotated[
        str | None, typer.Option(help="Idempotency key: the same batch is recorded once.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """月度申报: declare an employer's employees and wages for a month (all lines or none)."""
    month = year_month(period, "period")
    rows = []
    for i, item in enumerate(line, 1):
        number, _, wage = item.partition(":")
        rows.append(
            service.DeclarationRow(
                i, employer.upper(), month, number.upper(), yuan(wage or "x", "wage")
            )
        )
    key = batch or f"cli:{employer}:{month}:{uuid.uuid4().hex[:12]}"
    _report(
        run(
            lambda uow: service.declare(
                uow, rows, batch=key, params=_params(), paid_on=_day(paid_on)
            ),
            as_json=as_json,
            write=True,
        ),
        as_json,
    )


@contribution_app.command("import")
def import_file(
    path: Annotated[
        str, typer.Argument(help="CSV employer_uscc,period,id_number,wage; - for stdin.")
    ],
    paid_on: DateOpt = None,
    batch: Annotated[
        str | None, typer.Option(help="Idempotency key; default: one per run.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import a declaration file, all rows or none, with a row-by-row error report."""
    data = read_file(path)
    key = batch or f"import:{uuid.uuid4().hex[:16]}"
    _report(
        run(
            lambda uow: imports.import_declaration(
                uow, data, batch=key, params=_params(), paid_on=_day(paid_on)
            ),
            as_json=as_json,
            write=True,
        ),
        as_json,
    )


@contribution_app.command("pay")
def pay(
    employer: Annotated[str, typer.Option()],
    period: Annotated[str, typer.Option(help="YYYY-MM")],
    paid_on: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    as_json: JsonOption = False,
) -> None:
    """征收: collect what an employer owes for a month."""
    month = year_month(period, "period")
    _report(
        run(
            lambda uow: service.pay(uow, employer.upper(), month, paid_on.date()),
            as_json=as_json,
            write=True,
        ),
        as_json,
    )


@contribution_app.command("flexible")
def flexible(
    id_number: Annotated[str, typer.Option()],
    period: Annotated[str, typer.Option()],
    base: Annotated[str, typer.Option(help="Chosen base, yuan (60%–300% of the average wage).")],
    paid_on: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    as_json: JsonOption = False,
) -> None:
    """灵活就业人员缴费: a flexible worker pays a month on a chosen base."""
    month, amount = year_month(period, "period"), yuan(base, "base")
    _report(
        run(
            lambda uow: service.flexible(uow, id_number, month, amount, paid_on.date(), _params()),
            as_json=as_json,
            write=True,
        ),
        as_json,
    )


@contribution_app.command("resident")
def resident(
    id_number: Annotated[str, typer.Option()],
    year: Annotated[int, typer.Option()],
    tier: Annotated[int, typer.Option(help="个人缴费档次, yuan a year (100–2000 or local).")],
    paid_on: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    collective: Annotated[str, typer.Option(help="集体补助, yuan.")] = "0",
    subsidy: Annotated[str | None, typer.Option(help="政府补贴, yuan (default: minimum).")] = None,
    as_json: JsonOption = False,
) -> None:
    """城乡居民养老保险缴费: a year's payment — the person's tier, collective and government
    subsidies, all into the personal account (国发〔2014〕8号)."""
    cmd = ResidentPayment(
        id_number, year, tier, paid_on.date(), collective=int(yuan(collective, "collective")),
        subsidy=yuan(subsidy, "subsidy") if subsidy is not None else None,
    )  # fmt: skip
    paid = run(lambda uow: pay_resident_year(uow, cmd, _params()), as_json=as_json, write=True)
    out = {
        "year": paid.year, "individual": paid.individual, "collective": paid.collective,
        "subsidy": paid.subsidy, "total": paid.total,
    }  # fmt: skip
    typer.echo(
        json.dumps(out)
        if as_json
        else f"{id_number} {paid.year}年 城乡居民养老保险：个人 {format_yuan(paid.individual)}"
        f" + 集体 {format_yuan(paid.collective)} + 政府补贴 {format_yuan(paid.subsidy)}"
        f" = {format_yuan(paid.total)} 元，记入个人账户"
    )


@contribution_app.command("back-pay")
def back_pay(
    id_number: Annotated[str, typer.Option()],
    start: Annotated[str, typer.Option(help="First month, YYYY-MM.")],
    end: Annotated[str, typer.Option(help="Last month, YYYY-MM.")],
    wage: Annotated[str, typer.Option(help="Monthly wage, yuan.")],
    paid_on: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    employer: Annotated[
        str | None, typer.Option(help="Employer USCC; omit to pay as an individual.")
    ] = None,
    document_authority: Annotated[
        Authority | None, typer.Option(help="For 3 years or more (94号).")
    ] = None,
    document_number: Annotated[str | None, typer.Option()] = None,
    document_date: DateOpt = None,
    as_json: JsonOption = False,
) -> None:
    """补缴 past months; 3 years or more at once needs the legal document (人社厅发〔2019〕94号)."""
    document = None
    if document_authority and document_number and document_date:
        document = LegalDocument(document_authority, document_number, document_date.date())
    cmd = service.BackPayment(
        id_number,
        year_month(start, "start"),
        year_month(end, "end"),
        yuan(wage, "wage"),
        paid_on.date(),
        employer,
        document,
    )
    _report(
        run(lambda uow: service.back_pay(uow, cmd, _params()), as_json=as_json, write=True), as_json
    )


@contribution_app.command("deemed")
def deemed(
    id_number: Annotated[str, typer.Option()],
    agency: Annotated[str, typer.Option(help="The agency keeping the relation.")],
    start: Annotated[str, typer.Option(help="First month, YYYY-MM.")],
    end: Annotated[str, typer.Option(help="Last month, YYYY-MM.")],
    basis: Annotated[str, typer.Option(help="What the years rest on (the file's forms).")],
    operator: Annotated[str, typer.Option(help="Who enters them.")],
    checker: Annotated[str, typer.Option(help="Who checks them (another operator).")],
    region: Annotated[
        str | None, typer.Option(help="The place worked; the agency's region when omitted.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """视同缴费年限: years worked before individual contributions began, from the file."""
    cmd = service.DeemedYears(
        id_number, agency, year_month(start, "start"), year_month(end, "end"), basis,
        operator, checker, region,
    )  # fmt: skip
    found = run(
        lambda uow: service.record_deemed_years(uow, cmd, _params()), as_json=as_json, write=True
    )
    if as_json:
        typer.echo(json.dumps(found, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"视同缴费年限 deemed years {found['id']}: {found['from']}–{found['to']} "
        f"({found['months']} 个月 months) "
        f"recorded at {found['agency_code']}, worked in {found['region']}: {found['basis']}"
    )
    typer.echo(found["explanation"]["zh"])


@contribution_app.command("deemed-cancel")
def deemed_cancel(
    row_id: Annotated[int, typer.Argument(help="The entry's id, as `deemed` printed it.")],
    reason: Annotated[str, typer.Option(help="Why it is wrong.")],
    operator: Annotated[str, typer.Option()],
    checker: Annotated[str, typer.Option(help="Another operator.")],
    as_json: JsonOption = False,
) -> None:
    """撤销视同缴费年限: an entry found wrong counts no more (kept, with who and why)."""
    done = run(
        lambda uow: service.cancel_deemed_years(uow, row_id, reason, operator, checker),
        as_json=as_json,
        write=True,
    )
    if as_json:
        typer.echo(json.dumps(done, ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"已撤销 cancelled: 视同缴费年限 {done['from']}–{done['to']} ({done['months']} 个月)"
    )
    for application in done["to_correct"]:
        typer.echo(
            f"  退休申请 {application} 的核定计入了这些年限：请更正 correct it: "
            f"jinbao benefit correct {application} --reason … --operator …"
        )


@contribution_app.command("refund")
def refund(
    contribution_id: int,
    on: Annotated[dt.datetime, typer.Option(formats=["%Y-%m-%d"])],
    reason: Annotated[str, typer.Option()],
    as_json: JsonOption = False,
) -> None:
    """退收: reverse a record (money back if paid, the account debited)."""
    _report(
        run(
            lambda uow: service.refund(uow, contribution_id, on.date(), reason),
            as_json=as_json,
            write=True,
        ),
        as_json,
    )


@contribution_app.command("history")
def history(id_number: str, as_json: JsonOption = False) -> None:
    """A person's contribution records, reversals included."""
    _records(
        run(lambda uow: service.history(uow, id_number), as_json=as_json, write=False), as_json
    )


@contribution_app.command("arrears")
def arrears(
    id_number: Annotated[str | None, typer.Option(help="A person's arrears.")] = None,
    employer: Annotated[str | None, typer.Option(help="An employer's arrears.")] = None,
    as_json: JsonOption = False,
) -> None:
    """欠费: what was declared and not paid, for a person or an employer."""
    if (id_number is None) == (employer is None):
        raise typer.BadParameter("give exactly one of --id-number or --employer")
    if id_number is not None:
        _records(
            run(lambda uow: service.person_arrears(uow, id_number), as_json=as_json, write=False),
            as_json,
        )
    else:
        _records(
            run(
                lambda uow: service.employer_arrears(uow, employer or ""),
                as_json=as_json,
                write=False,
            ),
            as_json,
        )


@contribution_app.command("employer")
def employer_records(
    uscc: str, period: Annotated[str | None, typer.Option()] = None, as_json: JsonOption = False
) -> None:
    """An employer's declarations (records), optionally for one month."""
    month = year_month(period, "period") if period else None
    _records(
        run(lambda uow: service.employer_records(uow, uscc, month), as_json=as_json, write=False),
        as_json,
    )


@contribution_app.command("overlaps")
def overlaps(as_json: JsonOption = False) -> None:
    """重复缴费: person-months recorded at more than one place or scheme."""
    found = run(service.overlaps, as_json=as_json, write=False)
    rows = [
        {
            "id_number": o.id_number,
            "period": str(o.period),
            "agencies": list(o.agencies),
            "schemes": list(o.schemes),
        }
        for o in found
    ]
    typer.echo(
        json.dumps(rows, ensure_ascii=False, indent=2)
        if as_json
        else (
            "\n".join(
                f"{r['id_number']} {r['period']} {r['agencies']} {r['schemes']}" for r in rows
            )
            or "(none)"
        )
    )


@account_app.command("statement")
def account_statement(
    id_number: str,
    as_of: DateOpt = None,
    scheme: Annotated[str, typer.Option(help="enterprise | resident | public")] = "enterprise",
    as_json: JsonOption = False,
) -> None:
    """个人账户对账单: entries and the balance of each portion as of a date (default today)."""
    day = _day(as_of) or SystemClock().today()
    out = StatementOut.of(
        run(lambda uow: statement(uow, id_number, day, scheme), as_json=as_json, write=False)
    )
    if as_json:
        typer.echo(out.model_dump_json(indent=2))
        return
    for e in out.entries:
        typer.echo(
            f"{e.effective_on}  {e.period}  {e.portion:<11} {e.kind:<13} {format_yuan(e.amount):>14}  {e.source}"
        )
    typer.echo(
        "  ".join(f"{k} {format_yuan(v)}" for k, v in out.balances.items())
        + f"  合计 total {out.total_yuan} (as of {out.as_of})"
    )


@account_app.command("interest")
def interest(
    year: Annotated[int, typer.Option(help="The year to credit (its rate must be published).")],
    chunk_size: Annotated[int, typer.Option(min=1, max=100_000)] = 2000,
    throttle: Annotated[float, typer.Option(min=0, help="Seconds to pause between chunks.")] = 0.0,
    as_json: JsonOption = False,
) -> None:
    """年度结息: credit every account with the year's interest — idempotent and resumable."""
    started = time.perf_counter()

    def job(progress: Callable[[int, int], None] | None) -> InterestReport:
        return run_interest(
            engine(),
            SystemClock(),
            year,
            _params(),
            chunk_size=chunk_size,
            progress=progress,
            throttle=throttle,
        )

    if as_json:
        report = guard(lambda: job(None), as_json=True)
    else:
        with typer.progressbar(length=1, label=f"{year}年结息 crediting interest") as bar:
            seen = [0]

            def progress(done: int, total: int) -> None:
                bar.length = total
                bar.update(done - seen[0])
                seen[0] = done

            report = guard(lambda: job(progress), as_json=False)
    result = {
        **report.as_dict(),
        "interest_yuan": format_yuan(report.interest),
        "seconds": round(time.perf_counter() - started, 3),
    }
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
    else:
        typer.echo(
            f"{year}年结息完成 done: {report.accounts} accounts credited now ({report.already} before), interest {format_yuan(report.interest)} yuan, employees' national rate {report.rate}, {result['seconds']} s"
        )
        for line in report.residents_said():
            typer.echo(line)
