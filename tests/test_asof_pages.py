"""Units as of a date through the URL, the map panel, the lookup page and the command line; the
amendment fast path end to end (amendment → apply-amendments → the app shows the new name)."""

import datetime as dt
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from lib.assemble.changes import AMENDMENT_COLUMNS
from lib.maps import urlstate
from lib.maps.urlstate import ViewState

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
BAC_NINH = ["07294", "09193", "09496"]  # three of the twelve communes of 388/NQ-UBTVQH16


def parse(**params):
    return urlstate.parse_view(params, provinces={"01", "24"}, communes={"07294"}, today=dt.date(2026, 11, 30))


def test_url_on_parameter():
    view, messages = parse(on="2026-01-01")
    assert view.on == dt.date(2026, 1, 1) and not messages
    assert urlstate.to_params(view) == {"on": "2026-01-01"}
    assert urlstate.to_params(ViewState()) == {}
    for bad in ("2025-06-30", "01/01/2026"):
        view, messages = parse(on=bad)
        assert view.on is None and len(messages) == 1


def open_map(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


@pytest.mark.parametrize(
    "on, title, basis",
    [
        ("2026-01-01", "Xã Bố Hạ", "Căn cứ: 1658/NQ-UBTVQH15 ngày 16/06/2025"),
        ("2026-08-04", "Phường Bố Hạ", "Căn cứ: 388/NQ-UBTVQH16 ngày 04/08/2026"),
    ],
)
def test_map_panel_shows_the_unit_as_of_the_date(on, title, basis):
    at = open_map(province="24", mode="merge", unit="07294", on=on)
    assert not at.exception
    assert at.date_input(key="map_on").value == dt.date.fromisoformat(on)
    assert any(h.value == title for h in at.subheader)
    assert any(c.value.replace("\\", "").startswith(basis) for c in at.caption)


def test_lookup_page_names_as_of_the_date():
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("views/lookup.py").run()
    at.date_input(key="lookup_on").set_value(dt.date(2026, 1, 1)).run()
    at.text_input(key="lookup_query").set_value("09193").run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert set(frame.loc[frame["new_code"] == "09193", "new_name"]) == {"Xã Yên Phong"}
    assert set(frame.loc[frame["new_code"] == "09193", "new_legal_basis"]) == {"1658/NQ-UBTVQH15"}


def cli(*args: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lib.cli", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


@pytest.mark.parametrize("on, expected", [("2026-01-01", "Xã"), ("2026-08-04", "Phường")])
def test_cli_export_on_a_date(tmp_path, on, expected):
    out = tmp_path / "bn.csv"
    result = cli("export", "crosswalk", "--province", "24", "--format", "csv", "--out", str(out), "--on", on)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    rows = table[table["new_code"].isin(BAC_NINH)]
    assert set(rows["new_type"]) == {expected}
    assert rows["new_name"].str.startswith(expected + " ").all()
    basis = "388/NQ-UBTVQH16" if expected == "Phường" else "1658/NQ-UBTVQH15"
    assert set(rows["new_legal_basis"]) == {basis}


def test_cli_refuses_a_date_before_the_reform(tmp_path):
    result = cli("export", "crosswalk", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--on", "2025-06-30")
    assert result.returncode == 2
    assert "trước 01/07/2025" in result.stderr


@pytest.mark.parametrize("on, expected", [("2026-01-01", "Xã Bố Hạ"), ("2026-08-04", "Phường Bố Hạ")])
def test_cli_status_on_a_date(tmp_path, on, expected):
    out = tmp_path / "status.csv"
    result = cli("status", "--format", "csv", "--out", str(out), "--on", on)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert table.loc[table["code"] == "07294", "name"].tolist() == [expected]


PANEL_SCRIPT = textwrap.dedent(
    """
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file("app.py", default_timeout=120)
    at.query_params["province"] = "01"
    at.query_params["mode"] = "merge"
    at.query_params["unit"] = "00004"
    at.run()
    assert not at.exception, at.exception
    print("|".join(h.value for h in at.subheader))
    """
)


def test_amendment_rename_visible_in_the_app_within_a_minute(tmp_path):
    """Rename 00004 through an amendment on a copy of geodata; the map panel shows the new name."""
    data = tmp_path / "geodata"
    shutil.copytree(ROOT / "geodata", data)
    amendments = tmp_path / "amendments.csv"
    row = dict.fromkeys(AMENDMENT_COLUMNS, "")
    row.update(
        effective_date="2026-09-01",
        code="00004",
        kind="rename",
        field="name",
        old_value="Ba Đình",
        new_value="Ba Đình Thử",
        legal_basis="999/NQ-UBTVQH16",
        basis_date="2026-08-20",
        note="thử nghiệm",
    )
    pd.DataFrame([row], columns=AMENDMENT_COLUMNS).to_csv(amendments, index=False)
    env = {**os.environ, "VNMAP_GEODATA_DIR": str(data), "VNMAP_CACHE_DIR": str(tmp_path / "cache")}
    started = time.monotonic()
    result = cli("apply-amendments", "--geodata", str(data), str(amendments))
    applied = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    shown = subprocess.run(
        [sys.executable, "-c", PANEL_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    total = time.monotonic() - started
    print(f"apply-amendments {applied:.1f} s; visible in the app after {total:.1f} s")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "Phường Ba Đình Thử" in shown.stdout.strip().split("|")
    assert total < 60
    changes = pd.read_csv(data / "changes.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert (changes["basis_from"] == "amendment").sum() == 1
    # Applying the same file again gives the same bytes; an empty file restores the dataset.
    before = {p.name: p.read_bytes() for p in data.rglob("*") if p.is_file()}
    assert cli("apply-amendments", "--geodata", str(data), str(amendments)).returncode == 0
    assert {p.name: p.read_bytes() for p in data.rglob("*") if p.is_file()} == before
    pd.DataFrame(columns=AMENDMENT_COLUMNS).to_csv(amendments, index=False)
    assert cli("apply-amendments", "--geodata", str(data), str(amendments)).returncode == 0
    for name in ("changes.csv", "crosswalk.csv", "manifest.json", "amendments.csv", "new/communes.geojson"):
        assert (data / name).read_bytes() == (ROOT / "geodata" / name).read_bytes(), name


def test_malformed_amendment_is_reported_and_nothing_written(tmp_path):
    data = tmp_path / "geodata"
    data.mkdir()
    for name in ("manifest.json", "changes.csv"):
        shutil.copy(ROOT / "geodata" / name, data / name)
    (data / "new").mkdir()
    shutil.copy(ROOT / "geodata" / "new" / "communes.geojson", data / "new" / "communes.geojson")
    bad = tmp_path / "bad.csv"
    bad.write_text(",".join(AMENDMENT_COLUMNS) + "\n2026-09-01,00004,rename,name,,,,,\n", encoding="utf-8")
    before = (data / "changes.csv").read_bytes()
    result = cli("apply-amendments", "--geodata", str(data), str(bad))
    assert result.returncode == 2
    assert f"{bad}, dòng 2, cột new_value" in result.stderr
    assert (data / "changes.csv").read_bytes() == before
