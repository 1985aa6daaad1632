"""Reconciling crosswalk pairs with the official notes and the geography (hand-made fixtures)."""

import pandas as pd
import pytest
from shapely.geometry import Point, box

from lib.assemble import reconcile as rc
from lib.data.contract import COLUMNS, classify_relations

# Four new communes, squares of ~11 km; N2 lies ~110 km east of N1.
NEW = {"N1": box(0, 0, 0.1, 0.1), "N2": box(1, 0, 1.1, 0.1), "N3": box(0, 1, 0.1, 1.1), "N4": box(0.1, 1, 0.2, 1.1)}
NOTES = pd.Series(
    {
        "N1": "Hợp nhất xã An Lạc, 1 phần xã Hòa Bình, xã Mỹ Lợi. Bỏ cấp huyện. Số: 1669/NQ-UBTVQH15; Ngày: 16/06/2025",
        "N2": "Đổi tên từ xã Tân Phú thành xã Bình Lợi, hợp nhất xã Hòa Bình, xã Tân Phú. Bỏ cấp huyện.",
        "N3": "Hợp nhất xã Phú Xuân và 1 phần xã Đông Sơn. Bỏ cấp huyện. Số: 1680/NQ-UBTVQH15",
        "N4": "Hợp nhất xã Lê Lợi, 1 phần còn lại của xã Đông Sơn. Bỏ cấp huyện.",
    }
)
NEW_COMMUNES = pd.DataFrame(
    {
        "code": list(NEW),
        "full_name": ["Xã An Lạc", "Xã Bình Lợi", "Xã Phú Xuân", "Xã Lê Lợi"],
        "type": "Xã",
        "province_code": "30",
        "province_name": "Tỉnh T",
    }
)


def pair(old_code, old_name, district, new_code, *, sources="vietnamadminunits+dvhcvn", part="whole"):
    row = dict.fromkeys(COLUMNS, "")
    new = NEW_COMMUNES.set_index("code").loc[new_code]
    row.update(
        old_code=old_code,
        old_level="commune",
        old_name=old_name,
        old_type="Xã",
        old_district_code=district[:3],
        old_district_name=district,
        old_province_code="30",
        old_province_name="Tỉnh C",
        new_code=new_code,
        new_name=new["full_name"],
        new_type="Xã",
        new_province_code="30",
        new_province_name="Tỉnh T",
        part=part,
        sources=sources,
        part_source="dvhcvn",
    )
    for column in ("area_km2", "share_of_old", "share_of_new", "evidence_km"):
        row[column] = float("nan")
    return row


def run(rows, points):
    table = pd.DataFrame(rows)[COLUMNS]
    return rc.reconcile(table, notes=NOTES, new_communes=NEW_COMMUNES, new_geoms=NEW, census_shapes={}, points=points)


def test_parse_note_parts_and_district_qualifiers():
    items = rc.parse_note(
        "Đổi tên từ Phường 1 (thành phố Cao Lãnh) thành phường Cao Lãnh, hợp nhất Phường 1, Phường 3, "
        "Phường 4 (thành phố Cao Lãnh), phường Hòa Thuận và các xã Hòa An, 1 phần xã Tịnh Thới. Bỏ cấp huyện."
    )
    keys = {(i.key, i.part, i.qualifier) for i in items}
    assert ("4", False, "cao lanh") in keys
    assert ("hoa thuan", False, "") in keys
    assert ("hoa an", False, "") in keys
    assert ("tinh thoi", True, "") in keys


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("Hợp nhất xã A, 1 phần xã Hòa Bình.", "part"),
        ("Hợp nhất xã Hòa Bình và xã A.", "whole"),
        ("Hợp nhất xã A và xã B.", "not named"),
        ("Giữ nguyên không sắp xếp. Bỏ cấp huyện.", "whole"),
    ],
)
def test_note_check(note, expected):
    items = rc.parse_note(note)
    assert rc.note_check(items, note, old_key="hoa binh", district_key="kim thanh", new_key="hoa binh") == expected


def test_same_name_pair_far_away_is_rejected():
    rows = [
        pair("00001", "Xã Hòa Bình", "293 Huyện Kim Thành", "N1", part="part"),
        pair("00001", "Xã Hòa Bình", "293 Huyện Kim Thành", "N2", sources="vietnamadminunits", part="part"),
        pair("00002", "Xã Hòa Bình", "294 Huyện Vĩnh Bảo", "N2"),
        pair("00003", "Xã An Lạc", "293 Huyện Kim Thành", "N1"),
    ]
    points = {"00001": Point(0.05, 0.05), "00002": Point(1.05, 0.05), "00003": Point(0.02, 0.02)}
    crosswalk, rejected = run(rows, points)
    assert list(zip(rejected["old_code"], rejected["new_code"], strict=True)) == [("00001", "N2")]
    assert "one source only" in rejected["reason"].iloc[0] and "km away" in rejected["reason"].iloc[0]
    assert rejected["evidence_km"].iloc[0] > 100
    kept = crosswalk.set_index(["old_code", "new_code"])
    assert ("00001", "N1") in kept.index and ("00002", "N2") in kept.index
    # Its one remaining target's note says "1 phần", and no other note names it: whole, with the reason.
    assert kept.loc[("00001", "N1"), "part"] == "whole"
    assert "lone part" in kept.loc[("00001", "N1"), "review"]
    _assert_relations_follow_the_rule(crosswalk)


def test_official_part_followed_and_lone_part_gets_its_missing_target():
    rows = [pair("00010", "Xã Đông Sơn", "400 Huyện Đông Sơn", "N3", part="whole")]
    crosswalk, rejected = run(rows, {"00010": Point(0.1, 1.05)})  # on the N3/N4 border
    assert rejected.empty
    assert list(crosswalk["new_code"]) == ["N3", "N4"]
    assert set(crosswalk["part"]) == {"part"}
    found = crosswalk.set_index("new_code").loc["N4"]
    assert found["sources"] == rc.NOTES_SOURCE and "N4 found" in found["review"]
    assert set(crosswalk["relation"]) == {"split"}
    _assert_relations_follow_the_rule(crosswalk)


def test_lone_part_named_whole_by_the_note_becomes_whole():
    rows = [pair("00020", "Xã Mỹ Lợi", "293 Huyện Kim Thành", "N1", part="part")]
    crosswalk, _ = run(rows, {"00020": Point(0.05, 0.05)})
    assert crosswalk["part"].tolist() == ["whole"]
    assert "names it whole" in crosswalk["review"].iloc[0]


def test_an_old_commune_keeps_its_only_target():
    rows = [pair("00030", "Xã Xa Lạ", "293 Huyện Kim Thành", "N2", sources="vietnamadminunits")]
    crosswalk, rejected = run(rows, {"00030": Point(0.05, 0.05)})
    assert rejected.empty and crosswalk["new_code"].tolist() == ["N2"]
    assert crosswalk["review"].iloc[0].startswith("kept although contradicted")


def _assert_relations_follow_the_rule(crosswalk):
    expected = classify_relations(
        targets=crosswalk.groupby("old_code")["new_code"].transform("size"),
        predecessors=crosswalk.groupby("new_code")["old_code"].transform("size"),
        whole=crosswalk["part"].ne("part"),
        same_name=crosswalk["old_name"].eq(crosswalk["new_name"]),
    )
    assert crosswalk["relation"].tolist() == expected.tolist()
