"""``jinbao demo``: load the demo country (idempotent); ``jinbao sim``: the synthetic nation."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from jinbao.calculators.inputs import parameters
from jinbao.cli.common import EXIT_BAD_INPUT, JsonOption, engine, fail, guard, run, settings
from jinbao.kernel.clock import SystemClock
from jinbao.kernel.money import format_yuan
from jinbao.sim.deaths import FEED_MONTHS
from jinbao.sim.demo import load_demo
from jinbao.sim.nation import (
    AFTER_LOAD,
    CHUNK,
    DEATHS,
    INTEREST,
    LINKAGE,
    PENSIONER_DEATHS,
    RESIDENT_PENSIONS,
    RESIDENT_SHARE,
    RETIREMENTS,
    TRANSFERS,
    SimReport,
    generate,
    generate_parquet,
    writers,
)
from jinbao.sim.transfers import TRANSFER_SHARE

app = typer.Typer(help="演示数据 Demo data.", no_args_is_help=True)


DEMO_SEED = 2260


@app.command("load")
def load(
    persons: Annotated[
        int,
        typer.Option(
            min=0,
            max=200_000,
            help="Persons of the synthetic nation around the demo cases (0: none).",
        ),
    ] = 1000,
    as_json: JsonOption = False,
) -> None:
    """Load the demo country once — the worked cases of the README and a small run of the
    synthetic nation (``jinbao sim generate``, 2 years, no interest job) around them; running it
    again changes nothing."""
    report = run(load_demo, as_json=as_json, write=True)
    nation = None
    if report.loaded and persons:
        params = parameters(settings().parameters_dir)
        nation = guard(
            lambda: generate(engine(), SystemClock(), params, persons_wanted=persons, seed=DEMO_SEED,
                             years=2, interest=False),
            as_json=as_json,
        )  # fmt: skip
    if as_json:
        typer.echo(
            json.dumps({**asdict(report), "nation": nation and asdict(nation)}, ensure_ascii=False)
        )
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
        if report.deemed_retiree:
            typer.echo(
                "达到法定退休年龄，档案有视同缴费年限待记录 ready to retire once the deemed "
                "years on file are recorded: " + report.deemed_retiree
            )
        if report.resident_pensioner:
            typer.echo(
                "年满60周岁（城乡居保）ready for the residents' pension: "
                + report.resident_pensioner
            )
        if report.linkage_person:
            typer.echo(
                "城乡衔接（职工转入居民）linkage into the resident scheme: " + report.linkage_person
            )
        if report.paper_movers:
            typer.echo(
                "转入地未入网（纸质办理）manual mode, on paper: " + " ".join(report.paper_movers)
            )
        if nation is not None:
            moved = nation.transfers.completed if nation.transfers else 0
            linked = nation.linkage.completed if nation.linkage else 0
            typer.echo(
                f"模拟人口 synthetic nation: {nation.persons} persons, {nation.employers} employers, "
                f"{nation.records} contribution records, {nation.resident_payments} residents' "
                f"yearly payments, {moved} transfers and {linked} scheme linkages completed, "
                f"e.g. {' '.join(nation.sample_ids)}"
            )
    else:
        typer.echo("演示数据已存在，未作改动 demo data already present; nothing changed.")


sim_app = typer.Typer(help="模拟全国参保人口 The synthetic nation.", no_args_is_help=True)


@sim_app.command("generate")
def generate_command(
    persons: Annotated[int, typer.Option(min=1, max=20_000_000, help="How many persons.")] = 1000,
    years: Annotated[
        int, typer.Option(min=1, max=25, help="Years of monthly history up to last month.")
    ] = 10,
    seed: Annotated[int, typer.Option(help="The same seed makes the same nation.")] = 1,
    chunk: Annotated[
        int, typer.Option(min=100, max=200_000, help="Persons written per transaction.")
    ] = CHUNK,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Processes writing chunks at once (PostgreSQL only; default: one per core).",
        ),
    ] = None,
    interest: Annotated[
        bool, typer.Option(help="Run the yearly interest job for every finished year.")
    ] = True,
    transfers: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of the movers contributing now who apply, today, to transfer the "
            "relations they kept in other provinces (through the workflow; 0: none; SAMPLE).",
        ),
    ] = TRANSFER_SHARE,
    residents: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of the persons insured in the residents' scheme (城乡居保) at their "
            "户籍 county, paying yearly (0: none; SAMPLE).",
        ),
    ] = RESIDENT_SHARE,
    retirements: Annotated[
        bool,
        typer.Option(
            help="The employees who reached the statutory age with the minimum contribution "
            "period on record apply for their pension, awarded and paid through the benefits "
            "service (needs 15 or more --years of history)."
        ),
    ] = True,
    deaths: Annotated[
        bool,
        typer.Option(
            help="The survivors of those who died before drawing a pension claim (遗属待遇, "
            "through the benefits service): an employee's the funeral grant and survivor "
            "pension (deaths since 人社部发〔2021〕18号 took effect) and the account, a "
            "resident's the account less the subsidies. With --retirements, this month's "
            "death feed reports the pensioners who died in the last three months (SAMPLE "
            "rate): pension stopped, the months paid after the death set off, the "
            "survivors' due paid."
        ),
    ] = True,
    parquet: Annotated[
        Path | None,
        typer.Option(help="Write Parquet files to this folder instead of the database."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Generate persons with careers, contributions, accounts and the fund ledger (SAMPLE data).

    On PostgreSQL the records' foreign keys are off while it writes and checked at the end:
    do not run it against a database others are writing to."""
    params = parameters(settings().parameters_dir)
    if parquet is not None:
        _writable_folder(parquet, as_json)

    def job(shown: _Progress | None) -> SimReport:
        progress = shown.persons if shown else None
        if parquet is not None:
            return generate_parquet(
                parquet, SystemClock(), params, persons_wanted=persons, seed=seed, years=years,
                chunk=chunk, progress=progress, residents=residents,
            )  # fmt: skip
        return generate(
            engine(), SystemClock(), params, persons_wanted=persons, seed=seed, years=years,
            chunk=chunk, interest=interest, progress=progress, workers=workers,
            stages=shown.stage if shown else None, transfers=transfers, residents=residents,
            retirements=retirements, deaths=deaths,
        )  # fmt: skip

    if as_json:
        report = guard(lambda: job(None), as_json=True)
        typer.echo(json.dumps(asdict(report), ensure_ascii=False))
        return
    if parquet is None:  # refused before the progress bar shows, not under it
        guard(lambda: writers(engine(), workers), as_json=False)
    with _Progress(persons) as shown:
        report = guard(lambda: job(shown), as_json=False)
    typer.echo(
        f"模拟人口已生成 generated: {report.persons} persons "
        f"({', '.join(f'{k} {v}' for k, v in report.careers.items())}), {report.employers} employers, "
        f"{report.agencies} new agencies, {report.relationships} relationships, "
        f"{report.records} contribution records, {report.resident_payments} residents' yearly payments; "
        f"{report.retired} reached retirement age, "
        f"{report.deaths} died, {report.temporary} temporary accounts, {report.back_paid} back-paid months, "
        f"{report.paid_at_home} migrant workers also paying the residents' scheme at home, "
        f"{report.deemed} with deemed years (视同缴费年限) before the window; "
        f"interest credited for {', '.join(map(str, report.interest_years)) or 'no year'}; "
        f"{report.seconds} s."
    )
    for label, who, moved in (
        ("转移接续 transfers", "movers", report.transfers),
        ("城乡衔接 scheme linkages", f"of {report.went_home} who went home", report.linkage),
    ):
        if moved is None:
            continue
        why = ", ".join(f"{code} {n}" for code, n in moved.reasons.items())
        typer.echo(
            f"{label}: {moved.movers} {who} chose to apply; {moved.completed} cases completed, "
            f"{moved.waiting} waiting for an operator, {moved.refused} refused, "
            f"{moved.not_applied} not accepted; {moved.on_paper} of the cases on paper (an "
            f"agency off the network: the post carried)" + (f"; {why}" if why else "") + "."
        )
    retired = report.retirements
    if retired is not None and not retired.retirees:
        minimum = params.minimum_contribution_months(dt.date.today().year).value
        typer.echo(
            f"退休 retirements: none of the {report.retired} who reached the statutory age has the "
            f"minimum contribution period on record ({minimum // 12} years this year, "
            "国务院关于渐进式延迟法定退休年龄的决定: a nation needs as many --years or more), so "
            "no one applied."
        )
    elif retired is not None:
        why = ", ".join(f"{code} {n}" for code, n in retired.reasons.items())
        typer.echo(
            f"退休 retirements: {retired.retirees} of {report.retired} who reached the statutory "
            f"age had the minimum contribution period on record and applied; {retired.awarded} "
            f"awarded ({retired.linked} after linking in their residents' relation, "
            f"人社部发〔2014〕17号), {retired.waiting} waiting, {retired.refused} refused, "
            f"{retired.not_applied} not accepted; the payment runs paid {retired.paid_months} "
            f"person-months, {format_yuan(retired.paid)} yuan" + (f"; {why}" if why else "") + "."
        )
    pensions = report.resident_pensions
    if pensions is not None and not pensions.residents:
        typer.echo(
            "城乡居保待遇 residents' pensions: none of the residents who reached 60 in the window "
            "has the years paid they need on record (15, fewer for those near 60 when the scheme "
            "began: 国发〔2014〕8号 第七条; the nation holds its window's years only, so it takes "
            "15 --years or more), so no one applied."
        )
    elif pensions is not None:
        why = ", ".join(f"{code} {n}" for code, n in pensions.reasons.items())
        typer.echo(
            f"城乡居保待遇 residents' pensions: {pensions.residents} residents reached 60 with the "
            f"years they need paid (国发〔2014〕8号) and applied"
            + (
                f" ({pensions.linked} of them after linking in their employee years, "
                "人社部发〔2014〕17号 第三条、第六条)"
                if pensions.linked
                else ""
            )
            + f"; {pensions.awarded} awarded, "
            f"{pensions.not_applied} not accepted, {pensions.raised} raised to a later national "
            f"minimum; the payment runs paid {pensions.paid_months} person-months, "
            f"{format_yuan(pensions.paid)} yuan" + (f"; {why}" if why else "") + "."
        )
    survivors = report.survivors
    if survivors is not None:
        why = ", ".join(f"{code} {n}" for code, n in survivors.reasons.items())
        typer.echo(
            f"遗属待遇 deaths before a pension: {survivors.died} died ({survivors.residents} "
            f"residents, {survivors.before_measures} employees before 人社部发〔2021〕18号 took "
            f"effect on {params.survivors('in_force').value}: the account alone, the grants are "
            f"provincial); {survivors.settled} settled, "
            f"{survivors.not_settled} refused; paid "
            f"{format_yuan(survivors.funeral)} funeral grants, "
            f"{format_yuan(survivors.survivor_pension)} survivor pensions, "
            f"{format_yuan(survivors.inheritance)} inherited" + (f"; {why}" if why else "") + "."
        )
    fed = report.pensioner_deaths
    if fed is not None and fed.pensioners:
        why = ", ".join(f"{code} {n}" for code, n in fed.reasons.items())
        typer.echo(
            f"死亡数据比对 the death feed over {fed.pensioners} pensioners: {fed.died} died in the "
            f"last {FEED_MONTHS} months ({fed.before} already on record, {fed.not_settled} "
            f"refused), their pensions stopped; {fed.overpaid_months} months paid after a death "
            f"({format_yuan(fed.overpaid)} yuan, 冒领) set off, {format_yuan(fed.to_recover)} to "
            f"recover; the survivors were paid {format_yuan(fed.payable)} yuan: "
            f"{format_yuan(fed.funeral)} funeral grants, {format_yuan(fed.survivor_pension)} "
            f"survivor pensions and {format_yuan(fed.inheritance)} inherited, less what was set off"
            + (f"; {why}" if why else "")
            + "."
        )
    if parquet is not None:
        typer.echo(
            f"Parquet: {parquet}/{{agencies,employers,persons,relationships,contributions,"
            "resident_contributions}.parquet"
        )
    elif report.sample_ids:
        typer.echo("例 for example: " + " ".join(report.sample_ids))


