"""schemas.export: the JSON Schemas `cloudpulse schema export` writes."""

import json

import pytest

from schemas.export import CONTRACTS, all_schemas

NAMES = ["earnings_release.v1", "alert.v1", "delta.v1", "deadletter.v1"]


@pytest.fixture(scope="module")
def schemas():
    return all_schemas()


def test_one_schema_per_contract(schemas):
    assert list(schemas) == NAMES
    assert list(CONTRACTS) == NAMES
    titles = {name: body["title"] for name, body in schemas.items()}
    assert titles == {
        "earnings_release.v1": "EarningsRelease",
        "alert.v1": "Alert",
        "delta.v1": "DeltaRecord",
        "deadletter.v1": "DeadLetter",
    }


@pytest.mark.parametrize("name", NAMES)
def test_ids_and_json_serialisable(schemas, name):
    body = schemas[name]
    assert isinstance(body["$id"], str) and body["$id"].removesuffix(".json").endswith(name)
    assert len({b["$id"] for b in schemas.values()}) == len(NAMES)
    assert body["type"] == "object"
    assert json.loads(json.dumps(body, ensure_ascii=False)) == body


def test_release_contract_is_closed_and_requires_the_identity_fields(schemas):
    release = schemas["earnings_release.v1"]
    assert release["additionalProperties"] is False
    assert release["required"] == ["release_id", "company", "period_end", "published_at", "metrics"]
    assert set(release["properties"]) == {
        "schema_version", "release_id", "company", "period_end", "fiscal_period", "published_at",
        "currency", "source_url", "metrics", "comparatives",
    }
    assert release["properties"]["schema_version"]["default"] == 1
    assert release["properties"]["period_end"]["format"] == "date"
    assert release["properties"]["published_at"]["format"] == "date-time"
    metrics = release["properties"]["metrics"]
    assert (metrics["minItems"], metrics["maxItems"]) == (1, 500)
    assert metrics["items"] == {"$ref": "#/$defs/MetricLine"}
    assert release["properties"]["comparatives"]["items"] == {"$ref": "#/$defs/Comparative"}


def test_metric_lines_are_closed_and_accept_numbers_or_strings(schemas):
    defs = schemas["earnings_release.v1"]["$defs"]
    line, comparative = defs["MetricLine"], defs["Comparative"]
    assert line["additionalProperties"] is False
    assert comparative["additionalProperties"] is False
    assert line["required"] == ["segment", "metric", "value"]
    assert comparative["required"] == ["segment", "metric", "value", "period_end"]
    value_types = {option["type"] for option in line["properties"]["value"]["anyOf"]}
    assert value_types == {"number", "integer", "string"}
    assert "333.98亿" in line["properties"]["value"]["description"]
    assert line["properties"]["approx"] == {
        "default": False, "description": "The source printed an approximate figure", "title": "Approx", "type": "boolean",
    }


def test_output_money_is_a_string_and_ratios_are_numbers(schemas):
    delta = schemas["delta.v1"]["properties"]
    assert delta["value"]["type"] == "string"
    assert delta["quantum"]["type"] == "string"
    assert {o["type"] for o in delta["qoq_abs"]["anyOf"]} == {"string", "null"}
    assert {o["type"] for o in delta["yoy_pct"]["anyOf"]} == {"number", "null"}
    assert delta["trigger"]["enum"] == ["release", "revision", "recompute"]
    prior = schemas["delta.v1"]["$defs"]["PriorValue"]["properties"]
    assert prior["value"]["type"] == "string"
    assert prior["basis"]["enum"] == ["reported", "comparative", "comparative_in_release"]


def test_alert_embeds_delta_records(schemas):
    alert = schemas["alert.v1"]
    assert alert["properties"]["facts"]["items"] == {"$ref": "#/$defs/DeltaRecord"}
    assert {"DeltaRecord", "PriorValue", "Revision", "RuleHit"} <= set(alert["$defs"])
    assert alert["properties"]["severity"]["enum"] == ["info", "warning", "critical"]
    assert {"title_zh", "title_en", "text_zh", "text_en"} <= set(alert["required"])


def test_deadletter_schema(schemas):
    deadletter = schemas["deadletter.v1"]
    assert "reason" in deadletter["required"]
    assert "original_b64" in deadletter["required"]
    assert deadletter["properties"]["problems"]["items"] == {"$ref": "#/$defs/DeadLetterProblem"}


def test_each_call_returns_fresh_dicts():
    first = all_schemas()
    original_id = first["alert.v1"]["$id"]
    first["alert.v1"]["$id"] = "mutated"
    first["earnings_release.v1"]["required"].append("mutated")
    second = all_schemas()
    assert second["alert.v1"]["$id"] == original_id != "mutated"
    assert "mutated" not in second["earnings_release.v1"]["required"]
