"""Shared test set-up: the app's status store lives in a temporary file, never in the project's data/."""

import os

import pytest


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
