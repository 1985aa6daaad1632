"""Tests of lib.status.importer: reading sheets, mapping headers, validation report, atomic commit."""

from __future__ import annotations

import datetime as dt
import io
import signal
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from lib.core.vocab import LOCAL_TZ
from lib.data.contract import COLUMNS
from lib.lookup.resolve import UnitResolver
from lib.status import importer
from lib.status.importer import SheetError, guess_mapping, import_file, read_sheet, validate
from lib.status.store import StatusStore
from lib.ui import signin

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2025, 11, 21, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture(scope="module")
def resolver() -> UnitResolver:
    """Two new provinces, four new communes; old communes incl. a split one and two same-named ones."""
    columns = COLUMNS[: COLUMNS.index("part") + 1]
    hn, dt_ = ("01", "Thành phố Hà Nội"), ("82", "Tỉnh Đồng Tháp")
    rows = [
        [
            "00001",
            "commune",
            "Phường Phúc Xá",
            "Phường",
            "001",
            "Quận Ba Đình",
            *hn,
            "00097",
            "Phường Hồng Hà",
            "Phường",
            *hn,
            "merged",
            "whole",
        ],
        [
            "00004",
            "commune",
            "Phường Trúc Bạch",
            "Phường",
            "001",
            "Quận Ba Đình",
            *hn,
            "00004",
            "Phường Ba Đình",
            "Phường",
            *hn,
            "merged",
            "whole",
        ],
        [
            "00007",
            "commune",
            "Phường Quán Thánh",
            "Phường",
            "001",
            "Quận Ba Đình",
            *hn,
            "00004",
            "Phường Ba Đình",
            "Phường",
            *hn,
            "merged",
            "whole",
        ],
        [
            "20001",
            "commune",
            "Xã Tân Phú",
            "Xã",
            "200",
            "Huyện Châu Thành",
            "82",
            "Tỉnh Tiền Giang",
            "20100",
            "Xã Tân Phú",
            "Xã",
            *dt_,
            "split",
            "part",
        ],
        [
            "20001",
            "commune",
            "Xã Tân Phú",
            "Xã",
            "200",
            "Huyện Châu Thành",
            "82",
            "Tỉnh Tiền Giang",
            "20200",
            "Xã Long Hưng",
            "Xã",
            *dt_,
            "split",
            "part",
        ],
        [
            "00120",
            "commune",
            "Xã Tân Phú",
            "Xã",
            "005",
            "Huyện Sóc Sơn",
            *hn,
            "00120",
            "Xã Tân Phú",
            "Xã",
            *hn,
            "unchanged",
            "whole",
        ],
        [
            "20002",
            "commune",
            "Xã Tân Phú",
            "Xã",
            "201",
            "Huyện Cai Lậy",
            "82",
            "Tỉnh Tiền Giang",
            "20100",
            "Xã Tân Phú",
            "Xã",
            *dt_,
            "merged",
            "whole",
        ],
    ]
    cw = pd.DataFrame(rows, columns=columns)
    communes = cw.drop_duplicates("new_code")[
        ["new_code", "new_name", "new_type", "new_province_code", "new_province_name"]
    ]
    communes.columns = ["code", "full_name", "type", "province_code", "province_name"]
    communes = communes.assign(name=communes["full_name"].str.split(" ", n=1).str[1])
    provinces = pd.DataFrame(
        {
            "code": ["01", "82"],
            "name": ["Hà Nội", "Đồng Tháp"],
            "full_name": ["Thành phố Hà Nội", "Tỉnh Đồng Tháp"],
            "name_en": ["Hanoi", "Dong Thap"],
        }
    )
    return UnitResolver(cw, communes, provinces)


@pytest.fixture
def store(tmp_path) -> StatusStore:
    return StatusStore(tmp_path / "status.sqlite")


def _csv(text: str, *, bom: bool = False) -> bytes:
    data = textwrap.dedent(text).strip("\n").encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def _run(store, resolver, data: bytes, **kwargs):
    return import_file(store, data, resolver, imported_by="tester", name="bc.csv", now=NOW, **kwargs)


GOOD = """
Mã xã,Tên xã,Tổng số nhiệm vụ,Đã hoàn thành,Quá hạn,Trung tâm,Còn thiếu,Ngày báo cáo
00004,Phường Ba Đình,10,10,0,Hoạt động,,20/11/2025 15:00
00097,Phường Hồng Hà,12,8,1,Đang hoạt động,chữ ký số; thiết bị,20/11/2025 15:00
"""


