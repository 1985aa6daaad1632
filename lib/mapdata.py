"""Geometry of each map view, prepared once as compact GeoJSON text (simplified for the national view)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

# National view: 3,321 communes must reach the browser in at most ~3 MB, so they are
# simplified further (as a coverage, ~500 m) and written with 4 decimals (~10 m).
NATIONAL_TOLERANCE_DEG = 0.005
NATIONAL_DECIMALS = 4
PROVINCE_DECIMALS = 5
OLD_LINES_DECIMALS = 4
# Feature properties sent to the browser: code, tooltip text, and which layer it belongs to
# (a click on an old commune and on a new one carry 5-digit codes alike).
PROPERTIES = {"code": "code", "label": "label", "kind": "kind"}


def simplify_for_national(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Coverage-simplified copy for the national view (shared borders stay shared)."""
    out = gdf.copy()
    out.geometry = shapely.coverage_simplify(gdf.geometry.values, NATIONAL_TOLERANCE_DEG)
    return out


def commune_labels(communes: pd.DataFrame) -> pd.Series:
    """Tooltip text: "Phường Ba Đình — Thành phố Hà Nội"."""
    return communes["full_name"] + " — " + communes["province_name"]


def old_labels(units: pd.DataFrame) -> pd.Series:
    """Tooltip text of old units, marked as former (and reconstructed where the layer says so)."""
    label = units["name"] + " (cũ)"
    if "reconstructed" in units.columns:
        label = label.where(~units["reconstructed"].fillna(False).astype(bool), units["name"] + " (cũ, ranh giới dựng lại)")
    return label


def communes_of_province(communes: gpd.GeoDataFrame, province: str) -> gpd.GeoDataFrame:
    """The new communes of one new province."""
    return communes[communes["province_code"] == province]


def old_units_of_province(old: gpd.GeoDataFrame, crosswalk: pd.DataFrame, province: str, *, key: str) -> gpd.GeoDataFrame:
    """Old units (provinces, districts or communes) that contributed to new province ``province``.

    ``key`` is the crosswalk column holding the old unit's code at that level.
    """
    codes = set(crosswalk.loc[crosswalk["new_province_code"] == province, key])
    return old[old["code"].isin(codes)]
