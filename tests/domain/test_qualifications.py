"""第五条（五） (the seed's, carried forward by rule set tiaoli-2026-02-01): an enforcement act recorded for a
person without a valid qualification at that time is a candidate finding, naming the person, the act and why.
Worked examples on a certificate granted 2026-03-01, valid to 2027-02-28."""

from __future__ import annotations

from datetime import datetime

from esledger.domain.casefile import view_case, view_cases
from esledger.domain.qualifications import Standing, needs_register, qualification_register, register_records

from .builders import BODY, COUNTY, Case, utc
from .scenarios import POLICY

CERT = "鄂执421002-0101"
HOLDER = {"name": "周某", "role": "执法大队队员", "enforcement_cert_no": CERT, "unit": COUNTY}
OTHER = {"name": "吴某", "role": "执法大队队员", "enforcement_cert_no": "鄂执421002-0102", "unit": COUNTY}


def certificate(valid_until: str | None = "2027-02-28", **granted: str) -> Case:
    case = Case("QL-1", "qualification")
    extra = {"valid_until": valid_until} if valid_until else {}
    case.add(
        "qualification.granted",
        granted.pop("when", "2026-03-01"),
        certificate_number=CERT,
        holder=HOLDER,
        holder_unit=COUNTY,
        granted_by=BODY,
        **extra,
        **granted,
    )
    return case


def suspend(case: Case, when: str, until: str | None = None) -> int:
    extra = {"suspended_until": until} if until else {}
    return case.add("qualification.suspended", when, reason="年度考核不合格", suspended_by=BODY, **extra)


def penalty(when: str, *handlers: dict, case_id: str = "penalty-1", recorded: str | None = None) -> Case:
    case = Case(case_id, "major_penalty_filing")
    case.add(
        "major_penalty.decided",
        when,
        recorded=recorded,
        deciding_unit=COUNTY,
        decision_document={"number": f"沙政数罚〔2026〕{case_id[-1]}号"},
        penalty_kinds=["large_fine"],
        party={"name": "某公司", "kind": "legal_person"},
        handlers=list(handlers),
    )
    return case


def unqualified(*cases: Case, as_of: str = "2027-06-30") -> list[tuple[str, str, str | None]]:
    """(finding id, title, person's certificate) of every 第五条（五） finding, as known at as_of."""
    records = [r for c in cases for r in c.records]
    return [
        (f.id, f.title, (f.subject.person or {}).get("enforcement_cert_no"))
        for v in view_cases(records, POLICY, utc(as_of))
        for f in v.findings
        if f.article == "5"
    ]


def test_art5_5_a_penalty_decided_by_a_person_with_no_certificate_on_record() -> None:
    mp = penalty("2026-04-01", HOLDER)
    [(fid, title, cert)] = unqualified(mp)
    assert (fid, cert) == (f"penalty-1:art5_5.unqualified.{CERT}:1", CERT)
    assert "无执法证件核发记录" in title
    [finding] = [f for f in view_case(mp.records, POLICY, utc("2027-06-30")).findings if f.article == "5"]
    assert (finding.article, finding.items, finding.to_json()["article_text"]) == ("5", ("五",), "第五条第（五）项")
    assert finding.subject.unit == COUNTY and finding.subject.person == HOLDER
    assert (
        "周某" in finding.reason and "台账中没有该证件的核发记录" in finding.reason and "第四十二条" in finding.reason
    )
    # the seed's article, carried forward by the rule set in force on the day of the act
    assert (finding.rule_set, finding.law) == ("tiaoli-2026-02-01", None)
    assert finding.evidence[0].act == "major_penalty.decided"


def test_art5_5_valid_on_the_day_no_finding_and_one_finding_per_unqualified_handler() -> None:
    """Granted 03-01: a decision of 04-01 by the holder is fine; its co-handler has no record."""
    found = unqualified(certificate(), penalty("2026-04-01", HOLDER, OTHER))
    assert [cert for _, _, cert in found] == ["鄂执421002-0102"]


def test_art5_5_before_valid_from_and_after_valid_until() -> None:
    early = penalty("2026-02-27", HOLDER, case_id="penalty-1")
    late = penalty("2027-03-01", HOLDER, case_id="penalty-2")
    titles = {fid.split(":")[0]: title for fid, title, _ in unqualified(certificate(), early, late)}
    assert "生效前" in titles["penalty-1"] and "有效期届满后" in titles["penalty-2"]
    # valid_from, when stated, rules rather than the day of the grant
    assert unqualified(certificate(valid_from="2026-02-01"), early) == []


def test_art5_5_suspended_until_a_stated_day_inclusive() -> None:
    cert = certificate()
    suspend(cert, "2026-05-10T09:00:00+08:00", until="2026-05-31")
    inside = penalty("2026-05-31T18:00:00+08:00", HOLDER, case_id="penalty-1")
    before = penalty("2026-05-10T08:00:00+08:00", HOLDER, case_id="penalty-2")
    after = penalty("2026-06-01", HOLDER, case_id="penalty-3")
    found = unqualified(cert, inside, before, after)
    assert [(fid.split(":")[0], "暂扣" in title) for fid, title, _ in found] == [("penalty-1", True)]


