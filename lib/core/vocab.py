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


# ---------------------------------------------------------------------- header vocabulary
# The words of a sheet's column headers, for the one header matcher (lib.io.headers) that convert and
# the status importer share. Keys are folded: lower case, no diacritics, punctuation (underscores,
# slashes, hyphens, brackets) read as spaces. The field names, their Vietnamese labels, then the
# spellings that name each field exactly; headers not listed are read word by word (see below).
HEADER_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "level": ("Cấp", ("cap", "cap hanh chinh", "level", "unit level", "cap don vi")),
    "province_code": (
        "Mã tỉnh",
        ("ma tinh", "ma tinh thanh pho", "ma tinh tp", "ma tp", "province code", "province id", "ma tinh thanh"),
    ),
    "province_name": (
        "Tỉnh, thành phố",
        (
            "tinh",
            "tinh thanh pho",
            "tinh tp",
            "ten tinh",
            "tinh thanh",
            "ten tinh thanh pho",
            "province",
            "province name",
            "thanh pho",
        ),
    ),
    "district_code": ("Mã huyện", ("ma huyen", "ma quan huyen", "ma qh", "district code", "district id")),
    "district_name": (
        "Quận, huyện",
        ("huyen", "quan huyen", "ten huyen", "ten quan huyen", "district", "district name", "quan huyen thi xa"),
    ),
    "commune_code": (
        "Mã xã",
        (
            "ma xa",
            "ma xa phuong",
            "ma phuong xa",
            "ma don vi",
            "ma dvhc",
            "ma dv",
            "ma",
            "commune code",
            "code",
            "unit code",
            "ward code",
            "ma xa phuong dac khu",
        ),
    ),
    "commune_name": (
        "Xã, phường, đặc khu",
        (
            "xa",
            "ten xa",
            "xa phuong",
            "phuong xa",
            "ten xa phuong",
            "ten phuong xa",
            "xa phuong thi tran",
            "ten xa phuong thi tran",
            "ten don vi",
            "don vi",
            "xa phuong dac khu",
            "ten xa phuong dac khu",
            "commune",
            "commune name",
            "ward",
            "unit",
            "unit name",
            "name",
            "ten",
        ),
    ),
    "address": ("Địa chỉ", ("dia chi", "address", "full address", "dia chi day du")),
    "as_of": (
        "Thời điểm báo cáo",
        (
            "ngay",
            "ngay bao cao",
            "thoi diem",
            "thoi diem bao cao",
            "ngay cap nhat",
            "cap nhat luc",
            "thoi gian",
            "thoi gian cap nhat",
            "as of",
            "date",
            "report date",
            "reported at",
            "updated at",
            "timestamp",
        ),
    ),
    "tasks_total": (
        "Tổng số nhiệm vụ",
        (
            "tong so nhiem vu",
            "so nhiem vu",
            "tong nhiem vu",
            "nhiem vu",
            "nhiem vu duoc giao",
            "so nhiem vu duoc giao",
            "tasks total",
            "total tasks",
            "tasks",
            "assigned tasks",
            "total",
        ),
    ),
    "tasks_done": (
        "Đã hoàn thành",
        (
            "da hoan thanh",
            "hoan thanh",
            "so nhiem vu hoan thanh",
            "nhiem vu hoan thanh",
            "so da hoan thanh",
            "tasks done",
            "done",
            "completed",
            "tasks completed",
        ),
    ),
    "tasks_overdue": (
        "Quá hạn",
        ("qua han", "nhiem vu qua han", "so qua han", "so nhiem vu qua han", "tasks overdue", "overdue"),
    ),
    "centre_state": (
        "Trung tâm phục vụ HCC",
        (
            "trung tam",
            "trung tam phuc vu hanh chinh cong",
            "trung tam phuc vu hcc",
            "tinh trang trung tam",
            "trang thai trung tam",
            "tthcc",
            "trung tam hcc",
            "centre",
            "center",
            "service centre",
            "service center",
            "centre state",
            "centre status",
            "center status",
        ),
    ),
    "gaps": (
        "Còn thiếu",
        ("con thieu", "thieu", "ton tai", "kho khan", "han che", "gaps", "centre gaps", "missing", "ton tai han che"),
    ),
    "gap_signature": (
        "Thiếu chữ ký số",
        (
            "chu ky so",
            "thieu chu ky so",
            "chung thu so",
            "thieu chung thu so",
            "digital signature",
            "signature certificates",
        ),
    ),
    "gap_bank": ("Thiếu tài khoản", ("tai khoan", "thieu tai khoan", "tai khoan ngan hang", "bank account")),
    "gap_payment": (
        "Chưa kết nối cổng thanh toán",
        ("cong thanh toan", "ket noi cong thanh toan", "chua ket noi cong thanh toan", "payment portal"),
    ),
    "gap_equipment": ("Thiếu thiết bị", ("thiet bi", "thieu thiet bi", "trang thiet bi", "equipment")),
    "note": ("Ghi chú", ("ghi chu", "note", "notes", "remarks", "comment")),
}
# The fields that name a unit, and the level each names.
UNIT_HEADER_FIELDS = {
    "commune_code": "commune",
    "commune_name": "commune",
    "district_code": "district",
    "district_name": "district",
    "province_code": "province",
    "province_name": "province",
}
# Words that mark a header as naming the old units (before 1 July 2025) or the new ones; "trước" and
# "sau" followed by a date ("trước 01/07/2025", "sau ngày 1/7") mark them too.
HEADER_OLD_WORDS = ("cu", "old", "former", "previous", "truoc sap nhap")
HEADER_NEW_WORDS = ("moi", "new", "sau sap nhap", "hien nay", "hien tai", "current")
# Unit-type words and the level they name; several in one header ("Phường/Xã", "Quận/Huyện/Thị xã")
# are alternatives, and the lowest level named wins ("Quận/Huyện/Thành phố" is a district column).
HEADER_TYPE_WORDS = {
    "xa": "commune",
    "phuong": "commune",
    "thi tran": "commune",
    "dac khu": "commune",
    "commune": "commune",
    "ward": "commune",
    "quan": "district",
    "huyen": "district",
    "thi xa": "district",
    "thanh pho thuoc tinh": "district",
    "thanh pho truc thuoc tinh": "district",
    "district": "district",
    "tinh": "province",
    "thanh pho": "province",
    "thanh pho truc thuoc trung uong": "province",
    "tp": "province",
    "province": "province",
    "city": "province",
}
# Words for "an administrative unit" without its level: a commune when nothing else is said.
HEADER_UNIT_WORDS = ("don vi hanh chinh", "don vi", "dvhc", "dv", "unit", "hanh chinh")
# Words that make a unit header a code column; "tên"/"name" (or a bare type word) make it a name column.
HEADER_CODE_WORDS = ("ma so", "ma", "code", "id", "so hieu", "ma dinh danh")
HEADER_NAME_WORDS = ("ten goi", "ten", "name")
# Words a unit header may carry besides those ("Tên đơn vị cấp xã", "Mã của tỉnh").
HEADER_FILLER_WORDS = ("cap", "cua", "thuoc", "truc thuoc", "hoac", "va", "or", "and", "of")
# The names a refusal lists as accepted, per field convert reads.
HEADER_EXAMPLES = {
    "commune_code": ("Mã xã", "Mã ĐVHC", "ma_xa", "old_code"),
    "commune_name": ("Tên xã", "Xã/Phường/Thị trấn", "Tên đơn vị hành chính", "ten_xa", "old_name"),
    "district_name": ("Huyện", "Quận/Huyện/Thị xã", "Mã huyện"),
    "province_name": ("Tỉnh", "Tỉnh/Thành phố", "TP", "Mã tỉnh"),
    "address": ("Địa chỉ", "address"),
}


