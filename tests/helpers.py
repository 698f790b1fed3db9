"""Building events and reading the ledger in tests."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import orjson

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
PREFIX = "cn.gov.jingzhou.zfjd."
CE = {"Content-Type": "application/cloudevents+json"}
BATCH = {"Content-Type": "application/cloudevents-batch+json"}
_ids = itertools.count(1)

UNIT = {"code": "JZ-SS-ZWSJ", "name": "荆州市沙市区政务服务和大数据管理局"}
BODY = {"code": "JZ-ZWSJ-FG", "name": "荆州市政务服务和大数据管理局法规科"}


def examples() -> dict[str, list[dict[str, Any]]]:
    """The published example scenarios, by file name."""
    return {
        p.name: [orjson.loads(line) for line in p.read_bytes().splitlines() if line.strip()]
        for p in sorted((SCHEMAS / "examples").glob("*.jsonl"))
    }


def ce(
    act: str,
    subject: str,
    data: dict[str, Any],
    *,
    time: str = "2026-09-22T10:00:00+08:00",
    source: str = "urn:zfjd:source:test",
    id: str | None = None,
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": id or f"t-{next(_ids)}",
        "source": source,
        "type": PREFIX + act,
        "subject": subject,
        "time": time,
        "datacontenttype": "application/json",
        "data": data,
    }


def received(subject: str, **kw: Any) -> dict[str, Any]:
    """A valid grievance.received (opens a grievance case)."""
    return ce(
        "grievance.received",
        subject,
        {
            "grievance_kind": "complaint",
            "channel": "letter",
            "complainant": {"kind": "natural_person", "name": "张某"},
            "respondent_unit": UNIT,
            "supervision_body": BODY,
            "summary": "对行政处罚决定不服提出申诉",
        },
        **kw,
    )


def accepted(subject: str, **kw: Any) -> dict[str, Any]:
    return ce(
        "grievance.accepted",
        subject,
        {"supervision_body": BODY, "jurisdiction_basis": "《行政执法监督制度》第九条"},
        **kw,
    )


def body(event: Any) -> bytes:
    return orjson.dumps(event)
