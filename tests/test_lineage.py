"""Tests of lib.lookup.lineage: lineage both ways, the new→old summary and the crosswalk filters."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lib.assemble.crosswalk import build_province_crosswalk
from lib.lookup.lineage import (
    PART_MARK,
    SUMMARY_COLUMNS,
    describe,
    describe_filters,
    filter_crosswalk,
    filter_province_crosswalk,
    lineage,
    new_to_old_summary,
)

DATA = Path(__file__).parent / "data" / "lookup"


@pytest.fixture(scope="module")
def crosswalk() -> pd.DataFrame:
    return pd.read_csv(DATA / "crosswalk.csv", dtype=str, keep_default_na=False)


def test_old_split_commune_lists_every_target_and_their_other_predecessors(crosswalk):
    item = lineage(crosswalk, kind="old_commune", code="00007")
    assert item.name == "Phường Cống Vị"
    assert item.new_codes == ("00008", "00025")
    assert set(item.pairs["part"]) == {"part"}
    # Other old units that went into Ngọc Hà or Giảng Võ, without Cống Vị's own rows.
    assert sorted(zip(item.related["old_code"], item.related["new_code"], strict=False)) == [
        ("00019", "00008"),
        ("00025", "00025"),
    ]


def test_new_commune_lists_predecessors_and_where_their_other_parts_went(crosswalk):
    item = lineage(crosswalk, kind="new_commune", code="00004")
    assert item.old_codes == ("00004", "00019")
    assert list(item.related["new_code"]) == ["00008"]  # the rest of Điện Biên


@pytest.mark.parametrize(
    "kind, code, old_codes, new_codes",
    [
        ("old_district", "001", ("00001", "00004", "00007", "00019", "00025"), ("00004", "00008", "00025", "00097")),
        ("old_province", "77", ("755",), ("26732",)),
        ("new_province", "82", ("28459", "28693"), ("28400", "28700")),
        ("old_commune", "755", ("755",), ("26732",)),
    ],
)
def test_lineage_of_every_kind(crosswalk, kind, code, old_codes, new_codes):
    item = lineage(crosswalk, kind=kind, code=code)
    assert (item.old_codes, item.new_codes) == (old_codes, new_codes)


def test_unknown_unit_and_kind_are_named(crosswalk):
    with pytest.raises(KeyError, match="old_commune.*99999"):
        lineage(crosswalk, kind="old_commune", code="99999")
    with pytest.raises(ValueError, match="unknown unit kind 'ward'"):
        lineage(crosswalk, kind="ward", code="00001")


def test_describe_says_split_and_part(crosswalk):
    split = describe(lineage(crosswalk, kind="old_commune", code="00007"))
    assert "chia cho 2 xã mới" in split and "Phường Ngọc Hà (một phần)" in split
    merged = describe(lineage(crosswalk, kind="new_commune", code="00004"))
    assert "từ 2 đơn vị cũ" in merged and "1 đơn vị chỉ một phần" in merged


def test_summary_one_row_per_new_commune_with_aligned_predecessors(crosswalk):
    summary = new_to_old_summary(crosswalk)
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert summary["new_code"].is_unique and len(summary) == crosswalk["new_code"].nunique()
    assert summary["predecessor_count"].sum() == len(crosswalk)
    row = summary.set_index("new_code").loc["00008"]
    assert row["predecessor_codes"] == "00007; 00019"
    assert row["predecessors"] == (
        f"Phường Cống Vị (Quận Ba Đình, Thành phố Hà Nội){PART_MARK}; "
        f"Phường Điện Biên (Quận Ba Đình, Thành phố Hà Nội){PART_MARK}"
    )
    assert (row["partial_predecessor_count"], row["disagreeing_pairs"], row["relation"]) == (2, 1, "merged")


def test_summary_relation_and_cross_province_predecessors(crosswalk):
    summary = new_to_old_summary(crosswalk).set_index("new_code")
    assert summary.loc["28400", "relation"] == "unchanged"
    assert summary.loc["28700", "relation"] == "renamed"
    assert summary.loc["00097", "relation"] == "merged"
    assert summary.loc["00097", "old_district_names"] == "Quận Ba Đình; Quận Hoàn Kiếm"
    assert summary.loc["26732", "old_province_names"] == "Tỉnh Bà Rịa - Vũng Tàu"


@pytest.mark.parametrize(
    "filters, expected_pairs",
    [
        ({}, 14),
        ({"new_province": "01"}, 8),
        ({"old_province": "77"}, 1),
        ({"old_district": "001"}, 7),
        ({"relations": ("renamed", "unchanged")}, 4),
        ({"only_split": True}, 4),
        ({"only_disagreement": True}, 1),
        ({"new_province": "01", "only_split": True, "only_disagreement": True}, 1),
        ({"new_province": "79", "old_province": "01"}, 0),
    ],
)
def test_filters(crosswalk, filters, expected_pairs):
    selected = filter_crosswalk(crosswalk, **filters)
    assert len(selected) == expected_pairs
    if filters.get("only_split"):
        assert set(selected["relation"]) == {"split"}


def test_unknown_relation_is_refused(crosswalk):
    with pytest.raises(ValueError, match="unknown relation.*moved"):
        filter_crosswalk(crosswalk, relations=["moved"])


def test_province_table_follows_the_filter(crosswalk):
    provinces = build_province_crosswalk(crosswalk)
    kept = filter_province_crosswalk(provinces, filter_crosswalk(crosswalk, new_province="79"))
    assert sorted(zip(kept["old_province_code"], kept["new_province_code"], strict=False)) == [
        ("77", "79"),
        ("79", "79"),
    ]


def test_describe_filters():
    assert describe_filters() == "toàn bộ bảng chuyển đổi"
    text = describe_filters(new_province="01", relations=["split"], only_disagreement=True)
    assert text == "tỉnh mới 01; quan hệ chia tách; chỉ cặp các nguồn khác nhau"


def test_result_labels_and_district_choices(crosswalk):
    from lib.lookup.lineage import choices, result_labels
    from lib.lookup.search import SearchIndex

    new_communes = pd.read_csv(DATA / "new_communes.csv", dtype=str)
    new_provinces = pd.read_csv(DATA / "new_provinces.csv", dtype=str)
    results = SearchIndex.from_tables(crosswalk, new_communes, new_provinces).search("phuc xa")
    assert result_labels(results)[0] == "Xã cũ · Phường Phúc Xá · Quận Ba Đình · Thành phố Hà Nội [00001]"
    assert result_labels(results.iloc[0:0]) == []
    assert choices(crosswalk, "old_district_code", "old_district_name", old_province="79") == {
        "770": "770 – Quận 3",
        "774": "774 – Quận 5",
    }
    assert lineage(crosswalk, kind="old_commune", code="00019").disagreements == 1


@pytest.mark.dataset
def test_summary_of_the_dataset():
    from lib.data import geodata

    crosswalk = geodata.load_crosswalk()
    summary = new_to_old_summary(crosswalk)
    assert len(summary) == 3321
    assert summary["predecessor_count"].sum() == len(crosswalk)
    one_to_one = crosswalk[crosswalk["relation"].isin(["unchanged", "renamed"])]
    assert set(summary.loc[summary["relation"].ne("merged"), "new_code"]) == set(one_to_one["new_code"])
