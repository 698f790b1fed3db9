"""第十五条 as a deadline: a confirmed suspected violation, breach of discipline or crime is to be referred.

第十五条 asks for referral "依法及时" and sets no number of days, so the period is local policy
(`casefile.Policy.referral_days`, ESLEDGER_REFERRAL_DAYS), added in code to every rule set that has no rule
`art15.refer` of its own, like 17(二)'s `art11.notice`.

Readings:
- The trigger is a person's case.finding_determined (version 2) that is `confirmed` and states
  `referral_grounds`: the system never guesses that a finding is a suspected violation or crime.
- A case.referral_made on the same case with the same grounds fulfils it (a suspected crime is referred to a
  judicial organ, a suspected violation or breach of discipline to the competent department or the
  supervisory commission — `referred_to` is the referring body's choice and is not checked); one referral
  answers every determination before it with those grounds.
- A later determination that dismisses the same finding makes the duty not applicable; a later confirmation
  of it does not restart the period.
- Missed, it is 17(二) (放任: 明知行政执法机关或工作人员有执法违法行为而采取放任态度), for the supervision body.
  The 条例 treats the same failure under its 第三十九条 (不依法履职); a rule set citing the 条例 for it
  defines `art15.refer` in its own data, and this code rule then stays out of that set.
"""

from __future__ import annotations

from datetime import date

from esledger.domain.periods import Counting
from esledger.domain.rules import ActPattern, Basis, Cancellation, Condition, Count, OnBreach, Rule

ART15_REFER = "art15.refer"
DETERMINED = "case.finding_determined"


def referral_rule(days: int, counting: Counting, effective_from: date) -> Rule:
    """第十五条: a confirmed determination stating referral grounds is to be referred within `days`."""
    return Rule(
        id=ART15_REFER,
        article=15,
        paragraph=1,
        title="涉嫌违法违纪、犯罪的依法及时移送",
        quote="在行政执法监督中发现行政执法机关及其行政执法人员涉嫌违法违纪的，应当依法及时移送有关主管部门或者"
        "监察机关处理；发现行政执法机关及其行政执法人员涉嫌犯罪的，应当依法及时移送司法机关处理。",
        trigger=ActPattern(
            DETERMINED,
            when=(
                Condition("/data/determination", ("confirmed",)),
                Condition("/data/referral_grounds", non_empty=True),
            ),
        ),
        anchor=None,
        related=None,
        period=Count(days, counting),
        fulfilled_by=(ActPattern("case.referral_made", match=(("/data/grounds", "/data/referral_grounds"),)),),
        not_applicable_when=(
            Cancellation(
                ActPattern(
                    DETERMINED,
                    when=(Condition("/data/determination", ("dismissed",)),),
                    match=(("/data/finding_id", "/data/finding_id"),),
                ),
                "该问题其后被认定排除，无须移送",
            ),
        ),
        superseded_by=None,
        responsible="supervision_body",
        on_breach=OnBreach("17", ("二",), "确认涉嫌违法违纪或者犯罪后未在期限内移送（明知有执法违法行为而放任）"),
        basis=Basis.LOCAL_POLICY,
        basis_note=f"第十五条要求“依法及时移送”，未规定日数；{days}日为本地政策（Policy.referral_days），部署可调整。",
        effective_from=effective_from,
        shared_fulfilment=True,
    )
