"""The ``esledger`` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from services.domain import cli_deadline
from services.ledger.catalog import DEFAULT_SCHEMAS_DIR
from services.ledger.client import Summary, example_files, labelled, post_events, read_events

app = typer.Typer(help="esledger: event-sourced audit ledger for 行政执法监督 (law-enforcement supervision).",
                  no_args_is_help=True, add_completion=False)

DEFAULT_URL = "http://127.0.0.1:8000"
cli_deadline.register(app)

UrlOption = Annotated[str, typer.Option("--url", envvar="ESLEDGER_URL", help="Base URL of a running ledger.")]


@app.command()
def serve(host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
          database: Annotated[str | None, typer.Option(
              "--database", help="Database URL; overrides ESLEDGER_DATABASE_URL "
                                 "(default sqlite:///var/esledger.sqlite3, relative to the working directory).")]
          = None,
          role: Annotated[str, typer.Option(
              "--role", help="all (ledger and projections in one process), ledger, or projections.")] = "all"
          ) -> None:
    """Serve the API: the ledger and the projections (or one of them)."""
    import uvicorn

    from services.app import create_app
    from services.ledger.settings import Settings

    if role not in ("all", "ledger", "projections"):
        typer.echo(f"error: --role must be all, ledger or projections, not {role!r}", err=True)
        raise typer.Exit(2)
    if database:
        os.environ["ESLEDGER_DATABASE_URL"] = database
    settings = Settings()
    typer.echo(f"esledger ({role}): database {settings.database_url}; recording principal "
               f"{settings.principal!r}", err=True)
    uvicorn.run(create_app(role, settings), host=host, port=port)  # type: ignore[arg-type]


def _report(summary: Summary) -> None:
    typer.echo(f"accepted {summary.accepted}, duplicate {summary.duplicate}, rejected {len(summary.rejected)}")
    for label, status, problem in summary.rejected:
        typer.echo(f"  {label}: HTTP {status} {problem.get('title', '')}: {problem.get('detail', '')}", err=True)
        for error in problem.get("errors", []):
            typer.echo(f"      {error.get('pointer', error.get('parameter', ''))} [{error.get('rule')}] "
                       f"{error.get('detail', '')}", err=True)
    if not summary.ok:
        raise typer.Exit(1)


def _post(url: str, sources: list[tuple[str, list]]) -> None:
    import httpx

    total = sum(len(events) for _, events in sources)
    try:
        with typer.progressbar(length=total, label="posting", file=sys.stderr) as bar:
            summary = post_events(url, labelled(sources), on_each=lambda: bar.update(1))
    except httpx.TransportError as exc:
        typer.echo(f"error: cannot reach the ledger at {url} ({exc}); start it with `esledger serve` or pass "
                   f"--url", err=True)
        raise typer.Exit(2) from None
    _report(summary)


@app.command()
def post(file: Annotated[str, typer.Argument(help="JSON or JSONL file of CloudEvents, or - for stdin.")],
         url: UrlOption = DEFAULT_URL) -> None:
    """Post CloudEvents to a running ledger; prints accepted, duplicate and rejected."""
    try:
        if file == "-":
            events = read_events(sys.stdin.buffer, "stdin")
        else:
            with open(file, "rb") as stream:
                events = read_events(stream, file)
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    _post(url, [(file, events)])


@app.command()
def demo(url: UrlOption = DEFAULT_URL,
         examples: Annotated[Path, typer.Option(help="Folder of example scenarios (*.jsonl).")]
         = DEFAULT_SCHEMAS_DIR / "examples") -> None:
    """Load the example scenarios of every case kind into a running ledger."""
    sources = []
    for path in example_files(examples):
        with path.open("rb") as stream:
            sources.append((path.name, read_events(stream, path.name)))
    if not sources:
        typer.echo(f"error: no *.jsonl scenarios in {examples}", err=True)
        raise typer.Exit(2)
    _post(url, sources)


projections = typer.Typer(help="The read side: case status, deadlines, findings, statistics.", no_args_is_help=True)
app.add_typer(projections, name="projections")


@projections.command("rebuild")
def rebuild_projections(database: Annotated[str | None, typer.Option(
        "--database", help="Database URL; overrides ESLEDGER_DATABASE_URL.")] = None) -> None:
    """Recompute every read model from ledger position 0 (identical to following the ledger live)."""
    from services.ledger.settings import Settings
    from services.projections.rebuild import rebuild

    url = database or Settings().database_url
    with typer.progressbar(length=1, label="rebuilding", file=sys.stderr) as bar:
        def progress(position: int, head: int) -> None:
            bar.length = max(head, 1)
            bar.update(position - bar.pos)

        position = rebuild(url, progress)
    typer.echo(f"read model rebuilt up to ledger position {position}")
