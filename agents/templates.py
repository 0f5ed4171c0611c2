"""Deterministic bilingual alert text: the writer used with no LLM, and the LLM's fallback.

Conventions: Chinese uses 亿元/亿美元, 同比/环比 and 个百分点; English uses RMB/US$ bn or m,
YoY/QoQ and pp. Every number printed is a fact field rounded for display (money to 0.01 亿 or
0.01 bn, ratios to 0.1), so each can be traced to the delta record it came from. A change that
rounds to 0.0 is written 持平/flat, and growth rates are left out where they are not meaningful
(across a sign change or from a negative base): the amount is given instead.

Usage::

    written = await TemplateWriter().write(draft)
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from agents.alerts import Draft, Written
from schemas.company import Company
from schemas.delta import DeltaRecord, PriorValue

METRIC_ZH = {
    "revenue": "收入", "adjusted_ebita": "经调整EBITA", "operating_income": "经营利润",
    "capex": "资本支出", "free_cash_flow": "自由现金流",
}
METRIC_EN = {
    "revenue": "revenue", "adjusted_ebita": "adjusted EBITA", "operating_income": "operating income",
    "capex": "capex", "free_cash_flow": "free cash flow",
}
MARGIN_ZH = {"adjusted_ebita": "经调整EBITA利润率", "operating_income": "经营利润率"}
MARGIN_EN = {"adjusted_ebita": "adjusted EBITA margin", "operating_income": "operating margin"}
CURRENCY_ZH = {"CNY": "元", "USD": "美元", "HKD": "港元"}
CURRENCY_EN = {"CNY": "RMB ", "USD": "US$", "HKD": "HK$"}
YI, WAN, BN, MN = Decimal("1e8"), Decimal("1e4"), Decimal("1e9"), Decimal("1e6")
FLAT_ZH, FLAT_EN = "持平", "flat"


_PLACES = {places: Decimal(places) for places in ("0.01", "0.1", "1")}  # parsed once, not per number shown


def _q(value: Decimal, places: str) -> Decimal:
    """Rounded for display; a negative that rounds to zero is plain zero, never "-0.0"."""
    rounded = value.quantize(_PLACES[places], rounding=ROUND_HALF_UP)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _zh_shown(value: Decimal) -> tuple[Decimal, str]:
    return (_q(value / YI, "0.01"), "亿") if abs(value) >= YI else (_q(value / WAN, "1"), "万")


def money_zh(value: Decimal, currency: str) -> str:
    shown, scale = _zh_shown(value)
    return f"{shown}{scale}{CURRENCY_ZH.get(currency, currency)}"


def money_en(value: Decimal, currency: str, *, signed: bool = False) -> str:
    prefix = CURRENCY_EN.get(currency, f"{currency} ")
    shown, unit = (_q(value / BN, "0.01"), "bn") if abs(value) >= BN else (_q(value / MN, "0.1"), "m")
    sign = "+" if signed and shown >= 0 else ""  # decided on the rounded figure
    return f"{sign}{prefix}{shown}{unit}"


def change_zh_money(value: Decimal, currency: str) -> str:
    if _zh_shown(value)[0] >= 0:  # decided on the rounded figure, as change_zh does
        return f"增加{money_zh(value, currency)}"
    return f"减少{money_zh(-value, currency)}"


def pct(value: Decimal) -> str:
    return f"{_q(Decimal(value), '0.1')}"


def signed(value: Decimal) -> str:
    text = pct(value)
    return text if text.startswith("-") else f"+{text}"


def flat(value: Decimal) -> bool:
    """A change that shows as 0.0 is written 持平/flat: no sign to get wrong, no number to ground."""
    return _q(Decimal(value), "0.1").is_zero()


def change_zh(value: Decimal, up: str = "增长", down: str = "下降", unit: str = "") -> str:
    # Decided on the rounded figure, so -0.04 is 持平, never 增长-0.0.
    v = _q(Decimal(value), "0.1")
    if v.is_zero():
        return FLAT_ZH
    return f"{up}{v}{unit}" if v > 0 else f"{down}{-v}{unit}"


def change_en(value: Decimal, unit: str = "") -> str:
    return FLAT_EN if flat(value) else f"{signed(value)}{unit}"


def segment_zh(company: Company, segment: str) -> str:
    return company.segment_name(segment, "zh")


def segment_en(company: Company, segment: str) -> str:
    return "group" if segment == "group" else company.segment_name(segment, "en")


def meaningful(value: Decimal, prior: PriorValue | None) -> bool:
    """A percent change across a sign change or from a negative base is not meaningful."""
    return prior is None or (prior.value > 0 and value >= 0)


def acceleration_meaningful(f: DeltaRecord) -> bool:
    """The change in YoY growth needs both growth rates meaningful. The record has the prior
    quarter's value but not its year-ago base, so that side checks what it can."""
    return (
        f.yoy_change_pp is not None and f.prev_yoy_pct is not None
        and meaningful(f.value, f.year_ago)
        and (f.prior_quarter is None or f.prior_quarter.value >= 0)
    )


