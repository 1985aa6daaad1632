"""Geometry helpers shared by the build steps: projection for areas, display simplification."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

# Albers equal-area fitted to Vietnam (standard parallels 8° and 23° N): areas in m².
EQUAL_AREA_CRS = "+proj=aea +lat_0=16 +lon_0=106 +lat_1=8 +lat_2=23 +datum=WGS84 +units=m +no_defs"
# Display resolution: coverage simplification tolerance (~80 m) and coordinate grid (~1 m).
DISPLAY_TOLERANCE_DEG = 0.0008
COORDINATE_GRID_DEG = 1e-5


def area_km2(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Area of each geometry in km², computed in :data:`EQUAL_AREA_CRS`."""
    return gdf.geometry.to_crs(EQUAL_AREA_CRS).area.to_numpy() / 1e6


def simplify_coverage(geoms: np.ndarray, tolerance: float = DISPLAY_TOLERANCE_DEG) -> np.ndarray:
    """Simplify polygons that tile an area so shared borders stay shared, then snap to the grid.

    Snapping after simplification keeps shared vertices identical in neighbours; the few
    polygons that snapping would make invalid are repaired by GEOS' precision model.
    """
    simplified = shapely.coverage_simplify(geoms, tolerance)
    return shapely.set_precision(simplified, COORDINATE_GRID_DEG, mode="valid_output")


def remove_overlaps(geoms: np.ndarray, *, grid_size: float | None = None) -> tuple[np.ndarray, int]:
    """Give every area covered by two polygons to the one that comes first; return (geoms, pairs).

    Upstream layers that should tile sometimes overlap (three Lào Cai wards share ~3.5 km²);
    a unit map must not count such an area twice. The order of ``geoms`` decides (callers
    sort by code, so the lower code keeps the area). With ``grid_size`` the differences are
    computed in that fixed precision, so that new vertices fall on the grid too.
    """
    tree = shapely.STRtree(geoms)
    first, second = tree.query(geoms, predicate="overlaps")
    keep = first < second
    first, second = first[keep], second[keep]
    out = geoms.copy()
    # One difference per polygon that loses area (a few hundred at most, mostly slivers).
    for j in np.unique(second):
        out[j] = shapely.difference(out[j], shapely.union_all(geoms[first[second == j]]), grid_size=grid_size)
    return out, len(first)


def to_multipolygons(geoms: np.ndarray) -> np.ndarray:
    """Make every geometry a MultiPolygon of its polygonal parts (drops stray lines/points)."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    polygonal = shapely.get_type_id(parts) == 3
    return shapely.multipolygons(parts[polygonal], indices=index[polygonal], out_size=len(geoms))
