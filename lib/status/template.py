"""The report template: an XLSX sheet the importer reads without any column mapping, one row per commune.

``python -m lib.cli template --out mau-bao-cao.xlsx [--province 01]`` and the download button of the
import page (views/import_reports.py) write it. Headers are the importer's own labels (:data:`TEMPLATE_FIELDS`, each
recognised by :func:`lib.status.importer.guess_mapping`), codes are text cells with the text format
``@``, and Excel/LibreOffice data validation guards the cells a reporter fills: counts are whole
numbers ≥ 0 (done ≤ total, overdue ≤ total − done), the centre's state comes from a list of accepted
values, the report time is a date-time from 01/7/2025. A second sheet explains every column.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pandas as pd
import xlsxwriter

from lib.core import palette
from lib.core.parse import STORE_INT_MAX
from lib.core.vocab import CENTRE_CHOICES, DEADLINE_TEXT, REFORM_DATE, REFORM_TEXT
from lib.data import geodata
from lib.data.i18n import format_date, format_int, today
from lib.io.export import excel_text
from lib.status.reading import FIELDS

# The columns of the template, in order (fields of lib.status.reading.FIELDS; the header is the field's label).
TEMPLATE_FIELDS = (
    "province_code",
    "province_name",
    "commune_code",
    "commune_name",
    "as_of",
    "tasks_total",
    "tasks_done",
    "tasks_overdue",
    "centre_state",
    "gaps",
    "note",
)
HEADERS = {f: FIELDS[f][0] for f in TEMPLATE_FIELDS}
GAP_WORDS = ("chữ ký số", "tài khoản ngân hàng", "kết nối cổng thanh toán", "thiết bị")
DATE_FORMAT = "dd/mm/yyyy hh:mm"
FIRST_DAY = dt.datetime.combine(REFORM_DATE, dt.time())
SHEET = "Báo cáo"
GUIDE_SHEET = "Hướng dẫn"
FILE_NAME = "mau-bao-cao{suffix}.xlsx"

# Per column: (required?, what it holds, how to fill it, example) — the guide sheet, in Vietnamese.
GUIDE: dict[str, tuple[str, str, str, str]] = {
    "province_code": (
        "có sẵn",
        "Mã tỉnh, thành phố mới (2 chữ số)",
        "Không sửa. Ô dạng văn bản, giữ số 0 ở đầu.",
        "01",
    ),
    "province_name": ("có sẵn", "Tên tỉnh, thành phố mới", "Không sửa.", "Thành phố Hà Nội"),
    "commune_code": (
        "có sẵn",
        f"Mã xã, phường, đặc khu mới (5 chữ số, từ {REFORM_TEXT})",
        "Không sửa. Ô dạng văn bản, giữ số 0 ở đầu. Xã nào không báo cáo thì để trống cả dòng (hoặc xoá dòng).",
        "00004",
    ),
    "commune_name": (
        "có sẵn",
        "Tên xã, phường, đặc khu mới",
        "Không sửa; mã và tên phải cùng một xã.",
        "Phường Ba Đình",
    ),
    "as_of": (
        "bắt buộc",
        "Thời điểm số liệu được chốt (giờ Việt Nam)",
        f"Ngày giờ dạng dd/mm/yyyy hh:mm, từ {REFORM_TEXT}, không ở tương lai. "
        f"Hạn cập nhật hằng ngày là {DEADLINE_TEXT}.",
        "20/11/2025 15:00",
    ),
    "tasks_total": (
        "khi có số liệu nhiệm vụ",
        "Tổng số nhiệm vụ được giao",
        f"Số nguyên từ 0 đến {format_int(STORE_INT_MAX)}, không có phần thập phân.",
        "12",
    ),
    "tasks_done": (
        "khi có tổng số",
        "Số nhiệm vụ đã hoàn thành",
        "Số nguyên từ 0, không lớn hơn tổng số nhiệm vụ.",
        "9",
    ),
    "tasks_overdue": (
        "không",
        "Số nhiệm vụ chưa hoàn thành đã quá hạn",
        "Số nguyên từ 0, không lớn hơn số nhiệm vụ chưa hoàn thành (tổng số − đã hoàn thành).",
        "1",
    ),
    "centre_state": (
        "nên ghi",
        "Tình trạng Trung tâm phục vụ hành chính công của xã",
        "Chọn trong danh sách: " + " / ".join(CENTRE_CHOICES) + ". Để trống = không rõ.",
        "hoạt động còn thiếu",
    ),
    "gaps": (
        "khi còn thiếu",
        "Những gì trung tâm còn thiếu",
        "Ghi các mục, cách nhau bằng dấu chấm phẩy, ví dụ: " + "; ".join(GAP_WORDS) + ".",
        "chữ ký số; thiết bị",
    ),
    "note": ("không", "Ghi chú thêm", "Văn bản tuỳ ý.", "Đã bổ sung máy quét"),
}


class TemplateError(ValueError):
    """The template cannot be made for this request (an unknown province); the message says why."""


def template_communes(crosswalk: pd.DataFrame, province: str | None = None) -> pd.DataFrame:
    """One row per new commune (of ``province``, a 2-digit code, or of the whole country), ordered by
    province and commune code: province_code, province_name, commune_code, commune_name (all text)."""
    units = (
        crosswalk[["new_province_code", "new_province_name", "new_code", "new_name"]]
        .drop_duplicates("new_code")
        .astype(str)
        .set_axis(["province_code", "province_name", "commune_code", "commune_name"], axis=1)
    )
    if province:
        code = str(province).strip().zfill(2)
        if code not in set(units["province_code"]):
            known = ", ".join(sorted(units["province_code"].unique()))
            raise TemplateError(f"Không có tỉnh, thành phố mới mã “{province}” (các mã: {known})")
        units = units[units["province_code"] == code]
    return units.sort_values(["province_code", "commune_code"]).reset_index(drop=True)


def province_choices(provinces: pd.DataFrame, crosswalk: pd.DataFrame) -> dict[str, str]:
    """The template picker's options, code → label: "" (the whole country, with its count of communes)
    first, then each new province of the province crosswalk by code ("01 – Thành phố Hà Nội")."""
    rows = provinces.drop_duplicates("new_province_code").sort_values("new_province_code")
    everywhere = crosswalk["new_code"].nunique()
    return {
        "": f"Cả nước ({format_int(everywhere)} xã)",
        **{
            code: f"{code} – {name}"
            for code, name in zip(rows["new_province_code"], rows["new_province_name"], strict=True)
        },
    }


def file_name(province: str | None = None) -> str:
    """Download name of the template: mau-bao-cao.xlsx, or mau-bao-cao-01.xlsx for one province."""
    return FILE_NAME.format(suffix=f"-{str(province).zfill(2)}" if province else "")


def template_bytes(communes: pd.DataFrame, *, version: str = "", made: dt.date | None = None) -> bytes:
    """The template workbook for ``communes`` (from :func:`template_communes`) as XLSX bytes."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
    )
    try:
        _report_sheet(workbook, communes)
        _guide_sheet(workbook, communes, version=version, made=made or today())
    finally:
        workbook.close()
    return buffer.getvalue()


