"""How much an article is about cloud growth, capex or AI infrastructure: a score and reasons.

This is the high-volume path: most articles are about something else and must be dropped
before tagging and extraction. :meth:`RelevanceScorer.terms` is one regex pass over the
folded text; an article with no term at all is dropped without looking further.

Usage::

    scorer = RelevanceScorer()
    relevance = scorer.score(folded.text, mentions)
    relevance.relevant, relevance.reasons     # True, ('term:资本开支', 'number+metric', ...)
"""

from __future__ import annotations

import re

from agents.news.lexicon import compile_terms
from agents.news.normalise import spellings
from schemas.news import Mention, Relevance

#: Term -> (family, weight). A family counts once, so ten mentions of 云 are not ten reasons.
TERMS: dict[str, tuple[str, float]] = {
    **{t: ("cloud", 0.3) for t in ("云计算", "云业务", "云服务", "云智能", "阿里云", "公有云", "cloud", "aws", "azure",
                                   "智能云", "云收入", "云厂商", "hyperscaler", "hyperscalers")},
    **{t: ("capex", 0.35) for t in ("资本开支", "资本支出", "资本性支出", "capex", "capital expenditure",
                                    "capital expenditures", "capital spending")},
    **{t: ("ai_infra", 0.25) for t in ("ai基础设施", "人工智能基础设施", "数据中心", "算力", "gpu", "芯片", "服务器",
                                       "ai infrastructure", "data center", "data centers", "data centre",
                                       "data centres", "chips", "accelerators", "大模型", "ai硬件")},
    **{t: ("growth", 0.15) for t in ("收入增长", "营收增长", "增速", "revenue growth", "revenue rose", "revenue grew",
                                     "sales rose", "sales grew", "加速增长", "reaccelerat")},
    **{t: ("comparison", 0.1) for t in ("同比", "环比", "按年", "yoy", "year-over-year", "year-on-year",
                                        "from a year earlier", "a year earlier")},
    **{t: ("results", 0.15) for t in ("财报", "业绩", "季度", "财季", "财年", "quarter", "quarterly", "earnings",
                                      "fiscal")},
    **{t: ("cash", 0.15) for t in ("自由现金流", "free cash flow", "利润率", "margin", "ebita")},
}
_TERMS = compile_terms(TERMS)
# The gate in front of folding: every spelling (simplified, traditional) of every term, searched
# in the raw text lower-cased. Multi-word Latin terms are reduced to their longest word so a line
# break inside "capital\nexpenditure" cannot hide them: the gate may let an irrelevant article
# through to the real score, never drop one the real score would keep.
_GATE = compile_terms(
    spelling
    for term in TERMS
    for spelling in spellings(max(term.split(), key=len) if term.isascii() else term)
)
_FULL_WIDTH_LETTER = re.compile(r"[\uff21-\uff3a\uff41-\uff5a]")
# A figure (percent or amount) within a few characters after a metric word: the strongest sign
# that an article states a number an analyst wants.
_NUMBER_NEAR_METRIC = re.compile(
    r"(?:收入|营收|资本开支|资本支出|自由现金流|利润率|ebita|revenue|capex|capital expenditures?|"
    r"free cash flow|margin)[^。.!?;]{0,24}?\d[\d,.]*\s*(?:%|亿|万|billion|bn|million|个百分点|percent)"
)
# An amount near a spending verb: plan statements ("未来3年将投入超过3800亿元").
_AMOUNT_NEAR_INVESTMENT = re.compile(
    r"(?:投入|投资|invest|spend)[^。.!?;]{0,16}?\d[\d,.]*\s*(?:亿|万亿|billion|bn|trillion)"
)
NUMBER_WEIGHT = 0.3
SUBJECT_WEIGHT = 0.2
DEFAULT_MIN_RELEVANCE = 0.5


class RelevanceScorer:
    """Scores folded text; stateless apart from the compiled patterns."""

    def __init__(self, *, min_relevance: float = DEFAULT_MIN_RELEVANCE) -> None:
        if not 0 <= min_relevance <= 1:
            raise ValueError(f"min_relevance must be in [0, 1], got {min_relevance}")
        self.min_relevance = min_relevance

    @staticmethod
    def may_be_relevant(raw_text: str) -> bool:
        """False when the unfolded text cannot contain any relevance term (drop without folding)."""
        text = raw_text.lower()
        # Full-width Latin ("ＡＷＳ") is rare; such text takes the real path rather than the gate
        # carrying every full-width spelling.
        return _FULL_WIDTH_LETTER.search(text) is not None or _GATE.search(text) is not None

    @staticmethod
    def terms(text: str) -> dict[str, str]:
        """Family -> first matched term; empty when the text has no relevance term at all."""
        found: dict[str, str] = {}
        for match in _TERMS.finditer(text):
            found.setdefault(TERMS[match.group()][0], match.group())
        return found

    def score(self, text: str, mentions: tuple[Mention, ...], terms: dict[str, str] | None = None) -> Relevance:
        families = self.terms(text) if terms is None else terms
        weights = {family: weight for _, (family, weight) in TERMS.items()}
        score = sum(weights[family] for family in families)
        reasons = [f"term:{term}" for term in families.values()]
        if families and _NUMBER_NEAR_METRIC.search(text):
            score += NUMBER_WEIGHT
            reasons.append("number+metric")
        elif families.keys() & {"cloud", "capex", "ai_infra"} and _AMOUNT_NEAR_INVESTMENT.search(text):
            score += NUMBER_WEIGHT
            reasons.append("amount+investment")
        if any(m.role == "subject" for m in mentions):
            score += SUBJECT_WEIGHT
            reasons.append("subject:" + ",".join(m.company for m in mentions if m.role == "subject"))
        if not families:
            score = 0.0  # a company name alone (a sports sponsorship, a promo) is not relevance
        score = round(min(score, 1.0), 3)
        return Relevance(score=score, relevant=score >= self.min_relevance, reasons=tuple(reasons))

    def irrelevant(self) -> Relevance:
        """The verdict for text with no term: built without tagging (the cheap drop)."""
        return Relevance(score=0.0, relevant=False, reasons=())
