"""Nhập báo cáo: the report template for anyone, and the import of a report sheet (password needed):
file, sheet, keys, column mapping, check, commit. Every step's logic is in lib.status.importer; the batches
imported and revoked are listed on the status page (Tình hình, tab "Các lần nhập")."""

import streamlit as st

from lib.data.i18n import format_int
from lib.io.text import md_escape
from lib.status import importer, template
from lib.status.store import default_url
from lib.ui import cache, signin, widgets

URL = default_url()

store = cache.status_store(URL)
st.title("Nhập báo cáo tình hình")


def _secrets():
    try:
        return st.secrets
    except FileNotFoundError:
        return None


def _template_download() -> None:
    """The report template (lib.status.template) of a chosen province or of the whole country, for anyone."""
    choices = template.province_choices(cache.province_crosswalk(), cache.crosswalk())
    left, right = st.columns([2, 1], vertical_alignment="bottom")
    province = left.selectbox("Mẫu báo cáo cho", list(choices), format_func=choices.get, key="status_template_province")
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


def _import_form() -> None:
    """Password, file, sheet, keys, column mapping, check, commit; every step's logic is in lib.status.importer."""
    _template_download()
    expected = signin.import_password(_secrets())
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
    elif not signin.password_ok(given, expected):
        st.session_state.pop("status_unlocked", None)
        st.rerun()
    who = st.text_input("Người nhập (họ tên, đơn vị)", key="status_who", max_chars=importer.MAX_IMPORTER).strip()
    st.caption(md_escape(importer.NUMBER_RULE))
    file = st.file_uploader(
        f"Tệp báo cáo (.csv UTF-8 hoặc .xlsx, {cache.upload_limit()})", type=["csv", "xlsx", "xls"], key="status_file"
    )
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
        from lib.status.intake import issues_csv

        widgets.problems_table(report.issues_frame(), key="status_issues_csv", csv=lambda: issues_csv(report))
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


_import_form()
