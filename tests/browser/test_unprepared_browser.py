"""Without the prepare step the app still works: geometry is inlined, and a click selects the unit under it.

A copy of the checkout without static/geo/ and without layer caches, served by a fresh server,
is the state of a checkout whose prepare step never ran (or a dataset folder given through
VNMAP_GEODATA_DIR that was not prepared). Inlined polygons used to be drawn a few pixels off,
so that a click on Ba Đình selected Bồ Đề; the prepared (fetched) path hid it.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.browser.conftest import click_latlng, launch_app, stop_app, wait_for_app, wait_for_units
from tests.browser.test_readonly_browser import IGNORED, ROOT

pytestmark = pytest.mark.browser


def _unprepared(folder: str, names: list[str]) -> set[str]:
    ignored = IGNORED(folder, names)
    if os.path.basename(folder) == "static":
        ignored |= {"geo"} & set(names)
    return ignored


@pytest.fixture(scope="module")
def unprepared_url(tmp_path_factory):
    base = tmp_path_factory.mktemp("unprepared")
    copy = base / "copy"
    shutil.copytree(ROOT, copy, ignore=_unprepared, symlinks=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("VNMAP_")}
    env.update(VNMAP_STATUS_DB=f"sqlite:///{base / 'status.sqlite'}", VNMAP_CACHE_DIR=str(base / "no-caches"))
    server, url = launch_app(copy, env=env, log=base / "server.log")
    yield url
    stop_app(server)
    assert not (copy / "static" / "geo").exists(), "the server wrote map files at request time"


def test_click_on_inlined_map_selects_the_unit_under_it(unprepared_url, page):
    page.goto(f"{unprepared_url}/?province=01&mode=merge")
    wait_for_units(page, 126)
    wait_for_app(page)
    assert not [u for u in page.requests.urls if "/app/static/geo/" in u]  # inlined, nothing prepared to fetch
    click_latlng(page, 21.0386, 105.8380)  # administrative centre of Phường Ba Đình
    page.get_by_role("heading", name="Phường Ba Đình").wait_for(timeout=60_000)
    wait_for_app(page)
    assert "unit=00004" in page.url
