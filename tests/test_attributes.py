"""Plausibility checks of the new communes' population, area and administrative centre."""

import pandas as pd

from lib.assemble import attributes as at


def communes():
    return pd.DataFrame(
        {
            "code": ["00001", "00002", "00003", "00004", "00005", "00006", "00007"],
            "name": ["Bình An", "Bình An", "Yên Bình", "Cam Hiệp", "Tân Phú", "Trường Sa", "Mỹ Lợi"],
            "type": ["Xã", "Xã", "Xã", "Xã", "Phường", "Đặc khu", "Xã"],
            "province_code": ["01", "02", "02", "01", "01", "02", "01"],
            "population": [59475, 59475, 653422, 5, 30000, 93, None],
            "area_km2": [20.0, 25.0, 150.0, 115.0, 10.0, 4208.0, 30.0],
            "area_official_km2": [20.0, 25.0, 150.0, 115.0, 10.0, 496.0, None],
        }
    )


def test_population_checks_blank_with_reason():
    province = pd.Series({"01": 90_000.0, "02": 653_422.0})
    out, report = at.check_population(communes(), province)
    quality = dict(zip(out["code"], out["population_quality"], strict=True))
    assert quality["00001"] == "same figure as a same-named commune in another province (source figure 59475)"
    assert quality["00003"].startswith("a province's total, not a commune's")
    assert quality["00004"].startswith("fewer than")
    assert quality["00005"] == ""
    assert quality["00006"] == ""  # special zones are exempt from the size and density checks
    assert quality["00007"] == "no figure in the source"
    assert out.loc[out["population_quality"].ne(""), "population"].isna().all()
    assert out.loc[out["code"].eq("00005"), "population"].tolist() == [30000]
    verdicts = report.set_index("province_code")["verdict"]
    assert verdicts["01"].startswith("not checked")  # 00007 has no figure


def test_province_report_within_and_off():
    table = pd.DataFrame({"province_code": ["01", "01", "02"], "population": pd.array([50, 50, 120], dtype="Int64")})
    report = at.province_report(table, pd.Series({"01": 102.0, "02": 100.0})).set_index("province_code")
    assert report.loc["01", "verdict"] == "within ±5 %"
    assert report.loc["02", "verdict"].startswith("off by +20.0 %")


def test_area_flagged_over_ten_percent():
    quality = at.check_area(communes())
    assert quality.iloc[5].startswith("polygon area differs from the official area by +748 %")
    assert quality.iloc[0] == "" and quality.iloc[6] == "no official area in the source"


def test_admin_centre_placeholders_blanked():
    centre, quality = at.check_admin_centre(pd.Series(["đang cập nhật", "Đang cập nhật.", "", "Thôn Lũng Vân", None]))
    assert centre.tolist() == ["", "", "", "Thôn Lũng Vân", ""]
    assert quality.iloc[0].startswith("placeholder text") and quality.iloc[3] == ""
    assert quality.iloc[2] == "no address in the source"
