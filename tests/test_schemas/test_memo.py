"""schemas.memo: a record's plain JSON dump is remembered per instance, never shared or stale."""

import copy
import pickle
from datetime import UTC, date, datetime
from decimal import Decimal

from pydantic import BaseModel

from schemas.alert import Alert, RuleHit
from schemas.delta import DeltaRecord, PriorValue

D = Decimal


def record(**changes) -> DeltaRecord:
    fields = {
        "delta_id": "delta-1", "trigger": "release", "release_id": "BABA-FY2026Q1", "company": "BABA",
        "segment": "cloud", "metric": "revenue", "period_end": date(2025, 6, 30), "fiscal_period": "FY2026Q1",
        "currency": "CNY", "value": D("33398000000"), "quantum": D("1000000"),
        "prior_quarter": PriorValue(period_end=date(2025, 3, 31), fiscal_period="FY2025Q4", value=D("30127000000"),
                                    basis="reported", release_id="BABA-FY2025Q4"),
        "qoq_pct": D("10.86"),
    }
    return DeltaRecord(**{**fields, **changes})


def fresh_json(model: BaseModel) -> str:
    """What pydantic itself writes, bypassing the memo."""
    return type(model).__pydantic_serializer__.to_json(model).decode()


def test_dump_equals_pydantic_and_is_remembered():
    delta = record()
    first = delta.model_dump_json()
    assert first == fresh_json(delta)
    assert delta.model_dump_json() is first


def test_records_with_other_content_never_share_a_dump():
    a, b = record(), record(value=D("33399000000"))
    assert a.model_dump_json() != b.model_dump_json()
    assert b.model_dump_json() == fresh_json(b)


def test_copy_with_update_is_dumped_afresh():
    delta = record()
    delta.model_dump_json()
    changed = delta.model_copy(update={"delta_id": "delta-2", "qoq_pct": D("1.5")})
    assert changed.model_dump_json() == fresh_json(changed)
    assert '"delta_id":"delta-2"' in changed.model_dump_json() and '"qoq_pct":1.5' in changed.model_dump_json()
    for clone in (copy.copy(delta), copy.deepcopy(delta), pickle.loads(pickle.dumps(delta))):
        assert clone.model_dump_json() == delta.model_dump_json()


def test_options_are_never_answered_from_the_memo():
    delta = record()
    delta.model_dump_json()
    assert delta.model_dump_json(indent=2) == delta.__pydantic_serializer__.to_json(delta, indent=2).decode()
    assert "prior_quarter" not in delta.model_dump_json(exclude={"prior_quarter"})
    assert "qoq_pct" in delta.model_dump_json()  # the plain dump is still the full one


def test_memo_is_invisible_to_equality_hash_and_dict_dump():
    dumped, untouched = record(), record()
    dumped.model_dump_json()
    assert dumped == untouched and hash(dumped) == hash(untouched)
    assert dumped.model_dump() == untouched.model_dump()
    assert "_json" not in DeltaRecord.model_json_schema()["properties"]


def test_alert_dump_is_remembered_and_exact():
    hit = RuleHit(rule="r", kind="k", severity="warning", segment="cloud", metric="revenue", measure="qoq_pct",
                  observed="10.86", threshold="5", period_end=date(2025, 6, 30))
    alert = Alert(alert_id="alert-1", kind="k", kinds=["k"], severity="warning", company="BABA",
                  company_name_en="Alibaba", company_name_zh="阿里巴巴", fiscal_period="FY2026Q1",
                  period_end=date(2025, 6, 30), release_id="r", trigger="release", facts=[record()], hits=[hit],
                  title_zh="标题", title_en="title", text_zh="正文", text_en="text", generated_by="template",
                  source_url=None, created_at=datetime(2025, 8, 29, tzinfo=UTC))
    first = alert.model_dump_json()
    assert first == fresh_json(alert) and alert.model_dump_json() is first
    reworded = alert.model_copy(update={"text_en": "other text"})
    assert '"text_en":"other text"' in reworded.model_dump_json()
    assert reworded.model_dump_json() == fresh_json(reworded)
