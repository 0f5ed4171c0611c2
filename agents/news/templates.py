"""Deterministic bilingual text for news and plan alerts (the writer with no LLM, and its fallback).

Every number printed is a field of the alert: a news fact's value exactly as the article gave
it (3800亿 stays 3800亿 / RMB 380bn; no rounding that could make it look more precise or less),
a release figure from a cross-check, or a plan-progress field rounded for display like release
alerts (0.01 亿 / 0.01 bn, ratios to 0.1). The number of outlets is the length of the sources
list. Conventions follow agents/templates.py: 亿元/亿美元, 同比/环比, 个百分点; RMB/US$ bn, YoY/QoQ, pp.

Usage::

    written = NewsTemplateWriter().write(alert)       # alert: trigger "news" or "plan"
"""

from __future__ import annotations

from decimal import Decimal

from agents.alerts import Written
from agents.templates import (
    CURRENCY_EN,
    CURRENCY_ZH,
    METRIC_EN,
    METRIC_ZH,
    money_en,
    money_zh,
    pct,
)
from schemas.alert import Alert
from schemas.news import NewsFact
from schemas.news_alert import CrossCheck, PlanProgress

YI, WAN, BN, MN = Decimal("1e8"), Decimal("1e4"), Decimal("1e9"), Decimal("1e6")
NEWS_METRIC_ZH = {**METRIC_ZH, "ai_investment": "AI投资"}
NEWS_METRIC_EN = {**METRIC_EN, "ai_investment": "AI investment"}
SEGMENT_ZH = {"cloud": "云业务", "group": "集团", "azure": "Azure"}
SEGMENT_EN = {"cloud": "cloud", "group": "group", "azure": "Azure"}
KIND_ZH = {"news_discrepancy": "新闻与财报不符", "news_plan": "投资计划", "news_capex": "资本支出",
           "news_cloud_growth": "云业务增长", "news_ai_investment": "AI投资", "news_figures": "财务数据"}
KIND_EN = {"news_discrepancy": "news contradicts a release", "news_plan": "spending plan", "news_capex": "capex",
           "news_cloud_growth": "cloud growth", "news_ai_investment": "AI investment", "news_figures": "figures"}
STATUS_ZH = {"ahead": "快于", "behind": "慢于", "on_pace": "符合", "incomplete": "数据不全，无法判断"}
STATUS_EN = {"ahead": "ahead of", "behind": "behind", "on_pace": "in line with", "incomplete": "incomplete data for"}


def exact(value: Decimal) -> str:
    """A decimal as written, without exponent or trailing zeros."""
    text = format(value.normalize(), "f")
    return text


def amount_zh(value: Decimal, currency: str | None) -> str:
    scaled, unit = (value / YI, "亿") if abs(value) >= YI else (value / WAN, "万")
    return f"{exact(scaled)}{unit}{CURRENCY_ZH.get(currency or '', currency or '')}"


def amount_en(value: Decimal, currency: str | None) -> str:
    prefix = CURRENCY_EN.get(currency or "", f"{currency} " if currency else "")
    scaled, unit = (value / BN, "bn") if abs(value) >= BN else (value / MN, "m")
    return f"{prefix}{exact(scaled)}{unit}"


def _hedge(fact: NewsFact) -> tuple[str, str]:
    if fact.bound == "at_least":
        return "超过", "more than "
    if fact.bound == "at_most":
        return "不超过", "at most "
    return ("约", "about ") if fact.approx else ("", "")


def _series(fact: NewsFact, zh: bool) -> str:
    segment = (SEGMENT_ZH if zh else SEGMENT_EN).get(fact.segment or "", "")
    metric = (NEWS_METRIC_ZH if zh else NEWS_METRIC_EN).get(fact.metric or "", fact.metric or ("数据" if zh else "figure"))
    if fact.measure == "margin_pct":
        metric = f"{metric}利润率" if zh else f"{metric} margin"
    return f"{segment}{metric}" if zh else f"{segment} {metric}".strip()


def _period(fact: NewsFact, zh: bool) -> str:
    if fact.period_status == "resolved" and fact.fiscal_period:
        return f"（{fact.fiscal_period}）" if zh else f" ({fact.fiscal_period})"
    if fact.period_status == "ambiguous":
        return "（报道期间不明确）" if zh else " (period unclear in the article)"
    return ""