def test_good_sheet_is_committed_as_one_batch(store, resolver):
    report, batch = _run(store, resolver, _csv(GOOD, bom=True))
    assert report.clean and report.counts == {"valid": 2, "ambiguous": 0, "unknown": 0, "invalid": 0}
    assert batch is not None
    batches = store.batches()
    assert list(batches["source_name"]) == ["bc.csv"] and batches["source_sha256"].iloc[0] == report.sheet.sha256
    state = store.state_as_of().set_index("unit_code")
    assert state.loc["00097", "gaps"] == "chữ ký số; thiết bị"
    assert state.loc["00004", "as_of"] == pd.Timestamp(dt.datetime(2025, 11, 20, 8, tzinfo=dt.UTC))


def test_english_headers_in_another_order_semicolons(store, resolver):
    data = _csv("""
    date;centre;done;total;overdue;commune;province
    2025-11-20;operating;3;10;0;Ba Dinh;Ha Noi
    """)
    report, batch = _run(store, resolver, data)
    assert report.clean and batch is not None
    assert set(report.mapping.columns) >= {"as_of", "centre_state", "tasks_done", "tasks_total", "commune_name"}
    assert list(store.state_as_of()["unit_code"]) == ["00004"]


def test_names_without_prefix_nfd_and_no_diacritics(store, resolver):
    nfd = unicodedata.normalize("NFD", "Hồng Hà")
    data = _csv(f"""
    Tỉnh,Xã,Tổng số nhiệm vụ,Đã hoàn thành
    TP. Hà Nội,{nfd},10,5
    Thủ đô Hà Nội,phuong ba dinh,10,5
    """)
    report, _ = _run(store, resolver, data, as_of=dt.datetime(2025, 11, 20, 9))
    assert report.clean, report.render()
    assert sorted(report.records["unit_code"]) == ["00004", "00097"]


def test_title_rows_above_the_header_and_row_numbers(resolver):
    data = _csv("""
    BÁO CÁO TIẾN ĐỘ XANH HOÁ NHIỆM VỤ
    Ngày 20/11/2025
    ,,
    Mã xã,Tổng số nhiệm vụ,Đã hoàn thành,Ngày
    00004,10,5,20/11/2025
    99999,10,5,20/11/2025
    """)
    sheet = read_sheet(data, name="bc.csv")
    assert sheet.header_row == 4
    report = validate(sheet, guess_mapping(list(sheet.frame.columns)), resolver, now=NOW)
    (issue,) = report.issues
    assert (issue.kind, issue.row, issue.column) == ("unknown", 6, "Mã xã")
    assert "99999" in issue.render("bc.csv") and "dòng 6" in issue.render("bc.csv")


def test_old_keyed_rows_are_carried_to_new_units(store, resolver):
    data = _csv("""
    Tỉnh,Huyện,Xã,Tổng số nhiệm vụ,Đã hoàn thành,Quá hạn
    Tiền Giang,Châu Thành,Xã Tân Phú,10,5,1
    Hà Nội,Ba Đình,Trúc Bạch,10,5,0
    Hà Nội,Ba Đình,Quán Thánh,10,5,0
    """)
    report, batch = _run(store, resolver, data, as_of=dt.datetime(2025, 11, 20, 9))
    assert report.mapping.keys == "old" and report.clean
    records = report.records.sort_values(["unit_code", "via_old_code"])
    assert list(zip(records["unit_code"], records["via_old_code"], strict=False)) == [
        ("00004", "00004"),
        ("00004", "00007"),
        ("20100", "20001"),
        ("20200", "20001"),
    ]
    assert batch is not None and store.count_reports() == 4


def test_old_code_column(resolver):
    sheet = read_sheet(
        _csv("""
    Mã xã cũ,Tổng số nhiệm vụ,Đã hoàn thành
    1,10,5
    """)
    )
    mapping = guess_mapping(list(sheet.frame.columns))
    assert mapping.keys == "old"
    report = validate(sheet, mapping, resolver, as_of=NOW - dt.timedelta(hours=1), now=NOW)
    assert list(report.records["unit_code"]) == ["00097"]


def test_province_level_rows(resolver):
    sheet = read_sheet(
        _csv("""
    Cấp,Tỉnh,Xã,Tổng số nhiệm vụ,Đã hoàn thành
    Tỉnh,Đồng Tháp,,100,40
    Xã,Đồng Tháp,Long Hưng,10,4
    """)
    )
    report = validate(sheet, guess_mapping(list(sheet.frame.columns)), resolver, as_of=NOW, now=NOW)
    assert report.clean
    assert list(zip(report.records["level"], report.records["unit_code"], strict=False)) == [
        ("province", "82"),
        ("commune", "20200"),
    ]


