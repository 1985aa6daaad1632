"""Benchmark of the status path: import of a 3,321-row and a 10,035-row sheet, status queries, demo data.

Run: .venv/bin/python benchmarks/bench_status.py [--runs 5]
Prints the median (and min/max) of several runs of each step. Targets (issue 4): a 3,321-row
sheet imported in under 2 s; a 10,035-row old-keyed sheet with names only in under 5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402

from lib.data import geodata
from lib.data.i18n import LOCAL_TZ  # noqa: E402
from lib.lookup.resolve import UnitResolver  # noqa: E402
from lib.status import (
    demo,
    importer,
    status,  # noqa: E402
)
from lib.status.store import StatusStore  # noqa: E402

AS_OF = dt.datetime(2025, 11, 20, 15, 0, tzinfo=LOCAL_TZ)


def _timed(label: str, func, runs: int, *, target: float | None = None) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    verdict = "" if target is None else f"  target ≤ {target:g} s: {'OK' if median <= target else 'OVER TARGET'}"
    print(f"{label:<58} median {median:6.3f} s   (min {min(times):.3f}, max {max(times):.3f}, n={runs}){verdict}")
    return times


def _sheets(crosswalk: pd.DataFrame) -> tuple[bytes, bytes]:
    codes = sorted(crosswalk["new_code"].unique())
    new = pd.DataFrame(
        {
            "Mã xã": codes,
            "Tổng số nhiệm vụ": 40,
            "Đã hoàn thành": 31,
            "Quá hạn": 2,
            "Trung tâm": "Hoạt động",
            "Còn thiếu": "",
            "Ngày báo cáo": "20/11/2025 15:00",
        }
    )
    old = crosswalk[crosswalk["old_level"] == "commune"].drop_duplicates("old_code")
    old_sheet = pd.DataFrame(
        {
            "Tỉnh": old["old_province_name"].to_numpy(),
            "Huyện": old["old_district_name"].to_numpy(),
            "Xã": old["old_name"].to_numpy(),
            "Tổng số nhiệm vụ": 40,
            "Đã hoàn thành": 31,
            "Quá hạn": 2,
            "Trung tâm": "Hoạt động",
            "Ngày báo cáo": "20/11/2025 15:00",
        }
    )
    return (new.to_csv(index=False).encode("utf-8-sig"), old_sheet.to_csv(index=False).encode("utf-8-sig"))


def _xlsx(csv_bytes: bytes) -> bytes:
    """The same sheet as an .xlsx file."""
    import io

    buffer = io.BytesIO()
    frame = pd.read_csv(io.BytesIO(csv_bytes), dtype=str, encoding="utf-8-sig", keep_default_na=False)
    frame.to_excel(buffer, index=False, engine="xlsxwriter")
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args, _ = parser.parse_known_args()
    crosswalk = geodata.load_crosswalk()
    new_sheet, old_sheet = _sheets(crosswalk)
    holder: dict = {}
    _timed(
        "build UnitResolver from geodata/ (once per process)",
        lambda: holder.__setitem__("resolver", UnitResolver.from_geodata()),
        args.runs,
    )
    resolver = holder["resolver"]
    old = crosswalk[crosswalk["old_level"] == "commune"].drop_duplicates("old_code")
    names = list(
        zip(
            old["old_name"].tolist(), old["old_district_name"].tolist(), old["old_province_name"].tolist(), strict=False
        )
    )
    _timed(
        "resolve 10,035 old communes by names (province, district, commune)",
        lambda: [resolver.old_commune(name=n, district=d, province=p) for n, d, p in names],
        args.runs,
        target=1,
    )
    codes = sorted(crosswalk["new_code"].unique())
    _timed("resolve 3,321 new communes by code", lambda: [resolver.new_commune(code=c) for c in codes], args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        store = StatusStore(Path(tmp) / "bench.sqlite")
        results = {}

        def run(data: bytes, name: str) -> None:
            report, batch = importer.import_file(
                store, data, resolver, imported_by="bench", name=name, now=AS_OF + dt.timedelta(days=1)
            )
            assert batch is not None and report.counts["valid"] == len(report.rows), report.render(limit=3)
            results[name] = report

        _timed(
            "import 3,321-row sheet by new code (read+validate+commit)",
            lambda: run(new_sheet, "new.csv"),
            args.runs,
            target=2,
        )
        _timed(
            "import 10,035-row old-keyed sheet, names only (no codes)",
            lambda: run(old_sheet, "old.csv"),
            args.runs,
            target=5,
        )
        new_xlsx, old_xlsx = _xlsx(new_sheet), _xlsx(old_sheet)
        _timed("  the same 3,321 rows as .xlsx", lambda: run(new_xlsx, "new.xlsx"), args.runs, target=2)
        _timed("  the same 10,035 old-keyed rows as .xlsx", lambda: run(old_xlsx, "old.xlsx"), args.runs, target=5)
        print(
            f"  old-keyed sheet: {results['old.csv'].counts['valid']} rows valid → "
            f"{len(results['old.csv'].records)} reports for new communes"
        )
        demo_store = StatusStore(Path(tmp) / "demo.sqlite")
        _timed("generate demo history (seeded)", lambda: holder.__setitem__("demo", demo.generate()), args.runs)
        start = time.perf_counter()
        demo.load_demo(demo_store)
        print(
            f"{'load demo history into an empty SQLite store (once)':<58} {time.perf_counter() - start:6.3f} s   "
            f"({demo_store.count_reports():,} rows)"
        )
        view = status.default_as_of(demo_store)
        codes = sorted(crosswalk["new_code"].unique())
        _timed(
            "commune_status of 3,321 communes on the demo store",
            lambda: holder.__setitem__("view", status.commune_status(demo_store, as_of=view, codes=codes)),
            args.runs,
        )
        provinces = crosswalk.drop_duplicates("new_code").set_index("new_code")["new_province_code"]
        _timed("province_status (34 provinces)", lambda: status.province_status(holder["view"], provinces), args.runs)
        _timed("history of one commune", lambda: demo_store.history("00004"), args.runs)
        demo_store.close()
        store.close()


if __name__ == "__main__":
    main()  # no sys.exit: benchmarks/run_all.py runs this file with runpy
