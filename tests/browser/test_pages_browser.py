"""Every page of the navigation opens at its own path, with query parameters, inside the app frame."""

import ast
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import wait_for_app

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


def navigation_pages() -> list[dict]:
    """The st.Page entries of app.py's PAGES (read from the source, so a page added there is tested)."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    pages_list = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PAGES" for t in node.targets)
    )
    pages = []
    for call in pages_list.elts:
        options = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        path = "" if options.get("default") else options.get("url_path", Path(call.args[0].value).stem)
        pages.append({"file": call.args[0].value, "title": options["title"], "path": path})
    return pages


def heading_of(view_file: str) -> str | None:
    """The literal st.title(...) of a page file, if it has one (the map's heading depends on the view)."""
    tree = ast.parse((ROOT / view_file).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", "") == "title"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            return node.args[0].value
    return None


PAGES = navigation_pages()


def test_every_page_file_has_its_own_path():
    """Streamlit serves the default page only at "/": its file needs a second, non-default entry."""
    paths = [p["path"] for p in PAGES]
    assert "" in paths and len(set(paths)) == len(paths), paths
    assert {p["file"] for p in PAGES if p["path"]} == {p["file"] for p in PAGES}


@pytest.mark.parametrize("entry", PAGES, ids=lambda e: "/" + e["path"])
def test_every_page_path_opens_its_page_in_the_app_frame(app_url, page, entry):
    page.goto(f"{app_url}/{entry['path']}?province=01")
    page.get_by_text("Dữ liệu: phiên bản").wait_for(timeout=120_000)  # the shared sidebar of app.py
    wait_for_app(page)
    assert page.script_runs.pages_not_found == 0
    assert page.get_by_text("Page not found", exact=False).count() == 0
    assert page.locator('[data-testid="stDialog"]').count() == 0
    assert page.script_runs.page == (entry["title"], entry["path"])  # the server ran this page
    heading = heading_of(entry["file"])
    main = page.locator('[data-testid="stMain"]')
    if heading:
        main.get_by_role("heading", name=heading).wait_for(timeout=30_000)
    else:
        main.get_by_role("heading").first.wait_for(timeout=30_000)
    url = urlparse(page.url)
    assert url.path == f"/{entry['path']}", page.url
    assert parse_qs(url.query).get("province") == ["01"], page.url