def fact_zh(company: Company, f: DeltaRecord) -> str:
    parts = [f"{segment_zh(company, f.segment)}{METRIC_ZH.get(f.metric, f.metric)}{money_zh(f.value, f.currency)}"]
    if not meaningful(f.value, f.year_ago) and f.yoy_abs is not None:
        parts.append(f"较上年同期{change_zh_money(f.yoy_abs, f.currency)}")
    elif f.yoy_pct is not None:
        note = "（公司披露）" if f.yoy_basis == "reported" else ""
        restated = "（按重述后的上年同期数）" if f.restated_comparative_used else ""
        parts.append(f"同比{change_zh(f.yoy_pct, unit='%')}{note}{restated}")
    if acceleration_meaningful(f):
        if flat(f.yoy_change_pp):
            parts.append(f"增速与上季度的{pct(f.prev_yoy_pct)}%持平")
        else:
            parts.append(f"增速较上季度的{pct(f.prev_yoy_pct)}%{change_zh(f.yoy_change_pp, '提升', '回落', '个百分点')}")
    if not meaningful(f.value, f.prior_quarter) and f.qoq_abs is not None:
        parts.append(f"较上季度{change_zh_money(f.qoq_abs, f.currency)}")
    elif f.qoq_pct is not None:
        parts.append(f"环比{change_zh(f.qoq_pct, unit='%')}")
    if f.margin_pct is not None:
        text = f"利润率{pct(f.margin_pct)}%"
        if f.margin_change_pp is not None:
            ref = "上季度" if f.margin_change_basis == "qoq" else "上年同期"
            text += f"，较{ref}{change_zh(f.margin_change_pp, '提升', '下降', '个百分点')}"
        parts.append(text)
    if f.capex_intensity_pct is not None:
        text = f"资本支出占收入{pct(f.capex_intensity_pct)}%"
        if f.capex_intensity_change_pp is not None:
            text += f"（{change_zh(f.capex_intensity_change_pp, '上升', '下降', '个百分点')}）"
        parts.append(text)
    if f.sign_change == "to_negative":
        ref = "上季度" if f.sign_change_vs == "prior_quarter" else "上年同期"
        parts.append(f"由{ref}的正值转为负值")
    elif f.sign_change == "to_positive":
        ref = "上季度" if f.sign_change_vs == "prior_quarter" else "上年同期"
        parts.append(f"由{ref}的负值转为正值")
    if f.yoy_mismatch_pp is not None and f.reported_yoy_pct is not None and abs(f.yoy_mismatch_pp) >= 1:
        parts.append(f"公司披露同比增速{pct(f.reported_yoy_pct)}%，与计算值相差{pct(abs(f.yoy_mismatch_pp))}个百分点")
    if f.revision is not None:
        parts.append(f"此前公布为{money_zh(f.revision.previous_value, f.currency)}（已修订）")
    return "，".join(parts) + "。"


