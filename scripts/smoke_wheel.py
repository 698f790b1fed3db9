"""Build the wheel, install it into a fresh virtualenv outside the checkout (dependencies from the lock
file), and use it as a new user would: `esledger serve` on SQLite in a temporary folder, `esledger demo`,
a breach and a finding on the read side, and `esledger deadline`. Fails loudly on the first difference.

It proves the package works wherever it is installed: the schemas and rules ship inside it, nothing is
read from the checkout, and the import name is the project's own (`import services` fails).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def step(message: str) -> None:
    print(f"smoke: {message}", file=sys.stderr, flush=True)


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"smoke: FAILED: {' '.join(map(str, args))}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def first_key(log: Path) -> str | None:
    """The operator's key the first start prints, once."""
    found = re.search(r"^\s+(esl_operator\.1_\S+)$", log.read_text(), re.M)
    return found.group(1) if found else None


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="esledger-smoke-") as tmp:
        work = Path(tmp)
        step("building the wheel")
        run(sys.executable, "-m", "build", "--wheel", "--outdir", work / "dist", ROOT, cwd=ROOT)
        [wheel] = (work / "dist").glob("esledger-*.whl")
        step(f"installing {wheel.name} into a fresh virtualenv, dependencies from requirements.lock")
        venv.create(work / "venv", with_pip=True)
        bin_ = work / "venv" / "bin"
        run(bin_ / "pip", "install", "--quiet", "--require-hashes", "-r", ROOT / "requirements.lock", cwd=work)
        run(bin_ / "pip", "install", "--quiet", "--no-deps", wheel, cwd=work)

        env = {k: v for k, v in os.environ.items() if not k.startswith(("ESLEDGER_", "PYTHON", "VIRTUAL_ENV"))}
        env |= {
            "ESLEDGER_DATABASE_URL": f"sqlite:///{work}/ledger.sqlite3",
            "ESLEDGER_DEV_KEY_FILE": str(work / "dev.key"),
        }
        run(bin_ / "python", "-c", "import esledger.web.app", cwd=work, env=env)
        imported = subprocess.run(
            [bin_ / "python", "-c", "import services"], cwd=work, env=env, capture_output=True, check=False
        )
        if imported.returncode == 0:
            raise SystemExit("smoke: FAILED: `import services` works in the installed venv; it must not")

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        step(f"esledger serve on {url}, SQLite in {work}")
        log = work / "serve.log"
        with log.open("w") as output:
            server = subprocess.Popen(
                [bin_ / "esledger", "serve", "--port", str(port)],
                cwd=work,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                text=True,
            )
        try:
            deadline = time.monotonic() + 30
            while (key := first_key(log)) is None or not answers(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"smoke: FAILED: the server did not start and print its key\n{log.read_text()}")
                time.sleep(0.2)
            step("the first start printed the operator's key; a read without it is refused")
            if httpx.get(f"{url}/v1/cases").status_code != 401:
                raise SystemExit("smoke: FAILED: /v1/cases answered without a credential")
            step("esledger demo, with the operator's key")
            demo = run(bin_ / "esledger", "demo", "--url", url, cwd=work, env=env | {"ESLEDGER_API_KEY": key})
            print(demo, end="", file=sys.stderr)
            signed_in = {"Authorization": f"Bearer {key}"}
            head = httpx.get(f"{url}/v1/events", params={"limit": 1}, headers=signed_in).json()["head"]
            query = {"has_breach": "true", "min_position": head}
            breaches = httpx.get(f"{url}/v1/cases", params=query, headers=signed_in).json()
            findings = httpx.get(f"{url}/v1/findings", headers=signed_in).json()
            if not breaches["count"] or not findings["count"]:
                raise SystemExit(f"smoke: FAILED: no breach or no finding after the demo: {breaches} {findings}")
            step(f"{breaches['count']} case(s) with a breach, {findings['count']} finding(s)")
            with httpx.Client(base_url=url) as browser:  # the console's templates and assets are in the wheel
                signed = browser.post("/console/signin", data={"credential": key, "next": "/console/cases"})
                cases = browser.get("/console/cases")
                style = browser.get("/console/static/console.css")
            if signed.status_code != 303 or "IN-2026-0042" not in cases.text or style.status_code != 200:
                raise SystemExit(f"smoke: FAILED: the console: {signed.status_code} {cases.status_code} {style}")
            step("the console signs in with the key and lists the demo's cases")
        finally:
            server.terminate()
            server.wait(10)

        out = run(bin_ / "esledger", "deadline", "--from", "2026-09-22", "--days", "15", cwd=work, env=env)
        if "Due: 2026-10-08 24:00 Beijing time" not in out:
            raise SystemExit(f"smoke: FAILED: esledger deadline answered\n{out}")
        step("esledger deadline: 2026-09-22 + 15 days is due 2026-10-08 24:00 (National Day rolled)")
        step("OK")


if __name__ == "__main__":
    main()
