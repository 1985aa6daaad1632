"""Partition one polygon among owners from polygon and point seeds (cores, then nearest seed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

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
# A hole left between the known shapes is given to an owner without a seed when it is at
# least this share of a fair share (smaller holes are slivers between the shapes).
HOLE_MIN_SHARE = 0.05
# Clean shapes: a part smaller than this (squared degrees; 1e-6 is 0.0114–0.0123 km² in
# Vietnam, so above 0.01 km² everywhere) or farther than FAR_PART_DEG (0.017°, 1.7–1.9 km)
# from the owner's largest part goes to the neighbour it shares the longest line with.
MIN_PART_DEG2 = 1e-6
# A hole that holds one point and is more than CAP_RATIO times that owner's target area is
# trimmed to the target around the point (bisection rounds on the radius).
CAP_RATIO = 1.3
CAP_ROUNDS = 14
FAR_PART_DEG = 0.017
K = TypeVar("K")  # the key of a candidate piece (owner code or row number)

# Bound on the parts moved by one clean_parts call (each move is found afresh).
CLEAN_MAX_MOVES = 10_000


@dataclass
class Seed:
    """What is known of one owner inside a region: a polygon hint and/or a point hint."""

    polygon: BaseGeometry | None = None
    point: BaseGeometry | None = None
    target: float | None = None  # expected area (squared degrees), e.g. the 2009 census shape's


@dataclass
class Partition:
    """Pieces of a region per owner, with the part of each fixed by a polygon seed (its core)."""

    pieces: dict[str, BaseGeometry]
    cores: dict[str, BaseGeometry]
    fallback: set[str] = field(default_factory=set)
    regridded: int = 0
    holes: set[str] = field(default_factory=set)  # owners given a hole no known shape covers
    capped: set[str] = field(default_factory=set)  # owners whose hole was trimmed to their target area


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
    parts = {i: polygonal(shapely.intersection(whole, cell)) for i, cell in cells.items()}
    total = sum(_area(p) for p in parts.values())
    if abs(total - _area(whole)) <= _area(whole) * 1e-7 + 1e-18 and all(shapely.is_valid(p) for p in parts.values()):
        return parts, False
    whole_g = shapely.set_precision(whole, FALLBACK_GRID)
    parts = {
        i: polygonal(shapely.make_valid(shapely.intersection(whole_g, cell, grid_size=FALLBACK_GRID)))
        for i, cell in cells.items()
    }
    return parts, True


def polygonal(geom: BaseGeometry) -> BaseGeometry:
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


def partition_region(
    region: BaseGeometry,
    seeds: dict[str, Seed],
    *,
    spacing: float = SAMPLE_SPACING_DEG,
    gaps: bool = True,
    clean: bool = True,
    unseeded_share: float = 1.0,
) -> Partition:
    """Split ``region`` into one piece per owner of ``seeds``, the pieces tiling the region.

    1. Cores: each owner's polygon seed clipped to the region, overlaps between seeds given
       to the owner listed first. A core that holds the point of an owner without a core is shared with
       it by nearest point (the polygon seed is outdated there). 2. Each hole left between
       the cores that holds points of owners without a core goes to those points: in
       proportion to their ``target`` areas (power diagram) where known, else by nearest
       point; a hole over ``CAP_RATIO`` times its one owner's target is trimmed to the target
       around the point. 3. With ``gaps``, owners still without area and without a point in
       the region take the largest remaining holes (``holes``). The remaining holes and
       slivers go to the nearest seed (a Voronoi diagram of points sampled along the pieces'
       outlines, plus the point seeds). 4. An owner left without area (under 1e-4 of a fair
       share) gets a cell sized to its target (else ``unseeded_share`` of a fair share) cut
       from the piece nearest its point (``fallback``). 5. With ``clean``, slivers and far
       parts go to a neighbour (:func:`clean_parts`).
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
                own = polygonal(own)
                regridded += r2
            if not own.is_empty:
                taken = own if taken.is_empty else shapely.union(taken, own)
                core, r1 = checked_intersection(region, own)
                core = polygonal(core)
                regridded += r1
        cores[owner] = core
    claimed = taken
    unclaimed, r = checked_difference(region, claimed) if not claimed.is_empty else (region, False)
    unclaimed = polygonal(unclaimed)
    regridded += r

    anchor = shapely.point_on_surface(region)
    has_point = {o: (p := seeds[o].point) is not None and not p.is_empty for o in owners}
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
    capped: set[str] = set()
    free_points = [o for o in coreless if has_point[o] and o not in {b for v in buried_in.values() for b in v}]
    for component in shapely.get_parts(unclaimed):
        inside = [o for o in free_points if shapely.covers(component, seeds[o].point)]
        if not inside:
            orphans.append(component)
            continue
        if len(inside) == 1:
            part, rest = _cap(component, seeds[inside[0]])
            extra[inside[0]].append(part)
            if not rest.is_empty:
                capped.add(inside[0])
                orphans.extend(shapely.get_parts(rest))
            continue
        xy = np.vstack([shapely.get_coordinates(seeds[o].point)[:1] for o in inside])
        shares = _shares([seeds[o].target for o in inside])
        if shares is None:
            cells = _voronoi_owner_cells(*_separate_duplicates(xy, np.arange(len(inside))), component)
            parts, r = split_by_cells(component, cells)
        else:
            parts, r = weighted_split(component, xy, shares)
        regridded += r
        for i, owner in enumerate(inside):
            if i in parts and not parts[i].is_empty:
                part, rest = _cap(parts[i], seeds[owner])
                extra[owner].append(part)
                if not rest.is_empty:
                    capped.add(owner)
                    orphans.extend(shapely.get_parts(rest))

    # Owners still without area and without a point in the region (the geocode lies outside
    # this new commune) take the holes no known shape covers: such a hole is most likely the
    # 2009 shape of an old commune whose name did not match. Largest holes first, each to the
    # homeless owner whose point is nearest.
    holes: set[str] = set()
    homeless = [o for o in owners if cores[o].is_empty and not extra[o]] if gaps else []
    if homeless and orphans:
        big = sorted((c for c in orphans if _area(c) >= HOLE_MIN_SHARE * fair), key=lambda c: (-_area(c), c.wkb))
        for component in big:
            if not homeless:
                break
            owner = min(
                homeless,
                key=lambda o: (
                    float(shapely.distance(component, seeds[o].point)) if has_point[o] else np.inf,
                    owners.index(o),
                ),
            )
            extra[owner].append(component)
            orphans.remove(component)
            homeless.remove(owner)
            holes.add(owner)

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
        pieces, carved = _carve_sized(region, pieces, empty, seeds, anchor, fair, unseeded_share)
        regridded += carved
        fallback |= set(empty)
    pieces, closed = _close(region, pieces)
    regridded += closed
    if clean:
        pieces = clean_parts(pieces)
    return Partition(pieces, cores, fallback, regridded, holes, capped)


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
        for k, group in enumerate(inverse.ravel().tolist()):
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
    is_polygon = shapely.get_type_id(cells) == 3
    cells, cell_label = cells[is_polygon], np.asarray(cell_label)[is_polygon]
    invalid = ~shapely.is_valid(cells)
    if invalid.any():  # degenerate cells of collinear sites
        cells = cells.copy()
        cells[invalid] = [polygonal(g) for g in shapely.make_valid(cells[invalid])]
    out = {}
    for i in np.unique(cell_label):
        if i < 0:
            continue
        try:
            out[int(i)] = shapely.coverage_union_all(cells[cell_label == i])
        except shapely.errors.GEOSException:  # cells of collinear sites may not be noded alike
            out[int(i)] = shapely.union_all(cells[cell_label == i])
    return out


