"""The old→new correspondence: one row per (old unit, new unit) pair, from two mapping sources."""

from __future__ import annotations

import pandas as pd

from lib.data.contract import COLUMNS, classify_relations

VAU = "vietnamadminunits"
DVHCVN = "dvhcvn"


def build_crosswalk(
    vau_pairs: pd.DataFrame,
    dvhcvn_pairs: pd.DataFrame,
    old_communes: pd.DataFrame,
    old_districts: pd.DataFrame,
    new_communes: pd.DataFrame,
    new_provinces: pd.DataFrame,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join the two mapping sources into the crosswalk.

    The pairs are vietnamadminunits' (the geocoded points side with it five times as often
    where the two differ); whole/part comes from dvhcvn where it lists the pair. A split
    commune keeps one row per target, never a single default.

    Parameters
    ----------
    vau_pairs, dvhcvn_pairs
        From :func:`lib.assemble.sources.read_vau_pairs` and :func:`lib.assemble.sources.read_dvhcvn_pairs`.
    old_communes, old_districts
        The GSO lists of 30/06/2025 (``code``, ``name``, ``type``, ``district_code`` ...).
    new_communes
        ``code``, ``full_name``, ``type``, ``province_code`` of the 3,321 new communes.
    new_provinces
        ``code``, ``full_name`` of the 34 new provinces.

    Returns
    -------
    (crosswalk, rejected)
        ``crosswalk`` has :data:`COLUMNS`; ``rejected`` lists dvhcvn pairs that
        vietnamadminunits does not have, with the reason they were not taken.
    """
    dv = dvhcvn_pairs.set_index(["old_code", "new_code"])
    pairs = vau_pairs[["old_code", "old_level", "new_code"]].copy()
    keys = pd.MultiIndex.from_frame(pairs[["old_code", "new_code"]])
    in_dv = keys.isin(dv.index)
    dv_type = pd.Series(keys.map(lambda k: dv["type"].get(k)), index=pairs.index)

    targets = pairs.groupby("old_code")["new_code"].transform("size")
    derived_part = targets.gt(1).map({True: "part", False: "whole"})
    pairs["part"] = dv_type.map({"full": "whole", "partial": "part"}).fillna(derived_part)
    pairs["part_source"] = in_dv.astype(bool)
    pairs["part_source"] = pairs["part_source"].map({True: DVHCVN, False: "derived"})
    pairs["sources"] = pd.Series(in_dv, index=pairs.index).map({True: f"{VAU}+{DVHCVN}", False: VAU})

    disagreement = pd.Series("", index=pairs.index, dtype=object)
    disagreement[~in_dv] = f"pair only in {VAU}"
    # An old unit that goes to several new communes cannot go whole to any of them.
    whole_but_split = pairs["part"].eq("whole") & targets.gt(1)
    disagreement[whole_but_split] = "dvhcvn says whole, but the old unit has several targets"
    pairs.loc[whole_but_split, "part"] = "part"
    part_but_single = pairs["part"].eq("part") & targets.eq(1)
    disagreement[part_but_single] = "dvhcvn says part, but vietnamadminunits has no other target"
    pairs["disagreement"] = disagreement

    pairs = _attach_old(pairs, old_communes, old_districts)
    pairs = _attach_new(pairs, new_communes, new_provinces)
    pairs["relation"] = _relation(pairs)
    for column in ("area_km2", "share_of_old", "share_of_new", "evidence_km"):
        pairs[column] = float("nan")
    pairs["note_check"] = ""
    pairs["review"] = ""

    vau_keys = pd.MultiIndex.from_frame(vau_pairs[["old_code", "new_code"]])
    rejected = dvhcvn_pairs[~pd.MultiIndex.from_frame(dvhcvn_pairs[["old_code", "new_code"]]).isin(vau_keys)].copy()
    known_old = set(old_communes["code"]) | set(old_districts["code"])
    rejected["reason"] = (
        rejected["old_code"]
        .isin(known_old)
        .map({True: f"pair not in {VAU}", False: "old code not in the GSO list of 30/06/2025"})
    )
    crosswalk = pairs[COLUMNS].sort_values(["old_code", "new_code"], kind="mergesort", ignore_index=True)
    return crosswalk, rejected.sort_values(["old_code", "new_code"], kind="mergesort", ignore_index=True)


def _attach_old(pairs: pd.DataFrame, old_communes: pd.DataFrame, old_districts: pd.DataFrame) -> pd.DataFrame:
    communes = old_communes.rename(
        columns={
            "code": "old_code",
            "name": "old_name",
            "type": "old_type",
            "district_code": "old_district_code",
            "district_name": "old_district_name",
            "province_code": "old_province_code",
            "province_name": "old_province_name",
        }
    )
    districts = pd.DataFrame(
        {
            "old_code": old_districts["code"],
            "old_name": old_districts["name"],
            "old_type": old_districts["type"],
            "old_district_code": old_districts["code"],
            "old_district_name": old_districts["name"],
            "old_province_code": old_districts["province_code"],
            "old_province_name": old_districts["province_name"],
        }
    )
    is_commune = pairs["old_level"].eq("commune")
    joined = pd.concat(
        [
            pairs[is_commune].merge(communes, on="old_code", how="left"),
            pairs[~is_commune].merge(districts, on="old_code", how="left"),
        ],
        ignore_index=True,
    )
    unknown = joined.loc[joined["old_name"].isna(), "old_code"]
    if len(unknown):
        raise ValueError(f"old code(s) not in the GSO list: {', '.join(unknown.head(10))}")
    return joined


def _attach_new(pairs: pd.DataFrame, new_communes: pd.DataFrame, new_provinces: pd.DataFrame) -> pd.DataFrame:
    communes = new_communes[["code", "full_name", "type", "province_code"]].rename(
        columns={"code": "new_code", "full_name": "new_name", "type": "new_type", "province_code": "new_province_code"}
    )
    provinces = new_provinces[["code", "full_name"]].rename(
        columns={"code": "new_province_code", "full_name": "new_province_name"}
    )
    joined = pairs.merge(communes, on="new_code", how="left").merge(provinces, on="new_province_code", how="left")
    unknown = joined.loc[joined["new_name"].isna(), "new_code"]
    if len(unknown):
        raise ValueError(f"new code(s) without a polygon: {', '.join(sorted(set(unknown))[:10])}")
    return joined


def _relation(pairs: pd.DataFrame) -> pd.Series:
    targets = pairs.groupby("old_code")["new_code"].transform("size")
    predecessors = pairs.groupby("new_code")["old_code"].transform("size")
    return classify_relations(
        targets=targets,
        predecessors=predecessors,
        whole=pairs["part"].ne("part"),
        same_name=pairs["old_name"].eq(pairs["new_name"]),
    )


def build_province_crosswalk(crosswalk: pd.DataFrame) -> pd.DataFrame:
    """63 → 34: one row per (old province, new province) with how many old communes went there."""
    grouped = crosswalk.groupby(
        ["old_province_code", "old_province_name", "new_province_code", "new_province_name"], as_index=False
    ).agg(old_units=("old_code", "nunique"), new_communes=("new_code", "nunique"))
    targets = grouped.groupby("old_province_code")["new_province_code"].transform("size")
    predecessors = grouped.groupby("new_province_code")["old_province_code"].transform("size")
    grouped["part"] = targets.gt(1).map({True: "part", False: "whole"})
    grouped["relation"] = classify_relations(targets=targets, predecessors=predecessors, whole=targets.eq(1))
    return grouped.sort_values(["old_province_code", "new_province_code"], kind="mergesort", ignore_index=True)
