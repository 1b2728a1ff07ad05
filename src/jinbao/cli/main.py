"""The ``jinbao`` command: ``db``, ``serve``, ``demo`` and the registry groups."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
import uvicorn

from jinbao.benefits.cli import app as benefit_app
from jinbao.calculators.cli import app as policy_app
from jinbao.cli.common import EXIT_FAILURE, engine, fail, settings
from jinbao.contributions.cli import account_app, contribution_app
from jinbao.db.cli import app as db_app
from jinbao.ledger.cli import app as ledger_app
from jinbao.records.cli import record as person_record
from jinbao.registry.cli import agency_app, employer_app, person_app, relationship_app
from jinbao.sim.cli import app as demo_app
from jinbao.sim.cli import sim_app
from jinbao.transfers.cli import app as transfer_app
from jinbao.web.supervisor import listening_sockets

app = typer.Typer(
    help="金保 Jinbao — national basic pension insurance information system.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(sim_app, name="sim")
app.add_typer(agency_app, name="agency")
app.add_typer(employer_app, name="employer")
person_app.command("record")(person_record)
app.add_typer(person_app, name="person")
app.add_typer(relationship_app, name="relationship")
app.add_typer(policy_app, name="policy")
app.add_typer(contribution_app, name="contribution")
app.add_typer(account_app, name="account")
app.add_typer(ledger_app, name="ledger")
app.add_typer(transfer_app, name="transfer")
app.add_typer(benefit_app, name="benefit")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: JINBAO_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="Default: JINBAO_PORT or 8000")] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Server processes. Default: JINBAO_WORKERS or 1"),
    ] = None,
) -> None:
    """Serve the API (/api), OpenAPI (/docs) and pages (/) over HTTP."""
    from jinbao.web.app import create_app

    config = settings()
    processes = workers or config.workers
    application = create_app(engine(), parameters_dir=config.parameters_dir)  # checks the database
    if processes > 1:
        _serve_processes(host or config.host, port or config.port, processes, config.log_level)
        return
    typer.echo(f"金保 Jinbao serving on http://{host or config.host}:{port or config.port}/")
    uvicorn.run(
        application,
        host=host or config.host,
        port=port or config.port,
        log_level=config.log_level,
    )


def _serve_processes(host: str, port: int, processes: int, log_level: str) -> None:
    """``processes`` uvicorn workers on one port, each on a socket of its own and building its
    own app from the same JINBAO_* settings: the sockets are bound here (a clear message if
    they cannot be), then this process becomes the light supervisor
    (:mod:`jinbao.web.supervisor`), which inherits them."""
    try:
        sockets = listening_sockets(host, port, processes)
    except OSError as exc:
        fail(
            EXIT_FAILURE,
            "serve.bind",
            f"无法在{host}:{port}上监听：{exc.strerror}",
            f"Cannot listen on {host}:{port}: {exc.strerror}",
            as_json=False,
        )
    bound = sockets[0].getsockname()[1]  # the port itself when asked for 0
    typer.echo(f"金保 Jinbao serving on http://{host}:{bound}/ ({processes} processes)")
    sys.stdout.flush()
    sys.stderr.flush()
    fds = ",".join(str(sock.fileno()) for sock in sockets)
    args = ["--fds", fds, "--log-level", log_level]
    os.execv(sys.executable, [sys.executable, "-m", "jinbao.web.supervisor", *args])
