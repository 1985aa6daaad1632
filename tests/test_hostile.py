"""Hostile and careless input (issue 13): bounded reading, one number rule, no formula in a CSV, no Markdown
from the URL, office layouts. Every hostile file is also run through the CLI in a fresh process whose wall
time and peak memory are measured."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib.core import parse
from lib.core.settings import SettingError
from lib.io import sheets
from lib.io.export import ExportInfo, csv_bytes, neutralise_cell
from lib.io.sheets import LimitError, ReadLimits, SheetError, read_grid
from lib.lookup.search import MAX_QUERY
from lib.maps import urlstate
from lib.status import importer, status
from lib.status.store import StatusStore
from lib.ui import signin
from tests import hostile
from tests.conftest import emptied_pg

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SECONDS = 10
GROWTH_MB = 300
AS_OF = "20/11/2025"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Every hostile file, generated once (the bomb is written streaming: 520 MB inflated, ~0.5 MB on disk)."""
    folder = tmp_path_factory.mktemp("hostile")
    made = {
        "lying_dimension": hostile.lying_dimension(folder / "dimension.xlsx"),
        "deflate_bomb": hostile.deflate_bomb(folder / "bomb.xlsx"),
        "16384_columns": hostile.wide(folder / "wide.xlsx"),
        "1000000_rows": hostile.million_rows(folder / "rows.xlsx"),
        "1000000_rows_csv": hostile.million_rows_csv(folder / "rows.csv"),
        "formulas": hostile.formulas(folder / "formulas.xlsx"),
        "merged_header": hostile.merged_header(folder / "merged.xlsx"),
        "html_as_xls": hostile.html_as_xls(folder / "report.xls"),
        "numbers": hostile.status_csv(
            folder / "numbers.csv",
            [
                ["00004", "1,000", 0, 0, "hoạt động", "“1,000”"],
                ["00008", "2,500", 0, 0, "hoạt động", "“2,500”"],
                ["00025", "1.000", 0, 0, "hoạt động", "“1.000”"],
                ["00070", "1e308", 0, 0, "hoạt động", "“1e308”"],
                ["00082", "99999999999999999999", 0, 0, "hoạt động", "20 digits"],
                ["00091", "3000000000", 0, 0, "hoạt động", "over INTEGER"],
            ],
        ),
        "tiny_convert": hostile.write_xlsx(folder / "tiny.xlsx", hostile.sheet_xml(hostile.CONVERT_ROWS)),
        "tiny_status": hostile.status_csv(folder / "tiny.csv", [["00004", 10, 5, 1, "hoạt động", ""]]),
        "long_cell": hostile.long_cell(folder / "long-cell.xlsx"),
        "sniffer_trap": hostile.sniffer_trap(folder / "trap.csv"),
        "amplified": hostile.amplified_shared_string(folder / "amplified.xlsx"),
    }
    assert made["deflate_bomb"].stat().st_size < 5 * 1024 * 1024
    assert made["lying_dimension"].stat().st_size < 5 * 1024
    return made


# ---------------------------------------------------------------------- the reader, in process
def test_lying_dimension_is_ignored(files):
    grid = read_grid(files["lying_dimension"].read_bytes(), "dimension.xlsx")
    assert grid.cells.shape == (4, 2)
    assert grid.cells.iloc[1].tolist() == ["00001", "Phúc Xá"]


@pytest.mark.parametrize(
    ("key", "variable"),
    [
        ("deflate_bomb", "VNMAP_MAX_UNCOMPRESSED_BYTES"),
        ("16384_columns", "VNMAP_MAX_COLUMNS"),
        ("1000000_rows", "VNMAP_MAX_ROWS"),
        ("1000000_rows_csv", "VNMAP_MAX_ROWS"),
    ],
)
def test_over_a_limit_is_refused_naming_it(files, key, variable):
    with pytest.raises(LimitError, match=variable) as caught:
        read_grid(files[key].read_bytes(), files[key].name)
    assert "vượt giới hạn" in str(caught.value) and "/tmp" not in str(caught.value)


