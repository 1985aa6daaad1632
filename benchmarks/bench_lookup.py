"""Benchmark of lookup, exports and batch conversion on the bundled dataset (medians of several runs).

Run: .venv/bin/python benchmarks/bench_lookup.py [--runs 5] [--sources ../shared/sources] [--geo]
Targets (issue 5): whole-crosswalk CSV < 1 s, XLSX < 5 s; 10,000 old units by name < 10 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from lib.data import geodata  # noqa: E402
from lib.lookup.convert import Converter  # noqa: E402
from lib.lookup.crosswalk_export import crosswalk_export  # noqa: E402
from lib.lookup.search import SearchIndex  # noqa: E402

QUERIES = ["phuc xa", "Phúc Xá", "00001", "Phường Phúc Xá, Ba Đình", "tan phu", "Phường 1, Quận 3", "ha noi", "ba"]


CPU: dict[str, float] = {}


def timed(func, runs: int) -> tuple[float, object]:
    """Median wall time of ``runs`` calls and the last result; the median CPU time goes to ``CPU["last"]``
    (the machine is shared: wall time grows with the load, CPU time much less)."""
    times, cpu, result = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU["last"] = statistics.median(cpu)
    return statistics.median(times), result


def cpu() -> str:
    return f"cpu {CPU['last']:.2f} s"


def old_commune_list(sources: Path, crosswalk: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The GSO old-commune list (names only), or the crosswalk's old communes when the sources are absent."""
    try:
        from lib.assemble.sources import read_old_communes

        old = read_old_communes(sources)
        return old[["code", "name", "district_name", "province_name"]], f"GSO list ({sources})"
    except (OSError, ValueError):
        old = crosswalk[crosswalk["old_level"].eq("commune")].drop_duplicates("old_code")
        old = old.rename(
            columns={
                "old_code": "code",
                "old_name": "name",
                "old_district_name": "district_name",
                "old_province_name": "province_name",
            }
        )
        return old[["code", "name", "district_name", "province_name"]], "crosswalk old communes (sources not found)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sources", default=str(Path(__file__).resolve().parent.parent.parent / "shared" / "sources"))
    parser.add_argument("--geo", action="store_true", help="also time the GeoJSON and GeoParquet exports (slow)")
    args = parser.parse_args()
    runs = args.runs

    crosswalk = geodata.load_crosswalk()
    provinces = geodata.load_province_crosswalk()
    manifest = geodata.load_manifest()
    communes = geodata.load_new_communes()
    attributes = pd.DataFrame(communes.drop(columns="geometry"))
    new_provinces = pd.DataFrame(geodata.load_new_provinces().drop(columns="geometry"))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"dataset {manifest['version']}: {len(crosswalk):,} pairs; {runs} runs each; medians; load {load:.1f}")

    seconds, index = timed(lambda: SearchIndex.from_tables(crosswalk, attributes, new_provinces), runs)
    print(f"search index build ({len(index):,} units): {seconds:.2f} s ({cpu()})")
    per_query = [timed(lambda q=q: index.search(q), runs)[0] for q in QUERIES]
    print(
        f"search, median over {len(QUERIES)} queries: {1000 * statistics.median(per_query):.1f} ms "
        f"(max {1000 * max(per_query):.1f} ms)"
    )

    for fmt, target in (("csv", 1.0), ("xlsx", 5.0)):
        seconds, data = timed(
            lambda f=fmt: crosswalk_export(
                f, crosswalk, crosswalk=crosswalk, province_crosswalk=provinces, manifest=manifest
            ),
            runs,
        )
        verdict = "OK" if seconds < target else "OVER TARGET"
        print(
            f"export whole crosswalk {fmt}: {seconds:.2f} s ({cpu()}; target < {target:.0f} s: {verdict}), "
            f"{len(data):,} bytes"
        )
    if args.geo:
        for fmt in ("geojson", "parquet"):
            seconds, data = timed(
                lambda f=fmt: crosswalk_export(
                    f,
                    crosswalk,
                    crosswalk=crosswalk,
                    province_crosswalk=provinces,
                    manifest=manifest,
                    new_communes=communes,
                ),
                max(1, runs // 2),
            )
            print(f"export whole crosswalk {fmt}: {seconds:.2f} s ({cpu()}), {len(data):,} bytes")

    seconds, converter = timed(lambda: Converter.from_crosswalk(crosswalk), runs)
    print(f"converter build (resolver indexes, as the app and CLI build it): {seconds:.2f} s ({cpu()})")
    old, origin = old_commune_list(Path(args.sources), crosswalk)
    cases = {
        "name + district + province": pd.DataFrame(
            {"Tên xã": old["name"], "Huyện": old["district_name"], "Tỉnh": old["province_name"]}
        ),
        "name + province": pd.DataFrame({"Tên xã": old["name"], "Tỉnh": old["province_name"]}),
        "name only": pd.DataFrame({"Tên xã": old["name"]}),
        "address text": pd.DataFrame(
            {"Địa chỉ": "Số 1, " + old["name"] + ", " + old["district_name"] + ", " + old["province_name"]}
        ),
    }
    print(f"conversion of {len(old):,} old communes from the {origin}:")
    for label, table in cases.items():
        # A fresh converter per run: its memo of already-seen rows must not flatter the timing.
        converters = [Converter.from_crosswalk(crosswalk) for _ in range(runs)]
        seconds, result = timed(lambda t=table, c=converters: c.pop().convert(t), runs)
        right = (result.table["old_code_matched"] == old["code"].to_numpy()).sum()
        verdict = "OK" if seconds < 10 else "OVER TARGET"
        print(
            f"  {label:28s} {seconds:.2f} s ({cpu()}; target < 10 s: {verdict}); match rate {result.match_rate:.2%}, "
            f"right code {right / len(old):.2%}; {dict(sorted(result.counts.items()))}"
        )
    # End to end, as a planner runs it: a fresh process (imports, dataset loading, file reading and writing).
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "old_units.csv"
        cases["name + district + province"].to_csv(source, index=False, encoding="utf-8-sig")
        command = [sys.executable, "-m", "lib.cli", "convert", str(source), "--out", str(Path(folder) / "out.xlsx")]
        root = Path(__file__).resolve().parent.parent
        seconds, done = timed(
            lambda: subprocess.run(command, cwd=root, capture_output=True, text=True), max(1, runs // 2)
        )
        rate = [line for line in done.stdout.splitlines() if line.startswith("match rate")]
        print(
            f"CLI convert of {len(old):,} rows, whole process: {seconds:.2f} s wall; {rate[0] if rate else done.stderr}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
