"""docker-compose.yml verified without a container engine: each esledger service's command runs as a real
process with the service's environment (its database URL pointed at the test's PostgreSQL database, the log's
signing key file made with ``esledger keygen``), and the service's own health check must pass against it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import postgres_only

COMPOSE = Path(__file__).parent.parent / "docker-compose.yml"
BIN = Path(sys.executable).parent
HEALTHY_WITHIN_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_of(command: list[str]) -> str:
    return command[command.index("--port") + 1]


def _local(argv: list[str], port: str, free: int) -> list[str]:
    """The argument list as this machine runs it: the virtualenv's programs, loopback, a free port."""
    out = [str(BIN / argv[0]) if (BIN / argv[0]).exists() else argv[0], *argv[1:]]
    out = ["127.0.0.1" if a == "0.0.0.0" else a for a in out]
    return [a.replace(f":{port}/", f":{free}/") if a != port else str(free) for a in out]


@postgres_only
def test_every_compose_service_starts_and_passes_its_health_check(database_url: str, tmp_path: Path) -> None:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    key = tmp_path / "log_signing.key"
    made = subprocess.run([BIN / "esledger", "keygen", "--name", "test.example/compose", "--out", key], check=False)
    assert made.returncode == 0
    base = {k: v for k, v in os.environ.items() if not k.startswith("ESLEDGER_")}
    started: dict[str, tuple[subprocess.Popen[bytes], list[str]]] = {}
    try:
        for name, service in services.items():
            if service.get("command", [""])[0] != "esledger":
                continue
            assert all(str(p).startswith("127.0.0.1:") for p in service.get("ports", [])), name
            env = base | {k: str(v) for k, v in service["environment"].items()}
            env["ESLEDGER_DATABASE_URL"] = database_url
            if "ESLEDGER_SIGNING_KEY_FILE" in env:
                env["ESLEDGER_SIGNING_KEY_FILE"] = str(key)
            port, free = _port_of(service["command"]), _free_port()
            with (tmp_path / f"{name}.log").open("wb") as log:
                process = subprocess.Popen(
                    _local(service["command"], port, free), env=env, stdout=log, stderr=subprocess.STDOUT
                )
            check = service["healthcheck"]["test"]
            assert check[0] == "CMD", name
            started[name] = (process, _local(check[1:], port, free))
        assert set(started) == {"ledger", "projections", "log"}
        deadline = time.monotonic() + HEALTHY_WITHIN_SECONDS
        for name, (process, check) in started.items():
            while subprocess.run(check, capture_output=True, check=False, timeout=10).returncode != 0:
                assert process.poll() is None, f"{name} exited:\n{(tmp_path / f'{name}.log').read_text()}"
                assert time.monotonic() < deadline, f"{name} never passed its health check"
                time.sleep(0.2)
    finally:
        for process, _ in started.values():
            process.terminate()
        for process, _ in started.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