# After the last person is written, PostgreSQL builds the record tables' indexes, checks their
# keys and analyzes (minutes at a million persons), then each year's interest is credited: a
# line per step, so that the persons' bar does not sit at 100% meanwhile.
STAGE_LABELS = {
    AFTER_LOAD: "建索引、查外键、更新统计 indexes, keys, statistics",
    INTEREST: "逐年结息 crediting interest",
    TRANSFERS: "转移接续 transfers (each batch of movers as it ends)",
    LINKAGE: "城乡衔接 scheme linkages (each batch as it ends)",
    RETIREMENTS: "退休 retirements (each batch of applications, then the payment runs)",
    RESIDENT_PENSIONS: "城乡居保待遇 residents at 60 (each batch, then the raises and the runs)",
    DEATHS: "遗属待遇 survivors' claims (each batch as it ends)",
    PENSIONER_DEATHS: "死亡数据比对 the death feed over the pensioners (each batch as it ends)",
}


class _Progress:
    """The persons' bar while they are written, then a line per step of each stage after it,
    each with the seconds since its stage began."""

    def __init__(self, persons: int) -> None:
        self._persons = persons
        self._open = contextlib.ExitStack()
        self._bar: Any = None
        self._seen = 0
        self._stage = ""
        self._began = 0.0

    def __enter__(self) -> _Progress:
        self._bar = self._open.enter_context(
            typer.progressbar(length=self._persons, label="生成 generating")
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._open.close()

    def persons(self, done: int, total: int) -> None:
        self._bar.update(done - self._seen)
        self._seen = done

    def stage(self, stage: str, done: int, total: int, step: str) -> None:
        self._open.close()  # the persons' bar, full: its line ends
        now = time.perf_counter()
        if stage != self._stage:
            self._stage, self._began = stage, now
            typer.echo(f"{STAGE_LABELS[stage]}:")
        if not step and done < total:  # the stage begins; its steps are told as they end
            return
        width = len(str(total))
        if step:
            typer.echo(f"  [{done + 1:>{width}}/{total}] {now - self._began:5.0f} s  {step}")
        else:
            typer.echo(f"  完成 done: {now - self._began:.0f} s")


def _writable_folder(folder: Path, as_json: bool) -> None:
    """The Parquet folder exists or is made, and can be written, before any work is done."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        writable = os.access(folder, os.W_OK | os.X_OK)
        reason = "" if writable else "permission denied"
    except OSError as exc:
        writable, reason = False, exc.strerror or str(exc)
    if not writable:
        fail(
            EXIT_BAD_INPUT,
            "sim.parquet_folder",
            f"无法写入文件夹{folder}（{reason}），请换一个可写的文件夹。",
            f"Cannot write to the folder {folder} ({reason}); choose a writable folder.",
            as_json=as_json,
        )
