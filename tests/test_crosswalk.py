"""Crosswalk building from the two mapping sources, on a hand-made miniature country."""

import pandas as pd
import pytest

from lib.assemble.crosswalk import build_crosswalk, build_province_crosswalk
from lib.data.contract import COLUMNS, summarise

# Old province 01 with communes A (00001), B (00002), C (00003), D (00004); an island district 900.
OLD_COMMUNES = pd.DataFrame(
    {
        "code": ["00001", "00002", "00003", "00004"],
        "name": ["Phường An", "Xã Bình", "Xã Cát", "Xã Dân"],
        "type": ["Phường", "Xã", "Xã", "Xã"],
        "district_code": ["001", "001", "002", "002"],
        "district_name": ["Quận Một", "Quận Một", "Huyện Hai", "Huyện Hai"],
        "province_code": ["01", "01", "01", "01"],
        "province_name": ["Tỉnh Cũ", "Tỉnh Cũ", "Tỉnh Cũ", "Tỉnh Cũ"],
    }
)
OLD_DISTRICTS = pd.DataFrame(
    {
        "code": ["001", "002", "900"],
        "name": ["Quận Một", "Huyện Hai", "Huyện Đảo"],
        "type": ["Quận", "Huyện", "Huyện"],
        "province_code": ["01", "01", "01"],
        "province_name": ["Tỉnh Cũ"] * 3,
    }
)
# New: 00001 ← A + part of B; 00002 ← rest of B; 00003 ← C (renamed Xã Cát Mới); 00004 ← D (same name);
# 00900 ← island district 900.
NEW_COMMUNES = pd.DataFrame(
    {
        "code": ["00001", "00002", "00003", "00004", "00900"],
        "full_name": ["Phường An", "Xã Bình", "Xã Cát Mới", "Xã Dân", "Đặc khu Đảo"],
        "type": ["Phường", "Xã", "Xã", "Xã", "Đặc khu"],
        "province_code": ["01"] * 5,
    }
)
NEW_PROVINCES = pd.DataFrame({"code": ["01"], "full_name": ["Tỉnh Mới"]})


def vau(rows):
    return pd.DataFrame(rows, columns=["old_code", "old_level", "new_code", "divided"])


def dv(rows):
    return pd.DataFrame(rows, columns=["old_code", "new_code", "type", "old_name_dvhcvn", "old_level"])


VAU = vau(
    [
        ("00001", "commune", "00001", False),
        ("00002", "commune", "00001", True),
        ("00002", "commune", "00002", True),
        ("00003", "commune", "00003", False),
        ("00004", "commune", "00004", False),
        ("900", "district", "00900", False),
    ]
)
DV = dv(
    [
        ("00001", "00001", "full", "Phường An", "commune"),
        ("00002", "00001", "partial", "Xã Bình", "commune"),
        ("00002", "00002", "partial", "Xã Bình", "commune"),
        ("00003", "00003", "full", "Xã Cát", "commune"),
        ("00004", "00004", "full", "Xã Dân", "commune"),
        ("900", "00900", "full", "Huyện Đảo", "district"),
    ]
)


def build(vau_pairs=VAU, dv_pairs=DV):
    return build_crosswalk(vau_pairs, dv_pairs, OLD_COMMUNES, OLD_DISTRICTS, NEW_COMMUNES, NEW_PROVINCES)


def row(table, old, new):
    match = table[(table["old_code"] == old) & (table["new_code"] == new)]
    assert len(match) == 1, f"expected one row for {old}->{new}"
    return match.iloc[0]


def test_one_row_per_pair_with_contract_columns():
    table, rejected = build()
    assert list(table.columns) == COLUMNS
    assert len(table) == len(VAU)
    assert not table.duplicated(["old_code", "new_code"]).any()
    assert rejected.empty


def test_split_commune_keeps_every_target_as_part():
    table, _ = build()
    split = table[table["old_code"] == "00002"]
    assert set(split["new_code"]) == {"00001", "00002"}
    assert set(split["part"]) == {"part"}
    assert set(split["relation"]) == {"split"}


