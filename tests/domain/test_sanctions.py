"""A sanction must be one its article provides (第十六条 persons and units, 第十七条 the supervision body), per
rule set: the `sanctions` tables of the rule set data, as the ledger checks them at posting."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from esledger.domain.rules import rulesets_from
from esledger.domain.sanctions import SanctionTable, sanction_table
from esledger.domain.validation import RuleDataError

from .builders import RULE_SCHEMAS, SCHEMAS

SEED = "rules/ruleset-2020-11-17.json"
TIAOLI = "《行政执法监督条例》"


def seed() -> dict[str, Any]:
    return copy.deepcopy(SCHEMAS.read_json(SEED))


def later(**changes: Any) -> dict[str, Any]:
    """A rule set of the seed's rules under the 条例 from 2027-01-01, listing 条例 第三十九条 only."""
    document = seed() | {"id": "later-2027", "effective_from": "2027-01-01", "law": TIAOLI}
    document["sanctions"] = [
        {
            "law": TIAOLI,
            "article": "39",
            "quote": "依法给予处分",
            "kinds": ["order_to_correct", "disciplinary_sanction"],
        }
    ]
    return document | changes


def table(*documents: dict[str, Any]) -> SanctionTable:
    named = [(d["id"], d) for d in documents]
    return sanction_table(named, rulesets_from(named, RULE_SCHEMAS))


def sanction(kind: str, article: str, **more: str) -> dict[str, str]:
    return {"sanction": kind, "article": article, "imposed_by": "…"} | more


def test_art16_provides_persons_and_units_sanctions_but_not_loss_of_supervision_qualification() -> None:
    """Seed 第十六条 (rule set jingzhou-zfjd-2020-11-17): 取消行政执法监督检查资格 is 第十七条's."""
    sanctions = table(seed())
    on = date(2025, 6, 1)
    for kind in (
        "criticism_and_education",
        "loss_of_enforcement_qualification",
        "administrative_sanction",
        "circulated_criticism",
        "responsible_person_accountability",
    ):
        assert sanctions.refusal(sanction(kind, "16"), on) is None, kind
    refusal = sanctions.refusal(sanction("loss_of_supervision_qualification", "16"), on)
    assert refusal is not None and (refusal.pointer, refusal.rule) == ("/data/sanction", "sanction-kind")
    assert refusal.detail.startswith("第十六条 provides 批评教育 (criticism_and_education)、")
    assert "取消行政执法监督检查资格 (loss_of_supervision_qualification) is not one of them" in refusal.detail
    assert "jingzhou-zfjd-2020-11-17" in refusal.detail
    assert sanctions.refusal(sanction("loss_of_supervision_qualification", "17"), on) is None


def test_art17_provides_no_criticism_and_education_and_art18_no_sanction_at_all() -> None:
    sanctions, on = table(seed()), date(2025, 6, 1)
    refusal = sanctions.refusal(sanction("criticism_and_education", "17"), on)
    assert refusal is not None and "第十七条 provides 通报批评 (circulated_criticism)" in refusal.detail
    refusal = sanctions.refusal(sanction("circulated_criticism", "18"), on)
    assert refusal is not None and "第十八条 provides no sanction" in refusal.detail
    assert "the articles that do: 第十六条、第十七条" in refusal.detail


def test_a_later_rule_set_carries_the_seeds_articles_forward_and_adds_its_own() -> None:
    """From 2027-01-01 under `later-2027`: a sanction naming no rule set cites the seed's numbering (carried
    forward); one naming the set cites its own text, the 条例."""
    sanctions, on = table(seed(), later()), date(2027, 3, 1)
    refusal = sanctions.refusal(sanction("loss_of_supervision_qualification", "16"), on)
    assert (
        refusal is not None and "(rule set jingzhou-zfjd-2020-11-17, carried forward by later-2027)" in refusal.detail
    )
    named = {"rule_set": "later-2027"}
    assert sanctions.refusal(sanction("disciplinary_sanction", "39", **named), on) is None
    refusal = sanctions.refusal(sanction("criticism_and_education", "39", **named), on)
    assert refusal is not None and refusal.detail.startswith("《行政执法监督条例》第三十九条 provides 责令限期改正")
    # the seed's 第十六条 named explicitly in 2027: its own table
    assert sanctions.refusal(sanction("criticism_and_education", "16", rule_set="jingzhou-zfjd-2020-11-17"), on) is None