def fact_en(company: Company, f: DeltaRecord) -> str:
    head = f"{segment_en(company, f.segment)} {METRIC_EN.get(f.metric, f.metric)} {money_en(f.value, f.currency)}"
    parts = [head[0].upper() + head[1:]]
    if not meaningful(f.value, f.year_ago) and f.yoy_abs is not None:
        parts.append(f"{money_en(f.yoy_abs, f.currency, signed=True)} YoY")
    elif f.yoy_pct is not None:
        note = " (as reported)" if f.yoy_basis == "reported" else ""
        restated = " (vs restated prior-year figure)" if f.restated_comparative_used else ""
        parts.append(f"{change_en(f.yoy_pct, '%')} YoY{note}{restated}")
    if acceleration_meaningful(f):
        if flat(f.yoy_change_pp):
            parts.append(f"growth flat vs {pct(f.prev_yoy_pct)}% in the prior quarter")
        else:
            parts.append(f"growth {signed(f.yoy_change_pp)} pp from {pct(f.prev_yoy_pct)}% in the prior quarter")
    if not meaningful(f.value, f.prior_quarter) and f.qoq_abs is not None:
        parts.append(f"{money_en(f.qoq_abs, f.currency, signed=True)} QoQ")
    elif f.qoq_pct is not None:
        parts.append(f"{change_en(f.qoq_pct, '%')} QoQ")
    if f.margin_pct is not None:
        text = f"margin {pct(f.margin_pct)}%"
        if f.margin_change_pp is not None:
            ref = "QoQ" if f.margin_change_basis == "qoq" else "YoY"
            text += f" ({change_en(f.margin_change_pp, ' pp')} {ref})"
        parts.append(text)
    if f.capex_intensity_pct is not None:
        text = f"{pct(f.capex_intensity_pct)}% of revenue"
        if f.capex_intensity_change_pp is not None:
            text += f" ({change_en(f.capex_intensity_change_pp, ' pp')})"
        parts.append(text)
    if f.sign_change is not None:
        ref = "the prior quarter" if f.sign_change_vs == "prior_quarter" else "a year ago"
        word = "negative" if f.sign_change == "to_negative" else "positive"
        parts.append(f"turned {word} from {ref}")
    if f.yoy_mismatch_pp is not None and f.reported_yoy_pct is not None and abs(f.yoy_mismatch_pp) >= 1:
        parts.append(f"reported growth {pct(f.reported_yoy_pct)}% differs from computed by {pct(abs(f.yoy_mismatch_pp))} pp")
    if f.revision is not None:
        parts.append(f"revised from {money_en(f.revision.previous_value, f.currency)}")
    return ", ".join(parts) + "."


def _headline_fact(draft: Draft) -> DeltaRecord:
    top = draft.hits[0]
    for f in draft.facts:
        if (f.segment, f.metric, f.period_end) == (top.segment, top.metric, top.period_end):
            return f
    return draft.facts[0]


