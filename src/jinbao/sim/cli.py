"""``jinbao demo``: load the demo country (idempotent)."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer

from jinbao.cli.common import JsonOption, run
from jinbao.sim.demo import load_demo

app = typer.Typer(help="演示数据 Demo data.", no_args_is_help=True)


@app.command("load")
def load(as_json: JsonOption = False) -> None:
    """Load the demo country once; running it again changes nothing."""
    report = run(load_demo, as_json=as_json, write=True)
    if as_json:
        typer.echo(json.dumps(asdict(report), ensure_ascii=False))
    elif report.loaded:
        typer.echo(
            f"演示数据已载入 demo loaded: {report.agencies} agencies, {report.employers} "
            f"employers, {report.persons} persons, {report.relationships} relationships, "
            f"{report.contributions} contribution records."
        )
        if report.movers:
            typer.echo(
                "可申请转移接续的参保人员 ready to apply for a transfer: " + " ".join(report.movers)
            )
        if report.retiree:
            typer.echo("达到法定退休年龄 ready to retire: " + report.retiree)
        if report.linkage_person:
            typer.echo(
                "城乡衔接（职工转入居民）linkage into the resident scheme: " + report.linkage_person
            )
        if report.paper_movers:
            typer.echo(
                "转入地未入网（纸质办理）manual mode, on paper: " + " ".join(report.paper_movers)
            )
    else:
        typer.echo("演示数据已存在，未作改动 demo data already present; nothing changed.")
