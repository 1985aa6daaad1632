"""One palette: every colour lives in lib/core/palette.py, and the dashboard's tables colour a day's
province shares as the province map does."""

import re
from pathlib import Path

import pandas as pd
import pytest

from lib.core import palette
from lib.maps import style
from lib.status import dashboard

ROOT = Path(__file__).resolve().parent.parent
HEX = re.compile(r"#[0-9a-fA-F]{6}\b")


def test_no_colour_literal_outside_the_palette():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for folder in ("lib", "views")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != ROOT / "lib" / "core" / "palette.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HEX.search(line)
    ]
    assert not found, "colours belong in lib/core/palette.py:\n" + "\n".join(found)


def test_the_scan_sees_a_literal():
    assert HEX.search('color="#b71c1c"') and not HEX.search("#777 and #1234567")


def day_status() -> tuple[pd.DataFrame, pd.Series]:
    """Six provinces of ten communes each, with 0 to 10 green communes: a day's commune status (named)."""
    greens = {"01": 0, "02": 1, "04": 3, "08": 5, "11": 8, "12": 10}
    rows = []
    for province, green in greens.items():
        for i in range(10):
            cls = "green" if i < green else ("red" if i % 2 else "amber")
            rows.append((f"{province}{i:03d}", province, cls, "operating" if i < 10 - green else "gaps"))
    frame = pd.DataFrame(rows, columns=["code", "province_code", "task_class", "centre_class"]).assign(
        province_name=lambda d: "Tỉnh " + d["province_code"],
        stale=False,
        conflict="",
        tasks_total=10,
        tasks_done=5,
        tasks_overdue=0,
        is_demo=False,
        reported_at=pd.Timestamp("2025-11-20 09:00", tz="Asia/Ho_Chi_Minh"),
    )
    return frame, frame.set_index("code")["province_code"]


@pytest.mark.parametrize("mode", ["task", "centre"])
def test_table_share_colours_equal_the_maps(mode):
    named, commune_province = day_status()
    codes = pd.Index(sorted(commune_province.unique()))
    shown = style.colour_provinces(
        mode, codes, status=named, commune_province=commune_province, old_provinces=pd.Series(1, index=codes)
    )
    breaks = dashboard.share_breaks(named, commune_province, mode)  # what the Tình hình page computes
    assert len(breaks) >= 3  # the day's shares spread over several classes
    table = dashboard.province_table(named, pd.Series("", index=codes)).set_index("Mã tỉnh")
    column = "Tỉ lệ xanh" if mode == "task" else None
    shares = table[column] if column else dashboard.province_shares(named, commune_province, "centre")
    for province in codes:
        css = dashboard.share_style(shares[province], breaks)
        assert f"background-color: {shown.fill[province]}" in css, province
    assert len(set(shown.fill.values())) > 1


def test_a_missing_share_is_grey_in_table_and_map():
    assert dashboard.share_style(float("nan"), [0.2]) == f"background-color: {palette.GREY}"
    assert palette.share_colour(None, [0.2]) == palette.GREY


def test_dark_share_colours_take_white_text():
    breaks = [0.2, 0.4, 0.6, 0.8]
    assert "color: white" in dashboard.share_style(0.95, breaks)
    assert "color: black" in dashboard.share_style(0.05, breaks)
