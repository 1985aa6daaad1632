"""Seeded demonstration status data: a July–November 2025 history for every new commune and province."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from lib.core.vocab import GAP_LABELS, LOCAL_TZ, REFORM_DATE
from lib.data import geodata

DEMO_SEED = 2025
DEMO_START = REFORM_DATE
DEMO_END = dt.date(2025, 11, 28)
DAILY_DAYS = 28  # the last four weeks are reported daily (the dashboard's default range), the months before weekly
DEMO_USER = "demo"
DEMO_LABEL = "DỮ LIỆU MINH HOẠ — không phải số liệu thật"


def snapshot_dates(start: dt.date = DEMO_START, end: dt.date = DEMO_END) -> list[dt.date]:
    """Report days: every Monday from ``start``, then every day of the last :data:`DAILY_DAYS`."""
    daily_from = end - dt.timedelta(days=DAILY_DAYS - 1)
    days = [start]
    day = start + dt.timedelta(days=(7 - start.weekday()) % 7 or 7)
    while day < daily_from:
        days.append(day)
        day += dt.timedelta(days=7)
    days += [daily_from + dt.timedelta(days=i) for i in range(DAILY_DAYS)]
    return sorted(set(days))


def _units(crosswalk: pd.DataFrame) -> pd.DataFrame:
    return (
        crosswalk[["new_code", "new_province_code"]]
        .drop_duplicates("new_code")
        .rename(columns={"new_code": "code", "new_province_code": "province_code"})
        .sort_values("code")
        .reset_index(drop=True)
    )


def generate(
    *,
    seed: int = DEMO_SEED,
    start: dt.date = DEMO_START,
    end: dt.date = DEMO_END,
    crosswalk: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Report rows (``lib.status.store.REPORT_COLUMNS``) for every new commune and province.

    Provinces move at different speeds; within them communes vary; some tasks fall overdue,
    some centres have gaps or do not operate, a few communes stop reporting (stale) or never
    report, and a few merged communes are reported through their old units and disagree
    (a visible conflict). The same ``seed`` gives the same rows.
    """
    rng = np.random.default_rng(seed)
    crosswalk = geodata.load_crosswalk() if crosswalk is None else crosswalk
    units = _units(crosswalk)
    provinces = sorted(units["province_code"].unique())
    days = snapshot_dates(start, end)
    communes = _commune_reports(rng, units, provinces, days)
    communes = _with_old_keyed_conflicts(rng, communes, crosswalk, days[-1])
    province_rows = _province_reports(rng, provinces, days)
    return pd.concat([communes, province_rows], ignore_index=True)


def _times(rng: np.random.Generator, days: list[dt.date], size: int) -> np.ndarray:
    """Report times: each unit reports between 07:30 and 15:55, one in twenty after 16:00."""
    base = pd.DatetimeIndex([pd.Timestamp(d) for d in days]).tz_localize(LOCAL_TZ).tz_convert("UTC").tz_localize(None)
    minutes = rng.integers(450, 955, size=(len(days), size))
    late = rng.random((len(days), size)) < 0.05
    minutes = np.where(late, rng.integers(961, 1260, size=(len(days), size)), minutes)
    return base.to_numpy()[:, None] + minutes.astype("timedelta64[m]")  # naive UTC


def _progress(rng: np.random.Generator, speed: np.ndarray, days: list[dt.date]) -> np.ndarray:
    elapsed = np.array([(d - days[0]).days for d in days], dtype=float)[:, None] + 1
    noise = rng.normal(0, 0.03, size=(len(days), len(speed)))
    return np.clip(1 - np.exp(-elapsed * speed[None, :] / 60) + noise, 0, 1)