def test_xlsx_first_or_chosen_sheet(store, resolver):
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        pd.DataFrame({"Ghi chú": ["trang bìa"]}).to_excel(writer, sheet_name="Bìa", index=False)
        pd.DataFrame(
            {
                "Mã xã": ["00004"],
                "Tổng số nhiệm vụ": [10],
                "Đã hoàn thành": [10],
                "Ngày": [dt.datetime(2025, 11, 20, 15, 0)],
            }
        ).to_excel(writer, sheet_name="Số liệu", index=False)
    data = buffer.getvalue()
    assert importer.sheet_names(data) == ["Bìa", "Số liệu"]
    with pytest.raises(SheetError, match="số nhiệm vụ"):
        _run(store, resolver, data)  # the first sheet has no status columns
    report, batch = _run(store, resolver, data, sheet="Số liệu")
    assert report.clean and batch is not None
    assert store.state_as_of()["as_of"].iloc[0] == pd.Timestamp(dt.datetime(2025, 11, 20, 8, tzinfo=dt.UTC))
    assert store.batches()["source_name"].iloc[0] == "bc.csv [Số liệu]"
    with pytest.raises(SheetError, match="Không có trang tính|không có trang tính"):
        _run(store, resolver, data, sheet="Khác")


def _cp1258(text: str) -> bytes:
    """Text as Windows-1258 writes it: precomposed base letters (â, ơ...) plus combining tone marks."""
    out = b""
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        for mark in marks:  # fold one mark into the base when cp1258 has that letter
            joined = unicodedata.normalize("NFC", base + mark)
            if len(joined) == 1 and joined.encode("cp1258", errors="ignore"):
                base, marks = joined, [m for m in marks if m != mark]
                break
        out += (base + "".join(marks)).encode("cp1258")
    return out


HEADER = "Tỉnh,Xã,Tổng số nhiệm vụ,Đã hoàn thành,Quá hạn,Trung tâm,Ngày"


@pytest.mark.parametrize(
    "row, kind, column, fragment",
    [
        ("Hà Nội,Không Tồn Tại,10,5,0,hoạt động,20/11/2025", "unknown", "Xã", "Không Tồn Tại"),
        (",Tân Phú,10,5,0,hoạt động,20/11/2025", "ambiguous", "Xã", "khớp"),
        ("Hà Nội,Ba Đình,10,-2,0,hoạt động,20/11/2025", "invalid", "Đã hoàn thành", "số âm"),
        ("Hà Nội,Ba Đình,10,12,0,hoạt động,20/11/2025", "invalid", "Đã hoàn thành", "lớn hơn tổng số"),
        ("Hà Nội,Ba Đình,10,8,5,hoạt động,20/11/2025", "invalid", "Quá hạn", "lớn hơn số chưa hoàn thành"),
        ("Hà Nội,Ba Đình,mười,8,0,hoạt động,20/11/2025", "invalid", "Tổng số nhiệm vụ", "không phải là số"),
        ("Hà Nội,Ba Đình,10,7.5,0,hoạt động,20/11/2025", "invalid", "Đã hoàn thành", "không phải số nguyên"),
        ("Hà Nội,Ba Đình,10,8,0,hoạt động,20/11/2026", "invalid", "Ngày", "tương lai"),
        ("Hà Nội,Ba Đình,10,8,0,hoạt động,20/06/2025", "invalid", "Ngày", "trước 01/07/2025"),
        ("Hà Nội,Ba Đình,10,8,0,hoạt động,hôm qua", "invalid", "Ngày", "không phải ngày"),
        ("Hà Nội,Ba Đình,10,8,0,tàm tạm,20/11/2025", "invalid", "Trung tâm", "tình trạng trung tâm"),
    ],
)
def test_each_bad_row_is_reported_and_nothing_is_written(store, resolver, row, kind, column, fragment):
    report, batch = _run(store, resolver, _csv(f"{HEADER}\n{row}"))
    assert batch is None and store.is_empty()
    assert not report.ok
    issue = next(i for i in report.issues if i.kind == kind)
    assert (issue.row, issue.column) == (2, column)
    assert fragment in issue.message, issue.message
    if kind == "ambiguous":
        assert set(issue.candidates) == {"00120", "20100"}


def test_ambiguous_old_name_lists_candidates(store, resolver):
    data = _csv("""
    Tỉnh cũ,Xã cũ,Tổng số nhiệm vụ,Đã hoàn thành
    Tiền Giang,Tân Phú,10,5
    """)
    report, batch = _run(store, resolver, data, as_of=NOW)
    (issue,) = report.issues
    assert issue.kind == "ambiguous" and set(issue.candidates) == {"20001", "20002"}
    assert "Châu Thành" in issue.message and "Cai Lậy" in issue.message
    assert batch is None and store.is_empty()


