"""The ``esledger`` command line. Every command that touches the ledger builds its parts through the same
composition root as the HTTP service (``esledger.bootstrap``)."""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from esledger.access.principals import Grant, Principal
from esledger.bootstrap import ROLES, Role, System, bootstrap
from esledger.cli import deadline
from esledger.cli.posting import Refused, Summary, auth, labelled, post_events, poster_key, read_events
from esledger.core.errors import LedgerError
from esledger.core.schemas import SchemaDirectory
from esledger.settings import Settings, settings_table

app = typer.Typer(
    help="esledger: event-sourced audit ledger for 行政执法监督 (law-enforcement supervision).",
    no_args_is_help=True,
    add_completion=False,
)
deadline.register(app)

DEFAULT_URL = "http://127.0.0.1:8000"
UrlOption = Annotated[str, typer.Option("--url", envvar="ESLEDGER_URL", help="Base URL of a running ledger.")]
KeyOption = Annotated[
    str | None,
    typer.Option("--key", envvar="ESLEDGER_API_KEY", help="Your API key (the Authorization: Bearer credential)."),
]
DatabaseOption = Annotated[
    str | None, typer.Option("--database", help="Database URL; overrides ESLEDGER_DATABASE_URL.")
]


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def load_settings(database: str | None = None) -> Settings:
    try:
        settings = Settings()
    except ValueError as exc:  # pydantic's ValidationError: a malformed ESLEDGER_* variable
        raise fail(f"the configuration is invalid: {exc}") from None
    return settings.model_copy(update={"database_url": database}) if database else settings


@contextmanager
def system(database: str | None, role: Role = "all") -> Iterator[System]:
    """The process's parts, without followers (a command does its work itself), closed afterwards."""
    try:
        built = bootstrap(load_settings(database), role=role, follow=False)
    except LedgerError as exc:
        raise fail(exc.detail) from None
    try:
        yield built
    except LedgerError as exc:
        raise fail(exc.detail) from None
    finally:
        built.close()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            help="Database URL; overrides ESLEDGER_DATABASE_URL "
            "(default sqlite:///var/esledger.sqlite3, relative to the working directory).",
        ),
    ] = None,
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="all: everything in one process; ledger: the write and read API and the log's checkpoints and "
            "proofs (no followers); projections: the read side and its follower; log: the Merkle sequencer "
            "and signing (holds the signing key).",
        ),
    ] = "all",
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            help="API processes on the port (PostgreSQL only); the role's followers run once, in the parent.",
        ),
    ] = 1,
) -> None:
    """Serve the API of one role, or of all of them."""
    import uvicorn

    from esledger.core.database import is_postgres
    from esledger.core.logs import configure_logging
    from esledger.web.app import create_app
    from esledger.web.server import config as server_config
    from esledger.web.server import serve_workers

    if role not in ROLES:
        raise fail(f"--role must be one of {', '.join(ROLES)}, not {role!r}")
    settings = load_settings(database)
    if settings.auth_disabled and not is_loopback(host):
        raise fail(
            f"ESLEDGER_AUTH_DISABLED is for development on this machine only: refused on {host}; serve on "
            "127.0.0.1, or turn authentication back on"
        )
    if workers > 1 and not is_postgres(settings.database_url):
        raise fail("--workers above 1 needs PostgreSQL (several processes writing one SQLite file would contend)")
    configure_logging(settings.logging_format, settings.logging_level)
    try:
        built = bootstrap(settings, role=role)
        built.check_signing_key()
    except LedgerError as exc:
        raise fail(exc.detail) from None
    built.announce = announce_first_key
    typer.echo(
        f"esledger ({role}, {workers} process{'es' if workers > 1 else ''}): database {settings.database_url}; "
        f"http://{host}:{port}/" + (f"; the console: http://{host}:{port}/console/" if role == "all" else ""),
        err=True,
    )
    if workers == 1:
        uvicorn.Server(server_config(create_app(built), host, port, settings)).run()
        return
    built.start()  # the first start and the followers, once, here; the workers serve the API
    try:
        serve_workers(built.role, settings, host, port, workers, announce_first_key)
    finally:
        built.close()


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def announce_first_key(key: str) -> None:
    typer.echo(
        "\nFirst start: the principal 'operator' (admin, reviewer) was registered. Its API key, shown this once:\n\n"
        f"    {key}\n\nKeep it secret. Use it as `Authorization: Bearer <key>` (or ESLEDGER_API_KEY for the CLI), "
        "register narrower principals with it (`esledger principals add`), and rotate it when done.\n",
        err=True,
    )


