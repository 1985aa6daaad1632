"""Plausibility checks of the new communes' attributes (population, area, administrative centre).

Every value comes from the merger map (sapnhap.bando.com.vn, ``new2025/sapnhap_*``); a value
that fails a check is blanked (shown as unknown) and the reason kept in a ``*_quality`` column.
No better source of the 2025 population or area exists among the sources (the 2009 census
counts the old communes of 2009), so none is substituted.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd

from lib.data.names import fold, name_key

SAPNHAP_COMMUNES = "new2025/sapnhap_communes_2025-07-17.csv"
# Density (people per km²) outside this range, or fewer people than MIN_POPULATION, is implausible.
DENSITY_RANGE = (5.0, 60_000.0)
# (1,000 rather than 500: 27991 Bến Lức shows 569.) Special zones (đặc khu, islands) are exempt.
MIN_POPULATION = 1_000
# A commune holding this share of its province's population is a province figure copied in.
PROVINCE_SHARE = 0.5
PROVINCE_TOLERANCE = 0.05
AREA_TOLERANCE = 0.10
PLACEHOLDERS = ("dang cap nhat", "chua cap nhat", "cap nhat", "khong co", "giu nguyen")


def read_official_areas(sources: Path) -> pd.DataFrame:
    """``province_key``, ``name_key``, ``area_official_km2`` (``dientichkm2``) of the merger map, in id order."""
    path = Path(sources) / SAPNHAP_COMMUNES
    if not path.is_file():
        raise FileNotFoundError(f"source file not found: {path}")
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    frame = frame.assign(_id=pd.to_numeric(frame["id"])).sort_values("_id", kind="mergesort")
    out = pd.DataFrame(
        {
            "province_key": frame["tentinh"].map(name_key),
            "name_key": frame["tenhc"].map(name_key),
            "area_official_km2": pd.to_numeric(frame["dientichkm2"], errors="coerce"),
        }
    )
    return out.drop_duplicates(["province_key", "name_key"], ignore_index=True)


def check_population(communes: pd.DataFrame, province_population: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blank implausible populations; return (communes with ``population_quality``, province report).

    ``communes`` needs ``code``, ``name``, ``type``, ``province_code``, ``population``, ``area_km2`` and
    ``area_official_km2``; ``province_population`` is the official figure per province code.
    """
    out = communes.copy()
    population = pd.to_numeric(out["population"], errors="coerce").astype(float)
    reason = pd.Series("", index=out.index, dtype=object)
    reason[population.isna()] = "no figure in the source"

    key = out["name"].map(name_key)
    spread = out.groupby([key, population])["province_code"].transform("nunique")
    copied = population.notna() & spread.gt(1)
    reason[copied & reason.eq("")] = "same figure as a same-named commune in another province"

    share = population / out["province_code"].map(province_population)
    total = share.ge(PROVINCE_SHARE) | population.isin(set(province_population.dropna()))
    reason[total & reason.eq("")] = "a province's total, not a commune's"

    area = out["area_official_km2"].where(out["area_official_km2"].gt(0), out["area_km2"])
    density = population / area
    low, high = DENSITY_RANGE
    checked = out["type"].ne("Đặc khu") & reason.eq("")
    reason[population.lt(MIN_POPULATION) & checked] = f"fewer than {MIN_POPULATION:,} people"
    reason[(density.lt(low) | density.gt(high)) & checked & reason.eq("")] = "density out of range (5–60,000 per km²)"

    blank = reason.ne("") & population.notna()
    reason[blank] = reason[blank] + population[blank].map(lambda v: f" (source figure {v:.0f})")
    out["population"] = population.where(~blank).round().astype("Int64")
    out["population_quality"] = reason
    return out, province_report(out, province_population)


def province_report(communes: pd.DataFrame, province_population: pd.Series) -> pd.DataFrame:
    """Per province: official figure, communes' sum, how many lack a figure, deviation and verdict."""
    grouped = communes.groupby("province_code")["population"]
    report = pd.DataFrame(
        {
            "province_population": province_population,
            "communes_sum": grouped.sum().astype(float),
            "communes_without_figure": grouped.apply(lambda s: int(s.isna().sum())),
        }
    ).reindex(sorted(communes["province_code"].unique()))
    report["deviation_pct"] = (100 * (report["communes_sum"] / report["province_population"] - 1)).round(1)
    complete = report["communes_without_figure"].eq(0)
    within = report["deviation_pct"].abs().le(100 * PROVINCE_TOLERANCE)
    report["verdict"] = "within ±5 %"
    report.loc[~complete, "verdict"] = "not checked: communes without a figure"
    off = complete & ~within
    report.loc[off, "verdict"] = [
        f"off by {v:+.1f} %: no commune's figure fails a check; the merger map's commune and province figures disagree"
        for v in report.loc[off, "deviation_pct"]
    ]
    report.index.name = "province_code"
    return report.reset_index()


def check_area(communes: pd.DataFrame) -> pd.Series:
    """``area_quality``: empty, or how far the polygon area is from the official one (over 10 %)."""
    official = communes["area_official_km2"]
    ratio = communes["area_km2"] / official
    off = official.gt(0) & (ratio - 1).abs().gt(AREA_TOLERANCE)
    quality = pd.Series("", index=communes.index, dtype=object)
    quality[official.isna()] = "no official area in the source"
    quality[off] = [f"polygon area differs from the official area by {100 * (r - 1):+.0f} %" for r in ratio[off]]
    return quality


def check_admin_centre(centre: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Blank placeholder texts ("đang cập nhật", empty); return (centre, ``admin_centre_quality``)."""
    text = centre.fillna("").map(lambda s: unicodedata.normalize("NFC", str(s)).strip())
    folded = text.map(lambda s: " ".join(fold(s).replace(".", " ").split()))
    placeholder = folded.eq("") | folded.isin(PLACEHOLDERS) | folded.str.startswith("dang cap nhat")
    quality = pd.Series("", index=centre.index, dtype=object)
    quality[placeholder & folded.ne("")] = "placeholder text in the source: " + text[placeholder & folded.ne("")]
    quality[folded.eq("")] = "no address in the source"
    return text.where(~placeholder, ""), quality
