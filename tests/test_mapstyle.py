"""Colour modes: classes, legends with counts and notes, aggregation to provinces."""

import pandas as pd

from lib.maps.style import CENTRE_STYLES, GREY, TASK_STYLES, colour_communes, colour_provinces, merge_structure

CODES = pd.Index(["00001", "00002", "00003", "00004"])


def status(**overrides):
    frame = pd.DataFrame(
        {
            "code": ["00001", "00002", "00003"],
            "task_class": ["green", "red", "amber"],
            "centre_class": ["operating", "gaps", "not_operating"],
            "reported_at": pd.to_datetime(["2025-10-01 09:00", "2025-10-01 10:00", "2025-10-02 15:00"]).tz_localize(
                "Asia/Ho_Chi_Minh"
            ),
            "stale": [False, False, False],
            "conflict": ["", "", ""],
            "is_demo": [True, True, True],
        }
    )
    for key, value in overrides.items():
        frame[key] = value
    return frame


def test_task_mode_classes_and_unreported_grey():
    colouring = colour_communes("task", CODES, status=status(), merge=pd.DataFrame())
    assert colouring.fill["00001"] == TASK_STYLES["green"][0]
    assert colouring.fill["00002"] == TASK_STYLES["red"][0]
    assert colouring.fill["00004"] == GREY  # no report
    counts = {label: n for _, label, n in colouring.legend.entries}
    assert sum(counts.values()) == 4 and counts[TASK_STYLES["grey"][1]] == 1


def test_notes_say_as_of_and_demo():
    notes = colour_communes("centre", CODES, status=status(), merge=pd.DataFrame()).legend.notes
    assert any("02/10/2025 15:00" in n for n in notes)
    assert any("MINH HOẠ" in n for n in notes)


def test_centre_mode_and_conflict_outline():
    colouring = colour_communes(
        "centre", CODES, status=status(conflict=["", "phần A xanh, phần B đỏ", ""]), merge=pd.DataFrame()
    )
    assert colouring.fill["00003"] == CENTRE_STYLES["not_operating"][0]
    assert colouring.outlined == {"00002"}
    assert any("không thống nhất" in n for n in colouring.legend.notes)


def test_no_status_all_grey_with_note():
    colouring = colour_communes("task", CODES, status=None, merge=pd.DataFrame())
    assert set(colouring.fill.values()) == {GREY}
    assert colouring.legend.notes == ["Chưa có số liệu trạng thái."]


def test_merge_mode_bins_and_split_outline():
    crosswalk = pd.DataFrame(
        {
            "old_code": ["a", "b", "c", "c", "d", "e", "f", "g", "h"],
            "new_code": ["00001", "00001", "00001", "00002", "00003", "00003", "00003", "00003", "00004"],
            "part": ["whole", "whole", "part", "part", "whole", "whole", "whole", "whole", "whole"],
        }
    )
    merge = merge_structure(crosswalk)
    assert merge.loc["00001", "predecessors"] == 3 and merge.loc["00001", "has_split_part"]
    colouring = colour_communes("merge", CODES, status=None, merge=merge)
    assert colouring.outlined == {"00001", "00002"}
    labels = {label: n for _, label, n in colouring.legend.entries}
    assert labels["1 xã cũ (giữ nguyên)"] == 2 and labels["3 xã cũ"] == 1 and labels["4–5 xã cũ"] == 1


def test_province_share_of_green():
    commune_province = pd.Series({"00001": "01", "00002": "01", "00003": "79"})
    colouring = colour_provinces(
        "task",
        pd.Index(["01", "79", "92"]),
        status=status(),
        commune_province=commune_province,
        old_provinces=pd.Series(dtype=int),
    )
    labels = {label: n for _, label, n in colouring.legend.entries}
    assert labels["40–60 %"] == 1  # 01: one of two green
    assert labels["dưới 20 %"] == 1  # 79: none green
    assert labels["Chưa có số liệu"] == 1  # 92
    assert colouring.fill["92"] == GREY


def test_province_merge_mode():
    colouring = colour_provinces(
        "merge",
        pd.Index(["01", "79"]),
        status=None,
        commune_province=pd.Series(dtype=str),
        old_provinces=pd.Series({"01": 1, "79": 3}),
    )
    labels = {label: n for _, label, n in colouring.legend.entries}
    assert labels["Giữ nguyên"] == 1 and labels["Hợp nhất 3 tỉnh trở lên"] == 1


def test_conflicts_counted_among_shown_units_only_and_outlined_red():
    frame = status(conflict=["", "phần A xanh, phần B đỏ", ""])
    shown = pd.Index(["00001", "00003"])
    colouring = colour_communes("task", shown, status=frame, merge=pd.DataFrame())
    assert colouring.outlined == set()
    assert not any("không thống nhất" in n for n in colouring.legend.notes)
    assert any("MINH HOẠ" in n for n in colouring.legend.notes)  # the data is still demonstration data
    everywhere = colour_communes("task", CODES, status=frame, merge=pd.DataFrame())
    assert (
        everywhere.outline_colour
        != colour_communes(
            "merge",
            CODES,
            status=None,
            merge=pd.DataFrame({"predecessors": [1, 1, 1, 1], "has_split_part": [False] * 4}, index=CODES),
        ).outline_colour
    )
