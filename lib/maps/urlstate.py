"""The map view as URL query parameters: parse with validation and fallbacks, and write back."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace

from lib.core.parse import parse_day
from lib.core.vocab import REFORM_DATE
from lib.data import i18n

MODES = ("task", "centre", "merge")
LEVELS = ("province", "commune")
OLD_LAYERS = ("old_communes", "old_districts", "old_provinces")
EARLIEST_DATE = REFORM_DATE  # the new units (and their status reports) start on this day


@dataclass(frozen=True)
class ViewState:
    """What the map shows; every field has a default so an empty URL is the national view."""

    province: str = ""  # new province code, "" for the whole country
    level: str = "province"  # national view: colour the 34 provinces or all communes
    mode: str = "task"
    unit: str = ""  # selected new commune code
    old: str = ""  # selected old commune code
    layers: tuple[str, ...] = ()
    date: dt.date | None = None  # as-of date of the status shown; None = latest
    # Names and types of the units as of this date (``on=``); None = today. A parameter of its own,
    # not ``date``: the status date defaults to the latest report and cannot be in the future,
    # while the units' state has its own default (today) and range (from 01/07/2025).
    on: dt.date | None = None
    extra: dict = field(default_factory=dict, compare=False)


def _first(value: object) -> str:
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return str(value or "").strip()


def parse_view(
    params: Mapping[str, object],
    *,
    provinces: Collection[str],
    communes: Collection[str],
    old_communes: Collection[str] = (),
    today: dt.date | None = None,
) -> tuple[ViewState, list[str]]:
    """Turn query parameters (strings) into a :class:`ViewState`.

    A value that is not valid falls back to the default and adds a short message (in
    Vietnamese) to the returned list; nothing raises.
    """
    messages: list[str] = []
    today = today or i18n.today()

    def pick(name: str, allowed: Collection[str], default: str, label: str) -> str:
        value = _first(params.get(name, ""))
        if not value:
            return default
        if value in allowed:
            return value
        messages.append(f"Tham số {label} “{value[:40]}” không hợp lệ, dùng mặc định.")
        return default

    province = pick("province", provinces, "", "tỉnh")
    level = pick("level", LEVELS, "province", "cấp hiển thị")
    mode = pick("mode", MODES, "task", "chế độ màu")
    unit = pick("unit", communes, "", "xã")
    old = pick("old", old_communes, "", "xã cũ") if old_communes else ""
    raw_layers = [x for x in re.split(r"[,\s]+", _first(params.get("layers", ""))) if x]
    layers = tuple(x for x in OLD_LAYERS if x in raw_layers)
    unknown = [x for x in raw_layers if x not in OLD_LAYERS]
    if unknown:
        messages.append(f"Lớp “{', '.join(unknown)[:60]}” không có, bỏ qua.")
    date = None
    raw_date = _first(params.get("date", ""))
    if raw_date:
        date = parse_day(raw_date)
        if date is None:
            messages.append(f"Ngày “{raw_date[:20]}” không đúng dạng YYYY-MM-DD, dùng số liệu mới nhất.")
        elif date < EARLIEST_DATE:
            messages.append(
                f"Ngày {raw_date} trước {EARLIEST_DATE:%d/%m/%Y}, khi chưa có số liệu, dùng số liệu mới nhất."
            )
            date = None
        elif date > today:
            messages.append(f"Ngày {raw_date} ở tương lai, dùng số liệu mới nhất.")
            date = None
    on = None
    raw_on = _first(params.get("on", ""))
    if raw_on:
        on = parse_day(raw_on)
        if on is None:
            messages.append(f"Ngày “{raw_on[:20]}” không đúng dạng YYYY-MM-DD, dùng hôm nay.")
        elif on < REFORM_DATE:
            messages.append(f"Ngày {raw_on} trước 01/07/2025 (các đơn vị mới chưa có), dùng hôm nay.")
            on = None
    return ViewState(province, level, mode, unit, old, layers, date, on), messages


def to_params(view: ViewState) -> dict[str, str]:
    """Query parameters for ``view``, leaving out the defaults so that links stay short."""
    default = ViewState()
    params = {}
    for name in ("province", "level", "mode", "unit", "old"):
        value = getattr(view, name)
        if value != getattr(default, name):
            params[name] = value
    if view.layers:
        params["layers"] = ",".join(view.layers)
    if view.date:
        params["date"] = view.date.isoformat()
    if view.on:
        params["on"] = view.on.isoformat()
    return params


def with_changes(view: ViewState, **changes) -> ViewState:
    """A copy of ``view`` with ``changes`` (a selected unit is cleared when the province changes)."""
    if "province" in changes and changes["province"] != view.province:
        changes.setdefault("unit", "")
        changes.setdefault("old", "")
    return replace(view, **changes)
