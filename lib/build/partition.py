"""Partition one polygon among owners from polygon and point seeds (cores, then nearest seed)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

# Spacing of the sample points taken along a polygon seed's outline (degrees, ~200 m).
SAMPLE_SPACING_DEG = 0.002
# Relative area tolerance of the piece checks (GEOS overlay bug libgeos/geos#1344).
AREA_RTOL = 1e-9
# Precision grid used to recompute an overlay that fails the area check.
FALLBACK_GRID = 1e-9
EMPTY = shapely.Polygon()


@dataclass
class Seed:
    """What is known of one owner inside a region: a polygon hint and/or a point hint."""

    polygon: BaseGeometry | None = None
    point: BaseGeometry | None = None


@dataclass
class Partition:
    """Pieces of a region per owner, with the part of each fixed by a polygon seed (its core)."""

    pieces: dict[str, BaseGeometry]
    cores: dict[str, BaseGeometry]
    fallback: set[str] = field(default_factory=set)
    regridded: int = 0


def _area(geom: BaseGeometry) -> float:
    return float(shapely.area(geom))


def checked_intersection(a: BaseGeometry, b: BaseGeometry) -> tuple[BaseGeometry, bool]:
    """``a ∩ b``, recomputed on a fine precision grid if the result is larger than an input.

    Returns the geometry and whether the recomputation was needed.
    """
    result = shapely.intersection(a, b)
    limit = min(_area(a), _area(b)) * (1 + AREA_RTOL) + 1e-18
    if _area(result) <= limit and shapely.is_valid(result):
        return result, False
    return shapely.make_valid(shapely.intersection(a, b, grid_size=FALLBACK_GRID)), True


def checked_difference(a: BaseGeometry, b: BaseGeometry) -> tuple[BaseGeometry, bool]:
    """``a − b``, recomputed on a fine precision grid if its area is out of bounds or invalid.

    (Cheap bounds: area(a) − area(b) ≤ area(a − b) ≤ area(a); the partition's final sum
    check catches the rest.)
    """
    result = shapely.difference(a, b)
    area, whole = _area(result), _area(a)
    if whole - _area(b) - whole * 1e-9 <= area <= whole * (1 + AREA_RTOL) and shapely.is_valid(result):
        return result, False
    return shapely.make_valid(shapely.difference(a, b, grid_size=FALLBACK_GRID)), True


def split_by_cells(whole: BaseGeometry, cells: dict[int, BaseGeometry]) -> tuple[dict[int, BaseGeometry], bool]:
    """Cut ``whole`` by disjoint ``cells``; recompute on a grid if the parts do not add up to it.

    GEOS 3.14 can return the whole polygon instead of the piece from some intersections
    (libgeos/geos#1344); the sum check catches that.
    """
    parts = {i: _polygonal(shapely.intersection(whole, cell)) for i, cell in cells.items()}
    total = sum(_area(p) for p in parts.values())
    if abs(total - _area(whole)) <= _area(whole) * 1e-7 + 1e-18 and all(shapely.is_valid(p) for p in parts.values()):
        return parts, False
    whole_g = shapely.set_precision(whole, FALLBACK_GRID)
    parts = {
        i: _polygonal(shapely.make_valid(shapely.intersection(whole_g, cell, grid_size=FALLBACK_GRID)))
        for i, cell in cells.items()
    }
    return parts, True


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep the polygonal parts of ``geom`` (overlays may leave lines and points)."""
    if geom is None or geom.is_empty:
        return EMPTY
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else EMPTY


def _samples(geom: BaseGeometry, spacing: float) -> np.ndarray:
    """Points along the outline of a polygon (or the point itself), about ``spacing`` apart."""
    if shapely.get_type_id(geom) in (0, 4):
        return shapely.get_coordinates(geom)
    outline = shapely.segmentize(shapely.simplify(shapely.boundary(geom), spacing / 4), spacing)
    return shapely.get_coordinates(outline)


def partition_region(region: BaseGeometry, seeds: dict[str, Seed], *, spacing: float = SAMPLE_SPACING_DEG) -> Partition:
    """Split ``region`` into one piece per owner of ``seeds``, the pieces tiling the region.

    1. Cores: each owner's polygon seed clipped to the region, overlaps between seeds given
       to the owner listed first. A core that holds the point of an owner without a core is shared with
       it by nearest point (the polygon seed is outdated there). 2. Each hole left between
       the cores that holds points of owners without a core goes to those points (nearest
       point); the remaining holes and slivers go to the nearest seed (a Voronoi diagram of
       points sampled along the pieces' outlines, plus the point seeds). 3. An owner left
       without area (under 1e-4 of a fair share: no seed, or its point buried in another
       core) gets a small disc around
       its point (or the region's representative point) carved from the others: a fallback.
    Where the pieces do not add up to the region (within 1e-10 of its area), the largest is
    recomputed as the region minus all others, so the pieces tile the region.
    """
    owners = list(seeds)
    if len(owners) == 1:
        return Partition({owners[0]: region}, {owners[0]: EMPTY})
    regridded = 0
    # Overlaps between polygon seeds are resolved on the (light) seeds before clipping, so
    # each owner costs one overlay with the (heavy) region.
    cores: dict[str, BaseGeometry] = {}
    taken = EMPTY
    bbox = shapely.box(*shapely.bounds(region))
    for owner in owners:
        polygon = seeds[owner].polygon
        core = EMPTY
        if polygon is not None and not polygon.is_empty and shapely.intersects(polygon, bbox):
            own = polygon
            if not taken.is_empty and shapely.intersects(own, taken):
                own, r2 = checked_difference(own, taken)
                own = _polygonal(own)
                regridded += r2
            if not own.is_empty:
                taken = own if taken.is_empty else shapely.union(taken, own)
                core, r1 = checked_intersection(region, own)
                core = _polygonal(core)
                regridded += r1
        cores[owner] = core
    claimed = taken
    unclaimed, r = checked_difference(region, claimed) if not claimed.is_empty else (region, False)
    unclaimed = _polygonal(unclaimed)
    regridded += r

    anchor = shapely.point_on_surface(region)
    has_point = {o: seeds[o].point is not None and not seeds[o].point.is_empty for o in owners}
    # A core far smaller than a fair share is a sliver of an outdated polygon seed (e.g. a
    # district outline that predates a boundary change): the owner is treated as coreless.
    fair = _area(region) / len(owners)
    for o in owners:
        if not cores[o].is_empty and _area(cores[o]) < 0.01 * fair:
            cores[o] = EMPTY
    coreless = [o for o in owners if cores[o].is_empty]
    extra: dict[str, list[BaseGeometry]] = {o: [] for o in owners}

    # A 2009 shape that holds another predecessor's point is outdated (split since 2009, or
    # renamed): it is shared between its owner and those predecessors by nearest point.
    buried_in: dict[str, list[str]] = {}
    for o in coreless:
        if has_point[o]:
            for c in owners:
                if not cores[c].is_empty and shapely.covers(cores[c], seeds[o].point):
                    buried_in.setdefault(c, []).append(o)
                    break
    for c, buried in buried_in.items():
        own = (
            seeds[c].point
            if has_point[c] and shapely.covers(cores[c], seeds[c].point)
            else shapely.point_on_surface(cores[c])
        )
        sites = [c, *buried]
        xy = np.vstack(
            [shapely.get_coordinates(own)[:1]] + [shapely.get_coordinates(seeds[o].point)[:1] for o in buried]
        )
        cells = _voronoi_owner_cells(*_separate_duplicates(xy, np.arange(len(sites))), cores[c])
        parts, r = split_by_cells(cores[c], cells)
        regridded += r
        for i, owner in enumerate(sites):
            part = parts.get(i, EMPTY)
            if owner == c:
                cores[c] = part
            elif not part.is_empty:
                extra[owner].append(part)

    # The rest of the region: a hole that holds points of owners without a core goes to
    # those points (nearest point); the remaining slivers and holes go to the nearest seed.
    orphans = []
    free_points = [o for o in coreless if has_point[o] and o not in {b for v in buried_in.values() for b in v}]
    for component in shapely.get_parts(unclaimed):
        inside = [o for o in free_points if shapely.covers(component, seeds[o].point)]
        if not inside:
            orphans.append(component)
            continue
        if len(inside) == 1:
            extra[inside[0]].append(component)
            continue
        xy = np.vstack([shapely.get_coordinates(seeds[o].point)[:1] for o in inside])
        cells = _voronoi_owner_cells(*_separate_duplicates(xy, np.arange(len(inside))), component)
        parts, r = split_by_cells(component, cells)
        regridded += r
        for i, owner in enumerate(inside):
            if i in parts and not parts[i].is_empty:
                extra[owner].append(parts[i])

    fallback: set[str] = set()
    pieces = {o: shapely.union_all([cores[o], *extra[o]]) if extra[o] else cores[o] for o in owners}
    orphan_area = shapely.union_all(orphans) if orphans else EMPTY
    if not orphan_area.is_empty and shapely.area(orphan_area) > 0:
        coords, labels = [], []
        for i, owner in enumerate(owners):
            pts = []
            if not pieces[owner].is_empty:
                pts.append(_samples(pieces[owner], spacing))
            if has_point[owner]:
                pts.append(shapely.get_coordinates(seeds[owner].point))
            if not pts:
                fallback.add(owner)
                pts.append(shapely.get_coordinates(anchor))
            xy = np.vstack(pts)
            coords.append(xy)
            labels.append(np.full(len(xy), i))
        cells = _voronoi_owner_cells(*_separate_duplicates(np.vstack(coords), np.concatenate(labels)), region)
        parts, r = split_by_cells(orphan_area, cells)
        regridded += r
        for i, owner in enumerate(owners):
            part = parts.get(i, EMPTY)
            if not part.is_empty:
                pieces[owner] = part if pieces[owner].is_empty else shapely.union(pieces[owner], part)

    empty = [o for o in owners if pieces[o].is_empty or _area(pieces[o]) < 1e-4 * fair]
    if empty:
        pieces = _carve_discs(region, pieces, empty, seeds, anchor)
        fallback |= set(empty)
    pieces, r = _close(region, pieces)
    regridded += r
    return Partition(pieces, cores, fallback, regridded)


def _separate_duplicates(xy: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop repeated samples of one owner; nudge a point that another owner already uses."""
    rounded = np.round(xy, 9)
    _, first = np.unique(np.column_stack([rounded, label]), axis=0, return_index=True)
    xy, label = xy[np.sort(first)], label[np.sort(first)]
    rounded = np.round(xy, 9)
    _, inverse, counts = np.unique(rounded, axis=0, return_inverse=True, return_counts=True)
    if (counts > 1).any():
        xy = xy.copy()
        seen: dict[int, int] = {}
        for k, group in enumerate(inverse.ravel()):
            if counts[group] > 1:
                n = seen.get(group, 0)
                seen[group] = n + 1
                if n:
                    angle = 2.4 * n  # golden-angle spiral, ~10 m steps
                    xy[k] += 1e-4 * np.sqrt(n) * np.array([np.cos(angle), np.sin(angle)])
    return xy, label


def _voronoi_owner_cells(xy: np.ndarray, label: np.ndarray, region: BaseGeometry) -> dict[int, BaseGeometry]:
    """Union of the Voronoi cells of each owner's samples, covering ``region``'s envelope."""
    minx, miny, maxx, maxy = shapely.bounds(region)
    pad = max(maxx - minx, maxy - miny) + 1.0
    extent = shapely.box(
        min(minx, xy[:, 0].min()) - pad,
        min(miny, xy[:, 1].min()) - pad,
        max(maxx, xy[:, 0].max()) + pad,
        max(maxy, xy[:, 1].max()) + pad,
    )
    if len(xy) == 1:
        return {int(label[0]): extent}
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=extent, ordered=True))
    if len(cells) != len(xy):  # GEOS merged near-coincident sites: label cells by containment
        tree = shapely.STRtree(shapely.points(xy))
        idx = tree.query(cells, predicate="contains")
        cell_label = np.full(len(cells), -1)
        cell_label[idx[0]] = label[idx[1]]
    else:
        cell_label = label
    # Sites GEOS treats as coincident get an empty cell (their twin's cell covers them).
    polygonal = shapely.get_type_id(cells) == 3
    cells, cell_label = cells[polygonal], np.asarray(cell_label)[polygonal]
    invalid = ~shapely.is_valid(cells)
    if invalid.any():  # degenerate cells of collinear sites
        cells = cells.copy()
        cells[invalid] = [_polygonal(g) for g in shapely.make_valid(cells[invalid])]
    out = {}
    for i in np.unique(cell_label):
        if i < 0:
            continue
        try:
            out[int(i)] = shapely.coverage_union_all(cells[cell_label == i])
        except shapely.errors.GEOSException:  # cells of collinear sites may not be noded alike
            out[int(i)] = shapely.union_all(cells[cell_label == i])
    return out


def _carve_discs(
    region: BaseGeometry,
    pieces: dict[str, BaseGeometry],
    empty: list[str],
    seeds: dict[str, Seed],
    anchor: BaseGeometry,
) -> dict[str, BaseGeometry]:
    radius = 0.25 * np.sqrt(_area(region) / np.pi / len(pieces))
    outline = shapely.boundary(region)
    pieces = dict(pieces)
    used: list[BaseGeometry] = []
    for owner in empty:
        point = seeds[owner].point
        if point is not None and not point.is_empty and region.contains(point):
            centre = shapely.get_point(point, 0) if shapely.get_type_id(point) == 4 else point
        else:  # the point of the region's outline nearest to the geocode (or its centre)
            target = anchor if point is None or point.is_empty else point
            centre = shapely.get_point(shapely.shortest_line(outline, target), 0)
        # Owners placed at the same spot are spread along the outline, 2 radii apart.
        step = 0
        while any(shapely.distance(centre, c) < radius for c in used) and step < 50:
            step += 1
            centre = shapely.line_interpolate_point(outline, shapely.line_locate_point(outline, centre) + 2 * radius)
        used.append(centre)
        disc = _polygonal(shapely.intersection(region, shapely.buffer(centre, radius)))
        for other in pieces:
            if other != owner and not pieces[other].is_empty:
                pieces[other] = _polygonal(shapely.difference(pieces[other], disc))
        pieces[owner] = disc
    return pieces


def _close(region: BaseGeometry, pieces: dict[str, BaseGeometry]) -> tuple[dict[str, BaseGeometry], int]:
    """Recompute the largest piece as the region minus the others, unless they already tile it."""
    total = sum(_area(g) for g in pieces.values())
    if abs(total - _area(region)) <= _area(region) * 1e-10 and all(shapely.is_valid(g) for g in pieces.values()):
        return pieces, 0
    largest = max(pieces, key=lambda o: _area(pieces[o]))
    others = [g for o, g in pieces.items() if o != largest and not g.is_empty]
    if not others:
        return {**pieces, largest: region}, 0
    rest, r = checked_difference(region, shapely.union_all(others))
    return {**pieces, largest: _polygonal(rest)}, int(r)
