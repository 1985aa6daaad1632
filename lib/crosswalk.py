"""The old→new correspondence: one row per (old unit, new unit) pair, from two mapping sources."""

from __future__ import annotations

import pandas as pd

# Column order of geodata/crosswalk.csv; the meaning of each is in COLUMN_DOCS.
COLUMNS = [
    "old_code", "old_level", "old_name", "old_type",
    "old_district_code", "old_district_name", "old_province_code", "old_province_name",
    "new_code", "new_name", "new_type", "new_province_code", "new_province_name",
    "relation", "part", "area_km2", "share_of_old", "share_of_new",
    "sources", "part_source", "disagreement",
]

COLUMN_DOCS = {
    "old_code": "GSO code of the old unit (5 digits; 3 digits where old_level is 'district')",
    "old_level": "'commune', or 'district' for the island districts without communes that became special zones",
    "old_name": "full name of the old unit as in the GSO list of 30/06/2025",
    "old_type": "Xã, Phường, Thị trấn (or Huyện for an island district)",
    "old_district_code": "GSO code of the old district (3 digits)",
    "old_district_name": "name of the old district",
    "old_province_code": "GSO code of the old province (2 digits, one of 63)",
    "old_province_name": "name of the old province",
    "new_code": "GSO code of the new commune (5 digits, letter 1027/CTK-CSCL)",
    "new_name": "full name of the new commune",
    "new_type": "Xã, Phường or Đặc khu",
    "new_province_code": "GSO code of the new province (2 digits, one of 34)",
    "new_province_name": "name of the new province",
    "relation": "unchanged (1:1, same name), renamed (1:1, other name or type), merged (the new commune has "
    "several predecessors), split (the old commune went to several new communes)",
    "part": "whole: all of the old unit went to this new commune; part: only part of it did",
    "area_km2": "area of the old unit that lies in the new commune (km², Albers equal-area projection), measured "
    "on the reconstructed old-commune polygons at full resolution: approximate wherever the pair is not 1:1",
    "share_of_old": "area_km2 as a share of the old unit's (reconstructed) area (0–1; adds up to 1 per old unit)",
    "share_of_new": "area_km2 as a share of the new commune's area (0–1; adds up to 1 per new commune)",
    "sources": "which mapping sources list this pair: vietnamadminunits, dvhcvn, or both (joined by '+')",
    "part_source": "where 'part' comes from: dvhcvn (resolution texts) or derived (number of targets)",
    "disagreement": "empty when the sources agree; otherwise what differs",
}

# Values of the `relation` and `part` columns.
RELATIONS = ("unchanged", "renamed", "merged", "split")
PARTS = ("whole", "part")
RELATION_LABELS = {"unchanged": "giữ nguyên", "renamed": "đổi tên", "merged": "sáp nhập", "split": "chia tách"}
PART_LABELS = {"whole": "toàn bộ", "part": "một phần"}


def classify_relations(*, targets: pd.Series, predecessors: pd.Series, whole: pd.Series,
                       same_name: pd.Series | bool = True, split: bool = True) -> pd.Series:
    """The one rule for the ``relation`` of a pair, a province pair or a new commune.

    Per row: ``targets`` = how many new units the old unit went to, ``predecessors`` = how
    many old units formed the new one, ``whole`` = the old unit went there whole,
    ``same_name`` = the old and new names are equal. One whole predecessor going to one
    target is "unchanged" (same name) or "renamed"; an old unit that went to several
    targets or only in part is "split" (when ``split``: seen from the old unit; a new
    commune's summary has no split); everything else is "merged".
    """
    relation = pd.Series("merged", index=targets.index, dtype=object)
    one_to_one = targets.eq(1) & predecessors.eq(1) & whole
    same = same_name if isinstance(same_name, pd.Series) else pd.Series(same_name, index=targets.index)
    relation[one_to_one & ~same] = "renamed"
    relation[one_to_one & same] = "unchanged"
    if split:
        relation[targets.gt(1) | ~whole] = "split"
    return relation

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
        From :func:`lib.sources.read_vau_pairs` and :func:`lib.sources.read_dvhcvn_pairs`.
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
    for column in ("area_km2", "share_of_old", "share_of_new"):
        pairs[column] = float("nan")

    vau_keys = pd.MultiIndex.from_frame(vau_pairs[["old_code", "new_code"]])
    rejected = dvhcvn_pairs[~pd.MultiIndex.from_frame(dvhcvn_pairs[["old_code", "new_code"]]).isin(vau_keys)].copy()
    known_old = set(old_communes["code"]) | set(old_districts["code"])
    rejected["reason"] = rejected["old_code"].isin(known_old).map(
        {True: f"pair not in {VAU}", False: "old code not in the GSO list of 30/06/2025"}
    )
    crosswalk = pairs[COLUMNS].sort_values(["old_code", "new_code"], kind="mergesort", ignore_index=True)
    return crosswalk, rejected.sort_values(["old_code", "new_code"], kind="mergesort", ignore_index=True)


def _attach_old(pairs: pd.DataFrame, old_communes: pd.DataFrame, old_districts: pd.DataFrame) -> pd.DataFrame:
    communes = old_communes.rename(
        columns={
            "code": "old_code", "name": "old_name", "type": "old_type",
            "district_code": "old_district_code", "district_name": "old_district_name",
            "province_code": "old_province_code", "province_name": "old_province_name",
        }
    )
    districts = pd.DataFrame(
        {
            "old_code": old_districts["code"], "old_name": old_districts["name"], "old_type": old_districts["type"],
            "old_district_code": old_districts["code"], "old_district_name": old_districts["name"],
            "old_province_code": old_districts["province_code"], "old_province_name": old_districts["province_name"],
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
    return classify_relations(targets=targets, predecessors=predecessors, whole=pairs["part"].ne("part"),
                              same_name=pairs["old_name"].eq(pairs["new_name"]))


def build_province_crosswalk(crosswalk: pd.DataFrame) -> pd.DataFrame:
    """63 → 34: one row per (old province, new province) with how many old communes went there."""
    grouped = (
        crosswalk.groupby(
            ["old_province_code", "old_province_name", "new_province_code", "new_province_name"], as_index=False
        )
        .agg(old_units=("old_code", "nunique"), new_communes=("new_code", "nunique"))
    )
    targets = grouped.groupby("old_province_code")["new_province_code"].transform("size")
    predecessors = grouped.groupby("new_province_code")["old_province_code"].transform("size")
    grouped["part"] = targets.gt(1).map({True: "part", False: "whole"})
    grouped["relation"] = classify_relations(targets=targets, predecessors=predecessors, whole=targets.eq(1))
    return grouped.sort_values(["old_province_code", "new_province_code"], kind="mergesort", ignore_index=True)


def summarise(crosswalk: pd.DataFrame) -> dict[str, int]:
    """Counts the validation report prints: pairs, old and new units, split communes, disagreements."""
    return {
        "pairs": len(crosswalk),
        "old_units": crosswalk["old_code"].nunique(),
        "old_communes": crosswalk.loc[crosswalk["old_level"].eq("commune"), "old_code"].nunique(),
        "new_communes": crosswalk["new_code"].nunique(),
        "split_old_communes": crosswalk.loc[crosswalk["relation"].eq("split"), "old_code"].nunique(),
        "disagreeing_pairs": int(crosswalk["disagreement"].fillna("").ne("").sum()),
    }
