"""Block Kit layout of an alert, inside Slack's limits.

Layout: header (company, quarter, severity), a revision note when it revises an earlier
alert, zh and/or en title and text, the rule hits' key numbers as fields, and a context line
(kinds, alert id, source link). Limits (api.slack.com/reference/block-kit): 3,000 characters
per section text, 150 per header, 2,000 per field, 10 fields per section, 50 blocks per
message. Longer text is split into several sections at line or sentence ends, each marked
"(n/m)"; anything beyond the block limit is trimmed with a visible note.

Usage::

    text, blocks = layout(alert, languages="both", revision=False)
"""

from __future__ import annotations

from typing import Any

from schemas.alert import Alert

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
BLOCK_LIMIT = 50
SEVERITY_MARK = {"critical": ":red_circle:", "warning": ":large_orange_circle:", "info": ":large_blue_circle:"}


def escape(text: str) -> str:
    """Slack mrkdwn control characters: company text must not become links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def trim(text: str, limit: int, marker: str = "…") -> str:
    return text if len(text) <= limit else text[: limit - len(marker)] + marker


def split_text(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a line, sentence or word end if possible."""
    if len(text) <= limit:
        return [text]
    room = limit - 8  # for the " (n/m)" marker
    pieces: list[str] = []
    rest = text
    while len(rest) > room:
        window = rest[:room]
        cut = max(window.rfind("\n"), window.rfind("。") + 1, window.rfind(". ") + 1, window.rfind(" "))
        if cut <= room // 2:
            cut = room
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    pieces.append(rest)
    return [f"{piece} ({n}/{len(pieces)})" for n, piece in enumerate(pieces, 1)]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _fields(alert: Alert) -> list[dict[str, Any]]:
    fields = [
        {"type": "mrkdwn", "text": trim(f"*{escape(h.segment)} {escape(h.metric)} · {escape(h.measure)}*\n"
                                        f"{escape(h.observed)} (threshold {escape(h.threshold)})", FIELD_LIMIT)}
        for h in alert.hits
    ]
    if len(fields) > FIELDS_PER_SECTION:
        extra = len(fields) - (FIELDS_PER_SECTION - 1)
        fields = fields[: FIELDS_PER_SECTION - 1] + [{"type": "mrkdwn", "text": f"_…and {extra} more hits_"}]
    return fields


def layout(alert: Alert, *, languages: str = "both", revision: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and the blocks for one alert."""
    mark = SEVERITY_MARK.get(alert.severity, "")
    head = f"{'Revised: ' if revision else ''}{alert.company_name_en} {alert.fiscal_period} · {alert.severity.upper()}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": trim(head, HEADER_LIMIT)}}]
    if alert.revises:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": (
            f":pencil2: Revises an earlier alert (`{alert.revises}`): restated or corrected figures. "
            f"修订此前的提醒：数据已重述或更正。")}]})
    for lang in ("zh", "en"):
        if languages not in ("both", lang):
            continue
        title, body = (alert.title_zh, alert.text_zh) if lang == "zh" else (alert.title_en, alert.text_en)
        for piece in split_text(f"{mark} *{escape(title)}*\n{escape(body)}"):
            blocks.append(_section(piece))
    fields = _fields(alert)
    if fields:
        blocks.append({"type": "section", "fields": fields})
    if alert.news is not None:  # every outlet of the story, linked (docs/news.md)
        links = " · ".join(f"<{escape(s.url).replace('|', '%7C')}|{escape(s.outlet)}>" for s in alert.news.sources)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": trim(f"Sources / 来源: {links}", SECTION_LIMIT)}]})
    context = f"{', '.join(alert.kinds)} · `{alert.alert_id}` · {alert.generated_by}"
    if alert.source_url:
        context += f" · <{alert.source_url}|source>"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": trim(context, SECTION_LIMIT)}]})
    if len(blocks) > BLOCK_LIMIT:
        dropped = len(blocks) - (BLOCK_LIMIT - 1)
        blocks = blocks[: BLOCK_LIMIT - 2] + [
            _section(f"_…trimmed: {dropped} more blocks did not fit in one Slack message (alert `{alert.alert_id}`)._"),
            blocks[-1],
        ]
    fallback_title = alert.title_en if languages != "zh" else alert.title_zh
    text = trim(f"{'Revised: ' if revision else ''}{alert.company} {alert.fiscal_period}: {fallback_title}", SECTION_LIMIT)
    return text, blocks
