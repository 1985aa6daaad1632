"""The one date parser and the one number parser for what people type: sheets, options, URLs, amendments."""

from __future__ import annotations

import datetime as dt
import re

from lib.core.vocab import LOCAL_TZ

# ---------------------------------------------------------------------- dates
# Report times as people write them (day first), then ISO; a date alone means 00:00 that day.
TIME_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
)
FIRST_YEAR, LAST_YEAR = 1900, 2200  # a time outside these years cannot be a report time
# Days of an amendment file: ISO or dd/mm/yyyy.
DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def parse_day(text: str, *, day_first: bool = False) -> dt.date | None:
    """A day: YYYY-MM-DD (ISO), or with ``day_first`` also dd/mm/yyyy; None when ``text`` is not one.

    No range is checked here: each caller keeps its own (from the reform date, not in the future ...).
    """
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    for pattern in DAY_FORMATS if day_first else ():
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def parse_time(text: str) -> dt.datetime | None:
    """A time in Vietnam from a cell or option: dd/mm/yyyy [HH:MM[:SS]], dd-mm-yyyy, dd.mm.yyyy or ISO.

    Times without a zone are Vietnam local time; a date alone means 00:00 that day. None when the text
    is not a time, or is one outside the years 1900–2200.
    """
    value = str(text).strip()
    if not value:
        return None
    stamp = None
    for fmt in TIME_FORMATS:
        try:
            stamp = dt.datetime.strptime(value, fmt).replace(tzinfo=LOCAL_TZ)
            break
        except ValueError:
            continue
    if stamp is None:
        try:
            stamp = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        stamp = stamp.replace(tzinfo=LOCAL_TZ) if stamp.tzinfo is None else stamp.astimezone(LOCAL_TZ)
    return stamp if FIRST_YEAR <= stamp.year <= LAST_YEAR else None


# ---------------------------------------------------------------------- numbers
# The one rule for numbers people write (also in README and NUMBER_RULE): a count is a whole number
# 0 … STORE_INT_MAX. Thousands may be grouped by ".", "," or a space, in either convention, as long
# as every group after the first has exactly three digits ("1.000" = "1,000" = "1 000" = 1000).
# Anything else with a separator ("1,5", "1.000,5", "12,34"), an exponent ("1e3") or a sign is
# refused with a message, never guessed: "1,000" never becomes 1.
STORE_INT_MAX = 2_147_483_647  # INTEGER of PostgreSQL (and the store's columns); SQLite holds it too
NUMBER_RULE = (
    "Số nhiệm vụ là số nguyên từ 0 đến 2.147.483.647; có thể nhóm hàng nghìn bằng dấu chấm, dấu phẩy "
    "hoặc khoảng trắng (1.000 = 1,000 = 1 000 = một nghìn); không dùng phần thập phân, dạng 1e3 hay dấu âm."
)
_NUMBER_HINT = "dùng số nguyên, nhóm hàng nghìn bằng dấu chấm, dấu phẩy hoặc khoảng trắng (1.000 hay 1,000)"
_GROUPED = re.compile(r"\d{1,3}(?:([.,\s])\d{3})(?:\1\d{3})*")
_WHOLE_DECIMAL = re.compile(r"(\d+)[.,]0+")
_MAX_TEXT = f"{STORE_INT_MAX:,}".replace(",", ".")  # as lib.data.i18n.format_int writes it
QUOTE_CHARS = 60


def quote(text: str) -> str:
    """A cell's text as quoted in a message: at most 60 characters (a cell may hold 32,767)."""
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"


def parse_count(text: str) -> tuple[int | None, str | None]:
    """(value, Vietnamese error) of a count under :data:`NUMBER_RULE`; "" is missing (None, None)."""
    value = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if value == "":
        return None, None
    whole = _WHOLE_DECIMAL.fullmatch(value)
    if value.isdigit() and value.isascii():
        number = int(value)
    elif _GROUPED.fullmatch(value):
        number = int(re.sub(r"[.,\s]", "", value))
    elif whole is not None:
        number = int(whole.group(1))
    elif re.fullmatch(r"-\s*[\d.,\s]+", value):
        return None, f"số âm ({text})"
    elif re.fullmatch(r"\d+[.,]\d+", value):
        return None, f"“{quote(text)}” không phải số nguyên (hoặc dấu nhóm hàng nghìn đặt sai) — {_NUMBER_HINT}"
    else:
        return None, f"“{text[:40]}” không phải là số — {_NUMBER_HINT}"
    if number > STORE_INT_MAX:
        return None, f"số {text[:40]} quá lớn (tối đa {_MAX_TEXT})"
    return number, None
