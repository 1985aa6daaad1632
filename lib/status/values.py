"""The values of a status sheet's cells: centre states, yes/no flags, unit levels and report times."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import pandas as pd

from lib.core import parse
from lib.core.parse import quote as _quote
from lib.core.vocab import CELL_FALSE as _FALSE
from lib.core.vocab import CELL_TRUE as _TRUE
from lib.core.vocab import CENTRE_VALUES, LOCAL_TZ, REFORM_DATE, REFORM_TEXT
from lib.data.names import name_key

_CENTRE_LOOKUP = {value: state for state, values in CENTRE_VALUES.items() for value in values}
# New units exist from the reform date (Vietnam time): a report before that cannot be about them.
EARLIEST = pd.Timestamp(REFORM_DATE, tz=LOCAL_TZ)
FUTURE_TOLERANCE = dt.timedelta(minutes=10)
MAX_TEXT_CHARS = 2_000  # a stored note or list of gaps: what a person writes about one unit on one day


def parse_time(text: str) -> pd.Timestamp | None:
    """A report time from a cell or option (see :func:`lib.core.parse.parse_time`), as a timestamp."""
    stamp = parse.parse_time(text)
    return pd.Timestamp(stamp) if stamp is not None else None


@lru_cache(maxsize=4096)
def _centre(text: str) -> str | None:
    return _CENTRE_LOOKUP.get(name_key(text, strip_type=False))


@lru_cache(maxsize=4096)
def _truthy(text: str) -> bool | None:
    key = name_key(text, strip_type=False)
    return True if key in _TRUE else False if key in _FALSE else None


def _judge_time(text: str, default_time: pd.Timestamp | None, now: pd.Timestamp) -> tuple[pd.Timestamp | None, str]:
    """(time, problem) of a report-time cell; the problem is "" when the time is acceptable."""
    if not text:
        stamp = default_time
        if stamp is None:
            return None, "thiếu thời điểm báo cáo"
    else:
        stamp = parse_time(text)
        if stamp is None:
            return None, f"“{_quote(text)}” không phải ngày (dùng dd/mm/yyyy [hh:mm])"
    if stamp > now + FUTURE_TOLERANCE:
        return stamp, (
            f"thời điểm {stamp:%d/%m/%Y %H:%M} ở tương lai (bây giờ {now.tz_convert(LOCAL_TZ):%d/%m/%Y %H:%M})"
        )
    if stamp < EARLIEST:
        return stamp, f"thời điểm {stamp:%d/%m/%Y} trước {REFORM_TEXT}, khi các đơn vị mới chưa hoạt động"
    return stamp, ""