def test_relations():
    table, _ = build()
    assert row(table, "00001", "00001")["relation"] == "merged"  # 00001 has two predecessors
    assert row(table, "00003", "00003")["relation"] == "renamed"
    assert row(table, "00004", "00004")["relation"] == "unchanged"


def test_old_and_new_attributes_joined():
    table, _ = build()
    r = row(table, "00003", "00003")
    assert (r["old_name"], r["old_district_code"], r["old_province_name"]) == ("Xã Cát", "002", "Tỉnh Cũ")
    assert (r["new_name"], r["new_type"], r["new_province_name"]) == ("Xã Cát Mới", "Xã", "Tỉnh Mới")


def test_island_district_row():
    table, _ = build()
    r = row(table, "900", "00900")
    assert (r["old_level"], r["old_name"], r["old_district_code"]) == ("district", "Huyện Đảo", "900")


def test_sources_and_disagreements_recorded():
    # dvhcvn lacks 00004→00004, says 00003 went to 00004 as well, and calls B→00001 whole.
    dv_pairs = DV[~(DV["old_code"] == "00004")].copy()
    dv_pairs.loc[(dv_pairs["old_code"] == "00002") & (dv_pairs["new_code"] == "00001"), "type"] = "full"
    dv_pairs = pd.concat([dv_pairs, dv([("00003", "00004", "partial", "Xã Cát", "commune")])], ignore_index=True)
    table, rejected = build(dv_pairs=dv_pairs)
    only_vau = row(table, "00004", "00004")
    assert only_vau["sources"] == "vietnamadminunits"
    assert "only in vietnamadminunits" in only_vau["disagreement"]
    assert only_vau["part_source"] == "derived" and only_vau["part"] == "whole"
    whole_but_split = row(table, "00002", "00001")
    assert whole_but_split["part"] == "part" and "several targets" in whole_but_split["disagreement"]
    assert row(table, "00001", "00001")["disagreement"] == ""
    assert list(zip(rejected["old_code"], rejected["new_code"], strict=False)) == [("00003", "00004")]
    assert summarise(table)["disagreeing_pairs"] == 2


def test_unknown_codes_raise():
    with pytest.raises(ValueError, match="99999"):
        build(vau_pairs=pd.concat([VAU, vau([("99999", "commune", "00001", False)])], ignore_index=True))
    with pytest.raises(ValueError, match="88888"):
        build(vau_pairs=pd.concat([VAU, vau([("00001", "commune", "88888", False)])], ignore_index=True))


def test_province_crosswalk_counts():
    table, _ = build()
    provinces = build_province_crosswalk(table)
    assert len(provinces) == 1
    only = provinces.iloc[0]
    assert (only["old_units"], only["new_communes"], only["part"]) == (5, 5, "whole")
    assert only["relation"] == "unchanged"


def test_summary_counts_split_and_new():
    table, _ = build()
    summary = summarise(table)
    assert summary["old_communes"] == 4 and summary["old_units"] == 5
    assert summary["split_old_communes"] == 1 and summary["new_communes"] == 5


def test_one_relation_rule_for_pairs_provinces_and_summaries():
    from lib.core.vocab import RELATION_LABELS, RELATIONS
    from lib.data.contract import classify_relations

    targets, predecessors = pd.Series([1, 1, 1, 2, 1]), pd.Series([1, 1, 3, 1, 2])
    whole = pd.Series([True, True, True, False, False])
    same = pd.Series([True, False, True, True, True])
    assert classify_relations(targets=targets, predecessors=predecessors, whole=whole, same_name=same).tolist() == [
        "unchanged",
        "renamed",
        "merged",
        "split",
        "split",
    ]
    assert classify_relations(
        targets=targets, predecessors=predecessors, whole=whole, same_name=same, split=False
    ).tolist() == ["unchanged", "renamed", "merged", "merged", "merged"]
    assert set(RELATION_LABELS) == set(RELATIONS)