def test_duplicated_unit_and_time_refuses_every_copy(store, resolver):
    data = _csv(f"""
    {HEADER}
    Hà Nội,Ba Đình,10,8,0,hoạt động,20/11/2025
    Hà Nội,Hồng Hà,10,8,0,hoạt động,20/11/2025
    Hà Nội,Phường Ba Đình,10,9,0,hoạt động,20/11/2025
    """)
    report, batch = _run(store, resolver, data, all_or_nothing=True)
    duplicates = [i for i in report.issues if "trùng" in i.message]
    assert sorted(i.row for i in duplicates) == [2, 4]
    assert "dòng 4" in duplicates[0].message
    assert report.counts["valid"] == 1 and report.counts["invalid"] == 2
    assert batch is None and store.is_empty()  # all or nothing: nothing
    report, batch = _run(store, resolver, data)  # valid rows only
    assert batch is not None and list(store.state_as_of()["unit_code"]) == ["00097"]


@pytest.mark.parametrize(
    "data, fragment",
    [
        (b"", "rỗng"),
        (b"\xef\xbb\xbf\r\n  \r\n", "rỗng"),
        (b"Ma xa,Tong so nhiem vu\n", "chỉ có dòng tiêu đề"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "không phải bảng tính"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "không phải bảng tính"),
        (b"PK\x03\x04garbage that is not a zip", "không phải tệp bảng tính .xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, ".xls"),
        (_cp1258("Tỉnh,Xã,Tổng số nhiệm vụ\nHà Nội,Ba Đình,10\n"), "UTF-8"),
    ],
)
def test_unreadable_files_raise_clear_errors(store, resolver, data, fragment):
    with pytest.raises(SheetError, match=fragment) as err:
        _run(store, resolver, data)
    assert "bc.csv" in str(err.value)
    assert store.is_empty()


def test_legacy_encoding_names_the_line(resolver):
    data = "Xã,Tổng số nhiệm vụ\nHồng Hà,10\n".encode() + _cp1258("Xã Đông,3\n")
    with pytest.raises(SheetError, match="dòng 3") as err:
        read_sheet(data, name="cu.csv")
    assert "CSV UTF-8" in str(err.value)


def test_utf16_export_is_read(resolver):
    data = "Mã xã\tTổng số nhiệm vụ\tĐã hoàn thành\n00004\t10\t4\n".encode("utf-16")
    sheet = read_sheet(data)
    report = validate(sheet, guess_mapping(list(sheet.frame.columns)), resolver, as_of=NOW, now=NOW)
    assert report.clean


def test_unrecognised_headers_need_mapping(store, resolver):
    data = _csv("""
    Đơn vị hành chính cấp cơ sở,Chỉ tiêu A,Chỉ tiêu B
    Ba Đình,10,5
    """)
    sheet = read_sheet(data)
    mapping = guess_mapping(list(sheet.frame.columns))
    assert mapping.missing(has_default_as_of=True)
    with pytest.raises(SheetError, match="ghép cột"):
        validate(sheet, mapping, resolver, as_of=NOW, now=NOW)
    report, batch = _run(
        store,
        resolver,
        data,
        as_of=NOW,
        overrides={
            "commune_name": "Đơn vị hành chính cấp cơ sở",
            "tasks_total": "Chỉ tiêu A",
            "tasks_done": "Chỉ tiêu B",
        },
    )
    assert report.clean and batch is not None
    with pytest.raises(SheetError, match="không có cột"):
        _run(store, resolver, data, as_of=NOW, overrides={"tasks_total": "Không có"})


def test_gap_flag_columns(resolver):
    sheet = read_sheet(
        _csv("""
    Mã xã,Trung tâm,Thiếu chữ ký số,Tài khoản,Cổng thanh toán,Thiết bị
    00004,Hoạt động,x,,có,
    00097,Hoạt động,,,,
    00097,Hoạt động,maybe,,,
    """)
    )
    report = validate(sheet, guess_mapping(list(sheet.frame.columns)), resolver, as_of=NOW, now=NOW)
    records = report.records.set_index("unit_code")
    assert records.loc["00004", "gaps"] == "chữ ký số; kết nối cổng thanh toán"
    assert records.loc["00004", "centre_state"] == "operating"  # lib.status.status shows it as "gaps"
    assert [i.column for i in report.issues] == ["Thiếu chữ ký số"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("20/11/2025", dt.datetime(2025, 11, 20, 0, 0)),
        ("20/11/2025 15:30", dt.datetime(2025, 11, 20, 15, 30)),
        ("2025-11-20 15:30:00", dt.datetime(2025, 11, 20, 15, 30)),
        ("2025-11-20T08:30:00+00:00", dt.datetime(2025, 11, 20, 15, 30)),
    ],
)
def test_parse_time(text, expected):
    assert importer.parse_time(text) == pd.Timestamp(expected, tz=LOCAL_TZ)