def write_template(out: Path, *, province: str | None = None, geodata_dir: Path | None = None) -> int:
    """Write the template for ``province`` (None: all communes) to ``out``; returns the number of communes."""
    from lib.io.files import write_atomic

    folder = geodata.folder(geodata_dir)
    communes = template_communes(geodata.load_crosswalk(folder), province)
    version = geodata.load_manifest(folder).get("version", "")
    write_atomic(Path(out), template_bytes(communes, version=version))
    return len(communes)


def _column(field: str) -> int:
    return TEMPLATE_FIELDS.index(field)


def _cell(field: str, row: int = 1) -> str:
    """A1 reference of ``field``'s cell in 0-based ``row`` (relative, as data validation formulas need)."""
    return xlsxwriter.utility.xl_rowcol_to_cell(row, _column(field))


def _report_sheet(workbook, communes: pd.DataFrame) -> None:
    sheet = workbook.add_worksheet(SHEET)
    header = workbook.add_format({"bold": True, "bg_color": palette.SHEET_HEADER, "border": 1, "text_wrap": True})
    fixed = workbook.add_format({"num_format": "@", "bg_color": palette.SHEET_FIXED})
    text = workbook.add_format({"num_format": "@"})
    count = workbook.add_format({"num_format": "0"})
    when = workbook.add_format({"num_format": DATE_FORMAT})
    widths = {"province_code": 8, "province_name": 22, "commune_code": 8, "commune_name": 26, "as_of": 17}
    formats = {"as_of": when, "tasks_total": count, "tasks_done": count, "tasks_overdue": count}
    for field in TEMPLATE_FIELDS:
        column = _column(field)
        sheet.write_string(0, column, HEADERS[field], header)
        fmt = fixed if field in ("province_code", "province_name", "commune_code", "commune_name") else text
        sheet.set_column(column, column, widths.get(field, 16 if field != "gaps" else 30), formats.get(field, fmt))
    for field in ("province_code", "province_name", "commune_code", "commune_name"):
        column = _column(field)
        for row, value in enumerate(communes[field].astype(str), start=1):
            sheet.write_string(row, column, excel_text(value), fixed)
    for field in TEMPLATE_FIELDS[_column("as_of") :]:  # the cells to fill exist, with their format
        column, fmt = _column(field), formats.get(field, text)
        for row in range(1, len(communes) + 1):
            sheet.write_blank(row, column, None, fmt)
    sheet.set_row(0, 32)
    sheet.freeze_panes(1, _column("as_of"))
    last = max(len(communes), 1)
    sheet.autofilter(0, 0, last, len(TEMPLATE_FIELDS) - 1)
    _validations(sheet, last)


