"""The supervisor's forms as CloudEvents: a determination (第十六条、第十七条: confirm or dismiss a finding,
with reasons) or a sanction, posted to the ledger as the person's own source, exactly as an upstream system
would post them. The ledger validates them; its errors come back beside the fields (``views.form_errors``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from esledger.access.policy import personal_source
from esledger.core.instants import format_instant
from esledger.domain.organisations import Organisations

PREFIX = "cn.gov.jingzhou.zfjd."


def _unit(code: str, organisations: Organisations) -> dict[str, str]:
    unit = organisations.get(code)
    return {"code": code, "name": unit.name if unit else code}


def _envelope(act: str, version: int, case_id: str, principal_id: str, now: datetime, data: dict[str, Any]) -> dict:
    return {
        "specversion": "1.0",
        "id": f"console-{uuid.uuid4()}",
        "source": personal_source(principal_id),
        "type": PREFIX + act,
        "subject": case_id,
        "time": format_instant(now),
        "datacontenttype": "application/json",
        "dataschema": f"urn:zfjd:schema:{act}:{version}",
        "data": data,
    }


def _about(finding: Mapping[str, Any]) -> dict[str, Any]:
    """What an act on a finding repeats from it: its id, article and item, the rule set when the article is
    that set's own (``_cited``), and whom it concerns."""
    subject = finding.get("subject") or {}
    out: dict[str, Any] = {"finding_id": finding["id"], "article": str(finding["article"]), **_cited(finding)}
    if finding.get("items"):
        out["item"] = finding["items"][0]
    if subject.get("unit"):
        out["subject_unit"] = subject["unit"]
    if subject.get("person"):
        out["subject_person"] = subject["person"]
    return out


def _cited(finding: Mapping[str, Any]) -> dict[str, str]:
    """The rule set to name beside the article: an act naming a rule set cites that set's own text, one naming
    none the seed's articles (README "Rule sets"); so a finding under a seed article (``law`` null) names none,
    even when judged under the 2026 set that carries the seed's rules forward."""
    return {"rule_set": finding["rule_set"]} if finding.get("law") and finding.get("rule_set") else {}


def determination(
    finding: Mapping[str, Any],
    form: Mapping[str, str],
    principal_id: str,
    organisations: Organisations,
    now: datetime,
) -> dict[str, Any]:
    """case.finding_determined v2 for the finding, from the form's determination, reasons and the person."""
    person: dict[str, Any] = {"name": form.get("determined_by_name", "").strip()}
    if form.get("determined_by_role", "").strip():
        person["role"] = form["determined_by_role"].strip()
    if form.get("unit_code"):
        person["unit"] = _unit(form["unit_code"], organisations)
    data: dict[str, Any] = {
        **_about(finding),
        "determination": form.get("determination", ""),
        "reasons": form.get("reasons", "").strip(),
        "determined_by": person,
    }
    return _envelope("case.finding_determined", 2, finding["case_id"], principal_id, now, data)


def sanction(
    finding: Mapping[str, Any],
    form: Mapping[str, str],
    principal_id: str,
    organisations: Organisations,
    now: datetime,
) -> dict[str, Any]:
    """case.sanction_imposed v2 on the finding's subject, under the finding's article and rule set."""
    data: dict[str, Any] = {
        **_about(finding),
        "sanction": form.get("sanction", ""),
        "imposed_by": _unit(form.get("imposed_by", ""), organisations),
    }
    if form.get("description", "").strip():
        data["description"] = form["description"].strip()
    return _envelope("case.sanction_imposed", 2, finding["case_id"], principal_id, now, data)
