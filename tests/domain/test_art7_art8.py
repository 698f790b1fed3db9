"""第七条 (record filing: file within 30 days; correct or revoke as the review opinion says) and
第八条 (major penalty: file within 15 days of the decision) — worked by hand on the 2026 calendar."""

from __future__ import annotations

from datetime import date

from esledger.domain.deadlines import Status

from .builders import BODY, CITY, COUNTY, Case, deadlines, due, only

DOC = "沙政数规〔2026〕2号"
DECISION = "沙政数罚决〔2026〕8号"


def published(when: str) -> Case:
    case = Case("record-filing-1", "record_filing")
    case.add(
        "normative_document.published",
        when,
        issuing_unit=COUNTY,
        document={"number": DOC, "title": "关于公共资源交易的规定", "issued_on": when[:10]},
        document_kind="normative_document",
    )
    return case


def file_document(case: Case, when: str, number: str = DOC) -> int:
    return case.add(
        "normative_document.filed",
        when,
        filing_unit=COUNTY,
        document_number=number,
        filed_with=BODY,
        materials=["备案报告"],
    )


def review(case: Case, when: str, outcome: str = "correct", **period: object) -> int:
    return case.add(
        "normative_document.review_concluded",
        when,
        document_number=DOC,
        outcome=outcome,
        opinion="第三条应予修改",
        **period,
    )


def corrected(case: Case, when: str) -> int:
    return case.add(
        "normative_document.corrected",
        when,
        document_number=DOC,
        corrected_document={"number": DOC + "（修订）"},
        description="已修改第三条",
    )


def revoked(case: Case, when: str) -> int:
    return case.add(
        "normative_document.revoked", when, document_number=DOC, revocation_document={"number": "沙政数废〔2026〕1号"}
    )


def decided(when: str) -> Case:
    case = Case("penalty-1", "major_penalty_filing")
    case.add(
        "major_penalty.decided",
        when,
        deciding_unit=COUNTY,
        decision_document={"number": DECISION, "title": "行政处罚决定书", "issued_on": when[:10]},
        penalty_kinds=["large_fine"],
        party={"name": "某公司", "kind": "legal_person"},
        fine_amount_fen=50_000_000,
    )
    return case


def file_penalty(case: Case, when: str, number: str = DECISION) -> int:
    return case.add(
        "major_penalty.filed",
        when,
        filing_unit=COUNTY,
        decision_document_number=number,
        filed_with=BODY,
        explanatory_materials=["说明"],
    )


# --- art7.file: filed within 30 days of publication ---


def test_art7_file_published_0904_rolls_past_national_day_filed_1008_met() -> None:
    # 09-04 + 30 = 10-04 (国庆) -> 10-05..10-07 国庆 -> 10-08
    case = published("2026-09-04")
    v = file_document(case, "2026-10-08")
    d = only(case, "art7.file")
    assert (d.period.raw_last_day, d.due) == (date(2026, 10, 4), due("2026-10-08"))
    assert (d.status, d.fulfilment_version, d.responsible) == (Status.MET, v, "county_bureau")


def test_art7_file_published_0122_rolls_past_spring_festival_filed_0225_late() -> None:
    # 01-22 + 30 = 02-21 (春节, Sat) -> 02-22, 02-23 春节 -> 02-24; filed 02-25
    case = published("2026-01-22")
    file_document(case, "2026-02-25")
    d = only(case, "art7.file")
    assert d.due == due("2026-02-24")
    assert d.status is Status.MET_LATE
    assert d.candidate_finding.article == "7"


def test_art7_file_published_late_utc_0820_is_beijing_0821_due_make_up_sunday_0920() -> None:
    # 2026-08-20T16:00Z = 08-21 00:00 Beijing; + 30 = 09-20 (Sunday worked) -> due 09-20 24:00.
    # Filed 2026-09-20T16:30Z: 09-20 in UTC, 09-21 00:30 in Beijing -> late
    case = published("2026-08-20T16:00:00Z")
    file_document(case, "2026-09-20T16:30:00Z")
    d = only(case, "art7.file")
    assert d.period.start_day == date(2026, 8, 21)
    assert d.due == due("2026-09-20")
    assert d.status is Status.MET_LATE


def test_art7_file_published_1210_reaches_2027_provisional() -> None:
    # 12-10 + 30 = 2027-01-09 (Sat, provisional) -> 01-10 Sun -> 2027-01-11
    case = published("2026-12-10")
    d = only(case, "art7.file", as_of="2027-01-20")
    assert d.due == due("2027-01-11")
    assert (d.status, d.provisional) == (Status.PROVISIONAL, True)