def test_limits_come_from_the_environment():
    limits = ReadLimits.from_env({"VNMAP_MAX_ROWS": "10", "VNMAP_MAX_COLUMNS": " ", "VNMAP_MAX_SECONDS": "0.5"})
    assert (limits.max_rows, limits.max_columns, limits.max_seconds) == (10, ReadLimits().max_columns, 0.5)
    with pytest.raises(SettingError, match="VNMAP_MAX_COLUMNS='x'.*số nguyên dương"):  # not silently the default
        ReadLimits.from_env({"VNMAP_MAX_COLUMNS": "x"})
    data = b"a,b\n" + b"1,2\n" * 20
    with pytest.raises(LimitError, match="10 dòng"):
        read_grid(data, "x.csv", limits=limits)
    with pytest.raises(LimitError, match="VNMAP_MAX_FILE_BYTES"):
        read_grid(data, "x.csv", limits=ReadLimits(max_bytes=10))


def test_the_time_budget_says_so():
    deadline = sheets.Deadline(ReadLimits(max_seconds=0.001), what="chuyển đổi")
    import time

    time.sleep(0.01)
    with pytest.raises(LimitError, match="quá thời gian cho phép"):
        deadline.check("x.csv")


def test_formulas_without_values_get_their_own_message(files):
    with pytest.raises(SheetError, match="công thức nhưng chưa có giá trị đã tính") as caught:
        read_grid(files["formulas"].read_bytes(), "formulas.xlsx")
    assert "B2" in str(caught.value) and "B3" in str(caught.value)


def test_html_saved_as_xls_is_named(files):
    with pytest.raises(SheetError, match="trang web \\(HTML\\) được lưu với đuôi .xls"):
        read_grid(files["html_as_xls"].read_bytes(), "report.xls")


def test_two_row_merged_header_is_recognised(files):
    sheet = importer.read_sheet(files["merged_header"])
    mapping = importer.guess_mapping(list(sheet.frame.columns))
    assert {"commune_code", "tasks_total", "tasks_done", "tasks_overdue", "centre_state"} <= set(mapping.columns)
    assert sheet.frame.iloc[0].tolist()[:4] == ["00004", "10", "5", "1"]


def test_excel_serial_dates_keep_working(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Mã xã", "Ngày báo cáo"])
    book.active.append(["00004", dt.datetime(2025, 11, 20, 15, 30)])
    book.save(tmp_path / "d.xlsx")
    grid = read_grid((tmp_path / "d.xlsx").read_bytes(), "d.xlsx")
    assert grid.cells.iloc[1, 1] == "2025-11-20 15:30:00"


# ---------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("text", "value"),
    [("1,000", 1000), ("2,500", 2500), ("1.000", 1000), ("1 000", 1000), ("1.000.000", 1_000_000), ("7", 7)],
)
def test_thousands_in_both_conventions(text, value):
    assert parse.parse_count(text) == (value, None)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1e308", "không phải là số"),
        ("99999999999999999999", "quá lớn"),
        ("3000000000", "quá lớn"),
        ("1,5", "không phải số nguyên"),
        ("1.000,5", "không phải là số"),
        ("-5", "số âm"),
    ],
)
def test_other_number_forms_are_refused(text, problem):
    value, error = parse.parse_count(text)
    assert value is None and problem in error


def _pg_urls():
    urls = ["sqlite"]
    if os.environ.get("VNMAP_TEST_PG_URL"):
        urls.append(os.environ["VNMAP_TEST_PG_URL"])
    return urls


@pytest.fixture(params=_pg_urls())
def store(request, tmp_path):
    url = f"sqlite:///{tmp_path / 's.sqlite'}" if request.param == "sqlite" else request.param
    store = StatusStore(url)
    yield store
    store.close()
    if request.param != "sqlite":
        emptied_pg(request.param)  # every table of the store, revocations and intake claims included