def fact_zh(fact: NewsFact) -> str:
    hedge, _ = _hedge(fact)
    series, value = _series(fact, True), exact(fact.value)
    if fact.measure == "value":
        text = f"{series}{hedge}{amount_zh(fact.value, fact.currency)}"
    elif fact.measure == "plan_total":
        years = f"未来{exact(fact.plan_years)}年" if fact.plan_years is not None else ""
        text = f"计划{years}投入{hedge}{amount_zh(fact.value, fact.currency)}"
    elif fact.measure in ("yoy_pct", "qoq_pct"):
        basis = "同比" if fact.measure == "yoy_pct" else "环比"
        verb = "增长" if fact.value >= 0 else "下降"
        text = f"{series}{basis}{verb}{hedge}{exact(abs(fact.value))}%"
    elif fact.measure == "yoy_change_pp":
        verb = "加快" if fact.value >= 0 else "放缓"
        text = f"{series}同比增速{verb}{hedge}{exact(abs(fact.value))}个百分点"
    else:
        text = f"{series}{hedge}{value}%"
    return text + _period(fact, True)


def fact_en(fact: NewsFact) -> str:
    _, hedge = _hedge(fact)
    series = _series(fact, False)
    if fact.measure == "value":
        text = f"{series} {hedge}{amount_en(fact.value, fact.currency)}"
    elif fact.measure == "plan_total":
        years = f" over {exact(fact.plan_years)} years" if fact.plan_years is not None else ""
        text = f"plans to invest {hedge}{amount_en(fact.value, fact.currency)}{years}"
    elif fact.measure in ("yoy_pct", "qoq_pct"):
        basis = "YoY" if fact.measure == "yoy_pct" else "QoQ"
        sign = "+" if fact.value >= 0 else "-"
        text = f"{series} {hedge}{sign}{exact(abs(fact.value))}% {basis}"
    elif fact.measure == "yoy_change_pp":
        verb = "accelerated" if fact.value >= 0 else "slowed"
        text = f"{series} YoY growth {verb} by {hedge}{exact(abs(fact.value))} pp"
    else:
        text = f"{series} {hedge}{exact(fact.value)}%"
    return text + _period(fact, False)


def _check_value(check: CrossCheck, value: Decimal, zh: bool) -> str:
    if check.currency:
        return amount_zh(value, check.currency) if zh else amount_en(value, check.currency)
    return f"{exact(value)}%"


MEASURE_ZH = {"value": "", "yoy_pct": "同比增速", "qoq_pct": "环比增速", "margin_pct": "利润率"}
MEASURE_EN = {"value": "", "yoy_pct": " YoY growth", "qoq_pct": " QoQ growth", "margin_pct": " margin"}


def check_zh(check: CrossCheck) -> str:
    series = (f"{SEGMENT_ZH.get(check.segment, check.segment)}{NEWS_METRIC_ZH.get(check.metric, check.metric)}"
              f"{MEASURE_ZH.get(check.measure, '')}")
    news, release = _check_value(check, check.news_value, True), _check_value(check, check.release_value, True)
    if check.outcome == "discrepancy":
        return (f"与财报不符：{check.outlet}报道{check.fiscal_period}{series}为{news}，"
                f"财报（{check.release_id}）为{release}。")
    return f"与财报一致：{check.fiscal_period}{series}{news}（财报{check.release_id}为{release}）。"


def check_en(check: CrossCheck) -> str:
    series = (f"{SEGMENT_EN.get(check.segment, check.segment)} {NEWS_METRIC_EN.get(check.metric, check.metric)}"
              f"{MEASURE_EN.get(check.measure, '')}")
    news, release = _check_value(check, check.news_value, False), _check_value(check, check.release_value, False)
    if check.outcome == "discrepancy":
        return (f"Contradicts the release: {check.outlet} reports {check.fiscal_period} {series} of {news}; "
                f"the release ({check.release_id}) has {release}.")
    return f"Matches the release: {check.fiscal_period} {series} {news} (release {check.release_id}: {release})."


