"""The events the measures post: grievance cases built from the published example (schemas/examples), a
``grievance.received`` (its complainant is confidential, so sealed at append) and a ``grievance.accepted``,
each about 2 KB, on case ids unique to the run, spread over the respondent units and the months of 2026."""

from __future__ import annotations

import copy
import functools
import math
from typing import Any

import orjson

from bench.harness import ROOT

SIZE = 2048
"""Each event's size in bytes, near enough: the example's free text is lengthened to it."""
MONTHS = 10
"""Cases are received in 2026-01 … 2026-10 (so deadlines have passed and findings exist)."""
STATISTICS_MONTH = "2026-03"
MARK = "@CASE@"
MARK_BYTES = MARK.encode()

_example = [orjson.loads(line) for line in (ROOT / "schemas/examples/grievance.jsonl").read_bytes().splitlines()]
_RECEIVED, _ACCEPTED = (
    next(e for e in _example if e["type"].endswith(act)) for act in (".grievance.received", ".grievance.accepted")
)
_UNITS = [
    {"code": u["code"], "name": u["name"]}
    for u in orjson.loads((ROOT / "schemas/units/units.json").read_bytes())["units"]
    if u["kind"] == "county_bureau"
]
VARIANTS = math.lcm(len(_UNITS), MONTHS, 25)
"""Cases differ in respondent unit, month and day (1–25) with their number modulo this."""


def _padded(event: dict[str, Any], text: tuple[str, ...]) -> dict[str, Any]:
    """The event with the free text at ``text`` (a path in ``data``) lengthened to make it about SIZE bytes."""
    *path, name = text
    holder = event["data"]
    for step in path:
        holder = holder[step]
    short = SIZE - len(orjson.dumps(event))
    holder[name] += "（补充说明）" * max(0, short // len("（补充说明）".encode()))
    return event


@functools.cache
def _acts(variant: int, events: int) -> tuple[bytes, ...]:
    """The encoded acts of every case numbered ``variant`` modulo VARIANTS, with MARK for the case id."""
    unit = _UNITS[variant % len(_UNITS)]
    month, day = 1 + variant % MONTHS, 1 + variant % 25
    received = copy.deepcopy(_RECEIVED)
    received |= {"id": f"{MARK}-1", "subject": MARK, "time": f"2026-{month:02}-{day:02}T09:15:00+08:00"}
    received["data"]["respondent_unit"] = unit
    for person in received["data"].get("respondent_persons", []):
        person["unit"] = unit
    received["data"]["complainant"]["name"] = f"申诉人{MARK}"
    acts = [orjson.dumps(_padded(received, ("summary",)))]
    if events > 1:
        accepted = copy.deepcopy(_ACCEPTED)
        when = f"2026-{month:02}-{day + 3:02}"
        accepted |= {"id": f"{MARK}-2", "subject": MARK, "time": f"{when}T10:00:00+08:00"}
        if "acceptance_document" in accepted["data"]:
            accepted["data"]["acceptance_document"]["issued_on"] = when
        acts.append(orjson.dumps(_padded(accepted, ("jurisdiction_basis",))))
    return tuple(acts)


def grievance(case_id: str, n: int, events: int) -> list[bytes]:
    """Case number ``n``'s acts: received, then accepted when ``events`` is 2; each about SIZE bytes."""
    return [act.replace(MARK_BYTES, case_id.encode()) for act in _acts(n % VARIANTS, events)]


def cases(prefix: str, start: int, count: int) -> list[bytes]:
    """``count`` cases numbered from ``start``, one or two events each (alternately), in posting order."""
    return [e for n in range(start, start + count) for e in grievance(f"{prefix}-{n}", n, 1 + n % 2)]


def batch(events: list[bytes]) -> bytes:
    """A JSON array of already-encoded events (application/cloudevents-batch+json)."""
    return b"[" + b",".join(events) + b"]"
