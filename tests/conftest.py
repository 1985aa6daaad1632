"""Shared test set-up: an isolated status store, the PostgreSQL server of the store tests, and the small
two-province dataset with status reports that the map, brief and HTML-export tests draw.

PostgreSQL tests take the :func:`pg_url` fixture. Without ``VNMAP_TEST_PG_URL`` they are reported
as skipped, with the reason. ``scripts/test_postgres.sh run`` (what ``make test`` uses) also sets
``VNMAP_TEST_PG_REQUIRED=1``: then a PostgreSQL test that cannot run fails, and a session in
which no PostgreSQL test ran fails too, so a started server cannot go unused unnoticed.
"""

import datetime as dt
import os
import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from lib.core.vocab import LOCAL_TZ
from lib.status.store import StatusStore, intake_metadata, metadata

# Tests see an unexpected error of a page as the exception itself (AppTest's ``at.exception``), not as the
# one Vietnamese line a visitor gets (lib.ui.widgets.run_page; its own test unsets this).
os.environ.setdefault("VNMAP_RERAISE_ERRORS", "1")

PG_URL_ENV = "VNMAP_TEST_PG_URL"
PG_REQUIRED_ENV = "VNMAP_TEST_PG_REQUIRED"
PG_SKIP_REASON = "no PostgreSQL server given: set VNMAP_TEST_PG_URL or run make test"
_PG_USED = pytest.StashKey[int]()


def _pg_required() -> bool:
    return os.environ.get(PG_REQUIRED_ENV, "") not in ("", "0")


@pytest.fixture(scope="session", autouse=True)
def isolated_status_store(tmp_path_factory):
    """Point VNMAP_STATUS_DB at a throw-away SQLite file for the whole session (AppTest pages use it)."""
    if os.environ.get("VNMAP_STATUS_DB"):
        yield os.environ["VNMAP_STATUS_DB"]
        return
    url = f"sqlite:///{tmp_path_factory.mktemp('status-store') / 'status.sqlite'}"
    os.environ["VNMAP_STATUS_DB"] = url
    yield url
    os.environ.pop("VNMAP_STATUS_DB", None)


@pytest.fixture
def pg_url(request) -> str:
    """SQLAlchemy URL of the test PostgreSQL database; skips (or fails, when required) without one."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        if _pg_required():
            pytest.fail(f"{PG_REQUIRED_ENV} is set but {PG_URL_ENV} is not")
        pytest.skip(PG_SKIP_REASON)
    request.config.stash[_PG_USED] = request.config.stash.get(_PG_USED, 0) + 1
    return url


def emptied_pg(pg_url: str) -> str:
    """``pg_url`` with the status store's tables (reports and intake claims) dropped."""
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        intake_metadata.drop_all(conn)
        metadata.drop_all(conn)
    engine.dispose()
    return pg_url


@pytest.fixture(params=["sqlite", "postgresql"])
def status_url(request, tmp_path) -> str:
    """A fresh status store URL: an SQLite file, or the test PostgreSQL database emptied before and after."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'status.sqlite'}"
        return
    yield emptied_pg(request.getfixturevalue("pg_url"))
    emptied_pg(request.getfixturevalue("pg_url"))


def pytest_sessionfinish(session, exitstatus):
    """With VNMAP_TEST_PG_REQUIRED, a session in which no test used the PostgreSQL server fails."""
    if not _pg_required() or session.config.stash.get(_PG_USED, 0):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = (
        f"{PG_REQUIRED_ENV} is set (a PostgreSQL server was started for these tests) "
        "but no test used it: the store was not tested against PostgreSQL"
    )
    if reporter is not None:
        reporter.write_line(f"ERROR: {message}", red=True, bold=True)
    if exitstatus == 0:
        session.exitstatus = 1


# ---------------------------------------------------------------------- a small dataset for maps and briefs
SMALL_DAY = dt.date(2025, 11, 20)
COMMUNES = [  # code, full name, province, box (lon/lat)
    ("00001", "Phường Ba Đình", "01", (105.00, 20.0, 105.20, 20.3)),
    ("00002", "Xã Sóc Sơn", "01", (105.20, 20.0, 105.40, 20.3)),
    ("00003", "Xã Đông Hà", "02", (105.40, 20.0, 105.60, 20.3)),
    ("00004", "Xã <b>Mỹ</b> & Co", "02", (105.60, 20.0, 105.80, 20.3)),
    ("00005", "Đặc khu Hoàng Sa", "02", (112.00, 16.0, 112.30, 16.3)),
]
PROVINCES = {"01": ("Hà Nội", "Thành phố Hà Nội"), "02": ("Quảng Trị", "Tỉnh Quảng Trị")}
CROSSWALK = [  # old code, old name, old province, new code, part
    ("10001", "Phường Phúc Xá", ("01", "Thành phố Hà Nội"), "00001", "whole"),
    ("10002", "Phường Trúc Bạch", ("01", "Thành phố Hà Nội"), "00001", "part"),
    ("10002", "Phường Trúc Bạch", ("01", "Thành phố Hà Nội"), "00002", "part"),
    ("10003", "Thị trấn Sóc Sơn", ("01", "Thành phố Hà Nội"), "00002", "whole"),
    ("10004", "Xã Đông Lương", ("45", "Tỉnh Quảng Trị cũ"), "00003", "whole"),
    ("10005", "Xã Triệu Long", ("45", "Tỉnh Quảng Trị cũ"), "00004", "whole"),
    ("10006", "Xã Kim Thuỷ", ("44", "Tỉnh Quảng Bình"), "00004", "whole"),
    ("10007", "Huyện Hoàng Sa", ("48", "Thành phố Đà Nẵng"), "00005", "whole"),
]


def _small_geodata() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Five communes in two provinces (one far offshore) and their crosswalk, built inline."""
    communes = gpd.GeoDataFrame(
        {
            "code": [c[0] for c in COMMUNES],
            "full_name": [c[1] for c in COMMUNES],
            "name": [
                c[1].split(" ", 1)[1] if not c[1].startswith(("Đặc khu", "Thị trấn")) else c[1].split(" ", 2)[2]
                for c in COMMUNES
            ],
            "type": [c[1].split(" ")[0] if not c[1].startswith("Đặc khu") else "Đặc khu" for c in COMMUNES],
            "province_code": [c[2] for c in COMMUNES],
            "province_name": [PROVINCES[c[2]][1] for c in COMMUNES],
        },
        geometry=[shapely.box(*c[3]) for c in COMMUNES],
        crs="EPSG:4326",
    )
    provinces = communes.dissolve("province_code").reset_index()[["province_code", "geometry"]]
    provinces = provinces.rename(columns={"province_code": "code"}).assign(
        name=lambda d: d["code"].map(lambda c: PROVINCES[c][0]),
        full_name=lambda d: d["code"].map(lambda c: PROVINCES[c][1]),
        area_km2=[1234.5, 2345.6],
        population=[1_000_000.0, None],
    )
    new = communes.set_index("code")
    crosswalk = pd.DataFrame(
        [
            {
                "old_code": old,
                "old_level": "district" if name.startswith("Huyện") else "commune",
                "old_name": name,
                "old_district_code": f"9{old[-2:]}",
                "old_province_code": prov[0],
                "old_province_name": prov[1],
                "new_code": code,
                "new_name": new.loc[code, "full_name"],
                "new_province_code": new.loc[code, "province_code"],
                "new_province_name": new.loc[code, "province_name"],
                "relation": "merged",
                "part": part,
            }
            for old, name, prov, code, part in CROSSWALK
        ]
    )
    return communes, provinces, crosswalk


