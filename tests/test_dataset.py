"""Checks of the committed dataset under geodata/."""

import pytest

from lib.data import geodata
from lib.data.validate import validate_dataset

pytestmark = pytest.mark.dataset


@pytest.fixture(scope="module")
def report():
    return validate_dataset(geodata.default_dir())


def test_validation_passes(report):
    assert report.ok, report.render()


def test_headline_counts(report):
    counts = report.counts
    assert (counts["new_provinces"], counts["new_communes"], counts["old_provinces"]) == (34, 3321, 63)
    assert counts["old_communes (GSO list 30/06/2025)"] == 10035
    assert counts["crosswalk old communes"] == 10035 and counts["crosswalk new communes"] == 3321


def test_codes_are_zero_padded_text():
    communes = geodata.load_new_communes()
    assert communes["code"].str.fullmatch(r"\d{5}").all()
    assert "00004" in set(communes["code"])  # Phường Ba Đình keeps its leading zeros
    table = geodata.load_crosswalk()
    assert table["old_code"].str.fullmatch(r"\d{3}|\d{5}").all()
    assert table.loc[table["old_code"] == "00001", "new_code"].tolist() == ["00097"]  # Phúc Xá → Hồng Hà


def test_known_code_fixes_applied():
    codes = set(geodata.load_new_communes()["code"])
    assert "06970" in codes and "06978" not in codes  # Ba Chẽ
    assert "23938" in codes and "23737" not in codes  # Ia Mơ


def test_split_commune_is_never_given_a_default():
    table = geodata.load_crosswalk()
    targets = table.groupby("old_code")["new_code"].nunique()
    split = targets[targets > 1].index
    assert len(split) > 400
    assert set(table.loc[table["old_code"].isin(split), "part"]) == {"part"}


def test_new_commune_attributes():
    communes = geodata.load_new_communes().set_index("code")
    ba_dinh = communes.loc["00004"]
    assert (ba_dinh["full_name"], ba_dinh["type"], ba_dinh["province_code"]) == ("Phường Ba Đình", "Phường", "01")
    assert ba_dinh["population"] > 0 and "Trúc Bạch" in ba_dinh["admin_centre"]
    # The catalogue (nso2026), with the 12 Bắc Ninh communes made phường by 388/NQ-UBTVQH16.
    assert communes["type"].value_counts().to_dict() == {"Xã": 2599, "Phường": 709, "Đặc khu": 13}


def test_dataset_stays_small():
    size = sum(p.stat().st_size for p in geodata.default_dir().rglob("*") if p.is_file())
    assert size < 60 * 1024 * 1024
