"""Colour modes: classes, legends with counts and notes, aggregation to provinces."""

import numpy as np
import pandas as pd
import pytest

from lib.core.palette import GREY, SHARE_COLOURS, SHARE_PICKS, share_colour
from lib.maps import cvd
from lib.maps.style import (
    CENTRE_STYLES,
    DOT,
    HATCH,
    PALETTE_MIN_DELTA_E,
    TASK_STYLES,
    colour_communes,
    colour_provinces,
    merge_structure,
    province_report_note,
    share_bins,
    share_breaks,
)

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
    # Two provinces with data (50 % and 0 %): one break between them, at a round 10 %.
    assert labels == {"dưới 10 %": 1, "từ 10 % trở lên": 1, "Chưa có số liệu": 1}
    assert colouring.fill["01"] != colouring.fill["79"]
    assert colouring.fill["92"] == GREY
    assert "92" in colouring.hatched  # no data: striped as well as grey


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


# --- palette: classes spread over the data, legend text, colour-blind safety -------------------------------


def skewed_shares() -> pd.Series:
    """34 provinces as on the demonstration data's last day: 22 below 10 % green, the rest up to 48 %."""
    rng = np.random.default_rng(7)
    low = rng.uniform(0, 0.1, 22)
    high = rng.uniform(0.1, 0.48, 12)
    return pd.Series(np.concatenate([low, high]), index=[f"{i:02d}" for i in range(34)])


def class_counts(values: pd.Series, bins) -> list[int]:
    return [int(((values >= low) & (values < high)).sum()) for low, high, _, _ in bins]


def test_share_classes_spread_over_skewed_data():
    values = skewed_shares()
    breaks = share_breaks(values)
    bins = share_bins(breaks)
    counts = class_counts(values, bins)
    assert len(bins) == 5 and sum(counts) == 34
    assert min(counts) >= 3 and max(counts) <= 11  # a fixed 0–20 % class held 22 + of them
    assert all(round(b * 100, 6) == round(b * 100) for b in breaks)  # whole percents
    assert len({colour for _, _, colour, _ in bins}) == 5


def test_share_breaks_never_leave_a_class_empty():
    values = pd.Series([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.02, 0.5])
    bins = share_bins(share_breaks(values))
    assert all(n > 0 for n in class_counts(values, bins))


def test_share_labels_are_vietnamese_and_cover_zero_to_hundred():
    bins = share_bins([0.05, 0.125, 0.3])
    labels = [label for _, _, _, label in bins]
    assert labels == ["dưới 5 %", "5 % – dưới 12,5 %", "12,5 % – dưới 30 %", "từ 30 % trở lên"]
    assert bins[0][0] == 0 and bins[-1][1] > 1
    breaks = [0.05, 0.125, 0.3]
    assert share_colour(1.0, breaks) == bins[-1][2] and share_colour(0.0, breaks) == bins[0][2]
    assert share_colour(0.125, breaks) == bins[2][2]  # a break opens the class above it
    assert share_colour(float("nan"), breaks) == GREY and share_colour(None, breaks) == GREY


def test_one_class_when_every_value_is_the_same():
    values = pd.Series([0.0] * 34)
    assert share_breaks(values) == []
    bins = share_bins([], values)
    assert [label for *_, label in bins] == ["0 % (mọi đơn vị)"]


def test_province_legend_states_how_classes_are_cut():
    values = skewed_shares()
    commune_province = pd.Series(values.index, index=[f"c{i}" for i in range(34)])
    status = pd.DataFrame(
        {
            "code": commune_province.index,
            "task_class": ["green", "red"] * 17,
            "centre_class": ["operating"] * 34,
            "reported_at": pd.Timestamp("2025-11-28 10:00", tz="Asia/Ho_Chi_Minh"),
            "stale": [False] * 34,
            "conflict": [""] * 34,
            "is_demo": [False] * 34,
        }
    )
    colouring = colour_provinces(
        "task", pd.Index(values.index), status=status, commune_province=commune_province, old_provinces=pd.Series()
    )
    assert any("phân vị của 34 tỉnh" in n for n in colouring.legend.notes)


@pytest.mark.parametrize(
    ("lab1", "lab2", "expected"),
    [  # Sharma, Wu & Dalal (2005), table 1: pairs 1, 7 and 17
        ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
        ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
        ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ],
)
def test_ciede2000_matches_published_pairs(lab1, lab2, expected):
    assert cvd.delta_e2000(np.array(lab1), np.array(lab2)) == pytest.approx(expected, abs=1e-4)