@pytest.fixture(scope="module")
def resolver():
    from lib.lookup.resolve import UnitResolver

    return UnitResolver.from_geodata(Path("geodata"))


def test_numbers_are_stored_as_read_or_refused_before_commit(files, store, resolver):
    as_of = importer.parse_time(AS_OF)
    report, batch = importer.import_file(store, files["numbers"], resolver, imported_by="t", as_of=as_of)
    assert batch is not None
    stored = store.state_as_of(pd.Timestamp("2025-11-21", tz="Asia/Ho_Chi_Minh"))
    totals = dict(zip(stored["unit_code"], stored["tasks_total"], strict=True))
    assert totals == {"00004": 1000, "00008": 2500, "00025": 1000}
    assert report.counts["invalid"] == 3


def test_importer_name_and_same_file_twice(files, store, resolver):
    as_of = importer.parse_time(AS_OF)
    report, _ = importer.import_file(store, files["tiny_status"], resolver, imported_by="t", as_of=as_of, dry_run=True)
    with pytest.raises(SheetError, match="tối đa 200 ký tự"):
        importer.commit(store, report, imported_by="x" * 201)
    importer.commit(store, report, imported_by="y" * 200)
    with pytest.raises(importer.AlreadyImported, match="đã được nhập ở lô"):
        importer.commit(store, report, imported_by="t")
    assert importer.commit(store, report, imported_by="t", force=True)


# ---------------------------------------------------------------------- the command line, measured
@pytest.fixture(scope="module")
def baselines(files, tmp_path_factory):
    """Peak RSS of the same commands on a tiny valid file: the growth a hostile file may add is measured from it."""
    out = tmp_path_factory.mktemp("out")
    db = f"sqlite:///{out / 'base.sqlite'}"
    convert = hostile.measure("convert", str(files["tiny_convert"]), "--out", str(out / "o.csv"))
    ingest = hostile.measure("ingest", str(files["tiny_status"]), "--as-of", AS_OF, "--db", db, "--dry-run")
    assert convert["rc"] == 0 and ingest["rc"] == 0, (convert["stderr"], ingest["stderr"])
    return {"convert": convert["peak_kb"], "ingest": ingest["peak_kb"]}


CLI_CASES = [
    ("lying_dimension", "convert", 0, "match rate: 100.0%"),
    ("deflate_bomb", "convert", 2, "VNMAP_MAX_UNCOMPRESSED_BYTES"),
    ("deflate_bomb", "ingest", 2, "VNMAP_MAX_UNCOMPRESSED_BYTES"),
    ("16384_columns", "convert", 2, "VNMAP_MAX_COLUMNS"),
    ("1000000_rows", "convert", 2, "VNMAP_MAX_ROWS"),
    ("1000000_rows", "ingest", 2, "VNMAP_MAX_ROWS"),
    ("1000000_rows_csv", "convert", 2, "VNMAP_MAX_ROWS"),
    ("formulas", "ingest", 2, "chưa có giá trị đã tính"),
    ("merged_header", "ingest", 0, "Đã ghi lô"),
    ("html_as_xls", "convert", 2, "trang web (HTML)"),
    ("html_as_xls", "ingest", 2, "trang web (HTML)"),
    ("numbers", "ingest", 0, "quá lớn"),
    ("long_cell", "convert", 2, "VNMAP_MAX_CELL_CHARS"),
    ("long_cell", "ingest", 2, "VNMAP_MAX_CELL_CHARS"),
    ("sniffer_trap", "convert", 2, "VNMAP_MAX_COLUMNS"),
    ("sniffer_trap", "ingest", 2, "VNMAP_MAX_COLUMNS"),
    ("amplified", "ingest", 2, "VNMAP_MAX_CELL_CHARS"),
]


