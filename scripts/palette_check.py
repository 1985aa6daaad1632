"""Print how far apart the map's colour classes are, with normal vision and simulated colour blindness.

`python scripts/palette_check.py` — for each palette of lib.core.palette (via lib.maps.style) (task classes, centre
classes, the share classes at each number of classes, with the grey of "no data") and for the
former palette, the smallest CIEDE2000 ΔE between two classes and the pair that has it: with
normal vision, then under deuteranopia, protanopia and tritanopia simulated with Machado et al.
(2009), severity 1.0, in linear RGB (lib.maps.cvd). tests/test_mapstyle.py asserts the normal and
deuteranopia figures stay at or above PALETTE_MIN_DELTA_E.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib.core import palette  # noqa: E402
from lib.maps import cvd, style  # noqa: E402

DEFICIENCIES = (None, "deuteranopia", "protanopia", "tritanopia")


def palettes() -> dict[str, list[str]]:
    out = {
        "task (xanh/vàng/đỏ/xám)": [c for c, _ in style.TASK_STYLES.values()],
        "centre": [c for c, _ in style.CENTRE_STYLES.values()],
    }
    for k, picks in palette.SHARE_PICKS.items():
        out[f"share, {k} class{'es' if k > 1 else ''} + no data"] = [palette.SHARE_COLOURS[i] for i in picks] + [
            palette.GREY
        ]
    out["former task palette"] = list(palette.FORMER_TASK)
    out["former share palette"] = list(palette.FORMER_SHARE)
    return out


def main() -> int:
    print("Minimum CIEDE2000 ΔE between two classes (Machado 2009 simulation, severity 1.0, linear RGB)")
    print(f"threshold asserted by the tests (normal, deuteranopia): {style.PALETTE_MIN_DELTA_E:g}\n")
    header = f"{'palette':36s}" + "".join(f"{(d or 'normal'):>14s}" for d in DEFICIENCIES) + "   closest pair (deut.)"
    print(header)
    for name, colours in palettes().items():
        figures = [cvd.min_difference(colours, d) for d in DEFICIENCIES]
        pair = " / ".join(figures[1][1])
        print(f"{name:36s}" + "".join(f"{f[0]:14.1f}" for f in figures) + f"   {pair}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
