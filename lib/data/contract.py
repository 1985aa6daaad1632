"""The dataset's contract: crosswalk columns and their meaning, relation and part values and
their labels, the one relation rule, and the known fixes of new-commune codes."""

from __future__ import annotations

import pandas as pd

# Column order of geodata/crosswalk.csv; the meaning of each is in COLUMN_DOCS.
COLUMNS = [
    "old_code",
    "old_level",
    "old_name",
    "old_type",
    "old_district_code",
    "old_district_name",
    "old_province_code",
    "old_province_name",
    "new_code",
    "new_name",
    "new_type",
    "new_province_code",
    "new_province_name",
    "relation",
    "part",
    "area_km2",
    "share_of_old",
    "share_of_new",
    "sources",
    "part_source",
    "disagreement",
    "note_check",
    "evidence_km",
    "review",
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
    "note_check": "how the official note of the new commune (statistics office catalogue, nso2026) names the old "
    "unit: whole, part ('1 phần'), 'not named', or empty (not checked: island districts)",
    "evidence_km": "distance (km) from the new commune's polygon of the old commune's own evidence: an interior "
    "point of its 2009 census shape where matched, else its geocoded point",
    "review": "empty, or why the pair was changed or kept against its evidence (lone part resolved, part taken "
    "from the note, only target kept although contradicted); rejected pairs are in crosswalk_rejected.csv",
}

# Columns of the new→old summary (``lib.lookup.lineage.new_to_old_summary``), documented for the exports.
SUMMARY_DOCS = {
    "new_code": "GSO code of the new commune (5 digits)",
    "new_name": "full name of the new commune",
    "new_type": "Xã, Phường or Đặc khu",
    "new_province_code": "GSO code of the new province (2 digits)",
    "new_province_name": "name of the new province",
    "predecessor_count": "number of old units the new commune was formed from (whole or in part)",
    "predecessor_codes": "GSO codes of those old units, joined by '; '",
    "predecessors": "their full names with old district and province, joined by '; '; "
    "'(một phần)' marks an old unit of which only part went to this new commune",
    "partial_predecessor_count": "how many of them went only in part to this new commune (split old communes)",
    "old_district_names": "old districts of the predecessors, joined by '; '",
    "old_province_names": "old provinces of the predecessors, joined by '; '",
    "relation": "unchanged or renamed (one whole predecessor), merged (several, or part of a split one)",
    "disagreeing_pairs": "how many of its pairs the two mapping sources disagree on (see crosswalk 'disagreement')",
}

# Values of the `relation` and `part` columns: lib.core.vocab.


def classify_relations(
    *,
    targets: pd.Series,
    predecessors: pd.Series,
    whole: pd.Series,
    same_name: pd.Series | bool = True,
    split: bool = True,
) -> pd.Series:
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


# Known code defects of the snapshot (sources README, "Known issues"): polygon/table code →
# official code. Ba Chẽ's polygon carries 06978 but GSO letter 1027 and every table say 06970.
NEW_CODE_FIXES = {"06978": "06970"}
# Letter 1027 lists Ia Mơ as 23737, the old code of Ia Mơ Nông (which went to Ia Ly 23734);
# the polygons, vietnamadminunits and the unchanged old commune all say 23938, so 23938 is
# kept and 23737 is accepted as an alias of the new commune wherever a *new* code is read.
NEW_CODE_ALIASES = {"23737": "23938"}


def fix_new_code(code: str) -> str:
    """Official code of a new commune given any code a source uses for it."""
    return NEW_CODE_FIXES.get(code, NEW_CODE_ALIASES.get(code, code))


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
