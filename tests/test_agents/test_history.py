"""agents.history: the per-company store view (a plain dict stands in for the Faust table)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from agents.history import History, alerts_key, entry_of, series_key
from schemas.release import Observation

Q3 = date(2025, 9, 30)
Q2 = date(2025, 6, 30)
Q2_LAST_YEAR = date(2024, 9, 30)


def obs(value: str, period: date = Q3, *, metric: str = "revenue", yoy: str | None = None,
        currency: str = "CNY", approx: bool = False) -> Observation:
    return Observation(
        segment="cloud", metric=metric, period_end=period, value=Decimal(value), currency=currency,
        quantum=Decimal("1000000"), approx=approx, reported_yoy_pct=None if yoy is None else Decimal(yoy),
    )


def test_keys_are_company_segment_metric():
    assert series_key("BABA", "cloud", "revenue") == "BABA|cloud|revenue"
    assert alerts_key("BABA", Q3) == "BABA|@alerts|2025-09-30"


def test_entry_of_stores_decimal_strings():
    entry = entry_of(obs("39824000000", yoy="34"), "R1")
    assert entry == {
        "value": "39824000000", "quantum": "1000000", "currency": "CNY", "release_id": "R1",
        "approx": False, "reported_yoy_pct": "34", "reported_qoq_pct": None,
    }
    json.dumps(entry)  # JSON-able for the changelog


def test_upsert_new_then_flush_writes_store():
    store: dict = {}
    h = History(store, "BABA")
    assert h.upsert_reported(obs("39824000000"), "R1") == "new"
    assert store == {}  # nothing written until flush
    h.flush()
    point = store["BABA|cloud|revenue"]["points"]["2025-09-30"]
    assert point["reported"]["value"] == "39824000000"
    assert point["reported"]["release_id"] == "R1"
    assert point["revisions"] == []
    assert point["comparatives"] == {}
    # the whole store round-trips through JSON exactly
    assert json.loads(json.dumps(store)) == store


def test_identical_figure_is_duplicate_even_under_another_release_id():
    store: dict = {}
    h = History(store, "BABA")
    h.upsert_reported(obs("39824000000"), "R1")
    h.flush()
    h2 = History(store, "BABA")
    assert h2.upsert_reported(obs("39824000000"), "R1") == "duplicate"
    assert h2.upsert_reported(obs("39824000000"), "R-republished") == "duplicate"
    assert h2.reported("cloud", "revenue", Q3)["release_id"] == "R1"
    h2.flush()
    assert store["BABA|cloud|revenue"]["points"]["2025-09-30"]["revisions"] == []


def test_changed_figure_is_revision_keeping_old_entry():
    store: dict = {}
    h = History(store, "BABA")
    h.upsert_reported(obs("39824000000"), "R1")
    assert h.upsert_reported(obs("39900000000"), "R1") == "revision"
    h.flush()
    h2 = History(store, "BABA")
    assert h2.reported("cloud", "revenue", Q3)["value"] == "39900000000"
    assert [r["value"] for r in h2.revisions("cloud", "revenue", Q3)] == ["39824000000"]
    assert h2.value("cloud", "revenue", Q3).value == Decimal("39900000000")


def test_changed_stated_growth_alone_is_a_revision():
    h = History({}, "BABA")
    h.upsert_reported(obs("100", yoy="34"), "R1")
    assert h.upsert_reported(obs("100", yoy="35"), "R1") == "revision"


def test_redelivered_superseded_version_does_not_undo_newer():
    h = History({}, "BABA")
    h.upsert_reported(obs("100"), "R1")
    h.upsert_reported(obs("110"), "R1")
    assert h.upsert_reported(obs("100"), "R1") == "duplicate"
    assert h.reported("cloud", "revenue", Q3)["value"] == "110"
    assert len(h.revisions("cloud", "revenue", Q3)) == 1


def test_store_values_are_not_mutated_in_place():
    """A Faust table value must be re-assigned, never mutated: the old object stays as it was."""
    store: dict = {}
    h = History(store, "BABA")
    h.upsert_reported(obs("100"), "R1")
    h.flush()
    before = store["BABA|cloud|revenue"]
    snapshot = json.loads(json.dumps(before))
    h2 = History(store, "BABA")
    h2.upsert_reported(obs("200"), "R2")
    h2.upsert_comparative(obs("50", Q2_LAST_YEAR), "R2", Q3)
    assert before == snapshot  # untouched before flush
    h2.flush()
    assert before == snapshot  # and after: a new object was assigned
    assert store["BABA|cloud|revenue"] is not before


def test_duplicate_does_not_mark_dirty():
    store: dict = {"BABA|cloud|revenue": {"points": {}}}
    h = History(store, "BABA")
    h.upsert_reported(obs("100"), "R1")
    h.flush()
    sentinel = store["BABA|cloud|revenue"]
    h2 = History(store, "BABA")
    h2.upsert_reported(obs("100"), "R1")
    h2.flush()
    assert store["BABA|cloud|revenue"] is sentinel


def test_value_prefers_comparative_printed_in_asked_release():
    h = History({}, "BABA")
    h.upsert_reported(obs("29610000000", Q2_LAST_YEAR), "R-2024")
    assert h.upsert_comparative(obs("29000000000", Q2_LAST_YEAR), "R-2025", Q3) is True
    assert h.upsert_comparative(obs("29000000000", Q2_LAST_YEAR), "R-2025", Q3) is False  # same again

    in_release = h.value("cloud", "revenue", Q2_LAST_YEAR, printed_in=Q3)
    assert (in_release.value, in_release.basis, in_release.release_id) == (
        Decimal("29000000000"), "comparative_in_release", "R-2025")

    plain = h.value("cloud", "revenue", Q2_LAST_YEAR)
    assert (plain.value, plain.basis, plain.release_id) == (Decimal("29610000000"), "reported", "R-2024")

    other = h.value("cloud", "revenue", Q2_LAST_YEAR, printed_in=Q2)  # nothing printed there
    assert (other.value, other.basis) == (Decimal("29610000000"), "reported")


def test_value_falls_back_to_latest_comparative():
    h = History({}, "BABA")
    h.upsert_comparative(obs("10", Q2_LAST_YEAR), "R-a", date(2025, 6, 30))
    h.upsert_comparative(obs("12", Q2_LAST_YEAR), "R-b", date(2025, 9, 30))
    h.upsert_comparative(obs("11", Q2_LAST_YEAR), "R-c", date(2025, 3, 31))
    v = h.value("cloud", "revenue", Q2_LAST_YEAR)
    assert (v.value, v.basis, v.release_id) == (Decimal("12"), "comparative", "R-b")


def test_value_of_unknown_quarter_is_none():
    h = History({}, "BABA")
    assert h.value("cloud", "revenue", Q3) is None
    assert h.reported("cloud", "revenue", Q3) is None
    assert h.revisions("cloud", "revenue", Q3) == []


def test_companies_do_not_share_series():
    store: dict = {}
    a = History(store, "BABA")
    a.upsert_reported(obs("100"), "R1")
    a.flush()
    assert History(store, "AMZN").value("cloud", "revenue", Q3) is None
    assert History(store, "BABA").value("cloud", "revenue", Q3).value == Decimal("100")


def test_alert_ids_chain_without_duplicates():
    store: dict = {}
    h = History(store, "BABA")
    assert h.alert_ids(Q3) == []
    h.remember_alert(Q3, "alert-1")
    h.remember_alert(Q3, "alert-2")
    h.remember_alert(Q3, "alert-1")
    assert h.alert_ids(Q3) == ["alert-1", "alert-2"]
    assert store["BABA|@alerts|2025-09-30"] == ["alert-1", "alert-2"]
    assert History(store, "BABA").alert_ids(Q2) == []


def test_figures_written_differently_are_the_same_figure():
    h = History({}, "BABA")
    h.upsert_reported(obs("100", yoy="26"), "R1")
    assert h.upsert_reported(obs("100.0", yoy="26.00"), "R1") == "duplicate"
    assert h.upsert_comparative(obs("90", Q2_LAST_YEAR), "R1", Q3) is True
    assert h.upsert_comparative(obs("90.00", Q2_LAST_YEAR), "R1", Q3) is False
    # a stated growth that appears (or goes) is still a change
    assert h.upsert_reported(obs("100", yoy=None), "R1") == "revision"


def test_changes_never_touch_the_stored_objects():
    """Copy-on-write: a Faust table value is only ever replaced, never mutated in place, and a
    failed event (no flush) leaves the store exactly as it was."""
    import copy

    store: dict = {}
    first = History(store, "BABA")
    first.upsert_reported(obs("100", Q2), "R1")
    first.upsert_reported(obs("110"), "R2")
    first.flush()
    stored = store["BABA|cloud|revenue"]
    snapshot = copy.deepcopy(stored)

    second = History(store, "BABA")
    assert second.series("cloud", "revenue") is stored  # a read copies nothing
    assert second.upsert_reported(obs("111"), "R3") == "revision"
    assert second.upsert_comparative(obs("99", Q2), "R3", printed_in=Q3) is True
    assert stored == snapshot  # neither the series, its index nor its points changed
    assert second.value("cloud", "revenue", Q3).value == Decimal(111)  # the view sees its own change

    second.flush()
    assert store["BABA|cloud|revenue"] is not stored
    assert store["BABA|cloud|revenue"]["points"]["2025-09-30"]["revisions"][0]["value"] == "110"
    # entries are replaced, never changed: the copied point still shares its reported entry
    assert store["BABA|cloud|revenue"]["points"]["2025-06-30"]["reported"] is stored["points"]["2025-06-30"]["reported"]
    assert stored == snapshot

    # after a flush the store holds the view's objects: a later change copies again
    replaced = store["BABA|cloud|revenue"]
    again = copy.deepcopy(replaced)
    second.upsert_reported(obs("112"), "R4")
    assert replaced == again