# ---------------------------------------------------------------------- cell words
# What the cells of a status sheet may say (folded as ``name_key(..., strip_type=False)``): the state of a
# service centre, a yes/no flag (a gap column), a unit's level. CENTRE_CHOICES are the words the report
# template offers and the importer's message names, one per state.
CENTRE_CHOICES = ("hoạt động", "hoạt động còn thiếu", "chưa hoạt động", "không rõ")
CENTRE_VALUES = {
    "operating": (
        "hoat dong",
        "dang hoat dong",
        "da hoat dong",
        "hoat dong tot",
        "hoat dong on dinh",
        "operating",
        "co",
        "yes",
        "x",
        "1",
        "binh thuong",
        "ok",
    ),
    "gaps": (
        "hoat dong con thieu",
        "hoat dong co thieu",
        "con thieu",
        "co thieu",
        "han che",
        "hoat dong han che",
        "chua day du",
        "hoat dong chua day du",
        "operating with gaps",
        "gaps",
        "partial",
        "mot phan",
    ),
    "not_operating": (
        "chua hoat dong",
        "khong hoat dong",
        "dung hoat dong",
        "ngung hoat dong",
        "not operating",
        "khong",
        "no",
        "0",
    ),
    "unknown": ("", "khong ro", "chua ro", "unknown", "na", "n a", "-", "chua co thong tin"),
}
CELL_TRUE = {"x", "co", "yes", "true", "1", "thieu", "chua", "chua co", "v"}
CELL_FALSE = {"", "khong", "no", "false", "0", "du", "da co", "-"}
LEVEL_VALUES = {
    "tinh": "province",
    "thanh pho": "province",
    "province": "province",
    "tinh thanh pho": "province",
    "xa": "commune",
    "phuong": "commune",
    "dac khu": "commune",
    "commune": "commune",
    "ward": "commune",
    "xa phuong": "commune",
    "xa phuong dac khu": "commune",
}