def plan_zh(p: PlanProgress) -> str:
    floor = "超过" if p.bound == "at_least" else ""
    head = (f"{p.start.isoformat()}起{exact(p.years)}年{floor}{amount_zh(p.amount, p.currency)}的投资计划：截至{p.fiscal_period}"
            f"（{p.quarters_counted}个季度）累计资本支出{money_zh(p.cumulative, p.currency)}，"
            f"按直线进度应为{money_zh(p.expected, p.currency)}，")
    if p.status == "incomplete":
        return head + f"有季度数据缺失（{p.quarters_counted}/{p.quarters_elapsed}），暂不判断进度。"
    gap = f"{'高出' if p.pace_pct >= 0 else '低于'}{pct(abs(p.pace_pct))}%"
    return (head + f"{gap}，{STATUS_ZH[p.status]}计划进度（阈值±{pct(p.margin_pct)}%）；"
            f"最近一季{money_zh(p.latest_quarter, p.currency)}，年化{money_zh(p.run_rate_annual, p.currency)}，"
            f"计划年均{money_zh(p.plan_annual, p.currency)}。")


def _quarters(n: int) -> str:
    return f"{n} quarter" if n == 1 else f"{n} quarters"


def _outlets(n: int) -> str:
    return f"{n} outlet" if n == 1 else f"{n} outlets"


def plan_en(p: PlanProgress) -> str:
    floor = "more than " if p.bound == "at_least" else ""
    head = (f"Plan of {floor}{amount_en(p.amount, p.currency)} over {exact(p.years)} years from {p.start.isoformat()}: "
            f"capex through {p.fiscal_period} ({_quarters(p.quarters_counted)}) totals {money_en(p.cumulative, p.currency)} "
            f"against {money_en(p.expected, p.currency)} at a straight-line pace, ")
    if p.status == "incomplete":
        return head + f"but quarters are missing ({p.quarters_counted}/{p.quarters_elapsed}); no pace judged."
    gap = f"{pct(abs(p.pace_pct))}% {'above' if p.pace_pct >= 0 else 'below'}"
    return (head + f"{gap}, {STATUS_EN[p.status]} the plan's pace (margin ±{pct(p.margin_pct)}%); "
            f"latest quarter {money_en(p.latest_quarter, p.currency)}, annualised {money_en(p.run_rate_annual, p.currency)}, "
            f"plan {money_en(p.plan_annual, p.currency)} a year.")


class NewsTemplateWriter:
    """Titles and text for an alert with a ``news`` or ``plan`` block."""

    def write(self, alert: Alert) -> Written:
        zh, en = [], []
        news = alert.news
        if news is not None:
            discrepancies = {c.fact_id for c in news.checks if c.outcome == "discrepancy"}
            new = set(news.new_fact_ids)
            for fact in news.facts:
                mark_zh, mark_en = ("【新】", "[new] ") if fact.fact_id in new and alert.revises else ("", "")
                zh.append(f"{mark_zh}{alert.company_name_zh}{fact_zh(fact)}。")
                en.append(f"{mark_en}{alert.company_name_en} {fact_en(fact)}.")
            for check in news.checks:
                zh.append(check_zh(check))
                en.append(check_en(check))
            outlets = list(dict.fromkeys(s.outlet for s in news.sources))
            more_zh = f"，另有{news.more_sources}篇转载" if news.more_sources else ""
            more_en = f"; {news.more_sources} more copies" if news.more_sources else ""
            zh.append(f"来源（{len(outlets)}家媒体）：{'、'.join(outlets)}{more_zh}。")
            en.append(f"Sources ({_outlets(len(outlets))}): {', '.join(outlets)}{more_en}.")
            topic = next((k for k in alert.kinds if k != "news_discrepancy"), "news_figures")
            title_zh = f"{alert.company_name_zh}新闻：{KIND_ZH[topic]}（{len(outlets)}家媒体）"
            title_en = f"{alert.company_name_en} news: {KIND_EN[topic]} ({_outlets(len(outlets))})"
            if discrepancies:
                title_zh += "，与财报不符"
                title_en += ", contradicts a release"
        else:
            assert alert.plan is not None, "a news-path alert has a news or a plan block"
            title_zh = f"{alert.company_name_zh}投资计划进度：{STATUS_ZH[alert.plan.status]}计划（{alert.plan.fiscal_period}）"
            title_en = f"{alert.company_name_en} spending plan: {STATUS_EN[alert.plan.status]} pace ({alert.plan.fiscal_period})"
        if alert.plan is not None:
            zh.append(plan_zh(alert.plan))
            en.append(plan_en(alert.plan))
        return Written(title_zh=title_zh, title_en=title_en, text_zh="".join(zh), text_en=" ".join(en),
                       generated_by="template")