def test_art7_file_filing_of_another_document_does_not_count() -> None:
    case = published("2026-09-04")
    file_document(case, "2026-09-10", number="沙政数规〔2026〕9号")
    assert only(case, "art7.file", as_of="2026-10-20").status is Status.BREACHED


# --- art7.correct: correct or revoke within the period the review opinion sets ---


def test_art7_correct_due_date_1003_in_national_day_rolls_to_1008_corrected_1008_met() -> None:
    case = published("2026-09-01")
    review(case, "2026-09-15", correction_due_date="2026-10-03")
    v = corrected(case, "2026-10-08")
    d = only(case, "art7.correct")
    assert (d.period.raw_last_day, d.due) == (date(2026, 10, 3), due("2026-10-08"))
    assert (d.status, d.fulfilment_version) == (Status.MET, v)
    assert (
        "last day 2026-10-03 set by /data/correction_due_date of normative_document.review_concluded (version 2)"
        in [s.text for s in d.period.steps]
    )


def test_art7_correct_15_days_from_0203_rolls_past_spring_festival_revocation_fulfils() -> None:
    # correction_period_days 15: 02-03 + 15 = 02-18 (春节) -> 02-24; revoking also answers a correct opinion
    case = published("2026-01-10")
    review(case, "2026-02-03", correction_period_days=15)
    v = revoked(case, "2026-02-24")
    d = only(case, "art7.correct")
    assert d.due == due("2026-02-24")
    assert (d.status, d.fulfilment_version) == (Status.MET, v)


def test_art7_correct_concluded_late_utc_0920_30_days_corrected_at_beijing_1022_is_late() -> None:
    # 2026-09-20T17:30Z = 09-21; + 30 = 10-21 (Wed); corrected 2026-10-21T16:05Z = 10-22 00:05 Beijing
    case = published("2026-09-01")
    review(case, "2026-09-20T17:30:00Z", correction_period_days=30)
    corrected(case, "2026-10-21T16:05:00Z")
    d = only(case, "art7.correct")
    assert d.due == due("2026-10-21")
    assert d.status is Status.MET_LATE


def test_art7_correct_due_date_20270101_is_provisional() -> None:
    # 2027-01-01 元旦 (provisional), 01-02 Sat, 01-03 Sun -> 2027-01-04
    case = published("2026-12-01")
    review(case, "2026-12-15", outcome="revoke", correction_due_date="2027-01-01")
    d = only(case, "art7.correct", as_of="2027-01-05")
    assert d.due == due("2027-01-04")
    assert (d.status, d.provisional) == (Status.PROVISIONAL, True)


def test_art7_correct_both_due_date_and_days_the_later_applies() -> None:
    # due date 09-30 vs 09-15 + 20 = 10-05 (国庆) -> 10-08: the later, 10-08
    case = published("2026-09-01")
    review(case, "2026-09-15", correction_due_date="2026-09-30", correction_period_days=20)
    d = only(case, "art7.correct", as_of="2026-09-16")
    assert d.due == due("2026-10-08")
    assert d.period.steps[-1].kind == "chosen"


def test_art7_correct_opinion_without_a_period_sets_no_deadline() -> None:
    case = published("2026-09-01")
    review(case, "2026-09-15")
    d = only(case, "art7.correct")
    assert (d.status, d.period) == (Status.NOT_APPLICABLE, None)
    assert d.reason == "no period: /data/correction_due_date, /data/correction_period_days not set"


def test_art7_correct_no_objection_gives_no_deadline_and_correction_does_not_answer_revoke() -> None:
    case = published("2026-09-01")
    review(case, "2026-09-10", outcome="no_objection")
    assert deadlines(case, "art7.correct") == []
    case = published("2026-09-01")
    review(case, "2026-09-10", outcome="revoke", correction_due_date="2026-09-30")
    corrected(case, "2026-09-20")
    assert only(case, "art7.correct").status is Status.BREACHED


# --- art8.file: a major penalty decision filed within 15 days ---


def test_art8_file_decided_0922_rolls_past_national_day_filed_1009_late() -> None:
    # 09-22 + 15 = 10-07 (国庆) -> 10-08; filed 10-09
    case = decided("2026-09-22")
    v = file_penalty(case, "2026-10-09")
    d = only(case, "art8.file")
    assert d.due == due("2026-10-08")
    assert (d.status, d.fulfilment_version) == (Status.MET_LATE, v)
    assert d.candidate_finding.article == "8"


def test_art8_file_decided_0208_rolls_past_spring_festival_filed_0224_met() -> None:
    # 02-08 + 15 = 02-23 (春节, Mon) -> 02-24
    case = decided("2026-02-08")
    file_penalty(case, "2026-02-24")
    d = only(case, "art8.file")
    assert d.due == due("2026-02-24")
    assert d.status is Status.MET


