"""Tình hình: status at a chosen time, history of one commune, import of report sheets (password needed)."""

import datetime as dt

import streamlit as st

from lib.data.i18n import LOCAL_TZ, format_int, format_percent
from lib.io.text import md_escape
from lib.status import importer, status
from lib.status.store import default_url
from lib.ui import cache

URL = default_url()


store = cache.status_store(URL)
st.title("Tình hình thực hiện nhiệm vụ và trung tâm phục vụ hành chính công")

start = status.default_as_of(store)
left, right = st.columns(2)
day = left.date_input("Xem tình hình tại ngày", value=start.date(), format="DD/MM/YYYY", key="status_day")
clock = right.time_input("giờ", value=start.time().replace(second=0, microsecond=0), key="status_clock")
as_of = dt.datetime.combine(day, clock, tzinfo=LOCAL_TZ)
communes = cache.status_table(URL, as_of.isoformat(), store.revision(), "commune")
provinces = cache.status_table(URL, as_of.isoformat(), store.revision(), "province")
if communes["is_demo"].any():
    st.warning(
        f"⚠️ {status.DEMO_MARK}: số liệu do chương trình sinh ra để trình diễn, không phải báo cáo thật. "
        "Dữ liệu thật thay thế khi có báo cáo được nhập."
    )
st.caption(
    f"Hạn cập nhật gần nhất: 16:00 ngày {status.latest_deadline(as_of):%d/%m/%Y} (giờ Việt Nam); "
    "xã không có báo cáo sau hạn trước đó được tính là xám (quá hạn báo cáo)."
)

counts, total = status.class_counts(communes), len(communes)
for column, cls in zip(st.columns(4), status.TASK_CLASSES, strict=False):
    column.metric(
        status.TASK_LABELS[cls],
        format_int(counts[f"task_{cls}"]),
        format_percent(counts[f"task_{cls}"] / total),
        delta_color="off",
    )
for column, cls in zip(st.columns(4), status.CENTRE_CLASSES, strict=False):
    column.metric(f"Trung tâm: {status.CENTRE_LABELS[cls]}", format_int(counts[f"centre_{cls}"]))

by_province, by_commune, history, upload, batches = st.tabs(
    ["Theo tỉnh", "Theo xã", "Lịch sử một xã", "Nhập báo cáo", "Các lần nhập"]
)
suffix = "-minh-hoa" if communes["is_demo"].any() else ""
with by_province:
    st.dataframe(provinces, hide_index=True, width="stretch")
    st.download_button(
        "Tải CSV theo tỉnh",
        status.to_csv_bytes(provinces),
        f"tinh-hinh-tinh{suffix}-{as_of:%Y%m%d-%H%M}.csv",
        mime="text/csv",
        key="status_dl_provinces",
    )
with by_commune:
    st.dataframe(communes, hide_index=True, width="stretch")
    st.download_button(
        "Tải CSV theo xã",
        status.to_csv_bytes(communes),
        f"tinh-hinh-xa{suffix}-{as_of:%Y%m%d-%H%M}.csv",
        mime="text/csv",
        key="status_dl_communes",
    )
with history:
    choices = status.commune_choices(cache.crosswalk())
    code = st.selectbox("Xã, phường, đặc khu", list(choices), format_func=choices.get, key="status_history_code")
    table = status.history_table(store, code)
    st.caption(f"{format_int(len(table))} báo cáo, cũ nhất trước")
    st.dataframe(table, hide_index=True, width="stretch")


def _secrets():
    try:
        return st.secrets
    except FileNotFoundError:
        return None


def _template_download() -> None:
    """The report template (lib.status.template) of a chosen province or of the whole country, for anyone."""
    from lib.status import template

    provinces = cache.province_crosswalk().drop_duplicates("new_province_code").sort_values("new_province_code")
    names = dict(zip(provinces["new_province_code"], provinces["new_province_name"], strict=True))
    everywhere = cache.crosswalk()["new_code"].nunique()
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    province = left.selectbox(
        "Mẫu báo cáo cho",
        ["", *names],
        format_func=lambda code: f"{code} – {names[code]}" if code else f"Cả nước ({format_int(everywhere)} xã)",
        key="status_template_province",
    )
    right.download_button(
        "Tải mẫu báo cáo (.xlsx)",
        lambda: cache.report_template(province),
        template.file_name(province),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="status_template_download",
    )
    st.caption(
        "Mẫu có sẵn mã và tên từng xã (mã dạng văn bản), kiểm tra dữ liệu khi điền và trang “Hướng dẫn” giải "
        "thích từng cột; tệp điền theo mẫu được nhập không cần ghép cột. Dòng chưa điền số liệu được bỏ qua."
    )


