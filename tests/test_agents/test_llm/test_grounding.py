from __future__ import annotations

from types import SimpleNamespace

from agents.llm.facts import period_tokens, quantities_of
from agents.llm.grounding import check


def written(**fields: str) -> SimpleNamespace:
    base = {"title_zh": "阿里巴巴FY2026Q2云业务", "title_en": "Alibaba FY2026Q2 cloud", "text_zh": "无数字。", "text_en": "No numbers."}
    base.update(fields)
    return SimpleNamespace(**base)


def problems(alert, **fields: str) -> list[str]:
    return [str(v) for v in check(written(**fields), quantities_of(alert), period_tokens(alert), skip=(alert.company,))]


def test_every_template_alert_is_grounded(alerts) -> None:
    assert alerts
    for alert in alerts:
        assert problems(alert, title_zh=alert.title_zh, title_en=alert.title_en,
                        text_zh=alert.text_zh, text_en=alert.text_en) == [], alert.alert_id


def test_faithful_rewording_passes(headline) -> None:
    assert problems(
        headline,
        title_zh="阿里云收入同比增长34.5%，增速提升8.5个百分点",
        title_en="Alibaba cloud revenue up 34.5% YoY, growth +8.5 pp",
        text_zh="FY2026Q2云智能集团收入398.24亿元，环比增长19.2%。",
        text_en="Cloud Intelligence Group revenue was RMB 39.82bn in FY2026Q2, up 19.2% QoQ.",
    ) == []


def test_invented_number_is_caught(headline) -> None:
    found = problems(headline, text_zh="收入398.24亿元，同比增长40%。", text_en="Revenue RMB 39.82bn, up 40% YoY.")
    assert any("'40%' matches no pct fact" in p for p in found)


def test_wrong_direction_is_caught(headline) -> None:
    found = problems(headline, text_zh="环比下降19.2%。", text_en="down 19.2% QoQ.")
    assert any("wrong direction" in p for p in found)


def test_rounding_beyond_printed_precision_is_caught(headline) -> None:
    # 398.24亿 is RMB 39.824bn: "39.8bn" and "40bn" are roundings of it, "39.7bn" is not.
    assert problems(headline, text_zh="收入约398亿元。", text_en="revenue RMB 39.8bn.") == []
    assert problems(headline, text_zh="收入398亿元。", text_en="revenue RMB 40bn.") == []
    assert any("39.7bn" in p for p in problems(headline, text_zh="收入398.24亿元。", text_en="revenue RMB 39.7bn."))


def test_wrong_currency_is_caught(headline) -> None:
    assert problems(headline, text_zh="收入398.24亿美元。", text_en="revenue US$39.82bn.")


def test_languages_must_agree(headline) -> None:
    found = problems(headline, text_zh="收入398.24亿元，同比增长34.5%。", text_en="Revenue RMB 39.82bn.")
    assert any("34.5%" in p and "not stated in the English text" in p for p in found)


def test_periods_outside_the_facts_are_caught(headline) -> None:
    found = problems(headline, text_zh="FY2027Q1收入398.24亿元。", text_en="FY2027Q1 revenue RMB 39.82bn.")
    assert any("FY2027Q1" in p for p in found)


def test_spelled_out_and_multiples_are_caught(headline) -> None:
    assert problems(headline, text_en="Capex tripled.", text_zh="资本支出增长。")
    assert problems(headline, text_zh="资本支出翻了3倍。", text_en="Capex rose.")
    assert problems(headline, text_zh="未来三年投入超过3800亿元。", text_en="More than RMB 380bn over three years.")


def test_hedges_bound_in_their_direction(headline) -> None:
    # FY2026Q2 capex 315.01亿: "超过300亿" holds; "超过420亿" matches nothing in the facts
    # (numbers are checked against all facts, not against the noun next to them: see docs/llm.md).
    ok = problems(headline, text_zh="资本支出超过300亿元。", text_en="capex more than RMB 30bn.")
    assert ok == []
    assert problems(headline, text_zh="资本支出超过420亿元。", text_en="capex more than RMB 42bn.")
    assert problems(headline, text_zh="资本支出近320亿元。", text_en="capex nearly RMB 32bn.") == []