@pytest.mark.parametrize(("key", "command", "rc", "said"), CLI_CASES, ids=[f"{c[1]}-{c[0]}" for c in CLI_CASES])
def test_hostile_file_through_the_cli_is_bounded(files, baselines, tmp_path, key, command, rc, said):
    if command == "convert":
        run = hostile.measure("convert", str(files[key]), "--out", str(tmp_path / "out.csv"))
    else:
        db = f"sqlite:///{tmp_path / 's.sqlite'}"
        run = hostile.measure("ingest", str(files[key]), "--as-of", AS_OF, "--db", db)
    growth_mb = (run["peak_kb"] - baselines[command]) / 1024
    print(
        f"\nMEASURED {command} {key}: rc={run['rc']} {run['seconds']:.1f} s, peak {run['peak_kb'] / 1024:.0f} MB "
        f"(baseline {baselines[command] / 1024:.0f} MB, growth {growth_mb:+.0f} MB)"
    )
    assert run["rc"] == rc, run["stderr"]
    assert said in run["stdout"] + run["stderr"]
    assert "Traceback" not in run["stderr"]
    assert run["seconds"] < SECONDS
    assert growth_mb < GROWTH_MB


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--as-of", "0001-01-01"],
        ["brief", "--province", "01", "--as-of", "0001-01-01", "--out", "/tmp/never.pdf"],
        ["map", "--as-of", "0001-01-01", "--out", "/tmp/never.png"],
        ["ingest", "x.csv", "--as-of", "0001-01-01"],
        ["ingest", "x.csv", "--map", "tasks_total"],
        ["ingest", "missing.csv"],
        ["convert", "missing.csv", "--out", "x.csv"],
        ["convert", "x.csv", "--out", "x.txt"],
        ["map", "--db", "sqlite:////typo-vnmap-dir/x.sqlite", "--out", "/tmp/never.png"],
        ["brief", "--province", "01", "--db", "notaurl.sqlite", "--out", "/tmp/never.pdf"],
    ],
)
def test_cli_bad_arguments_are_one_line_errors(args, tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lib.cli",
            *args,
            *(["--db", str(tmp_path / "s.sqlite")] if args[0] == "status" else []),
        ],
        capture_output=True,
        text=True,
        cwd=hostile.ROOT,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.strip()


def test_cli_db_that_is_not_a_database(tmp_path, files):
    import subprocess
    import sys

    (tmp_path / "notdb.sqlite").write_text("hello")
    done = subprocess.run(
        [sys.executable, "-m", "lib.cli", "ingest", str(files["tiny_status"]), "--db", str(tmp_path / "notdb.sqlite")],
        capture_output=True,
        text=True,
        cwd=hostile.ROOT,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------------- injection
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-1+1", "@SUM(A1)", "\tx", "\r=1"]


def test_neutralise_cells():
    for text in FORMULAS:
        assert neutralise_cell(text) == "'" + text
    for kept in ("-5", "+3", "1.5", "-2,5", "Phúc Xá", -5, 3.5):
        assert neutralise_cell(kept) == kept


def _csv_cells(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_export_csv_neutralises_and_keeps_numbers():
    table = pd.DataFrame({"old_code": ["00001"] * 6, "note": FORMULAS, "n": [-5, 1, 2, 3, 4, 5]})
    cells = _csv_cells(csv_bytes(table, ExportInfo("v", dt.date(2025, 11, 20))))
    assert all(v.startswith("'") for v in cells["note"]) and cells["n"].iloc[0] == "-5"


def test_status_csv_download_and_cli_neutralise(files, resolver, tmp_path):
    store = StatusStore(f"sqlite:///{tmp_path / 's.sqlite'}")
    path = tmp_path / "evil.csv"
    quoted = '"' + FORMULAS[0].replace('"', '""') + '"'
    path.write_text(
        "Mã xã,Tổng số nhiệm vụ,Đã hoàn thành,Quá hạn,Còn thiếu,Ghi chú\n" + f"00004,10,5,1,{quoted},{quoted}\n",
        encoding="utf-8",
    )
    importer.import_file(store, path, resolver, imported_by="t", as_of=importer.parse_time(AS_OF))
    from lib.data import geodata

    frame = status.export_frame(store, as_of=None, crosswalk=geodata.load_crosswalk())
    page_csv = status.to_csv_bytes(frame)  # the bytes of "Tải CSV theo xã"
    assert b"\n=HYPERLINK" not in page_csv and b",=HYPERLINK" not in page_csv and b"'=HYPERLINK" in page_csv
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "lib.cli", "status", "--format", "csv", "--db", str(tmp_path / "s.sqlite")],
        capture_output=True,
        cwd=hostile.ROOT,
    )
    assert b"'=HYPERLINK" in done.stdout and b",=HYPERLINK" not in done.stdout


