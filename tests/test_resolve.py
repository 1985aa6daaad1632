"""Tests of lib.lookup.resolve: codes, names, aliases, ambiguity and speed of unit resolution."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest

from lib.data.contract import COLUMNS
from lib.lookup.resolve import AMBIGUOUS, RESOLVED, UNKNOWN, UnitResolver

# The crosswalk columns up to "part" (the rest: areas and sources, not needed here).
CW_COLUMNS = COLUMNS[: COLUMNS.index("part") + 1]


def _cw_row(old, oname, otype, dcode, dname, pcode, pname, new, nname, npcode, npname, part="whole"):
    return [
        old,
        "commune",
        oname,
        otype,
        dcode,
        dname,
        pcode,
        pname,
        new,
        nname,
        nname.split()[0],
        npcode,
        npname,
        "merged",
        part,
    ]


@pytest.fixture
def resolver() -> UnitResolver:
    rows = [
        _cw_row(
            "00001",
            "Phường Phúc Xá",
            "Phường",
            "001",
            "Quận Ba Đình",
            "01",
            "Thành phố Hà Nội",
            "00097",
            "Phường Hồng Hà",
            "01",
            "Thành phố Hà Nội",
        ),
        _cw_row(
            "00004",
            "Phường Trúc Bạch",
            "Phường",
            "001",
            "Quận Ba Đình",
            "01",
            "Thành phố Hà Nội",
            "00004",
            "Phường Ba Đình",
            "01",
            "Thành phố Hà Nội",
        ),
        # Two old "Xã Tân Phú" in one province, different districts; one is split in two.
        _cw_row(
            "20001",
            "Xã Tân Phú",
            "Xã",
            "200",
            "Huyện Châu Thành",
            "82",
            "Tỉnh Tiền Giang",
            "20100",
            "Xã Tân Phú",
            "82",
            "Tỉnh Đồng Tháp",
            "part",
        ),
        _cw_row(
            "20001",
            "Xã Tân Phú",
            "Xã",
            "200",
            "Huyện Châu Thành",
            "82",
            "Tỉnh Tiền Giang",
            "20200",
            "Xã Long Hưng",
            "82",
            "Tỉnh Đồng Tháp",
            "part",
        ),
        _cw_row(
            "20002",
            "Xã Tân Phú",
            "Xã",
            "201",
            "Huyện Cai Lậy",
            "82",
            "Tỉnh Tiền Giang",
            "20100",
            "Xã Tân Phú",
            "82",
            "Tỉnh Đồng Tháp",
        ),
        _cw_row(
            "30001",
            "Thị trấn Tân Phú",
            "Thị trấn",
            "300",
            "Huyện Tháp Mười",
            "87",
            "Tỉnh Đồng Tháp",
            "20300",
            "Phường Tân Phú",
            "82",
            "Tỉnh Đồng Tháp",
        ),
        _cw_row(
            "26734",
            "Phường 1",
            "Phường",
            "760",
            "Quận 1",
            "79",
            "Thành phố Hồ Chí Minh",
            "26734",
            "Phường Sài Gòn",
            "79",
            "Thành phố Hồ Chí Minh",
        ),
        _cw_row(
            "19900",
            "Phường Phú Hội",
            "Phường",
            "474",
            "Thành phố Huế",
            "46",
            "Thành phố Huế",
            "19900",
            "Phường Phú Xuân",
            "46",
            "Thành phố Huế",
        ),
        _cw_row(
            "23938",
            "Xã Ia Mơ",
            "Xã",
            "640",
            "Huyện Chư Prông",
            "64",
            "Tỉnh Gia Lai",
            "23938",
            "Xã Ia Mơ",
            "52",
            "Tỉnh Gia Lai",
        ),
    ]
    cw = pd.DataFrame(rows, columns=CW_COLUMNS)
    cw.loc[len(cw)] = [
        "755",
        "district",
        "Huyện Côn Đảo",
        "Huyện",
        "755",
        "Huyện Côn Đảo",
        "77",
        "Tỉnh Bà Rịa - Vũng Tàu",
        "26732",
        "Đặc khu Côn Đảo",
        "Đặc khu",
        "79",
        "Thành phố Hồ Chí Minh",
        "renamed",
        "whole",
    ]
    communes = cw.drop_duplicates("new_code")[
        ["new_code", "new_name", "new_type", "new_province_code", "new_province_name"]
    ].copy()
    communes.columns = ["code", "full_name", "type", "province_code", "province_name"]
    communes["name"] = [
        n.split(" ", 1)[1] if n.split(" ", 1)[0] in {"Phường", "Xã"} else n.split(" ", 2)[2]
        for n in communes["full_name"]
    ]
    provinces = pd.DataFrame(
        {
            "code": ["01", "46", "52", "79", "82"],
            "name": ["Hà Nội", "Huế", "Gia Lai", "Hồ Chí Minh", "Đồng Tháp"],
            "full_name": [
                "Thành phố Hà Nội",
                "Thành phố Huế",
                "Tỉnh Gia Lai",
                "Thành phố Hồ Chí Minh",
                "Tỉnh Đồng Tháp",
            ],
            "name_en": ["Hanoi", "Hue", "Gia Lai", "Ho Chi Minh City", "Dong Thap"],
        }
    )
    return UnitResolver(cw, communes, provinces)


@pytest.mark.parametrize("code", ["79", 79, "79.0", 79.0])
def test_new_province_code_forms(resolver, code):
    assert resolver.new_province(code=code).codes == ("79",)


@pytest.mark.parametrize(
    "name",
    ["TP HCM", "TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh", "tphcm", "Ho Chi Minh City", "HO CHI MINH", "Sài Gòn"],
)
def test_new_province_aliases(resolver, name):
    match = resolver.new_province(name=name)
    assert match.status == RESOLVED and match.codes == ("79",)


@pytest.mark.parametrize("name", ["Thừa Thiên Huế", "Thừa Thiên - Huế", "Huế", "TP Huế"])
def test_hue_aliases(resolver, name):
    assert resolver.new_province(name=name).codes == ("46",)


def test_hanoi_with_capital_prefix(resolver):
    assert resolver.new_province(name="Thủ đô Hà Nội").codes == ("01",)
    assert resolver.new_province(name="Hà Nội").codes == ("01",)


def test_old_province_name_is_not_a_new_province_but_says_where_it_went(resolver):
    match = resolver.new_province(name="Tiền Giang")
    assert match.status == UNKNOWN
    assert "Đồng Tháp" in match.message and "tỉnh cũ" in match.message


def test_unknown_province_code(resolver):
    match = resolver.new_province(code="99")
    assert match.status == UNKNOWN and "99" in match.message


def test_old_province_alias(resolver):
    assert resolver.old_province(name="BRVT").codes == ("77",)
    assert resolver.old_province(name="Bà Rịa Vũng Tàu").codes == ("77",)


@pytest.mark.parametrize("code", ["26734", 26734, "26734.0"])
def test_new_commune_code(resolver, code):
    match = resolver.new_commune(code=code)
    assert (match.status, match.codes, match.method) == (RESOLVED, ("26734",), "code")


def test_new_commune_short_code_is_padded(resolver):
    assert resolver.new_commune(code=4).codes == ("00004",)


def test_letter_1027_code_of_ia_mo_is_accepted(resolver):
    assert resolver.new_commune(code="23737").codes == ("23938",)


def test_new_commune_unknown_code(resolver):
    match = resolver.new_commune(code="99999")
    assert match.status == UNKNOWN and "99999" in match.message


def test_new_commune_code_in_other_province_is_refused(resolver):
    match = resolver.new_commune(code="26734", province="Hà Nội")
    assert match.status == UNKNOWN and "Hà Nội" in match.message


def test_new_commune_bad_code(resolver):
    assert resolver.new_commune(code="12a").status == UNKNOWN


@pytest.mark.parametrize(
    "name",
    ["Phường Sài Gòn", "Sài Gòn", "sai gon", "P. Sài Gòn", "SÀI GÒN", unicodedata.normalize("NFD", "Phường Sài Gòn")],
)
def test_new_commune_name_forms(resolver, name):
    match = resolver.new_commune(name=name, province="TP HCM")
    assert match.status == RESOLVED and match.codes == ("26734",), match


@pytest.mark.parametrize("name", ["Phường Ba \u00d0ình", "Ba \u00d0ình", "ba \u00f0inh"])
def test_eth_typed_for_d_stroke_resolves(resolver, name):
    match = resolver.new_commune(name=name, province="Hà Nội")
    assert match.status == RESOLVED and match.codes == ("00004",), match


def test_new_commune_same_name_two_types_disambiguated_by_type(resolver):
    ambiguous = resolver.new_commune(name="Tân Phú", province="Đồng Tháp")
    assert ambiguous.status == AMBIGUOUS and set(ambiguous.codes) == {"20100", "20300"}
    assert "20100" in ambiguous.message and "20300" in ambiguous.message
    assert resolver.new_commune(name="Xã Tân Phú", province="Đồng Tháp").codes == ("20100",)
    assert resolver.new_commune(name="Phường Tân Phú", province="82").codes == ("20300",)


def test_new_commune_old_province_name_narrows(resolver):
    # Tiền Giang (old) only went into 20100 and 20200, so "Tân Phú" there is the commune 20100.
    assert resolver.new_commune(name="Tân Phú", province="Tiền Giang").codes == ("20100",)


def test_new_commune_unknown_name_names_the_province(resolver):
    match = resolver.new_commune(name="Không Có", province="Đồng Tháp")
    assert match.status == UNKNOWN and "Không Có" in match.message and "Đồng Tháp" in match.message


def test_new_commune_unknown_province(resolver):
    assert resolver.new_commune(name="Sài Gòn", province="Atlantis").status == UNKNOWN


def test_old_commune_by_code_and_island_district(resolver):
    assert resolver.old_commune(code="1").codes == ("00001",)
    assert resolver.old_commune(code="755").codes == ("755",)
    assert resolver.old_commune(name="Côn Đảo", province="Bà Rịa - Vũng Tàu").codes == ("755",)


def test_old_commune_ambiguous_without_district(resolver):
    match = resolver.old_commune(name="Xã Tân Phú", province="Tiền Giang")
    assert match.status == AMBIGUOUS and set(match.codes) == {"20001", "20002"}
    assert "huyện" in match.message


@pytest.mark.parametrize("district", ["Châu Thành", "Huyện Châu Thành", "200", 200, "huyen chau thanh"])
def test_old_commune_with_district(resolver, district):
    match = resolver.old_commune(name="Tân Phú", province="Tiền Giang", district=district)
    assert match.status == RESOLVED and match.codes == ("20001",), match


def test_old_commune_numbered_ward(resolver):
    assert resolver.old_commune(name="Phường 01", district="Quận 1", province="TP.HCM").codes == ("26734",)


def test_old_commune_unknown_district(resolver):
    match = resolver.old_commune(name="Tân Phú", province="Tiền Giang", district="Huyện Nào Đó")
    assert match.status == UNKNOWN and "Nào Đó" in match.message


def test_new_targets_of_split_commune(resolver):
    targets = resolver.new_targets("20001")
    assert sorted(targets["new_code"]) == ["20100", "20200"]
    assert resolver.new_targets("77777").empty
    assert sorted(resolver.new_codes_of_old("20001")) == ["20100", "20200"]
    assert resolver.new_codes_of_old("77777") == []
    assert resolver.new_provinces_of_old("82") == ["82"]


@pytest.mark.dataset
def test_bundled_data_resolves_every_old_commune_by_names():
    resolver = UnitResolver.from_geodata()
    from lib.data import geodata

    cw = geodata.load_crosswalk()
    old = cw[cw["old_level"] == "commune"].drop_duplicates("old_code")
    assert len(old) == 10035
    rows = list(
        zip(
            old["old_name"].tolist(), old["old_district_name"].tolist(), old["old_province_name"].tolist(), strict=False
        )
    )
    matches = [
        resolver.old_commune(name=name, district=district, province=province) for name, district, province in rows
    ]
    resolved = [m.codes[0] for m in matches if m.status == RESOLVED]
    wrong = [(m, c) for m, c in zip(matches, old["old_code"], strict=False) if m.status == RESOLVED and m.codes[0] != c]
    assert not wrong
    # Communes that share name *and* district are the only ones left ambiguous.
    assert len(resolved) >= 10035 - 60  # speed: benchmarks/bench_status.py


@pytest.mark.dataset
def test_bundled_data_resolves_every_new_commune_by_code_and_name():
    resolver = UnitResolver.from_geodata()
    from lib.data import geodata

    communes = pd.DataFrame(geodata.load_new_communes().drop(columns="geometry"))
    by_code = [resolver.new_commune(code=c).code for c in communes["code"]]
    assert by_code == list(communes["code"])
    rows = list(zip(communes["full_name"].tolist(), communes["province_name"].tolist(), strict=False))
    by_name = [resolver.new_commune(name=name, province=province).code for name, province in rows]
    assert by_name == list(communes["code"])