def _commune_reports(
    rng: np.random.Generator, units: pd.DataFrame, provinces: list[str], days: list[dt.date]
) -> pd.DataFrame:
    n, t = len(units), len(days)
    province_speed = dict(zip(provinces, rng.uniform(0.5, 1.6, len(provinces)), strict=False))
    speed = units["province_code"].map(province_speed).to_numpy() * rng.lognormal(0, 0.25, n)
    total = rng.integers(18, 60, n)[None, :] + np.outer(np.arange(t) // 6, rng.integers(0, 4, n))
    done = np.floor(total * _progress(rng, speed, days)).astype(int)
    done = np.maximum.accumulate(done, axis=0)
    total = np.maximum(total, done)
    lagging = 1.2 - np.clip(speed, 0.4, 1.2)
    overdue = rng.binomial(total - done, np.clip(lagging[None, :] * 0.35, 0, 0.5))
    # Service centres: most operate from 1 July; gaps close over time at the province's speed.
    gap_flags = rng.random((n, len(GAP_LABELS))) < rng.uniform(0.05, 0.35, len(GAP_LABELS))
    fix_day = rng.integers(0, int(t * 1.6), (n, len(GAP_LABELS))) / np.clip(speed, 0.5, None)[:, None]
    not_operating_until = np.where(rng.random(n) < 0.12, rng.integers(1, int(t * 1.4), n), 0)
    labels = np.array(list(GAP_LABELS.values()))
    reports_kept = rng.random((t, n)) > 0.01  # a missed report now and then
    stops = rng.random(n) < 0.04  # some communes stop reporting before the end (stale)
    reports_kept[-1, stops] = False
    reports_kept[-2, stops & (rng.random(n) < 0.5)] = False
    reports_kept[:, rng.random(n) < 0.004] = False  # a few never report
    times = _times(rng, days, n)
    frames = []
    for i in range(t):
        open_gaps = gap_flags & (fix_day > i)
        gaps = ["; ".join(labels[row]) for row in open_gaps]
        state = np.where(not_operating_until > i, "not_operating", np.where(open_gaps.any(axis=1), "gaps", "operating"))
        keep = reports_kept[i]
        frames.append(
            pd.DataFrame(
                {
                    "level": "commune",
                    "unit_code": units["code"].to_numpy()[keep],
                    "as_of": pd.DatetimeIndex(times[i][keep]).tz_localize("UTC"),
                    "tasks_total": total[i][keep],
                    "tasks_done": done[i][keep],
                    "tasks_overdue": overdue[i][keep],
                    "centre_state": state[keep],
                    "gaps": np.array(gaps, dtype=object)[keep],
                    "note": "",
                    "via_old_code": "",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _with_old_keyed_conflicts(
    rng: np.random.Generator, communes: pd.DataFrame, crosswalk: pd.DataFrame, last_day: dt.date
) -> pd.DataFrame:
    """Replace the last report of a few merged communes by two disagreeing reports keyed by old units."""
    merged = crosswalk[(crosswalk["relation"] == "merged") & (crosswalk["old_level"] == "commune")]
    parts = merged.groupby("new_code")["old_code"].agg(list)
    parts = parts[parts.map(len) >= 2]
    chosen = rng.choice(parts.index.to_numpy(), size=min(8, len(parts)), replace=False)
    day = pd.Timestamp(last_day).tz_localize(LOCAL_TZ)
    is_last = communes["as_of"].dt.tz_convert(LOCAL_TZ).dt.normalize() == day
    replaced = is_last & communes["unit_code"].isin(chosen)
    extra = []
    for _, row in communes[replaced].iterrows():
        old_codes = parts[row["unit_code"]]
        first, second = row.copy(), row.copy()
        first["via_old_code"], second["via_old_code"] = old_codes[0], old_codes[1]
        second["tasks_done"] = max(0, int(row["tasks_done"]) - int(rng.integers(2, 6)))
        second["tasks_overdue"] = int(row["tasks_overdue"]) + 1
        extra += [first, second]
    communes = communes[~replaced]
    return pd.concat([communes, pd.DataFrame(extra)], ignore_index=True)


def _province_reports(rng: np.random.Generator, provinces: list[str], days: list[dt.date]) -> pd.DataFrame:
    n, t = len(provinces), len(days)
    speed = rng.uniform(0.6, 1.5, n)
    total = np.repeat(rng.integers(80, 220, n)[None, :], t, axis=0)
    done = np.maximum.accumulate(np.floor(total * _progress(rng, speed, days)).astype(int), axis=0)
    overdue = rng.binomial(total - done, np.clip((1.3 - speed) * 0.2, 0, 0.4)[None, :])
    times = _times(rng, days, n)
    return pd.DataFrame(
        {
            "level": "province",
            "unit_code": np.tile(provinces, t),
            "as_of": pd.DatetimeIndex(times.ravel()).tz_localize("UTC"),
            "tasks_total": total.ravel(),
            "tasks_done": done.ravel(),
            "tasks_overdue": overdue.ravel(),
            "centre_state": "operating",
            "gaps": "",
            "note": "",
            "via_old_code": "",
        }
    )


def load_demo(store, *, seed: int = DEMO_SEED, only_if_empty: bool = True, progress=None) -> int | None:
    """Write the demonstration history as one batch labelled ``is_demo``; returns its id.

    With ``only_if_empty`` (the default, used on first run) nothing is written and ``None`` is
    returned when the store already holds any batch, checked inside the writing transaction.
    """
    rows = generate(seed=seed)
    digest = f"demo-seed-{seed}-{DEMO_START:%Y%m%d}-{DEMO_END:%Y%m%d}".ljust(64, "0")[:64]
    return store.append(
        rows,
        imported_by=DEMO_USER,
        source_name=f"{DEMO_LABEL} (seed {seed})",
        source_sha256=digest,
        is_demo=True,
        note=DEMO_LABEL,
        progress=progress,
        only_if_empty=only_if_empty,
    )