def titles(draft: Draft) -> tuple[str, str]:
    c, f, kind = draft.company, _headline_fact(draft), draft.kind
    zh_seg, en_seg = segment_zh(c, f.segment), segment_en(c, f.segment)
    zh_head, en_head = f"{c.name_zh} {draft.fiscal_period}：", f"{c.name_en} {draft.fiscal_period}: "
    if kind in ("growth_acceleration", "growth_deceleration") and f.yoy_pct is not None and acceleration_meaningful(f):
        verb_zh = "加快至" if kind == "growth_acceleration" else "放缓至"
        verb_en = "accelerates to" if kind == "growth_acceleration" else "slows to"
        return (
            f"{zh_head}{zh_seg}收入增速{verb_zh}{pct(f.yoy_pct)}%（{change_zh(f.yoy_change_pp, '+', '-', '个百分点')}）",
            f"{en_head}{en_seg} revenue growth {verb_en} {pct(f.yoy_pct)}% YoY ({change_en(f.yoy_change_pp, ' pp')})",
        )
    if kind == "capex_shift":
        zh, en = [f"{zh_head}资本支出{money_zh(f.value, f.currency)}"], [f"{en_head}capex {money_en(f.value, f.currency)}"]
        # Percentages only where meaningful, else the amount, as in fact_zh/fact_en.
        for pct_value, abs_value, prior, ref_zh, ref_zh_abs, ref_en in (
            (f.qoq_pct, f.qoq_abs, f.prior_quarter, "环比", "较上季度", "QoQ"),
            (f.yoy_pct, f.yoy_abs, f.year_ago, "同比", "较上年同期", "YoY"),
        ):
            if not meaningful(f.value, prior) and abs_value is not None:
                zh.append(f"{ref_zh_abs}{change_zh_money(abs_value, f.currency)}")
                en.append(f"{money_en(abs_value, f.currency, signed=True)} {ref_en}")
            elif pct_value is not None:
                zh.append(f"{ref_zh}{change_zh(pct_value, unit='%')}")
                en.append(f"{change_en(pct_value, '%')} {ref_en}")
        return "，".join(zh), ", ".join(en)
    if kind == "fcf_turn":
        word_zh = "转负" if f.sign_change == "to_negative" else "转正"
        word_en = "turns negative" if f.sign_change == "to_negative" else "turns positive"
        return (
            f"{zh_head}自由现金流{word_zh}，为{money_zh(f.value, f.currency)}",
            f"{en_head}free cash flow {word_en} at {money_en(f.value, f.currency)}",
        )
    if kind == "margin_shift" and f.margin_pct is not None and f.margin_change_pp is not None:
        return (
            f"{zh_head}{zh_seg}{MARGIN_ZH.get(f.metric, METRIC_ZH[f.metric] + '利润率')}{pct(f.margin_pct)}%（{change_zh(f.margin_change_pp, '+', '-', '个百分点')}）",
            f"{en_head}{en_seg} {MARGIN_EN.get(f.metric, METRIC_EN[f.metric] + ' margin')} {pct(f.margin_pct)}% ({change_en(f.margin_change_pp, ' pp')})",
        )
    if kind == "revision":
        return f"{zh_head}{zh_seg}{METRIC_ZH.get(f.metric, f.metric)}数据修订", f"{en_head}{en_seg} {METRIC_EN.get(f.metric, f.metric)} revised"
    if kind == "data_quality":
        return f"{zh_head}披露增速与计算值不一致", f"{en_head}reported growth differs from computed"
    return f"{zh_head}{zh_seg}{METRIC_ZH.get(f.metric, f.metric)}变动", f"{en_head}{en_seg} {METRIC_EN.get(f.metric, f.metric)} change"


def texts(draft: Draft) -> tuple[str, str]:
    c = draft.company
    hit_keys = {(h.segment, h.metric) for h in draft.hits}
    # Facts with hits first, in hit order; then the cloud revenue line for context.
    order = list(dict.fromkeys((h.segment, h.metric) for h in draft.hits))
    context = [(f.segment, f.metric) for f in draft.facts if f.metric == "revenue" and (f.segment, f.metric) not in hit_keys]
    by_key = {(f.segment, f.metric): f for f in draft.facts}
    chosen = [by_key[k] for k in [*order, *context[:1]] if k in by_key]
    period_zh = f"截至{draft.period_end.year}年{draft.period_end.month}月{draft.period_end.day}日止季度"
    lead_zh = f"{c.name_zh}{draft.fiscal_period}（{period_zh}）"
    lead_en = f"{c.name_en} {draft.fiscal_period} (quarter ended {draft.period_end.isoformat()})"
    if draft.trigger == "recompute":
        lead_zh += "因较早季度数据补录而重算"
        lead_en += ", recomputed after an earlier quarter arrived"
    text_zh = lead_zh + "：" + "".join(fact_zh(c, f) for f in chosen)
    text_en = lead_en + ": " + " ".join(fact_en(c, f) for f in chosen)
    return text_zh, text_en


class TemplateWriter:
    """The deterministic writer: same draft, same words."""

    name = "template"

    async def write(self, draft: Draft) -> Written:
        return self.write_sync(draft)

    def write_sync(self, draft: Draft, generated_by: str = "template") -> Written:
        title_zh, title_en = titles(draft)
        text_zh, text_en = texts(draft)
        return Written(title_zh=title_zh, title_en=title_en, text_zh=text_zh, text_en=text_en, generated_by=generated_by)
