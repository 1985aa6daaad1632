"""Vietnamese formatting of numbers and dates (1.234,5 and dd/mm/yyyy) and Vietnam's time zone."""

from __future__ import annotations

import datetime as dt
import math

from lib.core.vocab import LOCAL_TZ


def format_number(value: float | int | None, decimals: int = 0) -> str:
    """``1234.5`` → "1.234,5"; "" for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def format_int(value: float | int | None) -> str:
    """Whole number with thousands separators (``3321`` → "3.321")."""
    return format_number(value, 0)


def format_percent(share: float | None, decimals: int = 1) -> str:
    """``0.456`` → "45,6 %"; "" for missing values."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return ""
    return f"{format_number(100 * share, decimals)} %"


def format_date(value: dt.date | dt.datetime | None, *, with_time: bool = False) -> str:
    """dd/mm/yyyy (and HH:MM); "" for missing values."""
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")


def today() -> dt.date:
    """Today's date in Vietnam (not the server's time zone)."""
    return dt.datetime.now(LOCAL_TZ).date()
