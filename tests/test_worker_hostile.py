"""Untrusted files read in a bounded worker (issue 20): the worker's own limits (memory, CPU, wall time), the
costs the first round of limits did not name (characters per cell, row and file, shared strings), the CSV
separator decided without backtracking, notes bounded before they reach the store, user text drawn literally
by matplotlib, and one Vietnamese line with a reference for an unexpected error."""

from __future__ import annotations

import logging
import multiprocessing
import resource
import time

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib.io import sandbox, sheets
from lib.io.sheets import LimitError, ReadLimits, SheetError, read_grid
from lib.lookup.convert import convert_file
from lib.status import importer
from lib.status.store import StatusStore
from tests import hostile

GROWTH_MB = 300


@pytest.fixture(scope="module")
def resolver():
    from lib.lookup.resolve import UnitResolver

    return UnitResolver.from_geodata()


# ---------------------------------------------------------------------- functions run in the worker
def allocate(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)
    return len(block)


def spin() -> None:
    while True:
        pass


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _readers_alive() -> list:
    return [p for p in multiprocessing.active_children() if p.name == sandbox.WORKER_NAME]


# ---------------------------------------------------------------------- the worker's limits
def test_worker_returns_plain_data_and_raises_the_readers_own_errors():
    grid = read_grid("Mã xã;Tên xã\n00001;Phúc Xá\n".encode(), "a.csv")
    assert grid.cells.values.tolist() == [["Mã xã", "Tên xã"], ["00001", "Phúc Xá"]]
    with pytest.raises(SheetError, match="tệp rỗng"):
        read_grid(b"   ", "rong.csv")
    assert not _readers_alive()


def test_worker_memory_limit_is_named():
    limits = ReadLimits(worker_memory=200 * 1024 * 1024)
    assert sandbox.run_bounded(allocate, 50, name="nho.xlsx", limits=limits) == 50 * 1024 * 1024
    before = _peak_mb()
    with pytest.raises(sandbox.WorkerError, match="VNMAP_WORKER_MEMORY_MB") as caught:
        sandbox.run_bounded(allocate, 2048, name="lon.xlsx", limits=limits)
    assert caught.value.args[0].startswith("lon.xlsx: ")
    assert _peak_mb() - before < GROWTH_MB  # the 2 GB were asked of the worker, not of this process
    assert not _readers_alive()


def test_worker_cpu_limit_ends_a_spinning_reader():
    start = time.monotonic()
    with pytest.raises(sandbox.WorkerError, match="VNMAP_WORKER_CPU_SECONDS"):
        sandbox.run_bounded(spin, name="vong-lap.gpkg", limits=ReadLimits(worker_cpu_seconds=1, max_seconds=120))
    assert time.monotonic() - start < 120  # ended by its CPU limit, long before the wall-clock one
    assert not _readers_alive()


def test_worker_wall_time_kills_a_reader_that_waits():
    with pytest.raises(sandbox.WorkerError, match="VNMAP_MAX_SECONDS"):
        sandbox.run_bounded(sleep, 600, name="cham.csv", limits=ReadLimits(max_seconds=1))
    assert not _readers_alive()


# ---------------------------------------------------------------------- what the first limits did not name
def test_a_90_million_character_cell_is_refused_by_its_own_limit(tmp_path):
    path = hostile.long_cell(tmp_path / "o-dai.xlsx")
    assert path.stat().st_size < 200 * 1024  # a small file …
    before = _peak_mb()
    for read in (
        lambda: read_grid(path.read_bytes(), path.name),
        lambda: convert_file(path.read_bytes(), path.name, lambda: pytest.fail("no converter for a refused file")),
        lambda: importer.read_sheet(path),
    ):
        with pytest.raises(LimitError, match="VNMAP_MAX_CELL_CHARS") as caught:
            read()
        assert "ô A1" in str(caught.value) and "32.767 ký tự" in str(caught.value)
    assert _peak_mb() - before < GROWTH_MB  # … that inflates to 90 MB of text, never in this process


def test_csv_cells_rows_and_file_text_are_bounded():
    limits = ReadLimits(max_cell_chars=10, max_row_chars=25, max_text_chars=60)
    with pytest.raises(LimitError, match="VNMAP_MAX_CELL_CHARS"):
        read_grid(b"a,b\n1," + b"x" * 11 + b"\n", "o.csv", limits=limits)
    with pytest.raises(LimitError, match="dòng 2 .*VNMAP_MAX_ROW_CHARS"):
        read_grid(b"a,b,c\n" + b"x" * 9 + b"," + b"y" * 9 + b"," + b"z" * 9 + b"\n", "dong.csv", limits=limits)
    with pytest.raises(LimitError, match="VNMAP_MAX_TEXT_CHARS"):
        read_grid(b"a,b\n" + b"1234567,1234567\n" * 5, "tong.csv", limits=limits)
    assert read_grid(b"a,b\n" + b"1234567,1234567\n" * 3, "vua.csv", limits=limits).cells.shape == (4, 2)


