"""Vietnamese number and date formats, and today's date in Vietnam rather than on the server."""

import datetime as dt
import types

import pytest

from lib.data import i18n
from lib.maps import urlstate


@pytest.mark.parametrize(
    "value, decimals, expected", [(1234.5, 1, "1.234,5"), (3321, 0, "3.321"), (None, 0, ""), (float("nan"), 1, "")]
)
def test_format_number(value, decimals, expected):
    assert i18n.format_number(value, decimals) == expected


def test_format_percent_and_date():
    assert i18n.format_percent(0.456) == "45,6 %"
    assert i18n.format_date(dt.date(2025, 7, 1)) == "01/07/2025"
    assert i18n.format_date(dt.datetime(2025, 7, 1, 16, 5), with_time=True) == "01/07/2025 16:05"


class _LateEveningUTC(dt.datetime):
    """A clock at 18:00 UTC on 30/11/2025, which is already 01:00 on 01/12/2025 in Vietnam."""

    @classmethod
    def now(cls, tz=None):
        moment = dt.datetime(2025, 11, 30, 18, 0, tzinfo=dt.UTC)
        return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)


@pytest.fixture
def late_evening_utc(monkeypatch):
    monkeypatch.setattr(i18n, "dt", types.SimpleNamespace(datetime=_LateEveningUTC, date=dt.date))


@pytest.mark.usefixtures("late_evening_utc")
def test_today_is_vietnam_date_not_server_date():
    assert i18n.today() == dt.date(2025, 12, 1)


@pytest.mark.usefixtures("late_evening_utc")
def test_url_date_is_checked_against_vietnam_today():
    view, messages = urlstate.parse_view({"date": "2025-12-01"}, provinces=(), communes=())
    assert view.date == dt.date(2025, 12, 1) and messages == []
    view, messages = urlstate.parse_view({"date": "2025-12-02"}, provinces=(), communes=())
    assert view.date is None and len(messages) == 1
