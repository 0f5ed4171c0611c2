from __future__ import annotations

from datetime import timedelta

import pytest

from agents.delivery.matchers import matches
from agents.delivery.silences import SilenceBook
from schemas.delivery import Silence

from .conftest import T0


def test_all_fields_must_match(make_alert) -> None:
    alert = make_alert()
    assert matches({"company": ["BABA"], "severity": ["warning", "critical"]}, alert)
    assert not matches({"company": ["BABA"], "severity": ["critical"]}, alert)
    assert matches({"segment": ["cloud"], "receiver": ["firm"]}, alert, receiver="firm")
    assert not matches({"receiver": ["firm"]}, alert, receiver="analysts")
    with pytest.raises(ValueError):
        matches({"colour": ["red"]}, alert)


def test_silence_book_honours_time_window_and_expiry(make_alert) -> None:
    book = SilenceBook()
    silence = Silence(id="s1", matchers={"company": ["BABA"]}, starts_at=T0 - timedelta(hours=1),
                      ends_at=T0 + timedelta(hours=1), comment="earnings call")
    book.apply(silence)
    assert book.matching(make_alert(), "analysts", T0) == silence
    assert book.matching(make_alert(company="AMZN"), "analysts", T0) is None
    assert book.matching(make_alert(), "analysts", T0 + timedelta(hours=2)) is None
    book.apply(silence.model_copy(update={"ends_at": T0 - timedelta(minutes=1)}))  # expired
    assert book.matching(make_alert(), "analysts", T0) is None