def test_convert_csv_neutralises(tmp_path):
    import subprocess
    import sys

    src = tmp_path / "list.csv"
    src.write_text("Mã xã,Ghi chú,Số\n00001,=1+1,-5\n00004,@SUM(A1),7\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "lib.cli", "convert", str(src), "--out", str(tmp_path / "o.csv")],
        check=True,
        capture_output=True,
        cwd=hostile.ROOT,
    )
    cells = _csv_cells((tmp_path / "o.csv").read_bytes())
    assert cells["Ghi chú"].tolist() == ["'=1+1", "'@SUM(A1)"] and cells["Số"].tolist() == ["-5", "7"]


LINK = "[Bấm để cập nhật](https://evil.example/x)"
IMAGE = "![x](https://evil.example/p.png)"
LIVE = re.compile(r"(?<!\\)\]\((?!\\)|(?<!\\)<img|(?<!\\)<a ", re.I)


@pytest.mark.parametrize("payload", [LINK, IMAGE])
@pytest.mark.parametrize("param", ["province", "level", "mode", "unit", "old", "layers", "date"])
def test_markdown_in_every_url_parameter_is_shown_as_text(param, payload):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params[param] = payload
    at.run()
    assert not at.exception
    shown = [w.value for w in at.warning]
    assert shown, f"{param}: no warning"
    assert not any(LIVE.search(text) for text in shown), shown


def test_url_date_out_of_range_is_a_message():
    view, messages = urlstate.parse_view({"date": "0001-01-01"}, provinces={}, communes={})
    assert view.date is None and "trước 01/07/2025" in messages[0]


def test_search_is_capped():
    import time

    from lib.lookup.search import SearchIndex
    from tests.test_search import _read

    index = SearchIndex.from_tables(_read("crosswalk.csv"), _read("new_communes.csv"), _read("new_provinces.csv"))
    start = time.process_time()
    index.search("phúc xá, " * 20_000)  # 180 KB
    assert time.process_time() - start < 2
    assert MAX_QUERY == 200


def test_password_slows_down_then_locks_out(caplog):
    now = [0.0]
    guard = signin.PasswordGuard(clock=lambda: now[0])
    keys = ["session a", "address 10.0.0.1"]
    for _ in range(signin.LOCKOUT_FREE):
        assert guard.check("wrong", "secret", keys)[0] is False
    accepted, message = guard.check("secret", "secret", keys)
    assert not accepted and "thử lại sau" in message  # must wait, even with the right password
    for _ in range(signin.LOCKOUT_AFTER):
        now[0] += 61
        guard.check("wrong", "secret", keys)
    now[0] += 61
    accepted, message = guard.check("secret", "secret", ["session b", "address 10.0.0.1"])
    assert not accepted and "khoá" in message  # the address is locked for every session
    now[0] += signin.LOCKOUT_SECONDS + 1
    assert guard.check("secret", "secret", ["session b", "address 10.0.0.1"])[0]
    assert "secret" not in caplog.text and "wrong" not in caplog.text and "refused" in caplog.text


