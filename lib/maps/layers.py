"""Geometry of each map view, prepared once as compact GeoJSON text (simplified for the national view)."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd
import shapely

from lib.data.confidence import CLASS_LABELS, confidence_class, format_iou, method_label
from lib.maps import leaflet

# National view: 3,321 communes must reach the browser in at most ~3 MB, so they are
# simplified further (as a coverage, ~500 m) and written with 4 decimals (~10 m).
NATIONAL_TOLERANCE_DEG = 0.005
NATIONAL_DECIMALS = 4
PROVINCE_DECIMALS = 5
OLD_LINES_DECIMALS = 4
# Feature properties sent to the browser: code, tooltip text, and which layer it belongs to
# (a click on an old commune and on a new one carry 5-digit codes alike).
PROPERTIES = {"code": "code", "label": "label", "kind": "kind"}
# Old communes also carry their confidence class ("cls"), which sets their line style.
OLD_COMMUNE_PROPERTIES = {**PROPERTIES, "cls": "cls"}


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
        label = label.where(
            ~units["reconstructed"].fillna(False).astype(bool), units["name"] + " (cũ, ranh giới dựng lại)"
        )
    return label


def old_commune_labels(units: pd.DataFrame) -> pd.Series:
    """Tooltip text of old communes: :func:`old_labels`, then (when the layer has them) a line with the
    confidence class and predicted IoU and a line with the method in words. Shown as text, never HTML."""
    label = old_labels(units)
    if "confidence" not in units.columns:
        return label
    method = units["method"] if "method" in units.columns else pd.Series(None, index=units.index, dtype=object)
    classes = confidence_class(units["confidence"], method)
    iou = units["confidence"].map(format_iou)
    line = "Độ tin cậy: " + classes.map(CLASS_LABELS) + iou.where(iou.eq(""), " — IoU dự đoán " + iou)
    words = method.map(method_label).fillna("")
    return label + "\n" + line + words.where(words.eq(""), "\nCách dựng: " + words)


def old_commune_classes(units: pd.DataFrame) -> pd.Series:
    """Confidence class of each old commune (None when the layer has no ``confidence``)."""
    if "confidence" not in units.columns:
        return pd.Series(None, index=units.index, dtype=object)
    return confidence_class(units["confidence"], units["method"] if "method" in units.columns else None)


def communes_of_province(communes: gpd.GeoDataFrame, province: str) -> gpd.GeoDataFrame:
    """The new communes of one new province."""
    return communes[communes["province_code"] == province]


def old_units_of_province(
    old: gpd.GeoDataFrame, crosswalk: pd.DataFrame, province: str, *, key: str
) -> gpd.GeoDataFrame:
    """Old units (provinces, districts or communes) that contributed to new province ``province``.

    ``key`` is the crosswalk column holding the old unit's code at that level.
    """
    codes = set(crosswalk.loc[crosswalk["new_province_code"] == province, key])
    return old[old["code"].isin(codes)]


OLD_KEYS = {"old_provinces": "old_province_code", "old_districts": "old_district_code", "old_communes": "old_code"}


def geometry_text(
    kind: str, province: str, *, layer: Callable[[str], gpd.GeoDataFrame], crosswalk: pd.DataFrame
) -> str:
    """GeoJSON text of one map layer: "national_communes", "national_provinces",
    "province_communes" (of ``province``), or an old layer ("old_provinces", "old_districts",
    "old_communes"; those that contributed to ``province``, or all). ``layer(name)`` loads a layer.
    """
    if kind == "national_communes":
        units = simplify_for_national(layer("new_communes"))
        units["label"], units["kind"], decimals = commune_labels(units), "commune", NATIONAL_DECIMALS
    elif kind == "national_provinces":
        units = simplify_for_national(layer("new_provinces"))
        units["label"], units["kind"], decimals = units["full_name"], "province", NATIONAL_DECIMALS
    elif kind == "province_communes":
        units = communes_of_province(layer("new_communes"), province).copy()
        units["label"], units["kind"], decimals = commune_labels(units), "commune", PROVINCE_DECIMALS
    elif kind in OLD_KEYS:
        old = layer(kind)
        units = old_units_of_province(old, crosswalk, province, key=OLD_KEYS[kind]) if province else old
        if kind == "old_communes":
            units = units.assign(label=old_commune_labels(units), kind=kind, cls=old_commune_classes(units))
            return leaflet.geojson_text(units, OLD_COMMUNE_PROPERTIES, decimals=OLD_LINES_DECIMALS)
        units = units.assign(label=old_labels(units), kind=kind)
        decimals = OLD_LINES_DECIMALS
    else:
        raise ValueError(f"unknown map layer {kind!r}")
    return leaflet.geojson_text(units, PROPERTIES, decimals=decimals)


NATIONAL_KINDS = ("national_provinces", "national_communes")


def map_requests(province_codes: list[str], old_layers: list[str]) -> list[tuple[str, str]]:
    """Every (kind, province) the map page can ask :func:`geometry_text` for: the two national
    layers, each province's communes, and each old layer for every province and for the whole
    country ("" = all)."""
    requests = [(kind, "") for kind in NATIONAL_KINDS]
    requests += [("province_communes", code) for code in province_codes]
    requests += [(kind, code) for kind in old_layers for code in ["", *province_codes]]
    return requests


def static_relative(version: str, kind: str, province: str = "") -> str:
    """Path under static/ of a prepared layer file: geo/<dataset version>/<kind>-<province or all>.json."""
    return f"geo/{version}/{kind}-{province or 'all'}.json"