def test_art5_5_suspended_until_reinstated() -> None:
    cert = certificate()
    suspend(cert, "2026-05-10")
    cert.add("qualification.reinstated", "2026-06-15", reason="补考合格", reinstated_by=BODY)
    during = penalty("2026-06-14", HOLDER, case_id="penalty-1")
    after = penalty("2026-06-16", HOLDER, case_id="penalty-2")
    assert [fid.split(":")[0] for fid, _, _ in unqualified(cert, during, after)] == ["penalty-1"]


def test_art5_5_revoked_is_final() -> None:
    cert = certificate()
    cert.add("qualification.revoked", "2026-09-15", grounds="other", reason="违法使用证件", revoked_by=BODY)
    cert.add("qualification.reinstated", "2026-10-01", reason="误", reinstated_by=BODY)
    before, after = (
        penalty("2026-09-14", HOLDER, case_id="penalty-1"),
        penalty("2026-10-10", HOLDER, case_id="penalty-2"),
    )
    [(fid, title, _)] = unqualified(cert, before, after)
    assert fid.startswith("penalty-2:") and "吊销" in title


def test_art5_5_a_sanction_of_article_16_loss_of_qualification_in_another_case_revokes() -> None:
    """第十六条: 取消行政执法资格 imposed 2026-09-15 on the holder in an inspection; a penalty he decided on 09-20
    is a candidate finding, one of 09-14 is not."""
    cert = certificate()
    inspection = Case("inspection-9", "inspection")
    inspection.add(
        "case.sanction_imposed",
        "2026-09-15",
        sanction="loss_of_enforcement_qualification",
        article="16",
        subject_person=HOLDER,
        imposed_by=COUNTY,
    )
    before, after = (
        penalty("2026-09-14", HOLDER, case_id="penalty-1"),
        penalty("2026-09-20", HOLDER, case_id="penalty-2"),
    )
    [(fid, title, _)] = unqualified(cert, inspection, before, after)
    assert fid.startswith("penalty-2:") and "取消执法资格" in title
    register = qualification_register(cert.records + inspection.records, utc("2027-01-01"))
    standing, why = register.standing(CERT, utc("2026-09-20"))
    assert standing is Standing.REVOKED and "取消行政执法资格" in why and "inspection-9" not in why


def test_art5_5_as_of_a_grant_recorded_later_the_finding_goes() -> None:
    """The certificate granted 03-01 reaches the ledger only on 04-10: as of 04-05 the 04-01 decision had no
    record; as of 04-11 it had."""
    cert = Case("QL-1", "qualification")
    cert.add(
        "qualification.granted",
        "2026-03-01",
        recorded="2026-04-10",
        certificate_number=CERT,
        holder=HOLDER,
        holder_unit=COUNTY,
        granted_by=BODY,
    )
    mp = penalty("2026-04-01", HOLDER)
    assert len(unqualified(cert, mp, as_of="2026-04-05")) == 1
    assert unqualified(cert, mp, as_of="2026-04-11") == []


def test_a_single_case_view_reads_the_register_from_its_context() -> None:
    """The view of one case is handed the other cases the register reads (register_records)."""
    cert, mp, other = certificate(), penalty("2026-04-01", HOLDER), Case("grievance-x")
    other.add("grievance.fee_charged", "2026-04-01", charged_by=BODY, amount_fen=100, description="复印费")
    assert needs_register(mp.records) and not needs_register(cert.records)
    by_case = {c.case_id: c.records for c in (cert, mp, other)}
    assert register_records(by_case) == cert.records  # qualification cases and cases with a sanction only
    alone = view_case(mp.records, POLICY, utc("2027-01-01"))
    with_context = view_case(mp.records, POLICY, utc("2027-01-01"), register_records(by_case))
    assert alone is not None and with_context is not None
    assert [f.article for f in alone.findings if f.article == "5"] == ["5"]  # no record without the context
    assert [f.article for f in with_context.findings] == ["8"]  # only 第八条: the filing is overdue


def test_a_qualification_case_status() -> None:
    cert = certificate()
    suspend(cert, "2026-05-10")
    assert view_case(cert.records, POLICY, utc("2026-06-01")).status.status == "suspended"
    cert.add("qualification.reinstated", "2026-06-15", reason="补考合格", reinstated_by=BODY)
    assert view_case(cert.records, POLICY, utc("2026-06-16")).status.status == "granted"
    cert.add("qualification.revoked", "2026-09-15", grounds="left_enforcement_post", reason="调岗", revoked_by=BODY)
    view = view_case(cert.records, POLICY, utc("2026-09-16"))
    assert (view.status.status, view.status.title) == ("revoked", "已吊销或注销")


def test_instants_compare_at_the_instant_not_the_day() -> None:
    """Suspended 2026-05-10 09:00 Beijing; a decision at 08:59 that day was valid."""
    cert = certificate()
    suspend(cert, "2026-05-10T09:00:00+08:00")
    register = qualification_register(cert.records, utc("2027-01-01"))
    assert register.standing(CERT, datetime.fromisoformat("2026-05-10T08:59:00+08:00")) is None
    assert register.standing(CERT, datetime.fromisoformat("2026-05-10T09:00:00+08:00"))[0] is Standing.SUSPENDED
