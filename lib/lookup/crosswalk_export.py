"""Export of selected crosswalk rows with the new→old summary and the province pairs they touch."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd

from lib.data.asof import communes_on, crosswalk_on
from lib.data.confidence import EXPORT_DOCS, shape_columns
from lib.io.export import export_bytes, export_info
from lib.lookup.lineage import filter_province_crosswalk, new_to_old_summary


def crosswalk_export(
    fmt: str,
    selected: pd.DataFrame,
    *,
    crosswalk: pd.DataFrame,
    province_crosswalk: pd.DataFrame,
    manifest: dict,
    new_communes: gpd.GeoDataFrame | None = None,
    selection: str = "toàn bộ bảng chuyển đổi",
    date: dt.date | None = None,
    changes: pd.DataFrame | None = None,
    on: dt.date | None = None,
    old_communes: pd.DataFrame | None = None,
) -> bytes:
    """Export the ``selected`` crosswalk rows (``date`` defaults to today); the XLSX new→old sheet
    lists every predecessor of the
    selected new communes (taken from the whole ``crosswalk``, not only the selection).

    With the change log ``changes``, ``new_name``/``new_type`` are those in force on ``on``
    (default: today) and ``new_legal_basis``/``new_basis_date`` are added (rows that already
    carry them are left as they are).

    With the old-commune layer ``old_communes`` (``code``, ``method``, ``confidence``), every row also
    says how far its old commune's reconstructed polygon, on which ``area_km2`` and the shares rest, can
    be trusted (:func:`with_old_shapes`)."""
    if changes is not None and "new_legal_basis" not in selected.columns:
        selected = crosswalk_on(on, selected, changes)
        crosswalk = crosswalk_on(on, crosswalk, changes)
        if new_communes is not None:
            new_communes = communes_on(on, new_communes, changes)
    if old_communes is not None:
        selected = with_old_shapes(selected, old_communes)
    info = export_info(manifest, selection=selection, date=date)
    summary = provinces = None
    if fmt == "xlsx":
        summary = new_to_old_summary(crosswalk[crosswalk["new_code"].isin(set(selected["new_code"]))])
        provinces = filter_province_crosswalk(province_crosswalk, selected)
    return export_bytes(fmt, selected, info, summary=summary, provinces=provinces, new_communes=new_communes)


def with_old_shapes(pairs: pd.DataFrame, old_communes: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` with the old commune's ``old_shape_method``, ``old_shape_iou`` (predicted IoU) and
    ``old_shape_class`` (``lib.data.confidence.EXPORT_DOCS``) appended; rows that carry them are left as they are."""
    if set(EXPORT_DOCS) <= set(pairs.columns):
        return pairs
    return pairs.join(shape_columns(pairs["old_code"], old_communes))