def _carve_sized(
    region: BaseGeometry,
    pieces: dict[str, BaseGeometry],
    empty: list[str],
    seeds: dict[str, Seed],
    anchor: BaseGeometry,
    fair: float,
    unseeded_share: float = 1.0,
) -> tuple[dict[str, BaseGeometry], int]:
    """Give each owner without area a cell cut from the piece at its point, sized to its target.

    The cell's site is the owner's point if it lies in the region, else the point of the
    region nearest to it (or the region's representative point). The piece there is split
    between its owner and the newcomer by an area-weighted (power) cut: the newcomer gets its
    target area (2009 census area) or else a fair share, at most half of the piece.
    """
    pieces = dict(pieces)
    regridded = 0
    for owner in empty:
        point = seeds[owner].point
        if point is not None and not point.is_empty:
            point = shapely.get_geometry(point, 0) if shapely.get_type_id(point) == 4 else point
            site = (
                point if shapely.covers(region, point) else shapely.get_point(shapely.shortest_line(region, point), 0)
            )
        else:
            site = anchor
        holders = [o for o in pieces if o != owner and not pieces[o].is_empty]
        if not holders:
            continue
        holder = min(holders, key=lambda o: (float(shapely.distance(pieces[o], site)), -_area(pieces[o])))
        piece = pieces[holder]
        hp = seeds[holder].point
        hp = shapely.get_geometry(hp, 0) if hp is not None and shapely.get_type_id(hp) == 4 else hp
        own = (
            hp if hp is not None and not hp.is_empty and shapely.covers(piece, hp) else shapely.point_on_surface(piece)
        )
        target = seeds[owner].target
        want = target if target else unseeded_share * fair
        want = min(want, 0.5 * _area(piece))
        xy = np.vstack([shapely.get_coordinates(own)[:1], shapely.get_coordinates(site)[:1]])
        if np.allclose(xy[0], xy[1]):
            xy[1] = shapely.get_coordinates(shapely.point_on_surface(piece))[0] + 1e-5
        parts, r = weighted_split(piece, xy, np.array([_area(piece) - want, want]))
        regridded += r
        if parts.get(1, EMPTY).is_empty or parts.get(0, EMPTY).is_empty:
            continue
        pieces[holder], pieces[owner] = parts[0], parts[1]
    return pieces, regridded


