"""Monthly statistics per unit (第十条第（四）项) over a small multi-case scenario, computed by hand."""

from __future__ import annotations

import csv
import io

from esledger.domain.statistics import COLUMNS, REPORTED, monthly_statistics, statistics_csv

from .builders import BODY, COUNTY, Case, grievance, inspection, issue, utc
from .scenarios import POLICY, determine, fee, refuse, violation
from .test_art9 import accept, inform, notify, transfer

OTHER = {"code": "114210000000000003", "name": "荆州区政务数据局"}
AS_OF = utc("2026-11-01")


def scenario() -> dict[str, list[dict]]:
    # G1: received 09-01, accepted 09-02 (disposition met, last day 09-11), notified 09-03 (notify met, last day
    #     09-14), a fee charged 09-02 (art18, subject BODY)
    g1 = grievance("2026-09-01")
    accept(g1, "2026-09-02")
    fee(g1, "2026-09-02")
    notify(g1, "2026-09-03")
    # G2: against OTHER, received 09-25 (last day 09-25 + 10 = 10-05 国庆 -> 10-08), transferred 10-12 and the
    #     complainant informed 10-13: disposition and inform both met late (last day 10-08), two 17 findings
    g2 = Case("grievance-2")
    g2.add(
        "grievance.received",
        "2026-09-25",
        respondent_unit=OTHER,
        supervision_body=BODY,
        summary="申诉",
        complainant={"kind": "natural_person", "name": "某人"},
    )
    transfer(g2, "2026-10-12")
    inform(g2, "2026-10-13")
    # I1: opened 09-01, cooperation refused 09-03 (dismissed later), violation 09-04 (notice rule met by the
    #     09-07 notice, last day 09-04 + 30 = 10-04 国庆 -> 10-08), notice due 09-18 never corrected (breached,
    #     art11, COUNTY), escalation 09-18 + 30 = 10-18 (Sun) -> 10-19 never done (breached, 17(二), BODY)
    i1 = inspection("2026-09-01")
    refuse(i1, "2026-09-03")
    violation(i1, "2026-09-04")
    issue(i1, "2026-09-07", "2026-09-18")
    determine(i1, "2026-09-20", "inspection-1:art16.cooperation_refused:2", "dismissed")
    # S1: COUNTY's own report for 2026-09
    s1 = Case("STAT-COUNTY-2026-09", "unit_statistics")
    counts = dict.fromkeys(REPORTED, 0)
    s1.add(
        "statistics.monthly_report_submitted",
        "2026-10-09",
        reporting_unit=COUNTY,
        period="2026-09",
        counts=counts | {"grievances_received": 2},
    )
    return {c.case_id: c.records for c in (g1, g2, i1, s1)}


def nonzero(row) -> dict:
    return {k: v for k, v in row.to_json().items() if k not in {"unit", "month", "reported"} and v}


def test_monthly_statistics_per_unit_counted_by_hand() -> None:
    rows = {(r.unit_code, r.month): r for r in monthly_statistics(scenario(), POLICY, AS_OF)}
    assert sorted(rows) == [
        (BODY["code"], "2026-09"),
        (BODY["code"], "2026-10"),
        (COUNTY["code"], "2026-09"),
        (OTHER["code"], "2026-09"),
    ]
    assert nonzero(rows[(BODY["code"], "2026-09")]) == {
        "grievances_received": 2,
        "grievances_accepted": 1,
        "inspections_opened": 1,
        "notices_issued": 1,
        "deadlines_met": 2,
        "findings_by_article": {"18": 1},
    }
    assert nonzero(rows[(BODY["code"], "2026-10")]) == {
        "grievances_transferred": 1,
        "deadlines_met": 1,
        "deadlines_met_late": 2,
        "deadlines_breached": 1,
        "findings_by_article": {"17": 3},
    }
    county = rows[(COUNTY["code"], "2026-09")]
    assert nonzero(county) == {
        "grievances_against_unit": 1,
        "inspections_of_unit": 1,
        "deadlines_breached": 1,
        "findings_by_article": {"11": 1},  # the dismissed art16 finding is not counted
    }
    assert county.reported["grievances_received"] == 2 and sum(county.reported.values()) == 2
    assert nonzero(rows[(OTHER["code"], "2026-09")]) == {"grievances_against_unit": 1}
    assert rows[(OTHER["code"], "2026-09")].to_json()["unit"] == OTHER


def test_statistics_as_of_an_earlier_instant_see_less() -> None:
    rows = {(r.unit_code, r.month): r for r in monthly_statistics(scenario(), POLICY, utc("2026-09-10"))}
    assert nonzero(rows[(BODY["code"], "2026-09")]) == {
        "grievances_received": 1,
        "grievances_accepted": 1,
        "inspections_opened": 1,
        "notices_issued": 1,
        "deadlines_met": 2,  # met already, counted in the month of their last days (09-11, 09-14)
        "findings_by_article": {"18": 1},
    }
    assert (COUNTY["code"], "2026-09") in rows and rows[(COUNTY["code"], "2026-09")].reported is None


def test_statistics_csv_header_and_rows_in_a_stable_column_order() -> None:
    rows = monthly_statistics(scenario(), POLICY, AS_OF)
    text = statistics_csv(rows)
    header = text.splitlines()[0]
    assert header == (
        "unit_code,unit_name,month,grievances_received,grievances_accepted,grievances_transferred,"
        "grievances_concluded,grievances_against_unit,inspections_opened,inspections_of_unit,notices_issued,"
        "decisions_issued,major_penalties_filed,normative_documents_filed,deadlines_met,deadlines_met_late,"
        "deadlines_breached,findings_art7,findings_art8,findings_art11,findings_art16,findings_art17,findings_art18,"
        "findings_integrity,findings_other,reported_grievances_received,reported_grievances_accepted,"
        "reported_grievances_transferred,reported_grievances_concluded,reported_inspections_opened,"
        "reported_notices_issued,reported_decisions_issued,reported_major_penalties_filed,"
        "reported_normative_documents_filed"
    )
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert len(parsed) == len(rows) == 4 and tuple(parsed[0]) == COLUMNS
    county = next(p for p in parsed if p["unit_code"] == COUNTY["code"])
    assert (county["findings_art11"], county["findings_art16"], county["reported_grievances_received"]) == (
        "1",
        "0",
        "2",
    )
    body = next(p for p in parsed if p["unit_code"] == BODY["code"])
    assert (body["month"], body["grievances_received"], body["reported_grievances_received"]) == ("2026-09", "2", "")
    assert statistics_csv([]) == header + "\n"