def test_art8_file_decided_late_utc_0924_is_beijing_0925_due_make_up_saturday_1010() -> None:
    # 2026-09-24T16:30Z = 09-25 00:30 Beijing; + 15 = 10-10 (Saturday worked). Counting from the UTC
    # date would have given 10-09; filed 10-10 is in time.
    case = decided("2026-09-24T16:30:00Z")
    file_penalty(case, "2026-10-10")
    d = only(case, "art8.file")
    assert d.due == due("2026-10-10")
    assert d.status is Status.MET


def test_art8_file_decided_1217_reaches_2027_provisional_met() -> None:
    # 12-17 + 15 = 2027-01-01 (元旦, provisional) -> 2027-01-04
    case = decided("2026-12-17")
    file_penalty(case, "2027-01-04")
    d = only(case, "art8.file")
    assert d.due == due("2027-01-04")
    assert (d.status, d.provisional) == (Status.MET, True)


def test_art8_file_another_decision_number_does_not_count() -> None:
    case = decided("2026-09-01")
    file_penalty(case, "2026-09-02", number="沙政数罚决〔2026〕9号")
    assert only(case, "art8.file", as_of="2026-10-01").status is Status.BREACHED


# --- readings confirmed against the seed (issue 10), rule set jingzhou-zfjd-2020-11-17 ---


def test_art7_file_binds_only_county_bureaus_the_city_bureau_and_unlisted_units_are_not_accused() -> None:
    """第七条: 县市区政务数据局（公共资源局）制定的规范性文件 — the city bureau's own document, or one of a unit the
    registry does not list, sets no 30-day filing duty (and so never a breach the seed does not support)."""
    for unit, says in ((CITY, "不属于本条约束的单位"), ({"code": "X-UNLISTED", "name": "某单位"}, "不在单位名录中")):
        case = Case("record-filing-city", "record_filing")
        case.add(
            "normative_document.published",
            "2026-03-02",
            issuing_unit=unit,
            document={"number": DOC, "title": "规定", "issued_on": "2026-03-02"},
            document_kind="normative_document",
        )
        d = only(case, "art7.file", as_of="2026-06-01")
        assert (d.status, d.candidate_finding) == (Status.NOT_APPLICABLE, None)
        assert says in (d.reason or "")
    county = published("2026-03-02")
    assert only(county, "art7.file", as_of="2026-06-01").status is Status.BREACHED


def test_art8_file_binds_only_county_bureaus_the_city_bureau_and_a_trading_centre_are_not_accused() -> None:
    """第八条 (rule sets jingzhou-zfjd-2020-11-17 and tiaoli-2026-02-01, which carries it forward):
    县市区政务数据局（公共资源局）作出…重大行政处罚决定的 — only a county bureau's decision must be 抄报 within 15
    days; the city bureau's own decision, or an unlisted unit's, sets no duty and never a finding."""
    for when in ("2025-09-01", "2026-03-02"):
        for unit, says in (
            (CITY, "不属于本条约束的单位"),
            ({"code": "X-UNLISTED", "name": "某单位"}, "不在单位名录中"),
        ):
            case = Case("penalty-city", "major_penalty_filing")
            case.add(
                "major_penalty.decided",
                when,
                deciding_unit=unit,
                decision_document={"number": DECISION, "title": "行政处罚决定书", "issued_on": when},
                penalty_kinds=["large_fine"],
            )
            d = only(case, "art8.file", as_of="2026-12-01")
            assert (d.status, d.candidate_finding) == (Status.NOT_APPLICABLE, None), (when, unit)
            assert says in (d.reason or "")
        assert only(decided(when), "art8.file", as_of="2026-12-01").status is Status.BREACHED


def test_art8_file_without_explanatory_materials_does_not_fulfil() -> None:
    """第八条: 抄报处罚决定书和必要的说明材料 — a filing with no explanatory materials is not the filing the article
    requires: decided 03-02 (+15 = 03-17), filed 03-05 without materials, nothing more: breached."""
    case = decided("2026-03-02")
    case.add(
        "major_penalty.filed",
        "2026-03-05",
        filing_unit=COUNTY,
        decision_document_number=DECISION,
        filed_with=BODY,
        explanatory_materials=[],
    )
    d = only(case, "art8.file", as_of="2026-03-20")
    assert (d.status, d.fulfilment_version) == (Status.BREACHED, None)
    complete = file_penalty(case, "2026-03-16")
    assert only(case, "art8.file", as_of="2026-03-20").fulfilment_version == complete
