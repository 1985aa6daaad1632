"""The "Chất lượng dữ liệu" table and page: issues per unit, search, export."""

import pandas as pd
from streamlit.testing.v1 import AppTest

from lib.lookup import quality_report as qr
from tests.test_pages import APP


def inputs():
    crosswalk = pd.DataFrame(
        {
            "old_code": ["28439", "04012"],
            "old_name": ["Phường 4", "Xã Chiềng Hắc"],
            "old_province_name": ["Tỉnh Tiền Giang", "Tỉnh Sơn La"],
            "new_code": ["28439", "03980"],
            "new_name": ["Phường Cai Lậy", "Xã Mộc Châu"],
            "review": ["", "lone part: no unit's official note names it in part; taken as whole"],
        }
    )
    communes = pd.DataFrame(
        {
            "code": ["22736", "04714"],
            "full_name": ["Đặc khu Trường Sa", "Xã Yên Bình"],
            "province_name": ["Tỉnh Khánh Hòa", "Tỉnh Lào Cai"],
            "area_km2": [4208.3, 150.2],
            "area_official_km2": [496.3, 150.8],
            "area_quality": ["polygon area differs from the official area by +748 %", ""],
            "population_quality": ["", "a province's total, not a commune's"],
            "admin_centre_quality": ["", "placeholder text in the source: đang cập nhật"],
        }
    )
    rejected = pd.DataFrame(
        {
            "old_code": ["28439"],
            "new_code": ["29869"],
            "old_name": ["Phường 4"],
            "new_name": ["Phường Cao Lãnh"],
            "reason": ["one source only; the official note does not name it; its evidence lies 48.2 km away"],
        }
    )
    check = pd.DataFrame(
        {
            "province_code": ["46"],
            "province_population": ["1236393.0"],
            "communes_sum": ["1433465.0"],
            "communes_without_figure": ["0"],
            "verdict": [
                "off by +15.9 %: the communes' figures (merger map) and the province's are not of the same date"
            ],
        }
    )
    provinces = pd.DataFrame({"code": ["46"], "full_name": ["Thành phố Huế"]})
    return crosswalk, communes, rejected, check, provinces


def test_issues_cover_every_kind_in_vietnamese():
    crosswalk, communes, rejected, check, provinces = inputs()
    # The real change-log columns: the reform itself is not an issue, a later type change is listed.
    changes = pd.DataFrame(
        {
            "effective_date": ["2025-07-01", "2026-08-04"],
            "code": ["07294", "07294"],
            "kind": ["reform", "type_change"],
            "field": ["", "type"],
            "old_value": ["", "Xã"],
            "new_value": ["", "Phường"],
            "legal_basis": ["1658/NQ-UBTVQH15", "388/NQ-UBTVQH16"],
        }
    )
    issues = qr.quality_issues(
        crosswalk, communes, new_provinces=provinces, rejected=rejected, province_check=check, changes=changes
    )
    assert list(issues.columns) == qr.COLUMNS
    counts = qr.counts(issues)
    assert counts[qr.KINDS["rejected"]] == 1 and counts[qr.KINDS["lone_part"]] == 1
    assert counts[qr.KINDS["population"]] == counts[qr.KINDS["admin_centre"]] == counts[qr.KINDS["area"]] == 1
    assert counts[qr.KINDS["province"]] == 1 and counts[qr.KINDS["change"]] == 1
    rejected_row = issues[issues["kind"].eq(qr.KINDS["rejected"])].iloc[0]
    assert rejected_row["related_code"] == "29869" and "48.2 km" in rejected_row["detail"]
    assert "ghi chú chính thức không nêu" in rejected_row["detail"]
    area = issues[issues["kind"].eq(qr.KINDS["area"])].iloc[0]["detail"]
    assert "4.208,3 km²" in area and "496,3 km²" in area
    assert "1.236.393" in issues[issues["kind"].eq(qr.KINDS["province"])].iloc[0]["detail"]
    change = issues[issues["kind"].eq(qr.KINDS["change"])].iloc[0]
    assert "Xã → Phường" in change["detail"] and "388/NQ-UBTVQH16" in change["detail"]


def test_search_by_code_and_name_key():
    crosswalk, communes, rejected, check, provinces = inputs()
    issues = qr.quality_issues(crosswalk, communes, new_provinces=provinces, rejected=rejected, province_check=check)
    assert set(qr.filter_issues(issues, "28439")["code"]) == {"28439"}
    assert set(qr.filter_issues(issues, "cao lanh")["related_code"]) == {"29869"}
    assert set(qr.filter_issues(issues, "YEN BINH")["code"]) == {"04714"}
    only = qr.filter_issues(issues, "", kinds=[qr.KINDS["area"]])
    assert only["code"].tolist() == ["22736"]


def test_quality_page_searches_and_exports():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("views/quality.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Chất lượng dữ liệu"
    assert any(m.label == qr.KINDS["rejected"] and m.value != "0" for m in at.metric)
    at.text_input(key="quality_query").input("29869").run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert len(shown) and (shown["code"].eq("29869") | shown["related_code"].eq("29869")).all()
    assert {b.label for b in at.get("download_button")} >= {"Tải CSV", "Tải Excel (XLSX)"}


def test_commune_facts_say_unknown_with_the_reason():
    facts = qr.commune_facts(
        {
            "area_km2": 4208.33,
            "area_official_km2": 7.7,
            "area_quality": "polygon area differs from the official area by +54554 %",
            "population": float("nan"),
            "population_quality": "fewer than 1,000 people (source figure 93)",
            "admin_centre": "",
            "admin_centre_quality": "placeholder text in the source: đang cập nhật",
        }
    )
    assert facts["Dân số"] == "không rõ (dưới 1.000 người (nguồn ghi 93))"
    assert facts["Trụ sở"] == "không rõ (nguồn ghi: đang cập nhật)"
    assert "số chính thức 7,70 km²" in facts["Diện tích"]
    assert qr.commune_facts({"area_km2": 1.5, "population": 1234, "admin_centre": "UBND"})["Dân số"] == "1.234"
