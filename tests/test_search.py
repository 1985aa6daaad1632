"""Tests of lib.lookup.search: free-text search over old and new units by name or code."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from lib.lookup.search import RESULT_COLUMNS, SearchIndex

DATA = Path(__file__).parent / "data" / "lookup"


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def index() -> SearchIndex:
    return SearchIndex.from_tables(_read("crosswalk.csv"), _read("new_communes.csv"), _read("new_provinces.csv"))


def test_result_columns_and_types(index):
    result = index.search("phuc xa")
    assert list(result.columns) == RESULT_COLUMNS
    top = result.iloc[0]
    assert (top["kind"], top["code"], top["name"]) == ("old_commune", "00001", "Phường Phúc Xá")
    assert top["district_name"] == "Quận Ba Đình" and top["province_name"] == "Thành phố Hà Nội"
    assert top["new_codes"] == ("00097",)


@pytest.mark.parametrize(
    "query",
    [
        "phuc xa",
        "Phúc Xá",
        "PHÚC XÁ",
        unicodedata.normalize("NFD", "Phúc Xá"),
        "Phường Phúc Xá",
        "P. Phúc Xá",
        "00001",
        "Phường Phúc Xá, Ba Đình",
        "phuc x",
        "phu xa",
        "Phúc Xá, Quận Ba Đình, Hà Nội",
    ],
)
def test_queries_find_phuc_xa_first(index, query):
    top = index.search(query).iloc[0]
    assert (top["kind"], top["code"]) == ("old_commune", "00001"), query


def test_split_commune_leads_to_every_target(index):
    top = index.search("Cống Vị").iloc[0]
    assert top["code"] == "00007" and top["new_codes"] == ("00008", "00025")


def test_new_commune_leads_to_itself_and_has_no_district(index):
    result = index.search("Hồng Hà")
    top = result.iloc[0]
    assert (top["kind"], top["code"], top["new_codes"], top["district_name"]) == (
        "new_commune",
        "00097",
        ("00097",),
        "",
    )


def test_provinces_and_districts_lead_to_all_their_communes(index):
    result = index.search("Ba Đình")
    district = result[result["kind"].eq("old_district")].iloc[0]
    assert district["code"] == "001"
    assert district["new_codes"] == ("00004", "00008", "00025", "00097")
    province = index.search("Hà Nội")
    kinds = set(province.loc[province["score"].eq(province["score"].max()), "kind"])
    assert kinds == {"new_province", "old_province"}
    new = province[province["kind"].eq("new_province")].iloc[0]
    assert new["new_codes"] == ("00004", "00008", "00025", "00097")


def test_context_after_comma_picks_the_right_homonym(index):
    quan5 = index.search("Phường 1, Quận 5")
    quan3 = index.search("Phường 1, Quận 3")
    assert quan5.iloc[0]["code"] == "27301" and quan3.iloc[0]["code"] == "26734"
    assert quan5.iloc[0]["score"] > quan5[quan5["code"].eq("26734")]["score"].iloc[0]


def test_words_spread_over_name_and_district(index):
    top = index.search("phuc xa ba dinh").iloc[0]
    assert top["code"] == "00001"


def test_island_district_is_found_by_name_and_three_digit_code(index):
    by_name = index.search("Côn Đảo")
    assert {("new_commune", "26732"), ("old_district", "755")} <= set(
        zip(by_name["kind"], by_name["code"], strict=False)
    )
    by_code = index.search("755").iloc[0]
    assert (by_code["kind"], by_code["code"], by_code["new_codes"]) == ("old_district", "755", ("26732",))


def test_province_names_differ_by_diacritics_only_in_keys(index):
    # "Đồng Tháp" folds đ → d: "dong thap" finds the new province.
    top = index.search("dong thap").iloc[0]
    assert (top["kind"], top["code"]) == ("new_province", "82")


@pytest.mark.parametrize("query", ["", "   ", ",", "zzzz", "99999", "Phường"])
def test_nothing_found_is_an_empty_table_with_the_columns(index, query):
    result = index.search(query)
    assert result.empty and list(result.columns) == RESULT_COLUMNS


@pytest.mark.parametrize("query", ["1", "1.0", "0001"])
def test_unpadded_code_finds_every_unit_with_that_number(index, query):
    result = index.search(query)
    best = result[result["score"].eq(result["score"].max())]
    assert {("old_commune", "00001"), ("new_province", "01"), ("old_province", "01")} <= set(
        zip(best["kind"], best["code"], strict=False)
    )


def test_exact_padded_code_beats_other_paddings(index):
    result = index.search("001")
    assert (result.iloc[0]["kind"], result.iloc[0]["code"]) == ("old_district", "001")


def test_code_prefix_and_limit(index):
    assert len(index.search("00", limit=3)) == 3
    assert len(index.search("00")) > 3
    assert len(index.search("phu", limit=2)) == 2


@pytest.mark.dataset
def test_every_old_commune_code_finds_itself_first_in_the_dataset():
    from lib.data import geodata

    crosswalk = geodata.load_crosswalk()
    communes = geodata.load_new_communes().drop(columns="geometry")
    provinces = geodata.load_new_provinces().drop(columns="geometry")
    index = SearchIndex.from_tables(crosswalk, communes, provinces)
    assert (
        len(index)
        == 34
        + 3321
        + crosswalk["old_code"].nunique()
        - 5
        + crosswalk["old_district_code"].nunique()
        + crosswalk["old_province_code"].nunique()
    )
    sample = crosswalk[crosswalk["old_level"].eq("commune")].drop_duplicates("old_code").sample(100, random_state=1)
    for code, name, district in zip(sample["old_code"], sample["old_name"], sample["old_district_name"], strict=False):
        assert index.search(code).iloc[0]["code"] == code
        by_name = index.search(f"{name}, {district}")
        assert code in set(by_name.loc[by_name["score"].eq(by_name["score"].max()), "code"]), (code, name)
    top = index.search("phuc xa").iloc[0]
    assert (top["code"], top["new_codes"]) == ("00001", ("00097",))


@pytest.mark.parametrize("query, code", [("TP HCM", "79"), ("tphcm", "79"), ("HN", "01"), ("Sài Gòn", "79")])
def test_province_aliases(index, query, code):
    top = index.search(query).iloc[0]
    assert (top["kind"], top["code"]) == ("new_province", code)


def test_alias_in_context(index):
    top = index.search("Phường 2, Quận 5, TP HCM").iloc[0]
    assert top["code"] == "27307" and top["score"] >= 110
