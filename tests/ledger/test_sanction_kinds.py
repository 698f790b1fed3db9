"""A sanction of a kind its article does not provide is refused at posting (第十六条, 第十七条; the rule sets'
`sanctions` tables), with a problem naming the article and the kinds it provides; nothing is stored."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from tests.helpers import BATCH, CE, UNIT, body, ce, head, received

SUBJECT = "GR-SANCTION-1"
OFFICER = {"name": "黄某", "role": "执法大队大队长", "enforcement_cert_no": "鄂执421002-0108", "unit": UNIT}


def sanctioned(kind: str, article: str, time: str = "2026-09-25T10:00:00+08:00", **more: Any) -> dict[str, Any]:
    data = {"sanction": kind, "article": article, "subject_person": OFFICER, "imposed_by": UNIT} | more
    return ce("case.sanction_imposed", SUBJECT, data, time=time)


async def opened(client: AsyncClient) -> int:
    response = await client.post("/v1/events", content=body(received(SUBJECT)), headers=CE)
    assert response.status_code == 201, response.text
    return await head(client)


async def test_loss_of_supervision_qualification_under_art16_is_refused_naming_the_article_and_its_kinds(
    client: AsyncClient,
) -> None:
    """取消行政执法监督检查资格 is 第十七条's; under 第十六条 (seed, carried forward in 2026) it is refused."""
    before = await opened(client)
    response = await client.post(
        "/v1/events", content=body(sanctioned("loss_of_supervision_qualification", "16")), headers=CE
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("/validation-failed")
    [error] = problem["errors"]
    assert (error["pointer"], error["rule"]) == ("#/data/sanction", "sanction-kind")
    assert error["detail"].startswith("第十六条 provides 批评教育 (criticism_and_education)")
    for kind in ("loss_of_enforcement_qualification", "administrative_sanction", "responsible_person_accountability"):
        assert kind in error["detail"]
    assert "取消行政执法监督检查资格 (loss_of_supervision_qualification) is not one of them" in error["detail"]
    assert await head(client) == before


async def test_an_article_without_sanctions_and_an_unknown_rule_set_are_refused(client: AsyncClient) -> None:
    before = await opened(client)
    response = await client.post("/v1/events", content=body(sanctioned("circulated_criticism", "18")), headers=CE)
    [error] = response.json()["errors"]
    assert response.status_code == 422 and "第十八条 provides no sanction" in error["detail"]
    unknown = sanctioned("circulated_criticism", "17", rule_set="jingzhou-1999")
    response = await client.post("/v1/events", content=body(unknown), headers=CE)
    [error] = response.json()["errors"]
    assert (response.status_code, error["pointer"], error["rule"]) == (422, "#/data/rule_set", "rule-set")
    assert await head(client) == before


async def test_the_kinds_an_article_provides_are_stored(client: AsyncClient) -> None:
    """第十六条 批评教育 and 取消行政执法资格 of a person, 第十七条 取消行政执法监督检查资格; a version 1 event is
    checked the same way; a version 2 naming the seed's rule set in 2026 answers to its table."""
    await opened(client)
    posted = [
        sanctioned("criticism_and_education", "16"),
        sanctioned("loss_of_enforcement_qualification", "16")
        | {"dataschema": "urn:zfjd:schema:case.sanction_imposed:1"},
        sanctioned("loss_of_supervision_qualification", "17", rule_set="jingzhou-zfjd-2020-11-17"),
    ]
    for event in posted:
        response = await client.post("/v1/events", content=body(event), headers=CE)
        assert response.status_code == 201, response.text
    timeline = (await client.get(f"/v1/cases/{SUBJECT}/events")).json()["records"]
    assert [r["event"]["data"]["sanction"] for r in timeline[1:]] == [
        "criticism_and_education",
        "loss_of_enforcement_qualification",
        "loss_of_supervision_qualification",
    ]


async def test_a_batch_with_one_refused_sanction_stores_nothing(client: AsyncClient) -> None:
    before = await opened(client)
    batch = [sanctioned("criticism_and_education", "16"), sanctioned("criminal_liability", "16")]
    response = await client.post("/v1/events:batch", content=body(batch), headers=BATCH)
    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert (error["pointer"], error["rule"]) == ("#/1/data/sanction", "sanction-kind")
    assert "依法追究刑事责任 (criminal_liability) is not one of them" in error["detail"]
    assert await head(client) == before


async def test_version_2_admits_the_tiaoli_measures_and_version_1_does_not(client: AsyncClient) -> None:
    """处分 (条例 39–41) is a value of version 2 only; under 第十七条 it is not a kind the article provides."""
    await opened(client)
    v1 = sanctioned("disciplinary_sanction", "17") | {"dataschema": "urn:zfjd:schema:case.sanction_imposed:1"}
    response = await client.post("/v1/events", content=body(v1), headers=CE)
    assert response.status_code == 422 and response.json()["errors"][0]["rule"] == "enum"
    response = await client.post("/v1/events", content=body(sanctioned("disciplinary_sanction", "17")), headers=CE)
    assert response.status_code == 422 and response.json()["errors"][0]["rule"] == "sanction-kind"