@app.command("settings")
def show_settings() -> None:
    """Every ESLEDGER_* setting with its default and meaning (a Markdown table)."""
    typer.echo(settings_table())


def _report(summary: Summary) -> None:
    typer.echo(f"accepted {summary.accepted}, duplicate {summary.duplicate}, rejected {len(summary.rejected)}")
    for label, status, problem in summary.rejected:
        typer.echo(f"  {label}: HTTP {status} {problem.get('title', '')}: {problem.get('detail', '')}", err=True)
        for error in problem.get("errors", []):
            typer.echo(
                f"      {error.get('pointer', error.get('parameter', ''))} [{error.get('rule')}] "
                f"{error.get('detail', '')}",
                err=True,
            )
    if not summary.ok:
        raise typer.Exit(1)


def _post(url: str, key: str | None, sources: list[tuple[str, list[Any]]], as_demo: bool = False) -> None:
    import asyncio

    import httpx

    total = sum(len(events) for _, events in sources)

    async def run() -> Summary:
        poster = key
        if as_demo:
            async with httpx.AsyncClient(base_url=url, timeout=30.0, headers=auth(key)) as client:
                poster = await poster_key(client, key)
        with typer.progressbar(length=total, label="posting", file=sys.stderr) as bar:
            async with httpx.AsyncClient(base_url=url, timeout=30.0, headers=auth(poster)) as client:
                return await post_events(client, labelled(sources), on_each=lambda: bar.update(1))

    try:
        summary = asyncio.run(run())
    except httpx.TransportError as exc:
        raise fail(f"cannot reach the ledger at {url} ({exc}); start it with `esledger serve` or pass --url") from None
    except httpx.HTTPStatusError as exc:
        raise fail(f"the ledger refused to register the demo's principal: {exc.response.text}") from None
    except Refused as exc:
        raise fail(
            f"the ledger answered {exc.status}: {exc.problem.get('detail', '')}. Pass an API key that may post "
            "(--key, or ESLEDGER_API_KEY); the first start of `esledger serve` prints the operator's"
        ) from None
    _report(summary)


