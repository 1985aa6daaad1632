"""Display geometry of the rebuilt old communes: pieces that tile the simplified new communes.

The rebuild (:mod:`lib.assemble.oldcommunes`) gives full-resolution pieces; this module thins
them for drawing so that their outer lines are the simplified new communes' own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from lib.assemble.oldcommunes import give_to_neighbour, rows_by_code
from lib.assemble.partition import EMPTY, MIN_PART_DEG2, clean_parts, polygonal
from lib.data.geometry import COORDINATE_GRID_DEG, DISPLAY_TOLERANCE_DEG, to_multipolygons

# The old communes' inner lines are rebuilt, known to a few hundred metres at best (hold-out median
# IoU ~0.89): drawn at 2.5x the new communes' tolerance they lose nothing real, and the committed
# layer stays under 20 MB. Their outer lines are the new communes' own (DISPLAY_TOLERANCE_DEG).
OLD_INNER_TOLERANCE_DEG = 2.5 * DISPLAY_TOLERANCE_DEG


def display_pieces(
    pieces: pd.DataFrame, new_display: dict[str, BaseGeometry], tolerance: float = OLD_INNER_TOLERANCE_DEG
) -> np.ndarray:
    """Display geometry of each piece: tiles the simplified new commune, outer lines identical to it.

    A piece that is its whole new commune takes the simplified commune as is. The others are
    first thinned as one coverage at a quarter of the tolerance, then cut from the simplified
    commune (:func:`_faces_by_piece`: the slivers between the two outlines go to the piece
    they touch), and their inner lines simplified as a coverage with the outer line kept
    (exactly collinear vertices dropped first).
    """
    out = np.empty(len(pieces), dtype=object)
    groups = pieces.groupby("new_code").indices
    shared = np.concatenate([ix for ix in groups.values() if len(ix) > 1])
    thinned = np.empty(len(pieces), dtype=object)
    thinned[shared] = shapely.coverage_simplify(pieces["geometry"].to_numpy()[shared], tolerance / 4)
    for new_code, index in groups.items():
        outline = new_display[new_code]
        if len(index) == 1:
            out[index[0]] = outline
            continue
        clipped = _faces_by_piece(outline, thinned[index])
        # Noding the two outlines adds collinear vertices along the outer line: a first pass
        # at 1e-8° drops them (and only exactly collinear ones), then the inner lines are simplified
        # with the outer line kept.
        cleaned = shapely.coverage_simplify(np.array(clipped, dtype=object), 1e-8, simplify_boundary=True)
        simplified = shapely.coverage_simplify(cleaned, tolerance, simplify_boundary=False)
        snapped = shapely.set_precision(simplified, COORDINATE_GRID_DEG, mode="valid_output")
        for k, _ in enumerate(index):
            # A piece too small to survive simplification keeps its unsimplified shape,
            # carved out of its neighbours.
            if shapely.is_empty(snapped[k]) or shapely.area(snapped[k]) <= 0:
                small = shapely.set_precision(clipped[k], COORDINATE_GRID_DEG, mode="valid_output")
                for j in range(len(index)):
                    if j != k and shapely.intersects(snapped[j], small):
                        snapped[j] = polygonal(shapely.difference(snapped[j], small))
                snapped[k] = small
        for k, i in enumerate(index):
            out[i] = snapped[k]
            if shapely.is_empty(out[i]):  # lost in the thinning: its own shape, clipped
                full = pieces["geometry"].iloc[i]
                out[i] = shapely.set_precision(
                    polygonal(shapely.intersection(outline, full)), COORDINATE_GRID_DEG, mode="valid_output"
                )
        # Slivers and far parts the simplification left go to the neighbour they share most line with.
        cleaned = clean_parts({k: out[i] for k, i in enumerate(index)})
        for k, i in enumerate(index):
            if cleaned[k] is not out[i]:
                out[i] = shapely.set_precision(cleaned[k], COORDINATE_GRID_DEG, mode="valid_output")
    _display_slivers_to_neighbours(pieces, out)
    return out


def _display_slivers_to_neighbours(pieces: pd.DataFrame, out: np.ndarray) -> None:
    """A split commune's piece that simplification cut off from its body as a sliver goes to a neighbour.

    Drawing only (in place): the crosswalk areas come from the full-resolution pieces, where that
    piece joins the body (:func:`lib.assemble.oldcommunes._tidy_split_communes`).
    """
    rows = [
        {"old_code": o, "new_code": n, "geometry": g}
        for o, n, g in zip(pieces["old_code"], pieces["new_code"], out, strict=True)
    ]
    by_old, by_new = rows_by_code(rows)
    for code in sorted(c for c, ks in by_old.items() if len(ks) > 1):
        parts = shapely.get_parts(shapely.union_all([rows[k]["geometry"] for k in by_old[code]]))
        areas = shapely.area(parts)
        body = parts[int(np.argmax(areas))] if len(parts) else EMPTY
        for part, area in zip(parts, areas, strict=True):
            if part is body or area >= MIN_PART_DEG2:
                continue
            for k in by_old[code]:
                bit = polygonal(shapely.intersection(rows[k]["geometry"], part))
                if not bit.is_empty and shapely.area(bit) > 0:
                    give_to_neighbour(rows, k, bit, [j for j in by_new[rows[k]["new_code"]] if j != k])
    for k, row in enumerate(rows):
        if row["geometry"] is not out[k]:
            out[k] = shapely.set_precision(row["geometry"], COORDINATE_GRID_DEG, mode="valid_output")


def _faces_by_piece(outline: BaseGeometry, thinned: np.ndarray) -> list[BaseGeometry]:
    """Cut ``outline`` into one part per thinned piece, properly noded so that they form a coverage.

    The outline and the pieces' outlines are noded together and polygonized; each face inside
    the outline goes to the piece that holds it, or (a sliver between the two outlines) to
    the piece it touches or lies nearest to. Faces are merged per piece by coverage union.
    """
    lines = shapely.union_all([shapely.boundary(outline), *shapely.boundary(thinned)])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    faces = faces[shapely.area(faces) > 0]
    inner = shapely.point_on_surface(faces)
    keep = shapely.contains_properly(outline, inner) | shapely.covers(outline, inner)
    faces, inner = faces[keep], inner[keep]
    tree = shapely.STRtree(thinned)
    owner = np.full(len(faces), -1)
    hit = tree.query(inner, predicate="within")
    owner[hit[0][::-1]] = hit[1][::-1]
    loose = np.flatnonzero(owner < 0)
    if len(loose):
        touching = tree.query(faces[loose], predicate="intersects")
        owner[loose[touching[0][::-1]]] = touching[1][::-1]
        still = loose[owner[loose] < 0]
        if len(still):
            owner[still] = tree.query_nearest(faces[still], all_matches=False)[1]
    out = []
    for k in range(len(thinned)):
        mine = faces[owner == k]
        out.append(_merge(list(mine)) if len(mine) else EMPTY)
    return out


def _merge(parts: list[BaseGeometry]) -> BaseGeometry:
    """Union of adjacent polygons: fast coverage union where they are noded alike, else full."""
    try:
        merged = shapely.coverage_union_all(parts)
        if shapely.is_valid(merged) and abs(shapely.area(merged) - sum(shapely.area(p) for p in parts)) <= 1e-12:
            return merged
    except shapely.errors.GEOSException:
        pass
    return shapely.union_all(parts)


def display_units(pieces: pd.DataFrame, display: np.ndarray) -> pd.Series:
    """Union of the display pieces per old unit, as MultiPolygons (index: old code)."""
    frame = pd.DataFrame({"old_code": pieces["old_code"].to_numpy(), "geometry": display})
    union = frame.groupby("old_code")["geometry"].agg(
        lambda g: g.iloc[0] if len(g) == 1 else shapely.union_all(g.to_numpy(), grid_size=COORDINATE_GRID_DEG)
    )
    return pd.Series(to_multipolygons(union.to_numpy()), index=union.index)