def clean_parts(
    pieces: dict[K, BaseGeometry], min_area: float = MIN_PART_DEG2, far: float = FAR_PART_DEG
) -> dict[K, BaseGeometry]:
    """Move slivers and far parts of each piece to the neighbour sharing the longest line with them.

    A part is moved when it is smaller than ``min_area`` or farther than ``far`` from its
    owner's largest part, and touches another piece (a part that touches none, an island, stays).
    Each owner keeps its largest part. One part is moved at a time, smallest first, and the parts
    are found again after each move: two slivers side by side are not swapped (a stale list of
    parts once gave each owner the other's sliver), a sliver merged into another owner's sliver
    moves on with it. Deterministic (ties by owner and WKB).
    """
    owners = [o for o in pieces if not pieces[o].is_empty]
    if len(owners) < 2:
        return pieces
    pieces = dict(pieces)
    stuck: set[bytes] = set()
    for _ in range(CLEAN_MAX_MOVES):
        move = _next_move(pieces, owners, min_area, far, stuck)
        if move is None:
            break
        o, part, best = move
        rest = polygonal(shapely.difference(pieces[o], part))
        if best != o:
            pieces[o], pieces[best] = rest, merge_part(pieces[best], part)
            continue
        merged = merge_part(rest, part)  # a gap of overlay noise between the part and its own owner
        if shapely.get_num_geometries(merged) < shapely.get_num_geometries(pieces[o]):
            pieces[o] = merged
        else:
            stuck.add(part.wkb)
    return pieces


# Overlay noise: two pieces can meet along a line whose vertices differ by ~1e-12°, so that their
# exact intersection is only points. Lines within NEAR_DEG then count as shared, and the part is
# merged on the FALLBACK_GRID, which closes the gap.
NEAR_DEG = 1e-9


def longest_shared_line(part: BaseGeometry, candidates: dict[K, BaseGeometry]) -> K | None:
    """The key of the candidate sharing the longest line with ``part`` (None: none shares one).

    Exact lines first; only when none is shared, lines within ``NEAR_DEG``.
    """
    edge = shapely.boundary(part)
    near = {k: g for k, g in candidates.items() if float(shapely.distance(g, part)) <= NEAR_DEG}
    best = _longest(edge, near)
    if best is None and near:
        window = shapely.box(*shapely.bounds(shapely.buffer(part, 1e-6)))  # where the near lines can be
        best = _longest(edge, {k: shapely.buffer(shapely.intersection(g, window), NEAR_DEG) for k, g in near.items()})
    return best


