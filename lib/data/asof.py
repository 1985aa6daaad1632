"""The new communes as of a date: names, types and legal basis, from the dated change log.

The bundled ``new/communes.geojson`` carries the latest known state (the statistics office's
catalogue, then any user amendments); ``changes.csv`` holds one dated record per change. The
state on an earlier date is the latest state with every later name or type change undone.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from lib.core.parse import parse_day
from lib.core.vocab import REFORM_DATE
from lib.data import geodata, i18n

CHANGES = "changes.csv"
AMENDMENTS = "amendments.csv"
KINDS = ("reform", "type_change", "rename", "merge", "boundary")
FIELDS = ("name", "type")
CHANGE_COLUMNS = [
    "effective_date",
    "code",
    "kind",
    "field",
    "old_value",
    "new_value",
    "legal_basis",
    "basis_date",
    "basis_from",
    "source",
    "detail",
]
CHANGE_DOCS = {
    "effective_date": "date the change took effect (ISO, YYYY-MM-DD)",
    "code": "5-digit code of the new commune",
    "kind": "reform (the unit as set up on 01/07/2025), type_change, rename, merge, boundary (part of "
    "another unit's area taken in, `1 phần`)",
    "field": "`name` or `type` for a change the app replays by date, else empty",
    "old_value": "value before the change (name without its type word, or the type word)",
    "new_value": "value after the change",
    "legal_basis": "resolution number, e.g. 1656/NQ-UBTVQH15",
    "basis_date": "date of the resolution (ISO)",
    "basis_from": "`note` when the unit's own note names the resolution; `province` when the note names "
    "only a later resolution and the reform resolution is the one the province's other notes cite; "
    "`amendment` for a user amendment",
    "source": "`nso2026` (catalogue note) or the amendments file",
    "detail": "the text of the note the record comes from",
}


class DateError(ValueError):
    """A date before the new units existed, or not a date."""


def parse_on(value: str | dt.date | None) -> dt.date:
    """``value`` as a date on or after 01/07/2025; ``None`` or "" is today in Vietnam."""
    if value is None or value == "":
        return i18n.today()
    if isinstance(value, str):
        day = parse_day(value.strip())
        if day is None:
            raise DateError(f"“{value}” không phải ngày dạng YYYY-MM-DD")
        value = day
    if value < REFORM_DATE:
        raise DateError(
            f"Ngày {i18n.format_date(value)} trước 01/07/2025: các đơn vị mới chưa tồn tại "
            "(chọn một ngày từ 01/07/2025)"
        )
    return value


def load_changes(geodata_dir: Path | None = None) -> pd.DataFrame:
    """The change log ``changes.csv`` (all text); an empty log when the file is missing."""
    path = geodata.folder(geodata_dir) / CHANGES
    if not path.is_file():
        return pd.DataFrame(columns=CHANGE_COLUMNS)
    return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)


def basis_label(legal_basis: str, basis_date: str) -> str:
    """ "1656/NQ-UBTVQH15 ngày 16/06/2025" (or "" when unknown)."""
    if not legal_basis:
        return ""
    if not basis_date:
        return legal_basis
    return f"{legal_basis} ngày {i18n.format_date(dt.date.fromisoformat(basis_date))}"


def units_on(date: str | dt.date | None, communes: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """Name, type and legal basis of every new commune as of ``date`` (default: today in Vietnam).

    Parameters
    ----------
    date
        A date on or after 01/07/2025 (a ``date`` or ISO text); earlier raises :class:`DateError`.
    communes
        The latest state: ``code``, ``name`` (without the type word), ``type``.
    changes
        The change log (:data:`CHANGE_COLUMNS`).

    Returns
    -------
    DataFrame indexed like ``communes`` with ``code``, ``name``, ``type``, ``full_name``,
    ``legal_basis``, ``basis_date`` (the latest resolution in force on the date) and
    ``basis`` (the label "1656/NQ-UBTVQH15 ngày 16/06/2025").
    """
    on = parse_on(date).isoformat()
    state = pd.DataFrame({"code": communes["code"], "name": communes["name"], "type": communes["type"]})
    by_code = pd.Series(state.index, index=state["code"])
    later = changes[(changes["effective_date"] > on) & changes["field"].isin(FIELDS)]
    # Undo the later changes, latest first (stable on the log's order within a day).
    for _, change in later.iloc[::-1].sort_values("effective_date", ascending=False, kind="mergesort").iterrows():
        if change["code"] in by_code.index:
            state.loc[by_code[change["code"]], change["field"]] = change["old_value"]
    state["full_name"] = (state["type"] + " " + state["name"]).str.strip()
    in_force = changes[(changes["effective_date"] <= on) & (changes["legal_basis"] != "")]
    latest = (
        in_force.sort_values(["effective_date", "basis_date"], kind="mergesort")
        .drop_duplicates("code", keep="last")
        .set_index("code")
    )
    for column in ("legal_basis", "basis_date"):
        known = latest[column].to_dict()
        state[column] = [known.get(code, "") for code in state["code"]]
    state["basis"] = [basis_label(b, d) for b, d in zip(state["legal_basis"], state["basis_date"], strict=True)]
    return state


def with_state_on(
    frame: pd.DataFrame, state: pd.DataFrame, *, code: str = "new_code", prefix: str = "new_"
) -> pd.DataFrame:
    """``frame`` with ``{prefix}name``/``{prefix}type`` as of the state's date and the legal basis columns."""
    indexed = state.set_index("code")
    out = frame.copy()
    codes = out[code]
    out[f"{prefix}name"] = codes.map(indexed["full_name"]).fillna(out.get(f"{prefix}name", ""))
    out[f"{prefix}type"] = codes.map(indexed["type"]).fillna(out.get(f"{prefix}type", ""))
    for column in ("legal_basis", "basis_date"):
        known = indexed[column].to_dict()
        out[f"{prefix}{column}"] = [known.get(c, "") for c in codes]
    return out


def communes_on(date: str | dt.date | None, communes: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``communes`` with ``name``, ``type``, ``full_name`` as of ``date`` and the legal basis."""
    state = units_on(date, communes, changes)
    out = communes.copy()
    for column in ("name", "type", "full_name", "legal_basis", "basis_date", "basis"):
        out[column] = state[column].to_numpy()
    return out


def crosswalk_on(date: str | dt.date | None, crosswalk: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """``crosswalk`` with ``new_name``/``new_type`` as of ``date`` and ``new_legal_basis``, ``new_basis_date``."""
    communes = crosswalk.drop_duplicates("new_code")
    names = [
        full[len(kind) + 1 :] if kind and full.startswith(kind + " ") else full
        for full, kind in zip(communes["new_name"], communes["new_type"], strict=True)
    ]
    latest = pd.DataFrame(
        {"code": communes["new_code"].to_numpy(), "name": names, "type": communes["new_type"].to_numpy()}
    )
    return with_state_on(crosswalk, units_on(date, latest, changes))
