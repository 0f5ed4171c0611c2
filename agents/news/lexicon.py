"""The words the news readers look for, in folded form (simplified, half-width, lower case).

Kept in one place so tagging, relevance and extraction agree on what "cloud" or "capex" means.
Latin entries are matched on word boundaries; Chinese entries anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

#: Metric words -> NewsMetric. Longest match wins, so 经调整ebita利润率 is margin context of
#: adjusted_ebita and 营收 is revenue.
METRIC_WORDS: dict[str, str] = {
    "收入": "revenue", "营收": "revenue", "营业收入": "revenue", "营业额": "revenue", "销售额": "revenue",
    "revenue": "revenue", "revenues": "revenue", "sales": "revenue", "net sales": "revenue",
    "资本支出": "capex", "资本开支": "capex", "资本性支出": "capex", "capex": "capex",
    "capital expenditure": "capex", "capital expenditures": "capex", "capital spending": "capex",
    "经调整ebita": "adjusted_ebita", "调整后ebita": "adjusted_ebita", "adjusted ebita": "adjusted_ebita",
    "ebita": "adjusted_ebita",
    "经营利润": "operating_income", "营业利润": "operating_income", "operating income": "operating_income",
    "operating profit": "operating_income", "operating margin": "operating_income", "经营利润率": "operating_income",
    "收益": "revenue", "营业收益": "revenue",
    "自由现金流": "free_cash_flow", "free cash flow": "free_cash_flow", "fcf": "free_cash_flow",
}

#: Words that start a plan statement (an amount to be spent over a horizon).
PLAN_WORDS = ("未来", "投入", "投资", "计划", "over the next", "plans to", "will invest", "will spend", "pledged",
              "investment plan", "spending plan", "plan", "would spend", "would invest", "to spend", "to invest")

#: Words that make a percentage a margin rather than growth.
MARGIN_WORDS = ("利润率", "margin", "率为", "率达")
YOY_WORDS = ("同比", "按年", "年增", "yoy", "year-over-year", "year over year", "year-on-year", "from a year",
             "from the year", "a year earlier", "a year ago")
QOQ_WORDS = ("环比", "按季", "qoq", "quarter-over-quarter", "quarter over quarter", "quarter-on-quarter",
             "sequential", "from the previous quarter", "from the prior quarter")
#: Growth words that mean the figure is a decline ("按年跌24%" is -24%).
DECLINE_WORDS = ("下降", "下滑", "减少", "下跌", "跌", "降", "fell", "declined", "dropped", "down", "decreased", "shrank")
GROWTH_WORDS = ("增长", "增加", "上升", "上涨", "提升", "增速", "升", "增", "跌", "下降", "下滑", "减少", "grew", "climbed", "grow", "growth", "rose",
                "rise", "up", "increase", "increased", "jumped", "climbed", "fell", "declined", "down", "accelerat")
#: A percentage next to these is about the share price or another non-metric quantity.
BLOCK_WORDS = ("股价", "股份", "股票", "港股", "美股", "市值", "收盘", "每股", "share price", "shares", "stock",
               "market share", "市场份额", "份额", "占比", "渗透率", "客户", "用户", "customers", "users",
               "成交额", "gmv", "订单", "orders", "累计", "cumulative", "combined", "积压", "backlog")
#: A figure in a sentence with these words is a forecast or an estimate, not a reported fact.
FORECAST_WORDS = ("预期", "预计", "指引", "预测", "估计", "expect", "expects", "expected", "forecast", "guidance",
                  "outlook", "estimate", "projected", "预估", "预料", "料将", "有望", "target", "aims to")
#: An amount after these is a difference ("比去年同期多出140亿元", "up by $2bn"), not a level.
DIFFERENCE_WORDS = ("多出", "多了", "增加了", "减少了", "高出", "少了", "by")
#: Words that attach a figure to the cloud segment when they sit before it in the clause.
CLOUD_WORDS = ("云智能集团", "阿里云智能集团", "阿里云智能", "云收入", "云部门", "云计算部门", "阿里云", "云智能", "云业务", "云计算业务", "云服务", "云计算", "aws",
               "amazon web services", "亚马逊云科技", "亚马逊云", "google cloud", "gcp", "谷歌云",
               "intelligent cloud", "智能云", "微软智能云", "腾讯云", "tencent cloud", "oci", "alibaba cloud",
               "cloud intelligence", "cloud computing", "cloud unit", "cloud division", "cloud business", "cloud segment", "cloud revenue",
               "金融科技及企业服务", "fintech and business services")
#: Azure is a line inside Microsoft's Intelligent Cloud segment, not the segment: its growth
#: (40%) and Intelligent Cloud's (28%) for the same quarter are different series, and reading
#: both as "cloud" would make the cross-check call one of them a discrepancy every quarter.
AZURE_WORDS = ("azure and other cloud services", "azure cloud business", "azure cloud", "microsoft azure", "微软azure",
               "azure及其他云服务", "azure及其它云服务", "azure云服务", "azure云", "azure")
GROUP_WORDS = ("集团", "整体", "总收入", "总营收", "group", "total revenue", "company-wide", "overall")


class Terms:
    """A set of terms matched as one alternation, longest first.

    Word boundaries for Latin terms are checked on each match rather than written into the
    pattern: a lookbehind in front of every alternative stops the regex engine from skipping
    ahead on the first character, which made this scan ten times slower on long articles.
    Only ``finditer``, ``search`` and ``fullmatch`` are offered: what the readers use.
    """

    def __init__(self, terms: Iterable[str]) -> None:
        ordered = sorted(set(terms), key=len, reverse=True)
        self._pattern = re.compile("|".join(re.escape(term) for term in ordered))
        self._latin = frozenset(term for term in ordered if term.isascii())

    def _bounded(self, text: str, match: re.Match[str]) -> bool:
        term = match.group()
        if term not in self._latin:
            return True
        start, end = match.start(), match.end()
        if term[0].isalnum() and start > 0 and _WORD_CHAR.match(text, start - 1):
            return False
        return not (term[-1].isalnum() and end < len(text) and _WORD_CHAR.match(text, end))

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[re.Match[str]]:
        end = len(text) if endpos is None else endpos
        while True:
            match = self._pattern.search(text, pos, end)
            if match is None:
                return
            if self._bounded(text, match):
                yield match
                pos = match.end()
            else:
                pos = match.start() + 1  # a longer term failed its boundary; a shorter one may start inside

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> re.Match[str] | None:
        return next(self.finditer(text, pos, endpos), None)

    def fullmatch(self, text: str) -> re.Match[str] | None:
        match = self._pattern.fullmatch(text)
        return match if match is not None and self._bounded(text, match) else None


_WORD_CHAR = re.compile(r"[a-z0-9]")


def compile_terms(terms: Iterable[str]) -> Terms:
    """The terms as one :class:`Terms` matcher (Latin terms on word boundaries)."""
    return Terms(terms)
