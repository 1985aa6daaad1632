"""The prepare step: derived files identical to what the app would make, a fast no-op, and
loaders that never write at request time."""

import pytest

from lib.data import geodata
from lib.maps import layers as mapdata
from lib.maps import leaflet, prepare


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """One prepare run into a temporary static folder and layer cache."""
    root = tmp_path_factory.mktemp("prepared")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VNMAP_CACHE_DIR", str(root / "layers"))
        lines: list[str] = []
        stamp = prepare.prepare(static_dir=root / "static", log=lines.append)
        yield root, stamp, lines


def _from_geojson(name):
    """A layer read straight from the dataset's GeoJSON, as the app does without a prepared cache."""
    return geodata.read_layer(
        geodata.default_dir() / geodata.LAYERS[name].path, string_fields=geodata.layer_fields(name)
    )


@pytest.mark.parametrize("kind", ["province_communes", "old_communes"])
def test_prepared_file_is_what_the_app_would_produce(prepared, kind):
    root, stamp, _ = prepared
    if kind != "province_communes" and kind not in prepare.available_old_layers():
        pytest.skip("no old communes in this dataset")
    relative = mapdata.static_relative(stamp["dataset_version"], kind, "01")
    app_text = mapdata.geometry_text(kind, "01", layer=_from_geojson, crosswalk=geodata.load_crosswalk())
    assert (root / "static" / relative).read_text(encoding="utf-8") == app_text


def test_every_map_request_is_prepared_with_progress(prepared):
    root, stamp, lines = prepared
    provinces = sorted(_from_geojson("new_provinces")["code"])
    expected = mapdata.map_requests(provinces, prepare.available_old_layers())
    assert len(stamp["files"]) == len(expected) >= 2 + 34
    for kind, province in expected:
        path = root / "static" / mapdata.static_relative(stamp["dataset_version"], kind, province)
        assert path.is_file() and (path.stat().st_mode & 0o777) == 0o644
    assert not list((root / "static").rglob("*.tmp")), "temporary files left behind"
    assert any("map layer" in line for line in lines) and "layer cache" in lines[0]


def test_second_run_changes_nothing(prepared):
    root, stamp, _ = prepared
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    lines: list[str] = []
    again = prepare.prepare(static_dir=root / "static", log=lines.append)
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before
    assert again["files"] == stamp["files"] and "up to date" in lines[-1]


def test_loading_a_layer_writes_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VNMAP_CACHE_DIR", str(tmp_path / "layers"))
    gdf = geodata.load_layer("new_provinces")
    assert len(gdf) == 34 and not (tmp_path / "layers").exists()


def test_prepared_cache_is_read_and_equal(prepared, monkeypatch):
    root, _, _ = prepared
    monkeypatch.setenv("VNMAP_CACHE_DIR", str(root / "layers"))
    cached = geodata.load_layer("new_communes")
    fresh = _from_geojson("new_communes")
    assert cached.equals(fresh)


def test_static_url_only_for_prepared_files(tmp_path, monkeypatch):
    from lib.ui import cache

    monkeypatch.setattr(leaflet, "STATIC_DIR", tmp_path)
    assert cache.map_geometry_url("province_communes", "01") is None
    assert not any(tmp_path.iterdir()), "asking for a URL wrote a file"
    relative = mapdata.static_relative(cache.manifest()["version"], "province_communes", "01")
    (tmp_path / relative).parent.mkdir(parents=True)
    (tmp_path / relative).write_text("{}")
    assert cache.map_geometry_url("province_communes", "01") == f"/app/static/{relative}"