def test_deuteranopia_keeps_greys_and_merges_red_with_green():
    assert cvd.simulate("#808080") == "#808080"  # each row of the matrix sums to 1
    red, green = cvd.simulate("#c62828"), cvd.simulate("#2e7d32")
    assert cvd.delta_e2000(cvd.to_lab(red), cvd.to_lab(green)) < 8  # the former palette's pair


def palettes() -> dict[str, list[str]]:
    out = {
        "task": [c for c, _ in TASK_STYLES.values()],
        "centre": [c for c, _ in CENTRE_STYLES.values()],
    }
    for k, picks in SHARE_PICKS.items():
        out[f"share{k}"] = [SHARE_COLOURS[i] for i in picks] + [GREY]  # with "no data"
    return out


@pytest.mark.parametrize("name", list(palettes()))
@pytest.mark.parametrize("deficiency", [None, "deuteranopia"])
def test_palette_classes_stay_apart_for_colour_blind_readers(name, deficiency):
    colours = palettes()[name]
    assert len(set(colours)) == len(colours)
    delta, pair = cvd.min_difference(colours, deficiency)
    assert delta >= PALETTE_MIN_DELTA_E, (name, deficiency, pair, delta)


def test_the_former_palette_would_fail_the_check():
    former = ["#2e7d32", "#f9a825", "#c62828", "#9e9e9e"]
    assert cvd.min_difference(former)[0] >= PALETTE_MIN_DELTA_E
    assert cvd.min_difference(former, "deuteranopia")[0] < PALETTE_MIN_DELTA_E


# --- stale units and province-level reports ------------------------------------------------------------------


def test_stale_and_unreported_communes_are_hatched_with_a_tooltip_line():
    frame = status(stale=[False, True, False])
    colouring = colour_communes("centre", CODES, status=frame, merge=pd.DataFrame())
    assert colouring.hatched == {"00002", "00004"}  # reported late; never reported
    assert colouring.tips["00002"].startswith("⚠ Báo cáo quá hạn 16:00 (gần nhất 01/10/2025 10:00")
    assert colouring.tips["00004"] == "⚠ Chưa có báo cáo"
    assert colouring.fill["00002"] == CENTRE_STYLES["gaps"][0]  # the centre's state still shows
    assert (HATCH, GREY, "Gạch chéo: chưa báo cáo hoặc báo cáo quá hạn 16:00", 2) in colouring.legend.marks


def province_reports():
    return pd.DataFrame(
        {
            "code": ["01", "79"],
            "task_class": ["red", "grey"],
            "centre_class": ["operating", "unknown"],
            "tasks_total": pd.array([120, pd.NA], dtype="Int64"),
            "tasks_done": pd.array([100, pd.NA], dtype="Int64"),
            "tasks_overdue": pd.array([3, pd.NA], dtype="Int64"),
            "reported_at": pd.to_datetime(["2025-10-02 14:30", None]).tz_localize("Asia/Ho_Chi_Minh"),
            "stale": [False, True],
        }
    )


def test_province_own_reports_are_dots_marked_as_province_level():
    commune_province = pd.Series({"00001": "01", "00002": "01", "00003": "79"})
    colouring = colour_provinces(
        "task",
        pd.Index(["01", "79", "92"]),
        status=status(),
        commune_province=commune_province,
        old_provinces=pd.Series(dtype=int),
        province_reports=province_reports(),
    )
    assert colouring.dots == {"01": TASK_STYLES["red"][0]}  # 79 never reported for itself
    assert colouring.tips["01"] == "Báo cáo cấp tỉnh: Đỏ, 100/120 nhiệm vụ xong, 3 quá hạn, báo cáo 02/10/2025 14:30"
    assert (DOT, TASK_STYLES["red"][0], "Chấm tròn: báo cáo cấp tỉnh — Đỏ", 1) in colouring.legend.marks
    # The fill stays the communes' aggregate: 01 has one of two communes green whatever it reports itself.
    without = colour_provinces(
        "task",
        pd.Index(["01", "79", "92"]),
        status=status(),
        commune_province=commune_province,
        old_provinces=pd.Series(dtype=int),
    )
    assert without.fill == colouring.fill and without.dots == {}


def test_province_report_note_for_a_province_view():
    assert "báo cáo cấp tỉnh" in province_report_note(province_reports(), "01").lower()
    assert province_report_note(province_reports(), "79") is None
    assert province_report_note(None, "01") is None