def _validations(sheet, last: int) -> None:
    """Data validation of the cells a reporter fills, rows 2 … ``last`` + 1."""

    def area(field: str) -> tuple[int, int, int, int]:
        return 1, _column(field), last, _column(field)

    whole = "phải là số nguyên từ 0"
    total, done, overdue = _cell("tasks_total"), _cell("tasks_done"), _cell("tasks_overdue")
    sheet.data_validation(
        *area("tasks_total"),
        {
            "validate": "integer",
            "criteria": "between",
            "minimum": 0,
            "maximum": STORE_INT_MAX,
            "input_title": "Tổng số nhiệm vụ",
            "input_message": "Số nguyên ≥ 0",
            "error_title": "Tổng số nhiệm vụ",
            "error_message": f"Tổng số nhiệm vụ {whole}.",
        },
    )
    sheet.data_validation(
        *area("tasks_done"),
        {
            "validate": "custom",
            "value": f"=AND(ISNUMBER({done}),{done}>=0,INT({done})={done},OR(ISBLANK({total}),{done}<={total}))",
            "input_title": "Đã hoàn thành",
            "input_message": "Số nguyên ≥ 0, không lớn hơn tổng số",
            "error_title": "Đã hoàn thành",
            "error_message": f"Số đã hoàn thành {whole} và không lớn hơn tổng số nhiệm vụ.",
        },
    )
    sheet.data_validation(
        *area("tasks_overdue"),
        {
            "validate": "custom",
            "value": (
                f"=AND(ISNUMBER({overdue}),{overdue}>=0,INT({overdue})={overdue},"
                f"OR(ISBLANK({total}),ISBLANK({done}),{overdue}<={total}-{done}))"
            ),
            "input_title": "Quá hạn",
            "input_message": "Số nguyên ≥ 0, không lớn hơn số chưa hoàn thành",
            "error_title": "Quá hạn",
            "error_message": f"Số quá hạn {whole} và không lớn hơn tổng số − đã hoàn thành.",
        },
    )
    sheet.data_validation(
        *area("centre_state"),
        {
            "validate": "list",
            "source": list(CENTRE_CHOICES),
            "input_title": "Trung tâm phục vụ HCC",
            "input_message": "Chọn trong danh sách",
            "error_title": "Trung tâm phục vụ HCC",
            "error_message": "Chọn một trong: " + " / ".join(CENTRE_CHOICES) + ".",
        },
    )
    sheet.data_validation(
        *area("as_of"),
        {
            "validate": "date",
            "criteria": ">=",
            "value": FIRST_DAY,
            "input_title": "Thời điểm báo cáo",
            "input_message": "dd/mm/yyyy hh:mm, giờ Việt Nam",
            "error_title": "Thời điểm báo cáo",
            "error_message": f"Ghi ngày giờ dạng dd/mm/yyyy hh:mm, từ {REFORM_TEXT}. Tiếp tục nếu chắc chắn đúng.",
            "error_type": "warning",  # a date typed as text ("20/11/2025 15:00") in another locale is still read
        },
    )


def _guide_sheet(workbook, communes: pd.DataFrame, *, version: str, made: dt.date) -> None:
    sheet = workbook.add_worksheet(GUIDE_SHEET)
    bold = workbook.add_format(
        {"bold": True, "bg_color": palette.SHEET_HEADER, "border": 1, "text_wrap": True, "valign": "top"}
    )
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    text = workbook.add_format({"text_wrap": True, "valign": "top", "num_format": "@"})
    provinces = communes["province_code"].unique()
    scope = (
        f"{format_int(len(communes))} xã, phường, đặc khu của {communes['province_name'].iloc[0]}"
        if len(provinces) == 1
        else f"{format_int(len(communes))} xã, phường, đặc khu của {len(provinces)} tỉnh, thành phố"
    )
    facts = [
        ("Mẫu báo cáo", "Báo cáo tình hình thực hiện nhiệm vụ và Trung tâm phục vụ hành chính công của cấp xã"),
        ("Phạm vi", scope),
        ("Cách dùng", f"Điền vào trang “{SHEET}”, mỗi xã một dòng; giữ nguyên dòng tiêu đề và tên các cột."),
        (
            "Dòng không điền",
            "Dòng chỉ có mã và tên xã (chưa điền số liệu) được bỏ qua khi nhập, như dòng trống.",
        ),
        ("Nhập", "Tải lên ở trang Tình hình › Nhập báo cáo, hoặc đặt vào thư mục nhận tự động; không cần ghép cột."),
        ("Ngày lập mẫu", format_date(made)),
        ("Phiên bản dữ liệu", version or "—"),
    ]
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 20)
    sheet.set_column(2, 2, 40)
    sheet.set_column(3, 3, 60)
    sheet.set_column(4, 4, 22)
    for row, (label, value) in enumerate(facts):
        sheet.write_string(row, 0, label, bold)
        sheet.merge_range(row, 1, row, 4, "", wrap)
        sheet.write_string(row, 1, excel_text(value), wrap)
    row = len(facts) + 1
    for column, title in enumerate(("Cột", "Bắt buộc", "Nội dung", "Cách ghi", "Ví dụ")):
        sheet.write_string(row, column, title, bold)
    for field in TEMPLATE_FIELDS:
        row += 1
        sheet.write_string(row, 0, HEADERS[field], wrap)
        for column, value in enumerate(GUIDE[field], start=1):
            sheet.write_string(row, column, value, text if column == 4 else wrap)