def test_xlsx_rows_and_shared_strings_are_bounded(tmp_path):
    rows = [["Mã xã", "Ghi chú"], *[[f"{i:05d}", "n" * 20] for i in range(1, 6)]]
    path = hostile.write_xlsx(tmp_path / "x.xlsx", hostile.sheet_xml(rows))
    with pytest.raises(LimitError, match="dòng 2 .*VNMAP_MAX_ROW_CHARS"):
        read_grid(path.read_bytes(), path.name, limits=ReadLimits(max_row_chars=24))
    with pytest.raises(LimitError, match="VNMAP_MAX_TEXT_CHARS"):
        read_grid(path.read_bytes(), path.name, limits=ReadLimits(max_text_chars=100))
    amplified = hostile.amplified_shared_string(tmp_path / "a.xlsx", rows=10, chars=100)
    data = amplified.read_bytes()
    assert read_grid(data, "a.xlsx").cells.iloc[1, 5] == "N" * 100
    # ten cells pointing at one string of 100 characters count 1,000 characters of text, not 100
    with pytest.raises(LimitError, match="VNMAP_MAX_TEXT_CHARS"):
        read_grid(data, "a.xlsx", limits=ReadLimits(max_text_chars=900))
    with pytest.raises(LimitError, match="VNMAP_MAX_SHARED_STRINGS"):
        read_grid(data, "a.xlsx", limits=ReadLimits(max_shared_strings=0))


def test_the_amplified_shared_string_is_refused(tmp_path):
    path = hostile.amplified_shared_string(tmp_path / "khuech-dai.xlsx")
    assert path.stat().st_size < 16 * 1024
    with pytest.raises(LimitError, match="chuỗi chữ dùng chung số 1 .*VNMAP_MAX_CELL_CHARS"):
        read_grid(path.read_bytes(), path.name)


def test_notes_are_bounded_before_the_store(tmp_path, resolver):
    """Within the cell limit, 126 notes of 30,000 characters are still refused row by row: nothing is stored."""
    path = hostile.amplified_shared_string(tmp_path / "ghi-chu.xlsx", chars=30_000)
    store = StatusStore(f"sqlite:///{tmp_path / 's.sqlite'}")
    report, batch = importer.import_file(
        store, path, resolver, imported_by="t", as_of=pd.Timestamp("2025-11-20 15:00", tz="Asia/Ho_Chi_Minh")
    )
    assert batch is None and not report.ok and store.is_empty()
    notes = [issue for issue in report.issues if issue.message.startswith("ghi chú dài")]
    assert {issue.message for issue in notes} == {"ghi chú dài 30.000 ký tự, quá 2.000 ký tự — hãy rút gọn"}
    assert sorted(issue.row for issue in notes) == list(range(2, 128))


def test_quoted_cells_in_row_messages_are_cut(tmp_path, resolver):
    sheet = hostile.status_csv(tmp_path / "q.csv", [["00004", "9" * 5 + "x" * 5000, 0, 0, "hoạt động", ""]])
    store = StatusStore(f"sqlite:///{tmp_path / 's.sqlite'}")
    report, _ = importer.import_file(store, sheet, resolver, imported_by="t", as_of=importer.parse_time("20/11/2025"))
    assert report.issues and all(len(issue.message) < 400 for issue in report.issues)


# ---------------------------------------------------------------------- the CSV separator, without backtracking
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mã xã,Tên xã\n00001,Phúc Xá\n", ","),
        ("Mã xã;Tên xã;Huyện\n00001;Phúc Xá;Ba Đình\n", ";"),
        ("Mã xã\tTên xã\n00001\tPhúc Xá\n", "\t"),
        ("Mã xã|Tên xã\n00001|Phúc Xá\n", "|"),
        ('"Tên, đầy đủ";Mã\n"Phúc Xá, Ba Đình";00001\n', ";"),  # commas inside quotes do not count
        ("Mã xã;Ghi chú\n00001;a, b, c\n00004;d, e\n", ";"),  # the count that holds on every line wins
        ("Mã xã\n00001\n", ","),
        ("", ","),
    ],
)
def test_the_separator_rule(text, expected):
    assert sheets.delimiter(text) == expected