def _longest(edge: BaseGeometry, candidates: dict[K, BaseGeometry]) -> K | None:
    best: K | None = None
    length = 0.0
    for key, geom in candidates.items():
        shared = float(shapely.length(shapely.intersection(edge, geom)))
        if shared > length:
            best, length = key, shared
    return best


def merge_part(receiver: BaseGeometry, part: BaseGeometry) -> BaseGeometry:
    """``receiver ∪ part``; on the FALLBACK_GRID when they meet only within ``NEAR_DEG`` (overlay noise)."""
    merged = polygonal(shapely.union(receiver, part))
    if shapely.get_num_geometries(merged) <= shapely.get_num_geometries(receiver):
        return merged
    gridded = polygonal(shapely.make_valid(shapely.union(receiver, part, grid_size=FALLBACK_GRID)))
    return gridded if shapely.get_num_geometries(gridded) < shapely.get_num_geometries(merged) else merged


def _next_move(
    pieces: dict[K, BaseGeometry], owners: list[K], min_area: float, far: float, stuck: set[bytes]
) -> tuple[K, BaseGeometry, K] | None:
    """The smallest part to move now and where to (``stuck``: parts touching no other piece)."""
    moves = []
    for o in owners:
        parts = list(shapely.get_parts(pieces[o]))
        if len(parts) < 2:
            continue
        areas = shapely.area(parts)
        body = parts[int(np.argmax(areas))]
        for k, part in enumerate(parts):
            if part is body or part.wkb in stuck:
                continue
            if areas[k] < min_area or float(shapely.distance(part, body)) > far:
                moves.append((float(areas[k]), o, part))
    moves.sort(key=lambda m: (m[0], m[1], m[2].wkb))
    for _, o, part in moves:
        candidates = {other: pieces[other] for other in owners if other != o}
        candidates[o] = polygonal(shapely.difference(pieces[o], part))  # wins only across overlay noise
        best = longest_shared_line(part, candidates)
        if best is not None:
            return o, part, best
        stuck.add(part.wkb)
    return None


def _cap(part: BaseGeometry, seed: Seed, limit: float = CAP_RATIO) -> tuple[BaseGeometry, BaseGeometry]:
    """Trim a hole given to one point to about its target area when it is over ``limit`` times that.

    The kept part is the hole within a circle around the point, its radius found by bisection
    so that the kept area matches the target; the rest is returned to be shared as a gap.
    """
    target, point = seed.target, seed.point
    if not target or point is None or _area(part) <= limit * target:
        return part, EMPTY
    point = shapely.get_geometry(point, 0) if shapely.get_type_id(point) == 4 else point
    lo, hi = 0.0, float(shapely.hausdorff_distance(part, point))
    for _ in range(CAP_ROUNDS):
        mid = (lo + hi) / 2
        if _area(shapely.intersection(part, shapely.buffer(point, mid, quad_segs=8))) < target:
            lo = mid
        else:
            hi = mid
    disc = shapely.buffer(point, hi, quad_segs=8)
    kept, r1 = checked_intersection(part, disc)
    rest, r2 = checked_difference(part, disc)
    kept, rest = polygonal(kept), polygonal(rest)
    if kept.is_empty:
        return part, EMPTY
    return kept, rest


def _shares(targets: list[float | None]) -> np.ndarray | None:
    """Relative areas from targets (missing ones get the median of the known), or None if none known."""
    known = [t for t in targets if t]
    if not known:
        return None
    fill = float(np.median(known))
    return np.array([t if t else fill for t in targets], dtype=float)


# Sample points per weighted split (the power weights are fitted on them) and fitting rounds.
WEIGHT_SAMPLES = 1500
WEIGHT_ROUNDS = 60


def _grid_samples(region: BaseGeometry, count: int = WEIGHT_SAMPLES) -> np.ndarray:
    """A regular grid of about ``count`` points inside ``region`` (at least its representative point)."""
    minx, miny, maxx, maxy = shapely.bounds(region)
    step = max(np.sqrt(_area(region) / count), 1e-9)
    xs = np.arange(minx + step / 2, maxx, step)
    ys = np.arange(miny + step / 2, maxy, step)
    grid_x, grid_y = np.meshgrid(xs, ys)
    gx, gy = grid_x.ravel(), grid_y.ravel()
    inside = shapely.contains_xy(region, gx, gy)
    xy = np.column_stack([gx[inside], gy[inside]])
    if not len(xy):
        return shapely.get_coordinates(shapely.point_on_surface(region))
    return xy


