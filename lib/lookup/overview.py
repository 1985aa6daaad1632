"""National overview: one row per new province with its communes and predecessors."""

from __future__ import annotations

import pandas as pd

TYPE_COLUMNS = {"Phường": "phuong", "Xã": "xa", "Đặc khu": "dac_khu"}


def province_table(provinces: pd.DataFrame, crosswalk: pd.DataFrame, province_crosswalk: pd.DataFrame) -> pd.DataFrame:
    """Per new province: commune counts by type, old provinces and old communes it came from."""
    communes = crosswalk.drop_duplicates("new_code")
    by_type = pd.crosstab(communes["new_province_code"], communes["new_type"]).rename(columns=TYPE_COLUMNS)
    for column in TYPE_COLUMNS.values():
        if column not in by_type.columns:
            by_type[column] = 0
    old_communes = (
        crosswalk[crosswalk["old_level"].eq("commune")]
        .groupby("new_province_code")["old_code"]
        .nunique()
        .rename("old_communes")
    )
    old_provinces = (
        province_crosswalk.sort_values("old_province_code")
        .groupby("new_province_code")["old_province_name"]
        .agg(", ".join)
        .rename("old_provinces")
    )
    table = (
        provinces[["code", "full_name", "area_km2", "population"]]
        .merge(by_type[list(TYPE_COLUMNS.values())], left_on="code", right_index=True, how="left")
        .merge(old_communes, left_on="code", right_index=True, how="left")
        .merge(old_provinces, left_on="code", right_index=True, how="left")
    )
    table["communes"] = table[list(TYPE_COLUMNS.values())].sum(axis=1)
    columns = [
        "code",
        "full_name",
        "communes",
        "phuong",
        "xa",
        "dac_khu",
        "old_provinces",
        "old_communes",
        "area_km2",
        "population",
    ]
    return table[columns].sort_values("code", ignore_index=True)


def totals(table: pd.DataFrame, province_crosswalk: pd.DataFrame) -> dict[str, int]:
    """Headline counts for the overview."""
    return {
        "provinces": len(table),
        "communes": int(table["communes"].sum()),
        "old_provinces": int(province_crosswalk["old_province_code"].nunique()),
        "old_communes": int(table["old_communes"].sum()),
    }
