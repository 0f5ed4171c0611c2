from __future__ import annotations

import pytest

from agents.delivery.routing import Route, Router


def router() -> Router:
    return Router([
        Route({"company": ["BABA"]}, ("analysts",), min_severity="warning", continue_=True),
        Route({"kind": ["capex_shift"], "segment": ["group"]}, ("capex-desk",)),
        Route({"company": ["BABA", "AMZN"]}, ("firm",)),
        Route({}, ("never",)),  # after a non-continuing match nothing else is tried
    ], default=("archive",))


def test_first_match_stops_unless_continue(make_alert) -> None:
    assert router().receivers_for(make_alert(severity="critical")) == ("analysts", "firm")
    assert router().receivers_for(make_alert(severity="info")) == ("firm",)  # below min_severity


def test_many_valued_fields_match_any(make_alert) -> None:
    hit = make_alert().hits[0].model_copy(update={"segment": "group", "kind": "capex_shift"})
    alert = make_alert(company="MSFT", kinds=["growth_acceleration", "capex_shift"], hits=[hit])
    assert router().receivers_for(alert) == ("capex-desk",)


def test_default_route_when_nothing_matches(make_alert) -> None:
    r = Router([Route({"company": ["BABA"]}, ("analysts",))], default=("archive",))
    assert r.receivers_for(make_alert(company="GOOGL")) == ("archive",)
    assert Router([], default=()).receivers_for(make_alert()) == ()


def test_unknown_fields_and_severities_are_refused() -> None:
    with pytest.raises(ValueError, match="colour"):
        Route({"colour": ["red"]}, ("x",))
    with pytest.raises(ValueError):
        Route({}, ("x",), min_severity="urgent")