def power_weights(xy: np.ndarray, shares: np.ndarray, samples: np.ndarray, rounds: int = WEIGHT_ROUNDS) -> np.ndarray:
    """Power-diagram weights that give each site about ``shares`` of the ``samples`` (deterministic).

    Each sample goes to the site minimising ``|x − p|² − w``; each round moves every weight by
    its area deficit (in squared degrees, the sample area times the count missing, over π).
    """
    n = len(xy)
    w = np.zeros(n)
    if n < 2 or len(samples) < n:
        return w
    d2 = ((samples[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
    cell = (np.ptp(samples[:, 0]) * np.ptp(samples[:, 1]) + 1e-18) / len(samples)
    target = shares / shares.sum() * len(samples)
    for _ in range(rounds):
        owner = np.argmin(d2 - w[None, :], axis=1)
        count = np.bincount(owner, minlength=n)
        deficit = target - count
        if np.abs(deficit).max() <= max(1.0, 0.02 * len(samples) / n):
            break
        w = w + 0.6 * deficit * cell / np.pi
        w = w - w.mean()
    return np.round(w, 14)


def power_cells(xy: np.ndarray, weights: np.ndarray, region: BaseGeometry) -> dict[int, BaseGeometry]:
    """Cells of the power diagram of ``xy`` with ``weights``, clipped to a box around ``region``.

    Cell i is the set where ``|x − p_i|² − w_i`` is smallest: an intersection of half-planes,
    cut from the box one neighbour at a time.
    """
    minx, miny, maxx, maxy = shapely.bounds(region)
    pad = max(maxx - minx, maxy - miny) + 1.0
    box = shapely.box(
        min(minx, xy[:, 0].min()) - pad,
        min(miny, xy[:, 1].min()) - pad,
        max(maxx, xy[:, 0].max()) + pad,
        max(maxy, xy[:, 1].max()) + pad,
    )
    bx0, by0, bx1, by1 = shapely.bounds(box)
    big = 4 * (bx1 - bx0 + by1 - by0)
    centre = np.array([(bx0 + bx1) / 2, (by0 + by1) / 2])
    local = xy - centre  # local coordinates keep the half-plane offsets small and precise
    out = {}
    for i in range(len(xy)):
        cell = box
        for j in range(len(xy)):
            if i == j or cell.is_empty:
                continue
            # |x − p_i|² − w_i ≤ |x − p_j|² − w_j  ⇔  2 x·(p_j − p_i) ≤ |p_j|² − |p_i|² − w_j + w_i
            a = 2 * (local[j] - local[i])
            c = float(local[j] @ local[j] - local[i] @ local[i] - weights[j] + weights[i])
            norm = float(np.hypot(*a))
            if norm == 0:
                continue
            u = a / norm
            base = centre + u * (c / norm)  # the half-plane u·(x − centre) ≤ c / norm
            t = np.array([-u[1], u[0]])
            half = shapely.Polygon([base + t * big, base - t * big, base - t * big - u * big, base + t * big - u * big])
            cell = polygonal(shapely.intersection(cell, half))
        if not cell.is_empty:
            out[i] = cell
    return out


def weighted_split(whole: BaseGeometry, xy: np.ndarray, shares: np.ndarray) -> tuple[dict[int, BaseGeometry], bool]:
    """Split ``whole`` among sites ``xy`` so that each gets about ``shares`` of its area."""
    xy, label = _separate_duplicates(xy, np.arange(len(xy)))
    shares = np.asarray(shares, dtype=float)[label]
    weights = power_weights(xy, shares, _grid_samples(whole))
    cells = power_cells(xy, weights, whole)
    cells = {int(label[i]): g for i, g in cells.items()}
    return split_by_cells(whole, cells)


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
    return {**pieces, largest: polygonal(rest)}, int(r)
