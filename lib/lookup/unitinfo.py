"""What the map's panel says about one unit: a new commune's predecessors, an old commune's targets."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from lib.core.vocab import PART_LABELS, RELATION_LABELS
from lib.data import confidence
from lib.data.asof import units_on


def predecessors(crosswalk: pd.DataFrame, new_code: str) -> pd.DataFrame:
    """Old units that formed new commune ``new_code``: name, district, province, whole/part, share."""
    rows = crosswalk[crosswalk["new_code"] == new_code]
    return pd.DataFrame(
        {
            "old_code": rows["old_code"],
            "old_name": rows["old_name"],
            "old_district_name": rows["old_district_name"],
            "old_province_name": rows["old_province_name"],
            "part": rows["part"].map(PART_LABELS),
            "share_of_new": rows["share_of_new"],
            "relation": rows["relation"].map(RELATION_LABELS),
        }
    ).reset_index(drop=True)


def targets(crosswalk: pd.DataFrame, old_code: str) -> pd.DataFrame:
    """New communes an old unit went to (several for a split commune), with share of its area."""
    rows = crosswalk[crosswalk["old_code"] == old_code]
    return pd.DataFrame(
        {
            "new_code": rows["new_code"],
            "new_name": rows["new_name"],
            "new_province_name": rows["new_province_name"],
            "part": rows["part"].map(PART_LABELS),
            "share_of_old": rows["share_of_old"],
        }
    ).reset_index(drop=True)


def commune_record(
    communes: pd.DataFrame, code: str, *, changes: pd.DataFrame | None = None, on: dt.date | None = None
) -> dict | None:
    """Attributes of one new commune as a dict, or None when the code is unknown.

    With the change log ``changes``, ``name``, ``type`` and ``full_name`` are those in force on
    ``on`` (default: today), with ``legal_basis``, ``basis_date``, ``basis`` ("1656/NQ-UBTVQH15
    ngày 16/06/2025") and ``on``.
    """
    match = communes[communes["code"] == code]
    if match.empty:
        return None
    record = match.drop(columns=[c for c in ("geometry",) if c in match.columns]).iloc[0].to_dict()
    if changes is not None:
        state = units_on(on, match, changes[changes["code"] == code]).iloc[0]
        record.update({k: state[k] for k in ("name", "type", "full_name", "legal_basis", "basis_date", "basis")})
        record["on"] = on
    return record


def old_commune_record(
    crosswalk: pd.DataFrame, old_code: str, *, old_communes: pd.DataFrame | None = None
) -> dict | None:
    """Name, type, district and province of an old unit, from its crosswalk rows.

    With the old-commune layer ``old_communes`` (``code``, ``method``, ``confidence``), also how its
    reconstructed polygon was made and how far it can be trusted: ``method``, ``method_label`` (words),
    ``confidence`` (predicted IoU, None when unknown), ``confidence_class`` and ``class_label``
    (``lib.data.confidence``); an old unit missing from the layer has class "unknown".
    """
    rows = crosswalk[crosswalk["old_code"] == old_code]
    if rows.empty:
        return None
    first = rows.iloc[0]
    record = {k: first[k] for k in ("old_code", "old_name", "old_type", "old_district_name", "old_province_name")}
    if old_communes is not None:
        hits = np.flatnonzero(old_communes["code"].to_numpy() == old_code)  # column-wise: no frame is copied
        row = int(hits[0]) if len(hits) else None
        method = old_communes["method"].iloc[row] if row is not None and "method" in old_communes.columns else None
        value = (
            old_communes["confidence"].iloc[row] if row is not None and "confidence" in old_communes.columns else None
        )
        method = None if method is None or pd.isna(method) else str(method)
        value = None if value is None or pd.isna(value) else float(value)
        cls = confidence.class_of(value, method)
        record.update(
            method=method,
            method_label=confidence.method_label(method),
            confidence=value,
            confidence_class=cls,
            class_label=confidence.CLASS_LABELS[cls],
        )
    return record
