"""Name keys and code padding: the rules every match in the app relies on."""

import unicodedata

import pandas as pd
import pytest

from lib.data.names import fold, name_key, pad_code, pad_codes, split_unit_type


@pytest.mark.parametrize(
    "a, b",
    [
        ("Phường Phúc Xá", "phuc xa"),
        ("Phường Phúc Xá", "PHÚC XÁ"),
        ("Phường 01", "Phường 1"),
        ("Thị xã Sơn Tây", "Sơn Tây"),
        ("Xã Ea D'Rơng", "Ea Drơng"),
        ("TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh"),
        ("Văn Miếu - Quốc Tử Giám", "Văn Miếu Quốc Tử Giám"),
        ("Đặc khu Côn Đảo", "con dao"),
        ("Phường Ba \u00d0ình", "Phường Ba Đình"),  # Ð (U+00D0, eth) typed for Đ (U+0110)
        ("\u00d0ặc khu Côn \u00d0ảo", "Đặc khu Côn Đảo"),  # the type word is still recognised
        ("ba \u00f0ình", "Ba Đình"),
    ],
)
def test_same_unit_same_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize("a, b", [("Phúc Xá", "Phúc Lợi"), ("Phường 1", "Phường 10"), ("Hà Nam", "Hà Nội")])
def test_different_units_different_keys(a, b):
    assert name_key(a) != name_key(b)


def test_nfd_input_matches_nfc():
    nfd = unicodedata.normalize("NFD", "Xã Đồn Đạc")
    assert nfd != "Xã Đồn Đạc"
    assert name_key(nfd) == name_key("Xã Đồn Đạc") == "don dac"


@pytest.mark.parametrize(
    "name, key",
    [
        ("Phường Quán Thánh", "quan thanh"),
        ("Quán Thánh", "quan thanh"),
        ("Phường Phương Mai", "phuong mai"),
        ("Phương Mai", "phuong mai"),
        ("Quận Ba Đình", "ba dinh"),
        ("phuong mai", "phuong mai"),
        ("thi xa son tay", "son tay"),
        ("TP. HCM", "hcm"),
        ("Q. Ba Đình", "ba dinh"),
        ("Tĩnh Gia", "tinh gia"),
    ],
)
def test_type_words_need_their_diacritics(name, key):
    # Folded, "Quán" reads as "quận" and "Phương" as "phường": only the real type word is removed.
    assert name_key(name) == key


def test_type_word_only_removed_at_start():
    # "Xã" inside a name is part of the name; "Thị xã" must not leave "xa" behind.
    assert name_key("Xã Tân Xã") == "tan xa"
    assert name_key("Thị xã Phú Mỹ") == "phu my"


def test_fold_keeps_non_vietnamese_text():
    assert fold("Đắk Lắk 2") == "dak lak 2"


def test_missing_name_gives_empty_key():
    assert name_key(None) == ""
    assert name_key(float("nan")) == ""


def test_split_unit_type():
    assert split_unit_type("Đặc khu Côn Đảo") == ("Đặc khu", "Côn Đảo")
    assert split_unit_type("Thị trấn Ba Chẽ") == ("Thị trấn", "Ba Chẽ")
    assert split_unit_type("Ba Chẽ") == ("", "Ba Chẽ")


@pytest.mark.parametrize(
    "value, width, expected",
    [
        (1, 5, "00001"),
        ("1.0", 5, "00001"),
        ("00001", 5, "00001"),
        (6970.0, 5, "06970"),
        ("7", 2, "07"),
        (" 01 ", 2, "01"),
    ],
)
def test_pad_code(value, width, expected):
    assert pad_code(value, width) == expected


@pytest.mark.parametrize("value", ["", "abc", "1.5", None, float("nan"), "123456", -1])
def test_pad_code_rejects(value):
    with pytest.raises(ValueError):
        pad_code(value, 5)


def test_pad_codes_names_the_bad_row():
    with pytest.raises(ValueError, match="row 2"):
        pad_codes(pd.Series(["1", "2", "x"]), 5)


def test_name_keys_try_without_ambiguous_ascii_type_word():
    from lib.data.names import name_keys

    assert name_keys("phuong ba dinh") == ("phuong ba dinh", "ba dinh")
    assert name_keys("Phương Mai") == ("phuong mai",)  # diacritics say it is a name
    assert name_keys("Phường Ba Đình") == ("ba dinh",)
