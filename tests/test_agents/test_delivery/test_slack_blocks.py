from __future__ import annotations

from agents.delivery.slack_blocks import BLOCK_LIMIT, HEADER_LIMIT, SECTION_LIMIT, layout, split_text
from schemas.alert import RuleHit


def sections(blocks):
    return [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]


def test_layout_has_title_fields_both_languages_source(make_alert) -> None:
    text, blocks = layout(make_alert())
    assert blocks[0]["type"] == "header" and "Alibaba FY2026Q2" in blocks[0]["text"]["text"]
    body = "\n".join(sections(blocks))
    assert "阿里巴巴" in body and "accelerates" in body
    fields = next(b["fields"] for b in blocks if "fields" in b)
    assert "8.5" in fields[0]["text"] and "yoy_change_pp" in fields[0]["text"]
    assert "<https://www.alibabagroup.com/en-US/ir|source>" in blocks[-1]["elements"][0]["text"]
    assert "WARNING" in blocks[0]["text"]["text"] and "accelerates" in text


def test_language_choice(make_alert) -> None:
    _, zh = layout(make_alert(), languages="zh")
    _, en = layout(make_alert(), languages="en")
    assert "阿里巴巴" in "".join(sections(zh)) and "accelerates" not in "".join(sections(zh))
    assert "accelerates" in "".join(sections(en)) and "云智能" not in "".join(sections(en))


def test_long_text_is_split_with_visible_markers(make_alert) -> None:
    long_en = "Cloud revenue grew strongly. " * 400  # ~11,600 characters
    _, blocks = layout(make_alert(text_en=long_en), languages="en")
    pieces = sections(blocks)
    assert len(pieces) >= 4 and all(len(p) <= SECTION_LIMIT for p in pieces)
    assert pieces[0].endswith(f"(1/{len(pieces)})") and pieces[-1].endswith(f"({len(pieces)}/{len(pieces)})")
    joined = " ".join(p.rsplit(" (", 1)[0] for p in pieces)
    assert joined.count("Cloud revenue grew strongly.") == 400  # nothing lost by splitting


def test_unbreakable_text_is_cut_hard() -> None:
    pieces = split_text("x" * 7000)
    assert all(len(p) <= SECTION_LIMIT for p in pieces) and len(pieces) == 3


def test_block_and_field_limits_trim_visibly(make_alert) -> None:
    hits = [RuleHit(rule=f"r{i}", kind="margin_shift", severity="info", segment="cloud", metric="revenue",
                    measure="m", observed=str(i), threshold="1", period_end=make_alert().period_end) for i in range(14)]
    huge = "word " * 30000  # ~150,000 characters: far more than 50 sections
    _, blocks = layout(make_alert(hits=hits, text_en=huge, text_zh=huge))
    assert len(blocks) == BLOCK_LIMIT
    assert "trimmed" in blocks[-2]["text"]["text"] and blocks[-1]["type"] == "context"
    _, few = layout(make_alert(hits=hits))
    fields = next(b["fields"] for b in few if "fields" in b)
    assert len(fields) == 10 and "and 5 more" in fields[-1]["text"]


def test_header_trimmed_and_mrkdwn_escaped(make_alert) -> None:
    _, blocks = layout(make_alert(company_name_en="A" * 300, title_en="<!channel> & co"), languages="en")
    assert len(blocks[0]["text"]["text"]) <= HEADER_LIMIT and blocks[0]["text"]["text"].endswith("…")
    assert "&lt;!channel&gt; &amp; co" in sections(blocks)[0]


def test_revision_is_marked(make_alert) -> None:
    text, blocks = layout(make_alert(revises="alert-earlier"), revision=True)
    assert text.startswith("Revised:") and blocks[0]["text"]["text"].startswith("Revised:")
    assert "alert-earlier" in blocks[1]["elements"][0]["text"]
