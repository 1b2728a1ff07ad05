"""``jinbao ledger …``: trial balance, fund income and expenditure, and the invariant check."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from jinbao.cli.common import EXIT_FAILURE, JsonOption, run
from jinbao.kernel.money import format_yuan
from jinbao.ledger import service
from jinbao.ledger.check import check as check_ledger
from jinbao.ledger.model import ACCOUNT_ZH, Account

app = typer.Typer(help="基金一本账 The fund ledger: reports and checks.", no_args_is_help=True)


@app.command("check")
def check(as_json: JsonOption = False) -> None:
    """Verify every ledger invariant; exit 1 naming each break."""
    breaks = run(check_ledger, as_json=as_json, write=False, snapshot=True)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "ok": not breaks,
                    "breaks": [{"code": b.code, "zh": b.zh, "en": b.en} for b in breaks],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    elif not breaks:
        typer.echo("账务检查通过 ledger check passed: every invariant holds.")
    else:
        for b in breaks:
            typer.echo(f"[{b.code}] {b.zh} / {b.en}", err=True)
    if breaks:
        raise typer.Exit(EXIT_FAILURE)


@app.command("trial-balance")
def trial_balance(as_json: JsonOption = False) -> None:
    """试算平衡表: debits, credits and balance per region and account."""
    lines = run(lambda uow: service.trial_balance(uow), as_json=as_json, write=False)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "region": b.region,
                        "account": b.account,
                        "debits": b.debits,
                        "credits": b.credits,
                        "balance": b.balance,
                    }
                    for b in lines
                ],
                indent=2,
            )
        )
        return
    for b in lines:
        typer.echo(
            f"{b.region}  {ACCOUNT_ZH[Account(b.account)]:<8} {b.account:<22} 借 {format_yuan(b.debits):>16}  贷 {format_yuan(b.credits):>16}  余额 {format_yuan(b.balance):>16}"
        )
    typer.echo(
        f"合计余额 total balance {format_yuan(sum(b.balance for b in lines))} (must be 0.00)"
    )


@app.command("funds")
def funds(
    region: Annotated[str | None, typer.Option(help="e.g. 440000; default every region")] = None,
    as_json: JsonOption = False,
) -> None:
    """基金收支: income, expenditure and balance per region and month, then nationally."""
    months = run(lambda uow: service.fund_report(uow, region), as_json=as_json, write=False)
    national = service.national(months)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "regions": [m.as_dict() for m in months],
                    "national": [m.as_dict() for m in national],
                },
                indent=2,
            )
        )
        return
    for m in [*months, *national]:
        typer.echo(
            f"{m.region}  {m.month}  收入 {format_yuan(m.income):>16}  支出 {format_yuan(m.expenditure):>16}  结余 {format_yuan(m.balance):>16}"
        )
