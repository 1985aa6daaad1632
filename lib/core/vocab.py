"""The domain's facts, written once: the reform date, the daily deadline and what "end of day" means,
the status classes and their Vietnamese labels, the crosswalk's relation and part values.

Pages, maps, briefs, exports, the command line and the readers import these; a copy elsewhere is a
bug waiting to drift. Colours live in :mod:`lib.core.palette`, settings of a deployment
in :mod:`lib.core.settings`.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

# Vietnam's time zone: report times, the deadline and every date shown are in it.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# The reform took effect on 1 July 2025 (resolutions 1654–1687/NQ-UBTVQH15 of 16/06/2025): no state
# of the new units exists before it, and no report can be about them before it.
REFORM_DATE = dt.date(2025, 7, 1)
REFORM_TEXT = "01/07/2025"
# The latest date the app accepts (a guard against typing errors, not a fact of the domain).
LAST_DATE = dt.date(2200, 12, 31)

# Units report every day by 16:00 Vietnam time; a unit whose latest report is older than the most
# recent deadline is stale.
DEADLINE_HOUR = 16
DEADLINE_TEXT = "16:00"


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in Vietnam: a report made at any time that day (23:59:30 included)
    counts for it, on the map, the dashboard, the brief and ``status --as-of`` alike."""
    return dt.datetime.combine(day, dt.time.max, tzinfo=LOCAL_TZ)


def deadline_of(day: dt.date) -> dt.datetime:
    """16:00 of ``day`` in Vietnam time."""
    return dt.datetime.combine(day, dt.time(DEADLINE_HOUR), tzinfo=LOCAL_TZ)


# Task classes of a unit (see lib.status.status.task_class) and their words.
TASK_CLASSES = ("green", "amber", "red", "grey")
TASK_WORDS = {"green": "Xanh", "amber": "Vàng", "red": "Đỏ", "grey": "Xám"}
TASK_LABELS = {
    "green": "Xanh (hoàn thành)",
    "amber": "Vàng (đang làm, không quá hạn)",
    "red": "Đỏ (có nhiệm vụ quá hạn)",
    "grey": "Xám (không có / quá hạn báo cáo)",
}
TASK_LEGEND = {
    "green": "Xanh: mọi nhiệm vụ đã hoàn thành",
    "amber": "Vàng: còn nhiệm vụ đang làm, không quá hạn",
    "red": "Đỏ: có nhiệm vụ quá hạn",
    "grey": f"Xám: chưa báo cáo hoặc báo cáo quá hạn {DEADLINE_TEXT}",
}

# States of a public administrative service centre and their words.
CENTRE_CLASSES = ("operating", "gaps", "not_operating", "unknown")
CENTRE_LABELS = {
    "operating": "Hoạt động",
    "gaps": "Hoạt động, còn thiếu",
    "not_operating": "Chưa hoạt động",
    "unknown": "Không rõ",
}
CENTRE_LEGEND = {
    "operating": "Đang hoạt động đầy đủ",
    "gaps": "Hoạt động nhưng còn thiếu (chữ ký số, tài khoản, kết nối, thiết bị)",
    "not_operating": "Chưa hoạt động",
    "unknown": "Chưa rõ",
}
# The gaps a centre may report, each its own column in a sheet.
GAP_LABELS = {
    "gap_signature": "chữ ký số",
    "gap_bank": "tài khoản ngân hàng",
    "gap_payment": "kết nối cổng thanh toán",
    "gap_equipment": "thiết bị",
}

# Values of the crosswalk's `relation` and `part` columns.
RELATIONS = ("unchanged", "renamed", "merged", "split")
PARTS = ("whole", "part")
RELATION_LABELS = {"unchanged": "giữ nguyên", "renamed": "đổi tên", "merged": "sáp nhập", "split": "chia tách"}
PART_LABELS = {"whole": "toàn bộ", "part": "một phần"}
