"""Vietnamese-first formatting of numbers and dates (1.234,5 and dd/mm/yyyy), English as second language."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

LANGUAGES = ("vi", "en")
# Vietnam's time zone: report times, the 16:00 deadline and every date shown are in it.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def format_number(value: float | int | None, decimals: int = 0, *, lang: str = "vi") -> str:
    """``1234.5`` → "1.234,5" in Vietnamese, "1,234.5" in English; "" for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_int(value: float | int | None, *, lang: str = "vi") -> str:
    """Whole number with thousands separators."""
    return format_number(value, 0, lang=lang)


def format_percent(share: float | None, decimals: int = 1, *, lang: str = "vi") -> str:
    """``0.456`` → "45,6 %" (Vietnamese) or "45.6%" (English)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return ""
    number = format_number(100 * share, decimals, lang=lang)
    return f"{number} %" if lang == "vi" else f"{number}%"


def format_date(value: dt.date | dt.datetime | None, *, with_time: bool = False, lang: str = "vi") -> str:
    """dd/mm/yyyy (and HH:MM) in Vietnamese; yyyy-mm-dd in English."""
    if value is None:
        return ""
    if lang == "vi":
        return value.strftime("%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y")
    return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
