"""URL ↔ view state: valid links reproduce a view; bad values fall back with a message, never raise."""

import datetime as dt

import pytest

from lib.maps.urlstate import ViewState, parse_view, to_params, with_changes

PROVINCES = {"01", "79"}
COMMUNES = {"00004", "26734"}
OLD = {"00001"}
TODAY = dt.date(2025, 11, 30)


def parse(params):
    return parse_view(params, provinces=PROVINCES, communes=COMMUNES, old_communes=OLD, today=TODAY)


def test_empty_url_is_national_default():
    view, messages = parse({})
    assert view == ViewState() and messages == []


def test_full_url_parsed():
    view, messages = parse(
        {
            "province": "01",
            "mode": "merge",
            "unit": "00004",
            "layers": "old_districts,old_communes",
            "date": "2025-10-01",
            "level": "commune",
        }
    )
    assert messages == []
    assert (view.province, view.mode, view.unit, view.level) == ("01", "merge", "00004", "commune")
    assert view.layers == ("old_communes", "old_districts")  # canonical order
    assert view.date == dt.date(2025, 10, 1)


def test_round_trip():
    view = ViewState(
        province="79", mode="centre", unit="26734", old="00001", layers=("old_provinces",), date=dt.date(2025, 9, 2)
    )
    again, messages = parse(to_params(view))
    assert again == view and messages == []
    assert to_params(ViewState()) == {}


@pytest.mark.parametrize(
    "params, field",
    [
        ({"province": "99"}, "province"),
        ({"mode": "rainbow"}, "mode"),
        ({"unit": "<script>"}, "unit"),
        ({"level": "district"}, "level"),
        ({"old": "12345"}, "old"),
    ],
)
def test_bad_value_falls_back_with_message(params, field):
    view, messages = parse(params)
    assert getattr(view, field) == getattr(ViewState(), field)
    assert len(messages) == 1 and "không hợp lệ" in messages[0]


@pytest.mark.parametrize("raw", ["2025-13-45", "hôm qua", "2026-01-01"])
def test_bad_or_future_date_is_latest(raw):
    view, messages = parse({"date": raw})
    assert view.date is None and len(messages) == 1


def test_unknown_layer_dropped():
    view, messages = parse({"layers": "old_districts,satellite"})
    assert view.layers == ("old_districts",) and "satellite" in messages[0]


def test_list_values_from_query_params():
    view, _ = parse({"province": ["01", "79"]})
    assert view.province == "01"


def test_changing_province_clears_selection():
    view = ViewState(province="01", unit="00004", old="00001")
    assert with_changes(view, province="79").unit == ""
    assert with_changes(view, mode="merge").unit == "00004"
