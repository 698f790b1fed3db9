"""Configuration of the whole service, from ``ESLEDGER_*`` environment variables: one place that documents
every setting (``esledger settings`` prints this table; the README shows the same)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ESLEDGER_", extra="ignore")

    # -- storage -------------------------------------------------------------------------------------------
    database_url: str = Field(
        "sqlite:///var/esledger.sqlite3",
        description="where events are stored: `sqlite:///relative/path`, `sqlite:////absolute/path`, or "
        "`postgresql://user[:password]@host[:port]/dbname[?schema=s&connect_timeout=2&pool_size=2"
        "&max_overflow=10&create_tables=true]`; `esledger serve --database URL` overrides it",
    )
    retry_after_seconds: int = Field(5, ge=1, description="`Retry-After` on every 503")
    unavailable_after_seconds: float = Field(
        1.5,
        gt=0,
        description="PostgreSQL: a request waits at most this long for a database connection (from its start or "
        "its last connection) before it is answered 503; with the last retry pause, a 503 within 2 s by default",
    )

    ready_max_lag: int = Field(
        10000,
        ge=0,
        description="`/readyz` answers 503 while the read model or the Merkle log a process serves lags the ledger "
        "by more events than this",
    )

    # -- the ledger ----------------------------------------------------------------------------------------
    schemas_dir: Path | None = Field(
        None,
        description="a folder holding the published schemas (catalog, events, rules, holiday data, examples) "
        "to use instead of the ones shipped in the package; every reader follows it",
    )
    max_body_bytes: int = Field(5 * 1024 * 1024, ge=1, description="larger request bodies get 413")
    max_batch_events: int = Field(1000, ge=1, description="most events in one batch")
    max_future_seconds: int = Field(300, ge=0, description="how far an event's `time` may be ahead of the clock")

    # -- the read side -------------------------------------------------------------------------------------
    yellow_working_days: int = Field(
        3, ge=0, description="a pending deadline with this many working days left, or fewer, is yellow (overdue: red)"
    )
    violation_notice_days: int = Field(
        30,
        ge=1,
        description="第十七条（二）: days after a violation is found within which a supervision notice "
        "is expected (local policy)",
    )
    referral_days: int = Field(
        30,
        ge=1,
        description="第十五条: days after a suspected violation, breach of discipline or crime is confirmed within "
        "which it is to be referred (local policy; missed, 第十七条（二）)",
    )
    local_policy: dict[str, Any] = Field(
        default_factory=dict,
        description='JSON overrides of local-policy periods, e.g. `{"art11.escalate": {"days": 20, '
        '"counting": "working"}}` (for the 条例\'s instruments, e.g. `art27.report`, the default where one states '
        "no date); statute periods cannot be overridden",
    )
    holiday_files: list[Path] = Field(
        default_factory=list,
        description="JSON list of holiday data files (`schemas/rules/holiday-data.schema.json`) adding a year "
        "such as 2027",
    )
    max_wait_seconds: float = Field(
        5.0,
        ge=0,
        description="longest a query with `min_position` waits for the read model (then 503 `projection-behind`); "
        "a position beyond the ledger's head is refused at once (400)",
    )
    max_waiting_reads: int = Field(
        100,
        ge=0,
        description="most queries waiting for `min_position` at once in a process (they hold no worker thread); "
        "one more is answered 503 `projection-behind` at once",
    )

    # -- the Merkle log ------------------------------------------------------------------------------------
    signing_key_file: Path | None = Field(
        None,
        description="the Merkle log's Ed25519 signing key (`esledger keygen`); without it a development key is used",
    )
    signing_key_rotate: bool = Field(
        False,
        description="start the log with a signing key other than the one its latest checkpoint is signed with "
        "(otherwise refused); the next checkpoint records the rotation; keep it set until one is signed",
    )
    dev_key_file: Path = Field(Path("var/esledger-dev.key"), description="where the development key is generated")
    log_origin: str = Field("zfjd-ledger.local/dev", description="the checkpoint origin of a generated development key")
    checkpoint_interval_seconds: float = Field(10.0, gt=0, description="periodic checkpoints, when the tree grew")
    sequencer_gather_seconds: float = Field(
        0.1,
        ge=0,
        description="once an append wakes the Merkle log's sequencer, how long it lets more gather before it "
        "integrates everything pending in one transaction (a burst of appends costs one integration)",
    )

    witness_policy_file: Path | None = Field(
        None,
        description="JSON file of the witnesses (verifier keys, URLs, organs) and the quorum that makes a "
        "checkpoint published (README: Trust model); the log role submits every checkpoint to them, the "
        "ledger role serves `/v1/log/published`",
    )
    witness_timeout_seconds: float = Field(
        5.0, gt=0, description="longest the log waits for one witness's answer (submission runs in its own thread)"
    )
    witness_retry_seconds: float = Field(
        30.0,
        gt=0,
        description="how often the log submits again to witnesses that have not cosigned its latest checkpoint",
    )

    # -- who may do what ------------------------------------------------------------------------------------
    auth_disabled: bool = Field(
        False,
        description="development only: no authentication, every request is an all-powerful developer; "
        "refused unless the service listens on loopback, and logged loudly on every start",
    )
    admin_key: SecretStr | None = Field(
        None,
        description="the first start's operator key (an `esl_…` key of generation 1, `esledger principals "
        "newkey`); without it the first start makes one and prints it once",
    )
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        description="how long a process trusts a principal it looked up (a revoked key stops working "
        "in every process within this time)",
    )
    rate_limit_per_second: float = Field(50.0, gt=0, description="requests per second each principal may make")
    rate_limit_burst: int = Field(
        200, ge=1, description="requests a principal may make at once before the rate applies"
    )
    failed_auth_per_minute: float = Field(
        10.0, gt=0, description="failed sign-ins per minute from one client address before it gets 429"
    )
    oidc_issuer: str | None = Field(
        None,
        description="single sign-on: the OpenID Connect issuer whose tokens are accepted (`iss`); unset: API keys only",
    )
    oidc_audience: str = Field("esledger", description="single sign-on: the audience tokens must name (`aud`)")
    oidc_jwks_url: str | None = Field(None, description="single sign-on: the issuer's JWKS URL (cached)")
    oidc_jwks_file: Path | None = Field(None, description="single sign-on: a JWKS file, instead of the URL")
    oidc_roles_claim: str = Field("esledger_roles", description="single sign-on: the claim listing role names")
    oidc_units_claim: str = Field(
        "esledger_units",
        description="single sign-on: the claim listing unit codes "
        "(jurisdiction of inspector/supervisor, own units of respondent)",
    )
    oidc_cases_claim: str = Field(
        "esledger_cases", description="single sign-on: the claim listing the case ids shared with an observer"
    )

    # -- the HTTP server -------------------------------------------------------------------------------------
    http_header_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="a connection that sends no request headers within this time (idle, or half-sent) is closed",
    )
    http_body_timeout_seconds: float = Field(
        30.0, gt=0, description="a request body that stalls this long between chunks is answered 408"
    )
    http_keepalive_seconds: float = Field(5.0, gt=0, description="an idle keep-alive connection is closed after this")
    http_max_concurrency: int = Field(
        1000, ge=1, description="connections and requests at once; beyond it the server answers 503 at once"
    )

    # -- operations ----------------------------------------------------------------------------------------
    logging_format: Literal["text", "json"] = Field(
        "text", description="`json`: one JSON object per line (for collectors); `text`: for people"
    )
    logging_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="the lowest level logged")


def settings_table() -> str:
    """The Markdown table of every setting: environment variable, default, meaning (README's Configuration)."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        default = default.get_secret_value() if isinstance(default, SecretStr) else default
        shown = "none" if default is None else f"`{default}`" if default not in ("", [], {}) else f"`{default!r}`"
        if isinstance(default, (list, dict)):
            shown = f"`{default}`"
        lines.append(f"| `ESLEDGER_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(lines)
