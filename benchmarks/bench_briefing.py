"""Benchmark of the briefing outputs: national PNG, province PDF (static map and A4 brief), SVG, HTML.

Targets (issue 6): a national PNG and a province PDF each in under 10 s. Timed in one process
after the inputs are loaded (the app keeps them cached); the first, cold run is reported apart,
and so is loading the inputs. Status: the seeded demonstration data in a scratch SQLite file.

    .venv/bin/python benchmarks/bench_briefing.py [--runs 5] [--province 01]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import median_seconds, report  # noqa: E402
from lib.maps import brief, html, staticdata  # noqa: E402
from lib.maps import static as staticmap  # noqa: E402
from lib.maps.urlstate import ViewState  # noqa: E402

TARGET_S = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--province", default="01", help="province code (default 01, Hà Nội: the largest table)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        started = time.perf_counter()
        store = staticdata.open_store(demo=True, scratch=out)
        print(f"{'demonstration data written to scratch SQLite':<55} {time.perf_counter() - started:.3f} s (once)")
        started = time.perf_counter()
        inputs = staticdata.load_inputs(store=store)
        print(f"{'load layers, crosswalk and status':<55} {time.perf_counter() - started:.3f} s (once)")
        national, province = ViewState(), ViewState(province=args.province)
        started = time.perf_counter()
        staticmap.render_map(national, inputs, out / "cold.png")
        print(f"{'national PNG, first run in the process (cold)':<55} {time.perf_counter() - started:.3f} s")
        cases = [
            (
                "national PNG (34 provinces, 2400 px)",
                lambda: staticmap.render_map(national, inputs, out / "n.png"),
                TARGET_S,
            ),
            (
                f"province {args.province} PDF (static map)",
                lambda: staticmap.render_map(province, inputs, out / "p.pdf"),
                TARGET_S,
            ),
            (
                f"province {args.province} brief PDF (A4)",
                lambda: brief.render_brief(args.province, inputs, out / "b.pdf"),
                TARGET_S,
            ),
            (f"province {args.province} SVG", lambda: staticmap.render_map(province, inputs, out / "p.svg"), None),
            (
                "national PNG, 3,321 communes",
                lambda: staticmap.render_map(ViewState(level="commune"), inputs, out / "c.png"),
                None,
            ),
            ("national HTML (34 provinces)", lambda: html.write_html(national, inputs, out / "n.html"), None),
            (f"province {args.province} HTML", lambda: html.write_html(province, inputs, out / "p.html"), None),
        ]
        for name, func, target in cases:
            median, times = median_seconds(func, runs=args.runs)
            report(name, median, times, target=target)
        for name in ("n.png", "p.pdf", "b.pdf", "p.svg", "c.png", "n.html", "p.html"):
            print(f"  size of {name:<8} {(out / name).stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