def _store_with_reports(path, *, demo: bool) -> StatusStore:
    """A real SQLite store: 00001 green, 00002 amber, 00003 red with gaps; 00004 reported later; 00005 none."""

    def at(day: dt.date, hour: int) -> pd.Timestamp:
        return pd.Timestamp(dt.datetime.combine(day, dt.time(hour)), tz=LOCAL_TZ)

    rows = pd.DataFrame(
        [
            ("00001", at(SMALL_DAY, 9), 10, 10, 0, "operating", ""),
            ("00002", at(SMALL_DAY, 9), 10, 6, 0, "operating", "chữ ký số"),
            ("00003", at(SMALL_DAY, 10), 10, 4, 2, "not_operating", ""),
            ("00004", at(SMALL_DAY + dt.timedelta(days=3), 10), 10, 10, 0, "operating", ""),
        ],
        columns=["unit_code", "as_of", "tasks_total", "tasks_done", "tasks_overdue", "centre_state", "gaps"],
    )
    rows = rows.assign(level="commune", note="", via_old_code="")
    store = StatusStore(f"sqlite:///{path}")
    store.append(rows, imported_by="test", source_name="test.xlsx", source_sha256="0" * 64, is_demo=demo)
    return store


def _small_inputs(folder, *, demo: bool = True, with_status: bool = True, date: dt.date | None = SMALL_DAY):
    """Map inputs of :func:`_small_geodata`, with a status store (demo or real reports) in ``folder`` or none."""
    from lib.maps import (
        staticdata,  # matplotlib: loaded only by the tests that draw
        style,
    )

    communes, provinces, crosswalk = _small_geodata()
    store = _store_with_reports(folder / "status.sqlite", demo=demo) if with_status else None
    status, as_of = staticdata.status_as_of(store, date, codes=list(communes["code"]))
    return staticdata.MapInputs(
        communes=communes,
        provinces=provinces,
        crosswalk=crosswalk,
        merge=style.merge_structure(crosswalk),
        status=status,
        as_of=as_of,
        version="test-0001",
        sources=["Nguồn A", "Nguồn B"],
    )


def _pdf_text(path) -> tuple:
    """The PDF and all its text, whitespace collapsed."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    return reader, re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def small_day() -> dt.date:
    """The day the small dataset's reports are for (one commune reports three days later)."""
    return SMALL_DAY


@pytest.fixture
def small_geodata() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """(communes, provinces, crosswalk) of five communes in two provinces, one far offshore."""
    return _small_geodata()


@pytest.fixture
def small_inputs():
    """``small_inputs(folder, *, demo=True, with_status=True, date=SMALL_DAY)`` → ``staticdata.MapInputs``."""
    return _small_inputs


@pytest.fixture
def pdf_text():
    """``pdf_text(path)`` → (PdfReader, all text with whitespace collapsed)."""
    return _pdf_text


@pytest.fixture(autouse=True)
def _fresh_password_guard():
    """The import password's guard is process-wide and AppTest sessions share one id: no test inherits
    another's failures."""
    yield
    import sys

    cache = sys.modules.get("lib.ui.cache")
    if cache is not None:
        cache.password_guard.clear()
