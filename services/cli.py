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


def _database(database: str | None) -> str:
    from services.ledger.settings import Settings

    return database or Settings().database_url


DatabaseOption = Annotated[str | None, typer.Option("--database", help="Database URL; overrides "
                                                                       "ESLEDGER_DATABASE_URL.")]


def _key_text(key: str) -> str:
    """A verifier key given as text or as a file holding it."""
    path = Path(key)
    return path.read_text("utf-8").strip() if path.is_file() else key.strip()


@app.command()
def keygen(name: Annotated[str, typer.Option(help="The log's origin, e.g. jingzhou.gov.cn/zfjd-ledger.")],
           out: Annotated[Path, typer.Option(help="Where to write the private key (mode 0600).")]) -> None:
    """Create the log's Ed25519 signing key; prints the public (verifier) key to publish."""
    from services.transparency.note import generate_signer_key

    skey, vkey = generate_signer_key(name)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(skey + "\n")
    typer.echo(vkey)


@app.command()
def export(out: Annotated[Path, typer.Option("--out", help="The bundle file to write.")],
           case: Annotated[str | None, typer.Option("--case", help="One case's timeline.")] = None,
           all_: Annotated[bool, typer.Option("--all", help="Every event of the ledger.")] = False,
           tree_size: Annotated[int | None, typer.Option(help="Prove against the stored checkpoint of this "
                                                              "size (default: sign one now).")] = None,
           since_size: Annotated[int | None, typer.Option(help="Add a consistency proof from the stored "
                                                               "checkpoint of this (earlier) size.")] = None,
           database: DatabaseOption = None) -> None:
    """Write an evidence bundle: events, leaf hashes, inclusion proofs and the signed checkpoint."""
    import orjson

    from services.transparency.bundle import build_bundle
    from services.transparency.service import TransparencyService
    from services.transparency.settings import LogSettings

    if bool(case) == all_:
        typer.echo("error: give exactly one of --case ID or --all", err=True)
        raise typer.Exit(2)
    log = TransparencyService(LogSettings(database_url=_database(database)), follow=False)
    try:
        checkpoint = log.checkpoint_now() if tree_size is None else log.log.checkpoint(tree_size)
        since = log.log.checkpoint(since_size) if since_size is not None else None
        for wanted, found in ((tree_size, checkpoint), (since_size, since)):
            if wanted is not None and found is None:
                typer.echo(f"error: no stored checkpoint of size {wanted}; list them with GET /v1/checkpoints",
                           err=True)
                raise typer.Exit(2)
        assert checkpoint is not None
        records = log.ledger.timeline(case) if case else list(log.ledger.records())
        if not records:
            typer.echo(f"error: no events{f' for case {case!r}' if case else ''} in the ledger", err=True)
            raise typer.Exit(2)
        with typer.progressbar(length=len(records), label="exporting", file=sys.stderr) as bar:
            bundle = build_bundle(records, log.log, checkpoint, {"case_id": case} if case else {"all": True},
                                  since, progress=lambda: bar.update(1))
    finally:
        log.close()
    out.write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
    typer.echo(f"{len(bundle['entries'])} events proven against checkpoint {checkpoint.size} → {out}"
               + (f" ({bundle['after_checkpoint']} newer events left out)" if bundle["after_checkpoint"] else ""))


@app.command()
def verify(bundle: Annotated[Path | None, typer.Argument(help="A bundle from `esledger export`.")] = None,
           key: Annotated[str | None, typer.Option("--key", help="The log's public key (text or file).")] = None,
           live: Annotated[bool, typer.Option("--live", help="Check the database itself instead of a bundle.")]
           = False,
           checkpoint: Annotated[Path | None, typer.Option(help="A signed checkpoint you kept earlier: the bundle "
                                                               "must prove its tree extends it unchanged.")] = None,
           database: DatabaseOption = None) -> None:
    """Verify a bundle offline (no database), or the live database against its signed checkpoints."""
    import orjson

    if live == (bundle is not None):
        typer.echo("error: give a BUNDLE file, or --live", err=True)
        raise typer.Exit(2)
    if key is None:
        typer.echo("error: --key is required: the log's public key as published (GET /v1/checkpoints/key "
                   "serves it), never one read from the system under review", err=True)
        raise typer.Exit(2)
    if live:
        failures, summary = _verify_live(database, _key_text(key))
    else:
        from services.transparency.bundle import verify_bundle

        assert bundle is not None
        document = orjson.loads(bundle.read_bytes())
        with typer.progressbar(length=len(document.get("entries", [])), label="verifying", file=sys.stderr) as bar:
            size, failures = verify_bundle(document, _key_text(key),
                                           checkpoint.read_text("utf-8") if checkpoint else None,
                                           progress=lambda: bar.update(1))
        summary = f"{len(document.get('entries', []))} events against checkpoint {size}"
    for failure in failures:
        typer.echo(f"FAIL {failure}")
    if failures:
        typer.echo(f"{len(failures)} failure(s) in {summary}")
        raise typer.Exit(1)
    typer.echo(f"OK: {summary} verified")


def _verify_live(database: str | None, vkey: str) -> tuple[list, str]:
    from services.transparency.audit import audit
    from services.transparency.service import TransparencyService
    from services.transparency.settings import LogSettings

    log = TransparencyService(LogSettings(database_url=_database(database)), follow=False)
    try:
        with typer.progressbar(length=max(log.ledger.head(), 1), label="auditing", file=sys.stderr) as bar:
            summary, failures = audit(log.ledger, log.log, vkey, progress=lambda n: bar.update(1))
    finally:
        log.close()
    return failures, (f"{summary['events']} events, {summary['leaves']} leaves, {summary['checkpoints']} "
                      f"checkpoints (latest {summary['latest_checkpoint']})")


db = typer.Typer(help="Database set-up (PostgreSQL).", no_args_is_help=True)
app.add_typer(db, name="db")


@db.command("grant")
def grant(role: Annotated[str, typer.Argument(help="The role the services will log in as.")],
          password: Annotated[str | None, typer.Option(help="Set this login password.")] = None,
          database: DatabaseOption = None) -> None:
    """Create the tables as their owner, then a role with INSERT and SELECT only on the ledger's tables."""
    from services.roles import grant_app_role

    for statement in grant_app_role(_database(database), role, password):
        typer.echo(statement if "PASSWORD" not in statement else statement.split(" PASSWORD")[0] + " PASSWORD ***")
