"""Every colour the app draws with, and the one rule that cuts a day's province shares into colour classes.

The app's map, the static maps, the brief, the HTML file, the dashboard's tables and charts and the
spreadsheets take their colours from here (``tests/test_palette.py`` finds no ``#rrggbb`` elsewhere in
``lib/`` or ``views/``). Classes are told apart by lightness as well as hue, so that they stay distinct to
colour-blind readers: checked with :mod:`lib.maps.cvd` (Machado 2009 deuteranopia, CIEDE2000), see
``PALETTE_MIN_DELTA_E`` in :mod:`lib.maps.style` and ``python scripts/palette_check.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

# ---------------------------------------------------------------------------------------- classes
GREY = "#9e9e9e"  # no report, stale, unknown
TASK_GREEN = "#00796b"  # dark bluish green (teal): "xanh"
TASK_AMBER = "#f0c419"  # light yellow: "vàng"
TASK_RED = "#c0392b"  # mid red: "đỏ"; darker than amber, lighter than green under deuteranopia
TASK_COLOURS = {"green": TASK_GREEN, "amber": TASK_AMBER, "red": TASK_RED, "grey": GREY}
CENTRE_COLOURS = {"operating": TASK_GREEN, "gaps": TASK_AMBER, "not_operating": TASK_RED, "unknown": GREY}

# Merge structure: how many old communes (provinces) formed a new one, light = few, dark = many.
MERGE_COLOURS = ("#e3f2fd", "#90caf9", "#42a5f5", "#1e88e5", "#0d47a1")
PROVINCE_MERGE_COLOURS = ("#e3f2fd", "#64b5f6", "#1565c0")

# Shares (of green communes, of operating centres) per province: ColorBrewer YlGnBu, a sequential
# scheme marked colour-blind safe, light = low, dark = high; fewer classes take colours spread
# over the whole ramp so that neighbours stay far apart.
SHARE_COLOURS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
SHARE_PICKS = {1: (2,), 2: (0, 3), 3: (0, 2, 4), 4: (0, 1, 3, 4), 5: (0, 1, 2, 3, 4)}
SHARE_CLASSES = 5

# ---------------------------------------------------------------------------------------- lines and marks
SPLIT_OUTLINE = "#6a1b9a"  # a new commune that took part of a split old one
CONFLICT_OUTLINE = "#d50000"  # a commune whose parts' reports disagree
HIGHLIGHT = "#ff6f00"  # the selected unit's predecessors, a clicked old commune
SELECTED = "#000000"  # the selected unit's outline
HATCH_COLOUR = "#212121"  # stripes over stale units; the edge of a province's report dot
OLD_COMMUNE_LINE = "#5d4037"  # old (reconstructed) communes' boundaries
OLD_DISTRICT_LINE = "#424242"
OLD_PROVINCE_LINE = "#212121"
UNIT_EDGE = "#ffffff"  # the thin line between coloured units
NO_FILL = "#bdbdbd"  # a unit the colour table does not name (the browser's fallback)

# ---------------------------------------------------------------------------------------- text and paper
TEXT = "#212121"
TEXT_SOFT = "#616161"  # footers, subtitles, swatch edges
TEXT_NOTE = "#424242"  # legend notes, province outlines
FRAME = "#757575"  # an inset's frame
NEIGHBOUR_FILL = "#eeeeee"  # provinces around the one drawn
NEIGHBOUR_EDGE = "#bdbdbd"
WHITE = "#ffffff"
WARN = "#b71c1c"  # demonstration data, stale reports
WARN_BACKGROUND = "#ffebee"
SHEET_HEADER = "#DDEBF7"  # spreadsheets' header row
SHEET_FIXED = "#F2F2F2"  # spreadsheets' cells not to be edited

# The palettes used before the colour-blind check (scripts/palette_check.py compares with them).
FORMER_TASK = ("#2e7d32", "#f9a825", "#c62828", "#9e9e9e")
FORMER_SHARE = ("#ffebee", "#ffcdd2", "#fff59d", "#a5d6a7", "#2e7d32", "#9e9e9e")


# ---------------------------------------------------------------------------------------- shares
def share_breaks(values: Iterable[float | None], classes: int = SHARE_CLASSES) -> list[float]:
    """Class breaks of shares (0–1) spread over the range the values actually span.

    The quantiles that cut ``values`` (a day's province shares) into ``classes`` groups of about equal
    size, rounded to whole percents, keeping only breaks that leave no class empty. So a day when most
    provinces are below 10 % still shows five shades, not one pale class. Computed once per day and used
    by the map and the dashboard's tables alike.
    """
    v = np.array([float(x) for x in values if x is not None], dtype=float)
    v = v[~np.isnan(v)]
    if not v.size:
        return []
    raw = np.quantile(v, [i / classes for i in range(1, classes)])
    candidates = sorted({round(float(q) * 100) / 100 for q in raw} - {0.0})
    breaks: list[float] = []
    for b in candidates:
        lower = breaks[-1] if breaks else -np.inf
        if 0 < b <= 1 and bool(((v >= lower) & (v < b)).any()) and bool((v >= b).any()):
            breaks.append(b)
    return breaks


def share_edges(breaks: list[float]) -> list[float]:
    """Class edges of ``breaks`` from 0 % to just above 100 % (each class is ``low <= share < high``)."""
    return [0.0, *breaks, 1.0001]


def share_ramp(breaks: list[float]) -> list[str]:
    """The colour of each class cut at ``breaks``, light to dark."""
    count = min(len(breaks) + 1, len(SHARE_COLOURS))
    return [SHARE_COLOURS[i] for i in SHARE_PICKS[count]]


def share_colour(share: float | None, breaks: list[float]) -> str:
    """The colour of ``share`` in the classes cut at ``breaks`` (:func:`share_breaks`); :data:`GREY` when missing."""
    if share is None or share != share:  # None or NaN
        return GREY
    edges, ramp = share_edges(breaks), share_ramp(breaks)
    for i, (low, high) in enumerate(zip(edges, edges[1:], strict=False)):
        if low <= share < high:
            return ramp[i]
    return ramp[-1]


def ink_on(background: str) -> str:
    """The text colour (a CSS name) that reads on ``background``: white on the darkest share colour, else black."""
    return "white" if background.lower() == SHARE_COLOURS[-1] else "black"