def test_an_unknown_rule_set_is_refused_and_a_text_no_set_lists_constrains_nothing() -> None:
    sanctions = table(seed(), later())
    refusal = sanctions.refusal(sanction("criticism_and_education", "16", rule_set="nope"), date(2027, 3, 1))
    assert refusal is not None and (refusal.pointer, refusal.rule) == ("/data/rule_set", "rule-set")
    assert "known: jingzhou-zfjd-2020-11-17, later-2027" in refusal.detail
    unlisted = seed()
    del unlisted["sanctions"]
    assert table(unlisted).refusal(sanction("loss_of_supervision_qualification", "16"), date(2025, 6, 1)) is None
    assert table(seed()).refusal(sanction("criticism_and_education", "16"), date(2019, 1, 1)) is None  # no set


def test_an_article_listed_twice_is_refused_and_kinds_are_checked_by_the_schema() -> None:
    twice = seed()
    twice["sanctions"].append(twice["sanctions"][0])
    with pytest.raises(RuleDataError, match=r"/sanctions/3: 第十六条 \(paragraph 1\) is listed twice"):
        table(twice)
    unknown = seed()
    unknown["sanctions"][0]["kinds"] = ["fine"]
    with pytest.raises(RuleDataError, match="/sanctions/0/kinds/0"):
        table(unknown)


def test_the_published_tables_match_the_schema_enum_of_case_sanction_imposed() -> None:
    """Every kind the rule set schema admits is a value of case.sanction_imposed's current schema."""
    enum = SCHEMAS.read_json("events/case.sanction_imposed.v2.schema.json")["properties"]["sanction"]["enum"]
    assert SCHEMAS.read_json("rules/ruleset.schema.json")["$defs"]["sanction_kind"]["enum"] == enum


def tiaoli() -> dict[str, Any]:
    return copy.deepcopy(SCHEMAS.read_json("rules/ruleset-2026-02-01.json"))


@pytest.mark.parametrize(
    ("article", "cited", "allowed", "refused"),
    [
        ("32", "第三十二条", ["off_duty_education", "removal_from_enforcement_post"], "criminal_liability"),
        ("39", "第三十九条", ["order_to_correct", "disciplinary_sanction"], "circulated_criticism"),
        ("40", "第四十条", ["disciplinary_sanction", "criminal_liability"], "order_to_correct"),
        ("41", "第四十一条", ["disciplinary_sanction"], "loss_of_enforcement_qualification"),
    ],
)
def test_tiaoli_2026_articles_32_and_39_to_41_provide_their_own_measures(
    article: str, cited: str, allowed: list[str], refused: str
) -> None:
    """条例 第三十二条 (批评教育、离岗教育、调离执法岗位、取消执法资格), 第三十九条 (责令限期改正; 拒不改正 → 处分),
    第四十条 (处分; 刑事责任), 第四十一条 (处分), rule set tiaoli-2026-02-01 named on the sanction."""
    sanctions, on = table(seed(), tiaoli()), date(2026, 3, 2)
    named = {"rule_set": tiaoli()["id"]}
    for kind in allowed:
        assert sanctions.refusal(sanction(kind, article, **named), on) is None, kind
    refusal = sanctions.refusal(sanction(refused, article, **named), on)
    assert refusal is not None and (refusal.pointer, refusal.rule) == ("/data/sanction", "sanction-kind")
    assert refusal.detail.startswith(f"《行政执法监督条例》{cited} provides ")


def test_tiaoli_2026_carries_the_seeds_art16_forward_for_sanctions_naming_no_rule_set() -> None:
    """Seed 第十六条 under rule set tiaoli-2026-02-01 (in force 2026-03-02): 取消行政执法监督检查资格 is still
    refused; the 2026 set lists only the 条例's articles, so the seed's entries carry forward."""
    sanctions = table(seed(), tiaoli())
    refusal = sanctions.refusal(sanction("loss_of_supervision_qualification", "16"), date(2026, 3, 2))
    assert refusal is not None and "carried forward by tiaoli-2026-02-01" in refusal.detail


def test_a_sanction_citing_a_rule_set_not_yet_in_force_on_its_day_is_refused() -> None:
    """Rule set tiaoli-2026-02-01 (《行政执法监督条例》, in force 2026-02-01, seed 第十九条): a sanction imposed on
    2025-12-20 cannot rest on 条例 第三十九条; the refusal names the set that was in force. From the 条例's
    first day (Beijing) it stands."""
    sanctions = table(seed(), tiaoli())
    data = sanction("disciplinary_sanction", "39", rule_set=tiaoli()["id"])
    refusal = sanctions.refusal(data, date(2025, 12, 20))
    assert refusal is not None and (refusal.pointer, refusal.rule) == ("/data/rule_set", "rule-set")
    assert "takes effect on 2026-02-01" in refusal.detail and "cite jingzhou-zfjd-2020-11-17" in refusal.detail
    assert sanctions.refusal(data, date(2026, 1, 31)) is not None
    assert sanctions.refusal(data, date(2026, 2, 1)) is None
