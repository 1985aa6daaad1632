"""Shared test set-up: an isolated status store, the PostgreSQL server of the store tests, shared fixtures.

PostgreSQL tests take the :func:`pg_url` fixture. Without ``VNMAP_TEST_PG_URL`` they are reported
as skipped, with the reason. ``scripts/test_postgres.sh run`` (what ``make test`` uses) also sets
``VNMAP_TEST_PG_REQUIRED=1``: then a PostgreSQL test that cannot run fails, and a session in
which no PostgreSQL test ran fails too, so a started server cannot go unused unnoticed.
"""

import os

import pytest

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


def pytest_sessionfinish(session, exitstatus):
    """With VNMAP_TEST_PG_REQUIRED, a session in which no test used the PostgreSQL server fails."""
    if not _pg_required() or session.config.stash.get(_PG_USED, 0):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = (f"{PG_REQUIRED_ENV} is set (a PostgreSQL server was started for these tests) "
               "but no test used it: the store was not tested against PostgreSQL")
    if reporter is not None:
        reporter.write_line(f"ERROR: {message}", red=True, bold=True)
    if exitstatus == 0:
        session.exitstatus = 1
