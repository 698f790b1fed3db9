"""Which kinds of sanction an article provides, per rule set: a sanction of another kind is refused at posting.

A rule set document's `sanctions` table lists, per text (`law`; none: the seed) and article, the kinds its
article provides (第十六条: persons 批评教育, 取消行政执法资格, 行政处分; units 通报批评, 追究负责人的行政责任;
第十七条: 通报批评, 责令限期改正, 取消行政执法监督检查资格, 行政处分, 依法追究刑事责任); the entries of one
article (its paragraphs) are united.

Readings:
- The table a case.sanction_imposed answers to is the one of the rule set it names (`rule_set`, version 2),
  else of the rule set in force on the Beijing day it occurred. Its article is numbered by the named set's
  own text, else by the seed's (findings.py, "Rule sets and laws"): a 2026 sanction naming no rule set
  cites the seed's 第十六条 carried forward.
- A rule set that lists no article of a text carries the latest earlier set's entries for that text forward
  (the 2026 set need only add the 条例's own articles); a text no set lists constrains nothing.
- Within a text that has entries, an article without any provides no sanction: a sanction citing it is
  refused too, naming the articles that do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from esledger.domain.findings import SANCTIONS
from esledger.domain.presentation import article_text
from esledger.domain.rules import RuleSet, ruleset_in_force
from esledger.domain.validation import raise_if_problems


@dataclass(frozen=True)
class Provision:
    """An article (or one of its paragraphs) of a text, and the kinds of sanction it provides."""

    law: str | None
    article: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Refusal:
    """Why a sanction is refused: the field (a JSON Pointer into the CloudEvent), the rule and what to do."""

    pointer: str
    rule: str
    detail: str


@dataclass(frozen=True)
class SanctionTable:
    """Every rule set (oldest first) and the provisions each lists."""

    rulesets: tuple[RuleSet, ...]
    provisions: Mapping[str, tuple[Provision, ...]]

    def refusal(self, data: Mapping[str, Any], day: date) -> Refusal | None:
        """Why this case.sanction_imposed (its data, and the Beijing day it occurred) is not a sanction its
        article provides; None when it is, or when nothing constrains it."""
        named = data.get("rule_set")
        if isinstance(named, str):
            ruleset = next((s for s in self.rulesets if s.id == named), None)
            if ruleset is None:
                known = ", ".join(s.id for s in self.rulesets)
                return Refusal("/data/rule_set", "rule-set", f"{named!r} is not a rule set; known: {known}")
            if ruleset.effective_from > day:
                in_force = ruleset_in_force(self.rulesets, day)
                instead = f"cite {in_force.id}, in force then" if in_force else "no rule set was in force then"
                return Refusal(
                    "/data/rule_set",
                    "rule-set",
                    f"{named!r} takes effect on {ruleset.effective_from}, after the sanction's day {day} "
                    f"(Beijing): {instead}",
                )
            law = ruleset.law
        else:
            ruleset, law = ruleset_in_force(self.rulesets, day), None
        found = self._entries(ruleset, law) if ruleset else None
        if ruleset is None or found is None:
            return None
        source, entries = found
        kind, article = str(data.get("sanction", "")), str(data.get("article", ""))
        kinds = tuple(dict.fromkeys(k for p in entries if p.article == article for k in p.kinds))
        if kind in kinds:
            return None
        cited = article_text(article, (), law)
        where = f"rule set {source.id}" + ("" if source is ruleset else f", carried forward by {ruleset.id}")
        if not kinds:
            providing = "、".join(article_text(a, (), law) for a in dict.fromkeys(p.article for p in entries))
            detail = f"{cited} provides no sanction ({where}); the articles that do: {providing}"
        else:
            detail = (
                f"{cited} provides {_kinds(kinds)} ({where}); "
                f"{_kinds((kind,))} is not one of them: cite the article that provides it, or impose one of these"
            )
        return Refusal("/data/sanction", "sanction-kind", detail)

    def _entries(self, ruleset: RuleSet, law: str | None) -> tuple[RuleSet, tuple[Provision, ...]] | None:
        """The text's entries that apply under the rule set, with the set listing them: its own, else the
        latest earlier set's that lists the text; None when no set does."""
        for s in reversed(self.rulesets):
            entries = tuple(p for p in self.provisions.get(s.id, ()) if p.law == law)
            if s.effective_from <= ruleset.effective_from and entries:
                return s, entries
        return None


def sanction_table(documents: Iterable[tuple[str, Any]], rulesets: Sequence[RuleSet]) -> SanctionTable:
    """The `sanctions` tables of rule set documents (origin, document) already checked against their schema
    and read as `rulesets`; an article (or paragraph) listed twice in one set is refused."""
    provisions: dict[str, tuple[Provision, ...]] = {}
    for origin, document in documents:
        listed = document.get("sanctions", [])
        keys = [(p.get("law"), p["article"], p.get("paragraph")) for p in listed]
        raise_if_problems(
            origin,
            [
                f"/sanctions/{i}: {article_text(article, (), law)} (paragraph {paragraph}) is listed twice"
                for i, (law, article, paragraph) in enumerate(keys)
                if keys.index((law, article, paragraph)) != i
            ],
        )
        provisions[document["id"]] = tuple(Provision(p.get("law"), p["article"], tuple(p["kinds"])) for p in listed)
    return SanctionTable(tuple(sorted(rulesets, key=lambda s: s.effective_from)), provisions)


def _kinds(kinds: Iterable[str]) -> str:
    return "、".join(f"{SANCTIONS.get(k, k)} ({k})" for k in kinds)