def test_parse_time_rejects_text():
    assert importer.parse_time("tuần trước") is None


def test_commit_refuses_when_nothing_valid(store, resolver):
    report, _ = _run(store, resolver, _csv(f"{HEADER}\nHà Nội,Không Có,10,5,0,hoạt động,20/11/2025"))
    with pytest.raises(SheetError, match="không có dòng hợp lệ"):
        importer.commit(store, report, imported_by="x")
    assert store.is_empty()


_KILLED_IMPORT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from lib.status import importer
    from lib.lookup.resolve import UnitResolver
    from lib.status.store import StatusStore
    store = StatusStore(sys.argv[1])
    sheet = importer.read_sheet(importer.Path(sys.argv[2]))
    report = importer.validate(sheet, importer.guess_mapping(list(sheet.frame.columns)), UnitResolver.from_geodata())
    def progress(done, total):
        print("WRITTEN", done, "OF", total, flush=True)
        time.sleep(60)
    importer.commit(store, report, imported_by="killed", progress=progress)
""")


@pytest.mark.dataset
def test_import_killed_midway_leaves_store_unchanged(tmp_path):
    from lib.data import geodata

    codes = sorted(geodata.load_crosswalk()["new_code"].unique())
    sheet = tmp_path / "all.csv"
    pd.DataFrame(
        {"Mã xã": codes, "Tổng số nhiệm vụ": 10, "Đã hoàn thành": 4, "Quá hạn": 1, "Ngày": "20/11/2025 15:00"}
    ).to_csv(sheet, index=False, encoding="utf-8-sig")
    url = f"sqlite:///{tmp_path / 'status.sqlite'}"
    store = StatusStore(url)
    store.append(
        pd.DataFrame(
            {
                "level": ["commune"],
                "unit_code": ["00004"],
                "as_of": [NOW],
                "tasks_total": [1],
                "tasks_done": [1],
                "tasks_overdue": [0],
                "centre_state": ["operating"],
                "gaps": [""],
                "note": [""],
            }
        ),
        imported_by="before",
        source_name="x",
        source_sha256="0" * 64,
    )
    script = tmp_path / "killed.py"
    script.write_text(_KILLED_IMPORT.format(root=str(ROOT)), encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(script), url, str(sheet)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    line = proc.stdout.readline()
    assert line.startswith("WRITTEN 3321 OF 3321"), proc.stderr.read()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    reopened = StatusStore(url)
    assert list(reopened.batches()["imported_by"]) == ["before"] and reopened.count_reports() == 1


@pytest.mark.dataset
def test_full_sheets_of_the_bundled_data(tmp_path):
    """Every new commune by code, and every old commune by names only (the benchmark's inputs)."""
    from lib.data import geodata

    resolver = UnitResolver.from_geodata()
    cw = geodata.load_crosswalk()
    new = pd.DataFrame({"Mã xã": sorted(cw["new_code"].unique()), "Tổng số nhiệm vụ": 10, "Đã hoàn thành": 5})
    sheet = read_sheet(new.to_csv(index=False).encode("utf-8"))
    report = validate(sheet, guess_mapping(list(sheet.frame.columns)), resolver, as_of=NOW, now=NOW)
    assert report.clean and len(report.records) == 3321
    old = cw[cw["old_level"] == "commune"].drop_duplicates("old_code")
    frame = pd.DataFrame(
        {
            "Tỉnh": old["old_province_name"],
            "Huyện": old["old_district_name"],
            "Xã": old["old_name"],
            "Tổng số nhiệm vụ": 10,
            "Đã hoàn thành": 5,
        }
    )
    sheet = read_sheet(frame.to_csv(index=False).encode("utf-8"))
    report = validate(sheet, guess_mapping(list(sheet.frame.columns)), resolver, as_of=NOW, now=NOW)
    assert report.mapping.keys == "old"
    assert report.counts["valid"] == 10035, report.render(limit=5)
    assert set(report.records["unit_code"]) == set(old["new_code"]) | set(
        cw.loc[cw["old_code"].isin(old["old_code"]), "new_code"]
    )


def test_import_password_from_env_or_secrets(monkeypatch):
    monkeypatch.delenv("VNMAP_IMPORT_PASSWORD", raising=False)
    assert signin.import_password() is None
    assert signin.import_password({"import_password": "s3"}) == "s3"
    assert signin.import_password({"other": "x"}) is None

    class MissingSecrets:
        def get(self, key):
            raise FileNotFoundError("no secrets.toml")

    assert signin.import_password(MissingSecrets()) is None
    monkeypatch.setenv("VNMAP_IMPORT_PASSWORD", "env")
    assert signin.import_password({"import_password": "s3"}) == "env"


@pytest.mark.parametrize(
    "given, expected, ok",
    [
        ("pw", "pw", True),
        ("pw ", "pw", False),
        ("", "pw", False),
        (None, "pw", False),
        ("pw", None, False),
        ("", "", False),
        ("mật khẩu", "mật khẩu", True),
    ],
)
def test_password_check(given, expected, ok):
    assert signin.password_ok(given, expected) is ok


# ---------------------------------------------------------------------- the import page (AppTest)
def _seeded_store(path: Path) -> None:
    StatusStore(path).append(
        pd.DataFrame(
            {
                "level": ["commune"],
                "unit_code": ["00004"],
                "as_of": [NOW],
                "tasks_total": [1],
                "tasks_done": [1],
                "tasks_overdue": [0],
                "centre_state": ["operating"],
                "gaps": [""],
                "note": [""],
            }
        ),
        imported_by="seed",
        source_name="seed.csv",
        source_sha256="0" * 64,
    )


def _page(monkeypatch, db_path: Path, password: str | None):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("VNMAP_STATUS_DB", f"sqlite:///{db_path}")
    if password is None:
        monkeypatch.delenv("VNMAP_IMPORT_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("VNMAP_IMPORT_PASSWORD", password)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("views/import_reports.py").run()
    return at


@pytest.mark.dataset
def test_import_page_needs_the_password(monkeypatch, tmp_path):
    db = tmp_path / "s.sqlite"
    _seeded_store(db)
    at = _page(monkeypatch, db, "bí-mật")
    assert not at.exception, at.exception
    assert not at.file_uploader
    at.text_input(key="status_password").input("sai").run()
    assert any("Sai mật khẩu" in e.value for e in at.error) and not at.file_uploader
    at.text_input(key="status_password").input("bí-mật").run()
    assert at.file_uploader(key="status_file")


@pytest.mark.dataset
def test_import_page_validates_then_commits_valid_rows(monkeypatch, tmp_path):
    db = tmp_path / "s.sqlite"
    _seeded_store(db)
    at = _page(monkeypatch, db, "pw")
    at.text_input(key="status_password").input("pw").run()
    at.text_input(key="status_who").input("Sở Nội vụ <script>").run()
    sheet = _csv(
        """
    Mã xã,Tổng số nhiệm vụ,Đã hoàn thành,Quá hạn,Ngày
    00008,10,4,1,20/11/2025 15:00
    99999,10,4,1,20/11/2025 15:00
    """,
        bom=True,
    )
    at.file_uploader(key="status_file").upload("bc_<b>*.csv", sheet, "text/csv").run()
    assert not at.exception, at.exception
    summary = next(m.value for m in at.markdown if "hợp lệ 1" in m.value)
    assert r"bc\_\<b\>\*\.csv" in summary  # the file name is shown as written, not as markup
    issues = [d.value for d in at.dataframe if "message" in d.value.columns]
    assert issues and "99999" in issues[0]["message"].iloc[0]
    assert StatusStore(db).count_reports() == 1  # nothing written before the button
    at.button(key="status_commit").click().run()
    assert not at.exception, at.exception
    assert any("Đã ghi lô" in s.value for s in at.success)
    store = StatusStore(db)
    assert store.count_reports() == 2 and store.batches()["imported_by"].iloc[0] == "Sở Nội vụ <script>"


@pytest.mark.dataset
def test_import_page_column_mapping_step(monkeypatch, tmp_path):
    db = tmp_path / "s.sqlite"
    _seeded_store(db)
    at = _page(monkeypatch, db, "pw")
    at.text_input(key="status_password").input("pw").run()
    at.file_uploader(key="status_file").upload(
        "x.csv",
        _csv("""
    Đơn vị,Chỉ tiêu,Xong,Ngày
    00008,10,4,20/11/2025
    """),
        "text/csv",
    ).run()
    assert any("ghép cột" in e.value for e in at.error)  # "Chỉ tiêu" is not a known header
    at.selectbox(key="status_map_tasks_total").select("Chỉ tiêu").run()
    at.selectbox(key="status_map_tasks_done").select("Xong").run()
    at.selectbox(key="status_map_commune_name").select("—").run()  # "Đơn vị" was taken for a name column
    at.selectbox(key="status_map_commune_code").select("Đơn vị").run()
    assert not at.error, [e.value for e in at.error]
    assert any("hợp lệ 1" in m.value for m in at.markdown)


# ---------------------------------------------------------------------- command line
@pytest.mark.dataset
def test_cli_ingest_exit_codes_and_report(tmp_path, capsys):
    from lib import cli

    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    good = tmp_path / "good.csv"
    good.write_bytes(
        _csv(
            """
    Tỉnh,Xã,Tổng số nhiệm vụ,Đã hoàn thành,Quá hạn
    Hà Nội,Ba Đình,10,8,1
    Hà Nội,Không Có,10,8,1
    """,
            bom=True,
        )
    )
    assert cli.main(["ingest", str(good), "--as-of", "20/11/2025 15:00", "--db", db, "--by", "cli"]) == 0
    out = capsys.readouterr().out
    assert "hợp lệ 1" in out and "dòng 3" in out and "Không Có" in out and "Đã ghi lô 1" in out
    assert cli.main(["ingest", str(good), "--as-of", "20/11/2025 15:00", "--db", db, "--all-or-nothing"]) == 1
    assert cli.main(["ingest", str(good), "--as-of", "20/11/2025 15:00", "--db", db, "--dry-run"]) == 0
    assert StatusStore(db).count_reports() == 1
    bad = tmp_path / "bad.csv"
    bad.write_bytes(
        _csv("""
    Tỉnh,Xã,Tổng số nhiệm vụ,Đã hoàn thành
    Hà Nội,Không Có,10,8
    """)
    )
    assert cli.main(["ingest", str(bad), "--as-of", "20/11/2025", "--db", db]) == 1
    assert "Không có dòng hợp lệ" in capsys.readouterr().err
    assert cli.main(["ingest", str(good), "--db", db]) == 2  # no time column and no --as-of
    assert "--map" in capsys.readouterr().err
    assert cli.main(["ingest", str(good), "--as-of", "hôm qua", "--db", db]) == 2
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert cli.main(["ingest", str(empty), "--db", db]) == 2
    assert StatusStore(db).count_reports() == 1


@pytest.mark.dataset
def test_several_processes_importing_at_once_lose_no_rows(tmp_path):
    """Four `lib.cli ingest` processes on four sheets at the same time: every batch and row is kept."""
    from lib.data import geodata

    codes = sorted(geodata.load_crosswalk()["new_code"].unique())
    db = f"sqlite:///{tmp_path / 'busy.sqlite'}"
    StatusStore(db).close()
    files = []
    for worker in range(4):
        path = tmp_path / f"sheet{worker}.csv"
        pd.DataFrame(
            {"Mã xã": codes, "Tổng số nhiệm vụ": 10, "Đã hoàn thành": worker, "Ngày": f"20/11/2025 1{worker}:00"}
        ).to_csv(path, index=False, encoding="utf-8-sig")
        files.append(path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "lib.cli", "ingest", str(path), "--db", db, "--by", f"p{i}"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, path in enumerate(files)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err[-500:] for _, err in outputs]
    store = StatusStore(db)
    assert sorted(store.batches()["imported_by"]) == ["p0", "p1", "p2", "p3"]
    assert store.count_reports() == 4 * 3321
    latest = store.state_as_of()
    assert len(latest) == 3321 and (latest["tasks_done"] == 3).all()  # the 13:00 sheet is the newest


def test_xlsx_row_numbers_match_excel(resolver):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B2"] = "BÁO CÁO TIẾN ĐỘ"  # a title, then an empty row 3–4
    for column, header in zip("ABCD", ["Mã xã", "Tổng số nhiệm vụ", "Đã hoàn thành", "Ngày"], strict=False):
        sheet[f"{column}5"] = header
    sheet.append(["00004", 10, 5, dt.datetime(2025, 11, 20, 15, 0)])  # row 6
    sheet["A8"], sheet["B8"], sheet["C8"], sheet["D8"] = 4.0, 10, "abc", dt.datetime(2025, 11, 20, 15)
    buffer = io.BytesIO()
    workbook.save(buffer)
    loaded = read_sheet(buffer.getvalue(), name="t.xlsx")
    assert loaded.header_row == 5
    report = validate(loaded, guess_mapping(list(loaded.frame.columns)), resolver, now=NOW)
    assert [(i.row, i.column) for i in report.issues] == [(8, "Đã hoàn thành")]
    assert list(report.records["unit_code"]) == ["00004"]
    assert report.records["as_of"].iloc[0] == pd.Timestamp(dt.datetime(2025, 11, 20, 15), tz=LOCAL_TZ)


def test_code_and_name_that_name_different_units_are_refused(resolver):
    sheet = read_sheet(
        _csv("""
    Tỉnh,Mã xã,Tên xã,Tổng số nhiệm vụ,Đã hoàn thành
    Hà Nội,00004,Phường Hồng Hà,10,5
    Hà Nội,00004,Phường Ba Đình,10,5
    Hà Nội,00097,Tên Cũ Không Có Trong Danh Sách,10,5
    """)
    )
    report = validate(sheet, guess_mapping(list(sheet.frame.columns)), resolver, as_of=NOW, now=NOW)
    (issue,) = report.issues
    assert (issue.kind, issue.row, issue.column) == ("invalid", 2, "Mã xã")
    assert "00004" in issue.message and "Hồng Hà" in issue.message and "Ba Đình" in issue.message
    assert sorted(report.records["unit_code"]) == ["00004", "00097"]  # an unknown name does not overrule the code


# ---------------------------------------------------------------------- import wizard steps (lib side of the page)
def test_wizard_mapping_choices_and_summary(resolver):
    from lib.status import importer

    sheet = read_sheet(
        _csv("""
    Đơn vị,Chỉ tiêu,Xong,Ngày
    00004,10,4,20/11/2025
    """)
    )
    guess = guess_mapping(list(sheet.frame.columns))
    assert importer.column_choices(sheet) == [importer.NO_COLUMN, "Đơn vị", "Chỉ tiêu", "Xong", "Ngày"]
    choices = importer.mapping_choices(sheet, guess)
    assert set(choices) == set(importer.FIELDS)
    assert choices["tasks_total"] == ("Tổng số nhiệm vụ", 0) and choices["as_of"][1] == 4
    chosen = {f: importer.column_choices(sheet)[i] for f, (_, i) in choices.items()}
    chosen |= {
        "tasks_total": "Chỉ tiêu",
        "tasks_done": "Xong",
        "commune_name": importer.NO_COLUMN,
        "commune_code": "Đơn vị",
    }
    mapping = importer.mapping_from_choices(chosen, guess.keys)
    assert mapping.columns == {
        "commune_code": "Đơn vị",
        "as_of": "Ngày",
        "tasks_total": "Chỉ tiêu",
        "tasks_done": "Xong",
    }
    report = validate(sheet, mapping, resolver, now=NOW)
    assert importer.check_summary(report) == (
        "1 dòng — hợp lệ 1, không rõ đơn vị 0, nhiều khả năng 0, giá trị sai 0. Sẽ ghi 1 báo cáo."
    )
    assert importer.commit_label(report) == "Ghi 1 dòng hợp lệ (bỏ các dòng lỗi)"


def test_wizard_default_time_is_midnight_vietnam_time():
    from lib.data.i18n import LOCAL_TZ
    from lib.status import importer

    assert importer.default_time(None) is None
    assert importer.default_time(dt.date(2025, 11, 20)) == dt.datetime(2025, 11, 20, 0, 0, tzinfo=LOCAL_TZ)
    assert set(importer.KEY_CHOICES) == {"auto", "new", "old"}


@pytest.mark.dataset
def test_import_page_lists_the_first_problems_and_offers_them_all(monkeypatch, tmp_path):
    """A file with a problem on each of its 300 rows: 200 listed on the page, the count said, the rest in the CSV."""
    db = tmp_path / "s.sqlite"
    _seeded_store(db)
    at = _page(monkeypatch, db, "pw")
    at.text_input(key="status_password").input("pw").run()
    rows = "".join(f"9{i:04d},10,4,1,20/11/2025 15:00\n" for i in range(300))  # no such commune
    sheet = ("Mã xã,Tổng số nhiệm vụ,Đã hoàn thành,Quá hạn,Ngày\n" + rows).encode()
    downloads = len(at.get("download_button"))  # the template's
    at.file_uploader(key="status_file").upload("nhieu-loi.csv", sheet, "text/csv").run()
    assert not at.exception, at.exception
    [issues] = [d.value for d in at.dataframe if "message" in d.value.columns]
    assert len(issues) == 200
    assert any("Hiện 200 dòng đầu trong 300" in c.value for c in at.caption)
    assert len(at.get("download_button")) == downloads + 1  # and the whole list, as a CSV
