"""Benchmark of the status dashboard: the daily series of 3,321 communes over 150 days from the store (SQLite
and PostgreSQL), and the server time of opening the page Tình hình.

Run: .venv/bin/python benchmarks/bench_series.py [--runs 5] [--pg URL]
PostgreSQL is used when ``--pg`` or ``$VNMAP_TEST_PG_URL`` names a server (its store tables are dropped
and rebuilt: give a throw-away database, e.g. ``scripts/test_postgres.sh start``); skipped otherwise.
Targets (issue 15): the series in under 1 s warm, opening the dashboard under 2 s of server time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.common import median_seconds, report  # noqa: E402
from lib.data import geodata  # noqa: E402
from lib.data.i18n import LOCAL_TZ  # noqa: E402
from lib.status import demo, progress, status  # noqa: E402
from lib.status.store import StatusStore, metadata  # noqa: E402

DAYS = 150
ROOT = Path(__file__).resolve().parent.parent


def _history(codes: pd.Index, days: int, seed: int = 15) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One report a day per commune from 01/07/2025 (between 07:00 and 17:00, so some miss the deadline,
    a few days skipped), and a batch correcting 200 communes' reports of the last day."""
    rng = np.random.default_rng(seed)
    n = len(codes)
    frames = []
    done = np.zeros(n, dtype=int)
    for i in range(days):
        day = progress.SERIES_START + dt.timedelta(days=i)
        done = np.minimum(40, done + rng.binomial(1, 0.3, n))
        keep = rng.random(n) > 0.03
        base = pd.Timestamp(dt.datetime.combine(day, dt.time(7)), tz=LOCAL_TZ)
        frames.append(
            pd.DataFrame(
                {
                    "level": "commune",
                    "unit_code": codes[keep],
                    "as_of": base + pd.to_timedelta(rng.integers(0, 600, keep.sum()), unit="min"),
                    "tasks_total": 40,
                    "tasks_done": done[keep],
                    "tasks_overdue": rng.binomial(2, 0.2, keep.sum()),
                    "centre_state": "operating",
                    "gaps": "",
                    "note": "",
                    "via_old_code": "",
                }
            )
        )
    history = pd.concat(frames, ignore_index=True)
    last = frames[-1].head(200).assign(tasks_overdue=0)
    return history, last


def _fill(store: StatusStore, codes: pd.Index) -> None:
    history, correction = _history(codes, DAYS)
    start = time.perf_counter()
    store.append(history, imported_by="bench", source_name="history.csv", source_sha256="1" * 64)
    store.append(correction, imported_by="bench", source_name="correction.csv", source_sha256="2" * 64)
    print(f"  filled: {len(history) + len(correction):,} reports in {time.perf_counter() - start:.1f} s")


def _bench_series(label: str, store: StatusStore, provinces: pd.Series, runs: int) -> None:
    end = progress.SERIES_START + dt.timedelta(days=DAYS - 1)
    kwargs = {"codes": provinces.index, "commune_province": provinces}
    median, times = median_seconds(lambda: progress.daily_series(store, end, **kwargs), runs=runs)
    report(f"{label}: series, cold (whole store read)", median, times)
    cache = progress.ReportCache()
    progress.daily_series(store, end, cache=cache, **kwargs)
    median, times = median_seconds(lambda: progress.daily_series(store, end, cache=cache, **kwargs), runs=runs)
    report(f"{label}: series, warm (batches read before)", median, times, target=1)
    # The day after: one more day of reports imported, then the series again (only that batch is read).
    extra_day = end + dt.timedelta(days=1)
    more, _ = _history(provinces.index, 1, seed=99)
    more["as_of"] = more["as_of"] + pd.Timedelta(days=DAYS)
    store.append(more, imported_by="bench", source_name="next-day.csv", source_sha256="3" * 64)
    median, times = median_seconds(
        lambda: progress.daily_series(store, extra_day, cache=cache, **kwargs), runs=runs, setup=None
    )
    report(f"{label}: series, warm after a new day's import (151 days)", median, times, target=1)
    series = progress.daily_series(store, end, cache=cache, **kwargs)
    check = status.commune_status(store, as_of=progress.deadline(end).to_pydatetime(), codes=provinces.index)
    agree = (series.at(end)["task_class"].to_numpy() == check["task_class"].to_numpy()).mean()
    print(f"  check: the series' last day agrees with commune_status on {agree:.1%} of communes")


def _bench_page(label: str, url: str, runs: int) -> None:
    """Server time of opening the status page in a session (AppTest: the script run, no browser)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["VNMAP_STATUS_DB"] = url
    app = str(ROOT / "app.py")

    def open_page() -> None:
        at = AppTest.from_file(app, default_timeout=300).run()
        started = time.perf_counter()
        at.switch_page("views/status.py").run()
        timings.append(time.perf_counter() - started)
        assert not at.exception, at.exception

    timings: list[float] = []
    open_page()  # loads the layers, the crosswalk, the store (and the demo data into an empty store)
    timings.clear()
    for _ in range(runs):
        st.cache_data.clear()  # the status of the day not yet computed; engines and geodata kept
        open_page()
    report(f"{label}: open Tình hình, data caches cold", float(np.median(timings)), timings, target=2)
    timings.clear()
    for _ in range(runs):
        open_page()
    report(f"{label}: open Tình hình, data caches warm", float(np.median(timings)), timings, target=2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pg", default=os.environ.get("VNMAP_TEST_PG_URL", ""))
    args, _ = parser.parse_known_args()
    print(f"  load: {Path('/proc/loadavg').read_text().split()[:3]} (1, 5, 15 min), {os.cpu_count()} CPUs")
    crosswalk = geodata.load_crosswalk()
    provinces = crosswalk.drop_duplicates("new_code").set_index("new_code")["new_province_code"].sort_index()
    with tempfile.TemporaryDirectory() as tmp:
        store = StatusStore(Path(tmp) / "series.sqlite")
        _fill(store, provinces.index)
        _bench_series("SQLite", store, provinces, args.runs)
        store.close()
        if args.pg:
            import sqlalchemy as sa

            engine = sa.create_engine(args.pg)
            with engine.begin() as conn:
                metadata.drop_all(conn)
            engine.dispose()
            store = StatusStore(args.pg)
            _fill(store, provinces.index)
            _bench_series("PostgreSQL", store, provinces, args.runs)
            store.close()
        else:
            print("  PostgreSQL: skipped (no --pg URL nor $VNMAP_TEST_PG_URL)")
        demo_url = f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        demo.load_demo(StatusStore(demo_url))
        _bench_page("demo data (SQLite)", demo_url, args.runs)
        _bench_page(f"{DAYS} days of reports (SQLite)", f"sqlite:///{Path(tmp) / 'series.sqlite'}", args.runs)
    print(f"  load: {Path('/proc/loadavg').read_text().split()[:3]} (1, 5, 15 min)")


if __name__ == "__main__":
    main()  # no sys.exit: benchmarks/run_all.py runs this file with runpy
