"""Export of selected crosswalk rows with the new→old summary and the province pairs they touch."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd

from lib.data.asof import communes_on, crosswalk_on
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
) -> bytes:
    """Export the ``selected`` crosswalk rows (``date`` defaults to today); the XLSX new→old sheet
    lists every predecessor of the
    selected new communes (taken from the whole ``crosswalk``, not only the selection).

    With the change log ``changes``, ``new_name``/``new_type`` are those in force on ``on``
    (default: today) and ``new_legal_basis``/``new_basis_date`` are added (rows that already
    carry them are left as they are)."""
    if changes is not None and "new_legal_basis" not in selected.columns:
        selected = crosswalk_on(on, selected, changes)
        crosswalk = crosswalk_on(on, crosswalk, changes)
        if new_communes is not None:
            new_communes = communes_on(on, new_communes, changes)
    info = export_info(manifest, selection=selection, date=date)
    summary = provinces = None
    if fmt == "xlsx":
        summary = new_to_old_summary(crosswalk[crosswalk["new_code"].isin(set(selected["new_code"]))])
        provinces = filter_province_crosswalk(province_crosswalk, selected)
    return export_bytes(fmt, selected, info, summary=summary, provinces=provinces, new_communes=new_communes)