def test_the_sniffer_trap_is_answered_by_a_limit_not_by_the_cpu(tmp_path):
    """64 KB of `,"`: csv.Sniffer backtracked ~20 s on it; the linear rule reads it at once (and a CPU limit of
    a few seconds, which the sniffer would have hit, is not reached)."""
    path = hostile.sniffer_trap(tmp_path / "bay.csv")
    assert sheets.delimiter(path.read_text()) == ","
    with pytest.raises(SheetError) as caught:
        read_grid(path.read_bytes(), path.name, limits=ReadLimits(worker_cpu_seconds=3))
    assert "VNMAP_MAX_COLUMNS" in str(caught.value)
    assert "VNMAP_WORKER_CPU_SECONDS" not in str(caught.value)


# ---------------------------------------------------------------------- user text drawn literally
TEX = r"$\frac{1}{0}$ và $\undefinedcommand{x}$"


def test_brief_and_static_map_draw_tex_like_text_literally(tmp_path, small_inputs, pdf_text):
    from lib.maps import brief, static
    from lib.maps.urlstate import ViewState

    inputs = small_inputs(tmp_path)
    reporting = inputs.status.index[inputs.status["code"] == "00001"]
    inputs.status.loc[reporting, "gaps"] = TEX
    inputs.status.loc[reporting, "centre_class"] = "gaps"
    inputs.communes.loc[inputs.communes["code"] == "00001", "name"] = "Ba Đình $\\alpha$"
    out = brief.render_brief("01", inputs, tmp_path / "brief.pdf")
    _, text = pdf_text(out)
    assert r"\frac{1}{0}" in text
    png = static.render_map(ViewState(province="01", level="commune"), inputs, tmp_path / "map.png")
    assert png.stat().st_size > 0


# ---------------------------------------------------------------------- an unexpected error
def _page_that_fails():
    from lib.ui import widgets

    class Page:
        url_path = "hong"

        def run(self):
            raise KeyError(None)

    widgets.run_page(Page())


def test_unexpected_error_is_one_vietnamese_line_with_a_logged_reference(monkeypatch, caplog):
    monkeypatch.setenv("VNMAP_RERAISE_ERRORS", "0")
    with caplog.at_level(logging.ERROR, logger="vnmap.app"):
        at = AppTest.from_function(_page_that_fails).run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert "lỗi ngoài dự kiến" in error and "KeyError" not in error and "/" not in error.split("(")[0]
    reference = error.split("mã tham chiếu ")[1].split(")")[0]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and logged[0].exc_info and logged[0].exc_info[0] is KeyError


# ---------------------------------------------------------------------- readers at once, and a refusal remembered
def test_readers_at_once_are_bounded_and_a_caller_waits_for_a_slot():
    import threading

    first = threading.Thread(
        target=sandbox.run_bounded, args=(sleep, 3), kwargs={"limits": ReadLimits(max_workers=1, max_seconds=60)}
    )
    first.start()
    slots = sandbox._worker_slots(ReadLimits(max_workers=1))
    while slots._value:  # wait until the first reader holds the one slot (state, not a pause)
        time.sleep(0.01)
    with pytest.raises(sandbox.WorkerError, match="VNMAP_MAX_WORKERS"):
        sandbox.run_bounded(sleep, 0, name="thu-hai.csv", limits=ReadLimits(max_workers=1, max_seconds=0.5))
    first.join()
    assert sandbox.run_bounded(allocate, 1, limits=ReadLimits(max_workers=1)) == 1024 * 1024  # the slot is free again


def test_the_same_refused_file_is_answered_without_another_worker(tmp_path, monkeypatch):
    data = hostile.long_cell(tmp_path / "o-dai.xlsx", chars=100_000).read_bytes()
    with pytest.raises(LimitError, match="VNMAP_MAX_CELL_CHARS") as first:
        read_grid(data, "o-dai.xlsx")

    def no_worker(*args):
        raise RuntimeError("a worker was started again")

    monkeypatch.setattr(sandbox, "_run", no_worker)
    with pytest.raises(LimitError, match="VNMAP_MAX_CELL_CHARS") as again:
        read_grid(data, "o-dai.xlsx")
    assert str(again.value) == str(first.value)
    with pytest.raises(RuntimeError, match="a worker was started again"):  # other limits: read again
        read_grid(data, "o-dai.xlsx", limits=ReadLimits(max_cell_chars=200_000))