@app.command()
def post(
    file: Annotated[str, typer.Argument(help="JSON or JSONL file of CloudEvents, or - for stdin.")],
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Post CloudEvents to a running ledger; prints accepted, duplicate and rejected."""
    try:
        if file == "-":
            events = read_events(sys.stdin.buffer.read(), "stdin")
        else:
            events = read_events(Path(file).read_bytes(), file)
    except (OSError, ValueError) as exc:
        raise fail(str(exc)) from None
    _post(url, key, [(file, events)])


@app.command()
def demo(
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    examples: Annotated[
        Path | None,
        typer.Option(help="Folder of example scenarios (*.jsonl); default: the examples shipped with the schemas."),
    ] = None,
) -> None:
    """Load the example scenarios of every case kind into a running ledger. With an administrator's key (the
    one the first start printed) it registers its own source principal, demo-loader, and posts as it."""
    if examples is not None:
        sources = [(p.name, read_events(p.read_bytes(), p.name)) for p in sorted(examples.glob("*.jsonl"))]
    else:
        schemas = SchemaDirectory.locate(load_settings().schemas_dir)
        sources = [(name, read_events(schemas.read_bytes(name), name)) for name in schemas.names("examples", "*.jsonl")]
    if not sources:
        raise fail(f"no *.jsonl scenarios in {examples or 'the shipped examples'}")
    _post(url, key, sources, as_demo=True)


projections = typer.Typer(help="The read side: case status, deadlines, findings, statistics.", no_args_is_help=True)
app.add_typer(projections, name="projections")


@projections.command("rebuild")
def rebuild_projections(database: DatabaseOption = None) -> None:
    """Recompute every read model from ledger position 0 (identical to following the ledger live)."""
    from esledger.projections.rebuild import rebuild

    with (
        system(database, "projections") as parts,
        typer.progressbar(length=1, label="rebuilding", file=sys.stderr) as bar,
    ):

        def progress(position: int, head: int) -> None:
            bar.length = max(head, 1)
            bar.update(position - bar.pos)

        with parts.storage.availability.guard():
            assert parts.projections is not None  # the projections role has them
            position = rebuild(
                parts.storage.store.get(), parts.storage.read_model.get(), parts.projections.projector, progress
            )
    typer.echo(f"read model rebuilt up to ledger position {position}")


def _key_text(key: str) -> str:
    """A verifier key given as text or as a file holding it."""
    path = Path(key)
    return path.read_text("utf-8").strip() if path.is_file() else key.strip()


@app.command()
def keygen(
    name: Annotated[str, typer.Option(help="The log's origin, e.g. jingzhou.gov.cn/zfjd-ledger.")],
    out: Annotated[Path, typer.Option(help="Where to write the private key (mode 0600).")],
) -> None:
    """Create the log's Ed25519 signing key; prints the public (verifier) key to publish."""
    from esledger.transparency.note import generate_signer_key
    from esledger.transparency.signer import write_key_file

    skey, vkey = generate_signer_key(name)
    try:
        write_key_file(out, skey)
    except FileExistsError:
        raise fail(f"{out} exists; a signing key is never overwritten: choose another --out") from None
    typer.echo(vkey)


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="The bundle file to write.")],
    case: Annotated[str | None, typer.Option("--case", help="One case's timeline.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every event of the ledger.")] = False,
    tree_size: Annotated[
        int | None,
        typer.Option(
            help="Prove against the stored checkpoint of this size (default: sign one now, which needs the signing "
            "key: run it where the log role runs)."
        ),
    ] = None,
    since_size: Annotated[
        int | None, typer.Option(help="Add a consistency proof from the stored checkpoint of this (earlier) size.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Write an evidence bundle: events, leaf hashes, inclusion proofs and the signed checkpoint."""
    import orjson

    from esledger.transparency.bundle import build_bundle

    if bool(case) == all_:
        raise fail("give exactly one of --case ID or --all")
    with system(database, "log" if tree_size is None else "ledger") as parts:  # only signing needs the key
        log = parts.sequencer or parts.transparency
        assert log is not None
        if tree_size is None:
            assert parts.sequencer is not None
            checkpoint = parts.sequencer.checkpoint_now()
        else:
            checkpoint = log.stored_checkpoint(tree_size)
        since = log.stored_checkpoint(since_size) if since_size is not None else None
        storage = parts.storage
        if parts.sequencer is not None and parts.sequencer.witnessing is not None:
            for name, outcome in parts.sequencer.witnessing.submit(checkpoint).items():
                typer.echo(f"witness {name}: {outcome}", err=True)
        with storage.availability.guard():
            from esledger.transparency.logstore import StoredCheckpoint
            from esledger.transparency.witnessing import cosigned_note

            note = cosigned_note(storage.merkle.get(), checkpoint)
            checkpoint = StoredCheckpoint(checkpoint.size, checkpoint.root, note, checkpoint.signed_at)
        with storage.availability.guard():
            records = storage.store.get().timeline(case) if case else list(storage.store.get().records())
            if not records:
                raise fail("no events in the ledger")
            with typer.progressbar(length=len(records), label="exporting", file=sys.stderr) as bar:
                bundle = build_bundle(
                    records,
                    storage.merkle.get(),
                    checkpoint,
                    {"case_id": case} if case else {"all": True},
                    since,
                    progress=lambda: bar.update(1),
                )
    out.write_bytes(orjson.dumps(bundle, option=orjson.OPT_INDENT_2))
    typer.echo(
        f"{len(bundle['entries'])} events proven against checkpoint {checkpoint.size} → {out}"
        + (f" ({bundle['after_checkpoint']} newer events left out)" if bundle["after_checkpoint"] else "")
    )


@app.command()
def verify(
    bundle: Annotated[Path | None, typer.Argument(help="A bundle from `esledger export`.")] = None,
    key: Annotated[
        list[str] | None,
        typer.Option(
            "--key",
            help="The log's public key (text or file); with --live, repeat it for each key of the log's life "
            "(old and new across a rotation).",
        ),
    ] = None,
    live: Annotated[bool, typer.Option("--live", help="Check the database itself instead of a bundle.")] = False,
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            help="A signed checkpoint you kept earlier: the bundle, or the live log (e.g. restored from a backup), "
            "must prove its tree extends it unchanged."
        ),
    ] = None,
    witnesses: Annotated[
        Path | None,
        typer.Option(
            "--witnesses",
            help="The witness policy file (keys and quorum, README: Trust model): the bundle's checkpoint must "
            "carry valid cosignatures of the quorum.",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Verify a bundle offline (no database), or the live database against its signed checkpoints."""
    import orjson

    if live == (bundle is not None):
        raise fail("give a BUNDLE file, or --live")
    if not key:
        raise fail(
            "--key is required: the log's public key as published (GET /v1/checkpoints/key serves it), "
            "never one read from the system under review"
        )
    if live and witnesses is not None:
        raise fail("--witnesses checks a bundle's checkpoint; with --live, check GET /v1/log/published instead")
    kept = checkpoint.read_text("utf-8") if checkpoint else None
    if live:
        failures, summary = _verify_live(database, [_key_text(k) for k in key], kept)
    else:
        from esledger.transparency.bundle import verify_bundle

        assert bundle is not None
        if len(key) > 1:
            raise fail("a bundle is verified with the one key that signed its checkpoint: give one --key")
        document = orjson.loads(bundle.read_bytes())
        with typer.progressbar(length=len(document.get("entries", [])), label="verifying", file=sys.stderr) as bar:
            size, failures = verify_bundle(
                document,
                _key_text(key[0]),
                kept,
                progress=lambda: bar.update(1),
            )
        summary = f"{len(document.get('entries', []))} events against checkpoint {size}"
        if witnesses is not None:
            failures = [*failures, *_witness_policy_failures(witnesses, document.get("checkpoint", ""))]
    for failure in failures:
        typer.echo(f"FAIL {failure}")
    if failures:
        typer.echo(f"{len(failures)} failure(s) in {summary}")
        raise typer.Exit(1)
    typer.echo(f"OK: {summary} verified")


def _witness_policy_failures(policy_file: Path, note: str) -> list[str]:
    """Check the witness policy on a checkpoint note; prints the verdict, returns it as a failure if unmet."""
    from esledger.core.errors import ConfigurationError
    from esledger.transparency.note import NoteError
    from esledger.transparency.witnessing import load_witness_policy

    try:
        policy = load_witness_policy(policy_file)
        verdict = policy.evaluate(note)
    except ConfigurationError as exc:
        raise fail(exc.detail) from None
    except NoteError as exc:
        return [f"checkpoint: {exc}"]
    if verdict.satisfied:
        typer.echo(f"OK: {verdict}")
        return []
    return [f"checkpoint: {verdict}"]


def _verify_live(database: str | None, keys: list[str], kept: str | None) -> tuple[list[Any], str]:
    from esledger.transparency.audit import audit

    with system(database, "ledger") as parts:
        storage = parts.storage
        with storage.availability.guard():
            store = storage.store.get()
            with typer.progressbar(length=max(store.head(), 1), label="auditing", file=sys.stderr) as bar:
                summary, failures = audit(
                    store,
                    storage.merkle.get(),
                    keys,
                    parts.catalog.confidential_paths,
                    lambda n: bar.update(1),
                    kept,
                )
    return failures, (
        f"{summary['events']} events, {summary['leaves']} leaves, {summary['checkpoints']} "
        f"checkpoints (latest {summary['latest_checkpoint']}), {summary['confidential_values']} confidential values"
    )


@app.command()
def erase(
    case: Annotated[str, typer.Option("--case", help="The case.")],
    version: Annotated[int, typer.Option("--version", help="The case version whose event holds the value.")],
    pointer: Annotated[str, typer.Option("--pointer", help="Where in that event, e.g. /data/complainant.")],
    reason: Annotated[str, typer.Option("--reason", help="Why, for the record.")],
    authority: Annotated[str | None, typer.Option(help="The ground, e.g. a court order's number.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Erase one confidential value (a court order, retention expiry): its sealed digest stays, so every hash
    still verifies; the erasure is recorded on the case by the operating-system user, as a reviewer."""
    with system(database, "ledger") as parts:
        assert parts.ledger is not None
        eraser = parts.access.scope(_actor("reviewer"))
        outcome = parts.ledger.erase(case, version, pointer, eraser, reason, authority)
    typer.echo(
        f"erased {pointer} of case {case} version {version}; recorded as version {outcome.record.case_version} "
        f"(position {outcome.record.position}) by {outcome.record.recorded_by}"
    )


db = typer.Typer(help="Database set-up (PostgreSQL).", no_args_is_help=True)
app.add_typer(db, name="db")


@db.command("grant")
def grant(
    role: Annotated[str, typer.Argument(help="The role the services will log in as.")],
    password: Annotated[str | None, typer.Option(help="Set this login password.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Create the tables as their owner, then a role with INSERT and SELECT only on the ledger's tables."""
    from esledger.grants import grant_app_role

    with system(database, "ledger") as parts:
        statements = grant_app_role(parts.storage, role, password)
    for statement in statements:
        typer.echo(statement if "PASSWORD" not in statement else statement.split(" PASSWORD")[0] + " PASSWORD ***")


principals = typer.Typer(
    help="Who may do what: API-key principals, their grants and keys (each change is recorded in the ledger).",
    no_args_is_help=True,
)
app.add_typer(principals, name="principals")
GrantOption = Annotated[
    list[str],
    typer.Option(
        "--grant",
        help='A grant as JSON, e.g. \'{"role": "inspector", "units": ["421000-ZSJ"]}\' '
        "(repeatable; README: Who may do what).",
    ),
]


def _actor(role: str = "admin") -> Principal:
    """Who the CLI records as acting (an administrator, or a reviewer erasing): the operating-system user with
    database access."""
    import getpass

    return Principal(f"cli:{getpass.getuser()}", f"command line ({getpass.getuser()})", (Grant(role),))


def _parsed_grants(texts: list[str]) -> list[dict[str, Any]]:
    import orjson

    try:
        grants = [orjson.loads(t) for t in texts]
    except orjson.JSONDecodeError as exc:
        raise fail(f"--grant takes JSON objects: {exc}") from None
    if not all(isinstance(g, dict) for g in grants):
        raise fail('--grant takes JSON objects such as {"role": "reviewer"}')
    return grants


def _show(state: Any, key: str | None = None) -> None:
    import orjson

    typer.echo(orjson.dumps(state.to_json(), option=orjson.OPT_INDENT_2).decode())
    if key is not None:
        typer.echo(f"\nAPI key (shown this once; only its SHA-256 is kept):\n\n    {key}\n", err=True)


@principals.command("add")
def add_principal(
    name: Annotated[str, typer.Argument(help="lower-case letters, digits, hyphens")],
    grant: GrantOption,
    display_name: Annotated[str | None, typer.Option()] = None,
    database: DatabaseOption = None,
) -> None:
    """Register a principal with its grants; prints its API key once."""
    with system(database) as parts:
        state, key = parts.access.registry.register(_actor(), name, _parsed_grants(grant), display_name)
    _show(state, key)


@principals.command("list")
def list_principals(database: DatabaseOption = None) -> None:
    """Every principal: name, roles, key prefix, revoked or not."""
    with system(database) as parts:
        states = parts.access.registry.list()
    for s in states:
        roles = ", ".join(sorted({g.role for g in s.grants}))
        typer.echo(f"{s.name:24} {s.key_prefix:32} {('REVOKED: ' + s.revoked) if s.revoked else roles}")


@principals.command("show")
def show_principal(name: str, database: DatabaseOption = None) -> None:
    """One principal with its grants and the history of its changes."""
    with system(database) as parts:
        _show(parts.access.registry.get(name))


@principals.command("grants")
def change_principal_grants(name: str, grant: GrantOption, database: DatabaseOption = None) -> None:
    """Replace a principal's grants."""
    with system(database) as parts:
        _show(parts.access.registry.change_grants(_actor(), name, _parsed_grants(grant)))


@principals.command("rotate")
def rotate_principal_key(name: str, database: DatabaseOption = None) -> None:
    """Give a principal a new API key (printed once); the old one stops working."""
    with system(database) as parts:
        state, key = parts.access.registry.rotate(_actor(), name)
    _show(state, key)


@principals.command("revoke")
def revoke_principal(
    name: str, reason: Annotated[str, typer.Option(help="Why, for the record.")], database: DatabaseOption = None
) -> None:
    """Revoke a principal: its key stops working."""
    with system(database) as parts:
        _show(parts.access.registry.revoke(_actor(), name, reason))


@principals.command("newkey")
def new_key(name: Annotated[str, typer.Argument()] = "operator") -> None:
    """Print a fresh key of generation 1 for NAME, for ESLEDGER_ADMIN_KEY (nothing is stored)."""
    from esledger.access.keys import make_key

    typer.echo(make_key(name, 1).text)


witness = typer.Typer(
    help="A witness (c2sp.org/tlog-witness) run by a body other than the log's operator: it cosigns a checkpoint "
    "only if it is consistent with every one it cosigned before.",
    no_args_is_help=True,
)
app.add_typer(witness, name="witness")


@witness.command("keygen")
def witness_keygen(
    name: Annotated[str, typer.Option(help="The witness's name, e.g. sfj.jingzhou.gov.cn/witness.")],
    out: Annotated[Path, typer.Option(help="Where to write the witness's private key (mode 0600).")],
) -> None:
    """Create a witness's Ed25519 key; prints its verifier key (cosignature/v1, type 0x04) for the log's
    witness policy and for verifiers."""
    from esledger.transparency.cosignature import generate_witness_key
    from esledger.transparency.signer import write_key_file

    skey, vkey = generate_witness_key(name)
    try:
        write_key_file(out, skey)
    except FileExistsError:
        raise fail(f"{out} exists; a key is never overwritten: choose another --out") from None
    typer.echo(vkey)


def build_witness(key: Path, logs: list[str], database: str) -> Any:
    from esledger.core.errors import ConfigurationError
    from esledger.transparency.cosignature import parse_witness_signer
    from esledger.transparency.note import NoteError
    from esledger.transparency.witness import Witness, WitnessStore

    try:
        name, private_key = parse_witness_signer(key.read_text("utf-8"))
        return Witness(name, private_key, [_key_text(k) for k in logs], WitnessStore(database))
    except (OSError, NoteError) as exc:
        raise fail(f"the witness cannot start: {exc}") from None
    except ConfigurationError as exc:
        raise fail(exc.detail) from None


@witness.command("serve")
def witness_serve(
    key: Annotated[Path, typer.Option("--key", help="The witness's private key file (`esledger witness keygen`).")],
    log: Annotated[
        list[str],
        typer.Option("--log", help="A log's verifier key (text or file), repeatable; its name is the log's origin."),
    ],
    database: Annotated[
        str,
        typer.Option(
            "--database",
            help="The witness's own storage of each log's latest cosigned size and root: sqlite:///PATH or "
            "postgresql://… (never the log's database).",
        ),
    ] = "sqlite:///var/witness.sqlite3",
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8100,
) -> None:
    """Serve POST /add-checkpoint and GET /<origin hash>/checkpoint (c2sp.org/tlog-witness)."""
    import uvicorn

    from esledger.transparency.witness import witness_app

    built = build_witness(key, log, database)
    typer.echo(f"witness {built.cosigner.verifier_key} for {', '.join(built.logs)}: http://{host}:{port}/", err=True)
    uvicorn.run(witness_app(built), host=host, port=port, log_level="warning")


@app.command()
def monitor(
    log_key: Annotated[str, typer.Option("--log-key", help="The log's published verifier key (text or file).")],
    state: Annotated[
        Path, typer.Option("--state", help="The monitor's state file: every checkpoint it saw (created if absent).")
    ],
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
    witnesses: Annotated[
        Path | None,
        typer.Option("--witnesses", help="The witness policy file: compare the log with what each witness cosigned."),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="One round, then exit (0 clean, 1 alert).")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between rounds when running continuously.")] = 60.0,
) -> None:
    """Follow the log from outside: checkpoints checked by consistency proofs from tiles, every leaf re-derived
    from the feed, witnesses compared; exits 1 naming sizes and roots on a fork, rewrite or missing entry."""
    from esledger.core.errors import ConfigurationError
    from esledger.transparency.monitor import LogClient, Monitor, MonitorError, Round, run
    from esledger.transparency.note import NoteError, parse_verifier_key
    from esledger.transparency.witnessing import load_witness_policy

    try:
        policy = load_witness_policy(witnesses) if witnesses else None
        log_key = _key_text(log_key)
        parse_verifier_key(log_key)
    except ConfigurationError as exc:
        raise fail(exc.detail) from None
    except NoteError as exc:
        raise fail(f"--log-key: {exc}") from None

    def report(result: Round) -> None:
        for note in result.notes:
            typer.echo(f"  {note}")
        for alert in result.alerts:
            typer.echo(f"ALERT {alert}")
        verdict = f"{len(result.alerts)} alert(s)" if result.alerts else "OK"
        typer.echo(f"{verdict}: checkpoint size {result.size} root {result.root}")

    client = LogClient(url, key)
    try:
        code = run(Monitor(client, log_key, state, policy), once, interval, report)
    except MonitorError as exc:
        raise fail(str(exc)) from None
    finally:
        client.close()
    raise typer.Exit(code)