# ---------------------------------------------------------------------- the pages
@pytest.fixture(autouse=True)
def _fresh_password_guard():
    """AppTest sessions share one id and the guard is process-wide: start and leave it empty."""
    from lib.ui import cache

    cache.password_guard.clear()
    yield
    cache.password_guard.clear()


def _status_page(monkeypatch, tmp_path):
    from tests.test_importer import _page, _seeded_store

    db = tmp_path / "s.sqlite"
    _seeded_store(db)
    return _page(monkeypatch, db, "pw"), db


def test_status_page_slows_down_wrong_passwords(monkeypatch, tmp_path):
    at, _ = _status_page(monkeypatch, tmp_path)
    for attempt in range(signin.LOCKOUT_FREE):
        at.text_input(key="status_password").input(f"sai{attempt}").run()
    assert any("Sai mật khẩu" in e.value for e in at.error)
    at.text_input(key="status_password").input("pw").run()  # right, but too soon after three failures
    assert any("thử lại sau" in e.value for e in at.error) and not at.file_uploader


def test_status_page_refuses_the_same_file_twice_unless_confirmed(monkeypatch, tmp_path):
    at, db = _status_page(monkeypatch, tmp_path)
    at.text_input(key="status_password").input("pw").run()
    at.text_input(key="status_who").input("Sở Nội vụ").run()
    data = "Mã xã,Tổng số nhiệm vụ,Đã hoàn thành,Quá hạn,Ngày\n00008,10,4,1,20/11/2025 15:00\n".encode()
    at.file_uploader(key="status_file").upload("bc.csv", data, "text/csv").run()
    at.button(key="status_commit").click().run()
    assert any("Đã ghi lô" in s.value for s in at.success)
    at.file_uploader(key="status_file").upload("bc-copy.csv", data, "text/csv").run()
    assert any("đã được nhập ở lô" in w.value for w in at.warning)
    assert at.button(key="status_commit").disabled
    at.checkbox(key="status_force").check().run()
    at.button(key="status_commit").click().run()
    assert not at.exception
    assert len(StatusStore(db).batches()) == 3  # the seed, the file, the confirmed copy


def test_page_upload_of_a_hostile_file_shows_a_message(monkeypatch, tmp_path, files):
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("views/lookup.py").run()
    for key, said in (("deflate_bomb", "VNMAP"), ("html_as_xls", "trang web"), ("formulas", "công thức")):
        name = f"[x](https://evil.example)<img src=x>{files[key].suffix}"
        at.file_uploader(key="lookup_upload").upload(name, files[key].read_bytes(), "application/octet-stream").run()
        assert not at.exception
        errors = [e.value for e in at.error]
        assert errors and said in errors[0].replace("\\", ""), errors
        assert not LIVE.search(errors[0])


def test_legacy_encoding_is_refused_by_convert(tmp_path):
    import subprocess
    import sys

    src = tmp_path / "tcvn3.csv"
    src.write_bytes(
        "Mã xã,Tên xã\n00001,Phúc Xá\n".encode().replace("ú".encode(), b"\xf3").replace("á".encode(), b"\xb8")
    )
    done = subprocess.run(
        [sys.executable, "-m", "lib.cli", "convert", str(src), "--out", str(tmp_path / "o.csv")],
        capture_output=True,
        text=True,
        cwd=hostile.ROOT,
    )
    assert done.returncode == 2 and "UTF-8" in done.stderr and "Traceback" not in done.stderr


def test_data_page_layer_messages_are_vietnamese_without_paths():
    from lib.data.validate import LayerError
    from lib.io.layers import layer_fields

    with pytest.raises(LayerError) as caught:
        layer_fields(b"not a layer at all", "ranh-gioi.geojson")
    text = " ".join(caught.value.problems)
    assert "không đọc được" in text and "/tmp" not in text and "ranh-gioi.geojson" in text
