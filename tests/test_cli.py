"""Command-line errors: one line on stderr and an exit code, never a traceback."""

import sqlite3

import pytest

from lib import cli


@pytest.fixture
def sheet(tmp_path):
    path = tmp_path / "report.csv"
    path.write_text("Tỉnh,Xã,Tổng số nhiệm vụ,Đã hoàn thành,Quá hạn\nHà Nội,Ba Đình,10,8,1\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "value, message",
    [
        ("tasks_total", "không đúng dạng TRƯỜNG=CỘT"),
        ("=Tổng", "không đúng dạng TRƯỜNG=CỘT"),
        ("tasks_total=", "không đúng dạng TRƯỜNG=CỘT"),
        ("nhiem_vu=Tổng", "trường “nhiem_vu” không tồn tại"),
    ],
)
def test_bad_ingest_map_is_a_usage_error(sheet, tmp_path, capsys, value, message):
    db = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    with pytest.raises(SystemExit) as exited:
        cli.main(["ingest", str(sheet), "--db", db, "--as-of", "20/11/2025", "--map", value])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "error: argument --map:" in err and message in err and "Traceback" not in err
    assert not (tmp_path / "cli.sqlite").exists()  # nothing opened, nothing written


def test_good_ingest_map_is_a_pair():
    assert cli._field_column(" tasks_total = Tổng số nhiệm vụ ") == ("tasks_total", "Tổng số nhiệm vụ")


@pytest.mark.dataset
def test_status_on_a_file_that_is_not_a_database(tmp_path, capsys):
    notes = tmp_path / "notes.sqlite"
    notes.write_text("this is not a database\n" * 100, encoding="utf-8")
    assert cli.main(["status", "--db", str(notes)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Không mở được cơ sở dữ liệu" in err and "not a database" in err


@pytest.mark.dataset
def test_status_on_an_unknown_database_driver(capsys):
    assert cli.main(["status", "--db", "nosuchdb://host/name"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "trình điều khiển" in err


@pytest.mark.dataset
def test_status_with_a_missing_table(tmp_path, capsys, monkeypatch):
    """A table that vanishes (or cannot be read) after the store opened is reported in one line."""
    from lib.status import store as store_module

    path = tmp_path / "status.sqlite"
    real_init = store_module.StatusStore.__init__

    def init_then_drop(self, url=None):
        real_init(self, url)
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TABLE status_report")

    monkeypatch.setattr(store_module.StatusStore, "__init__", init_then_drop)
    assert cli.main(["status", "--db", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Không đọc được kho trạng thái" in err and "status_report" in err