def _import_tab() -> None:
    """Password, file, sheet, keys, column mapping, check, commit; every step's logic is in lib.status.importer."""
    _template_download()
    expected = importer.import_password(_secrets())
    if expected is None:
        st.info(
            "Chức năng nhập báo cáo đang tắt: chưa đặt mật khẩu (biến môi trường VNMAP_IMPORT_PASSWORD hoặc "
            "`import_password` trong .streamlit/secrets.toml). Xem tình hình vẫn dùng bình thường."
        )
        return
    given = st.text_input("Mật khẩu nhập dữ liệu", type="password", key="status_password")
    if not st.session_state.get("status_unlocked"):
        accepted, message = cache.password_guard().check(given, expected, cache.client_keys())
        if not accepted:
            if message:
                st.error(message)
            return
        st.session_state["status_unlocked"] = True  # the guard is not asked again on each rerun of this session
    elif not importer.password_ok(given, expected):
        st.session_state.pop("status_unlocked", None)
        st.rerun()
    who = st.text_input("Người nhập (họ tên, đơn vị)", key="status_who", max_chars=importer.MAX_IMPORTER).strip()
    st.caption(md_escape(importer.NUMBER_RULE))
    file = st.file_uploader("Tệp báo cáo (.csv UTF-8 hoặc .xlsx)", type=["csv", "xlsx", "xls"], key="status_file")
    if file is None:
        return
    data = file.getvalue()
    try:
        names = importer.sheet_names(data)
        sheet_name = st.selectbox("Trang tính", names, key="status_sheet") if len(names) > 1 else None
        sheet = importer.read_sheet(data, name=file.name, sheet=sheet_name, deadline=importer.Deadline())
    except (importer.SheetError, OSError) as err:
        st.error(md_escape(err))
        return
    keys = st.radio(
        "Đơn vị trong tệp là",
        list(importer.KEY_CHOICES),
        horizontal=True,
        key="status_keys",
        format_func=importer.KEY_CHOICES.get,
    )
    guess = importer.guess_mapping(list(sheet.frame.columns), keys=keys)
    options = importer.column_choices(sheet)
    with st.expander("Ghép cột của tệp với các trường", expanded=bool(guess.unrecognised)):
        if guess.unrecognised:
            st.caption("Cột chưa nhận ra: " + md_escape(", ".join(guess.unrecognised)))
        chosen = {
            field: st.selectbox(label, options, index=index, key=f"status_map_{field}")
            for field, (label, index) in importer.mapping_choices(sheet, guess).items()
        }
    day = st.date_input(
        "Thời điểm cho các dòng không ghi ngày", value=None, format="DD/MM/YYYY", key="status_default_day"
    )
    try:
        report = importer.validate(
            sheet, importer.mapping_from_choices(chosen, guess.keys), cache.resolver(), as_of=importer.default_time(day)
        )
    except importer.SheetError as err:
        st.error(md_escape(err))
        return
    st.markdown(f"**Kiểm tra {md_escape(file.name)}**: {md_escape(importer.check_summary(report))}")
    if report.issues:
        st.dataframe(report.issues_frame(), hide_index=True, width="stretch")
    if not report.ok:
        st.error("Không có dòng hợp lệ nào — không ghi gì. Sửa tệp theo danh sách lỗi rồi tải lại.")
        return
    earlier = importer.already_imported(store, sheet.sha256)
    if earlier:
        st.warning(md_escape(earlier))
    force = bool(earlier) and st.checkbox("Vẫn nhập lại tệp này", key="status_force")
    if st.button(
        importer.commit_label(report),
        type="primary",
        disabled=not who or (bool(earlier) and not force),
        key="status_commit",
    ):
        try:
            batch = importer.commit(store, report, imported_by=who, force=force)
        except importer.SheetError as err:
            st.error(md_escape(err))
            return
        st.success(f"Đã ghi lô {batch}: {format_int(len(report.records))} báo cáo.")
    if not who:
        st.caption("Ghi tên người nhập để bật nút ghi.")


with upload:
    _import_tab()
with batches:
    st.dataframe(store.batches(), hide_index=True, width="stretch")
