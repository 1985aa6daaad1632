"""Match the old communes of 30/06/2025 to the 2009 census polygons by province + district + name."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lib.data.names import name_key

CENSUS_2009 = "old2009/communes_2009.parquet"
# Province names that changed between the 2009 census and 2025 (name key → 2025 name key).
PROVINCE_ALIASES = {"thua thien hue": "hue"}


def read_census_2009(sources: Path) -> gpd.GeoDataFrame:
    """The 11,163 commune polygons of the 2009 census with name keys (EPSG:4326)."""
    path = Path(sources) / CENSUS_2009
    if not path.is_file():
        raise FileNotFoundError(f"source file not found: {path}")
    gdf = gpd.read_parquet(path)
    missing = [c for c in ("commune_id", "province_vn", "district_vn", "commune_vn") if c not in gdf.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
    province = gdf["province_vn"].map(name_key)
    gdf["province_key"] = province.map(lambda k: PROVINCE_ALIASES.get(k, k))
    gdf["district_key"] = gdf["district_vn"].map(name_key)
    gdf["commune_key"] = gdf["commune_vn"].map(name_key)
    gdf["geometry"] = gdf.geometry.make_valid()
    # A canonical row order (census id), so that nothing downstream depends on the file's order.
    if "commune_id" not in gdf.columns or not gdf["commune_id"].is_unique:
        raise ValueError(f"{path}: expected a unique commune_id column")
    return gdf.sort_values("commune_id", kind="mergesort", ignore_index=True)


def match_census(old_communes: pd.DataFrame, census: gpd.GeoDataFrame) -> pd.DataFrame:
    """Pair each old commune with at most one 2009 polygon.

    A pair needs the same province, district and commune name keys, and must be the only
    candidate on both sides (ambiguous names are left unmatched rather than guessed); the
    still unmatched are then paired by province + commune name where that is unique.

    Returns
    -------
    DataFrame
        ``old_code`` and ``census_index`` (row label in ``census``), one row per match.
    """
    old = pd.DataFrame(
        {
            "old_code": old_communes["code"].to_numpy(),
            "province_key": old_communes["province_name"].map(name_key).to_numpy(),
            "district_key": old_communes["district_name"].map(name_key).to_numpy(),
            "commune_key": old_communes["name"].map(name_key).to_numpy(),
        }
    )
    keys = ["province_key", "district_key", "commune_key"]
    right = pd.DataFrame({k: census[k].to_numpy() for k in keys})
    right["census_index"] = census.index.to_numpy()
    first = _unique_join(old, right, keys)
    # Second pass: districts split or renamed since 2009; a name unique in its province on
    # both sides (among the still unmatched) is taken.
    rest_old = old[~old["old_code"].isin(first["old_code"])]
    rest_right = right[~right["census_index"].isin(first["census_index"])]
    second = _unique_join(rest_old, rest_right, ["province_key", "commune_key"])
    return pd.concat([first, second], ignore_index=True)


def _unique_join(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    left = left[~left.duplicated(keys, keep=False)]
    right = right[~right.duplicated(keys, keep=False)]
    matched = left.merge(right[[*keys, "census_index"]], on=keys, how="inner")
    return matched[["old_code", "census_index"]].reset_index(drop=True)


def census_areas(shapes: dict[str, object]) -> dict[str, float]:
    """Old code → area of its 2009 shape in squared degrees (the unit the partition works in)."""
    codes = sorted(shapes)
    areas = shapely.area(np.array([shapes[c] for c in codes], dtype=object))
    return {c: float(a) for c, a in zip(codes, areas, strict=True) if a > 0}


def locate_unmatched(
    census: gpd.GeoDataFrame, matches: pd.DataFrame, old_codes: list[str], points: dict[str, object]
) -> dict[str, object]:
    """2009 polygons for old communes whose name matched none, found at their geocoded point.

    A 2009 polygon that no name match took, holding the point of exactly one old commune
    without a match (and no other old commune's point), is taken as that commune's 2009
    shape: most are communes renamed since 2009.
    """
    matched = set(matches["old_code"])
    free = census.loc[~census.index.isin(matches["census_index"])]
    codes = sorted(c for c in old_codes if c in points)
    if not len(free) or not codes:
        return {}
    pts = np.array([points[c] for c in codes], dtype=object)
    tree = shapely.STRtree(free.geometry.to_numpy())
    hit_pt, hit_poly = tree.query(pts, predicate="within")
    frame = pd.DataFrame({"code": np.array(codes)[hit_pt], "poly": hit_poly})
    frame["matched"] = frame["code"].isin(matched)
    per_poly = frame.groupby("poly").agg(n=("code", "size"), unmatched=("matched", lambda m: int((~m).sum())))
    good = per_poly[(per_poly["n"] == 1) & (per_poly["unmatched"] == 1)].index
    frame = frame[frame["poly"].isin(good) & ~frame["matched"]]
    frame = frame[~frame["code"].duplicated(keep=False)]  # a point in two overlapping polygons: skip
    geoms = free.geometry.to_numpy()
    return {c: geoms[k] for c, k in zip(frame["code"], frame["poly"], strict=True)}
