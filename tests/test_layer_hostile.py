"""Hostile layers on the page Dữ liệu (issue 20): every read of an uploaded layer runs in the bounded worker
(lib.io.sandbox); a recursive GeoPackage view ends with its worker, a million vertices or 92,702 features are
refused by a named limit in bounded server memory, and a layer without fields or GML under a .json name gets a
Vietnamese message, never Streamlit's English error."""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import pickle
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.data import geodata
from lib.data.validate import LayerError
from lib.io import sandbox
from lib.io.layers import check_uploaded_layer, layer_fields
from lib.io.sheets import ReadLimits
from tests import hostile

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SECONDS = 10
GROWTH_MB = 300
OPTIONS = {"code_field": "ma", "name_field": "ten", "code_width": 5}


def _fields(data: bytes, name: str, limits: ReadLimits | None = None) -> list[str]:
    return layer_fields(data, name, **({"limits": limits} if limits else {}))


def _check(data: bytes, name: str, limits: ReadLimits | None = None) -> int:
    return check_uploaded_layer(data, name, **({"limits": limits} if limits else {}), **OPTIONS)


def _peak_mb() -> float:
    """VmHWM (peak resident memory) of this process, MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def _reset_peak() -> float:
    """Reset VmHWM to the current resident size (Linux: clear_refs 5) and return it, MB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _peak_mb()


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, grandchildren …), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _readers_alive() -> set[int]:
    """The reading workers still alive: the fork server's children (readers are forked by it, and reaped by it
    before the caller's join returns)."""
    server = multiprocessing.forkserver._forkserver._forkserver_pid
    return _descendants(server) if server else set()


@pytest.fixture(scope="module")
def layers(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layers")
    return {
        "recursive_view": hostile.recursive_view_gpkg(folder / "xa.gpkg"),
        "million_vertices": hostile.million_vertex_polygon(folder / "tron.geojson"),
        "bad_features": hostile.bad_features(folder / "hong.geojson"),
        "no_properties": hostile.no_properties(folder / "khong-truong.geojson"),
        "gml_as_json": hostile.gml_as_json(folder / "ranh-gioi.json"),
    }


@pytest.mark.parametrize("read", [_fields, _check])
def test_recursive_view_ends_with_its_worker(layers, read):
    path = layers["recursive_view"]
    assert path.stat().st_size < 200 * 1024
    limits = ReadLimits(worker_cpu_seconds=2, max_seconds=5)
    start = time.monotonic()
    with pytest.raises(LayerError) as caught:
        read(path.read_bytes(), path.name, limits)
    seconds = time.monotonic() - start
    [message] = caught.value.problems
    assert message.startswith("xa.gpkg: ") and "vượt giới hạn" in message, message
    assert "VNMAP_WORKER_CPU_SECONDS" in message or "VNMAP_MAX_SECONDS" in message, message
    assert seconds < SECONDS, seconds
    assert not [p for p in multiprocessing.active_children() if p.name == sandbox.WORKER_NAME]
    assert not _readers_alive()  # the worker was killed and reaped: nothing spins on after the answer


@pytest.mark.parametrize(
    ("key", "read", "variable"),
    [
        ("million_vertices", _check, "VNMAP_MAX_FEATURE_VERTICES"),
        ("bad_features", _fields, "VNMAP_MAX_FEATURES"),
        ("bad_features", _check, "VNMAP_MAX_FEATURES"),
    ],
)
def test_big_layers_are_refused_by_a_named_limit_in_bounded_memory(layers, key, read, variable):
    path = layers[key]
    data = path.read_bytes()
    assert 18 * 1024 * 1024 < len(data) < ReadLimits().max_bytes
    before = _reset_peak()
    start = time.monotonic()
    try:
        read(data, path.name)
        problems = ["(accepted)"]
    except LayerError as err:
        problems = err.problems
    seconds, growth = time.monotonic() - start, _peak_mb() - before
    print(f"\nMEASURED {key} {read.__name__}: {seconds:.1f} s, parent peak growth {growth:+.0f} MB")
    assert seconds < SECONDS and growth < GROWTH_MB, (seconds, growth)
    [message] = problems
    assert message.startswith(f"{path.name}: ") and variable in message and "vượt giới hạn" in message, message


def test_problems_are_cut_and_counted(tmp_path):
    data = hostile.bad_features(tmp_path / "hong.geojson", count=30).read_bytes()
    with pytest.raises(LayerError) as caught:
        _check(data, "hong.geojson", ReadLimits(max_problems=5))
    error = caught.value
    assert error.total == 30 * 3 + 1  # code width, empty name, bow-tie; the shared code once
    assert len(error.problems) == 6 and error.problems[-1] == f"… và {error.total - 5} lỗi khác"
    with pytest.raises(LayerError, match="VNMAP_MAX_VERTICES"):
        _check(data, "hong.geojson", ReadLimits(max_vertices=100))
    with pytest.raises(LayerError, match="VNMAP_MAX_FILE_BYTES"):
        _fields(data, "hong.geojson", ReadLimits(max_bytes=1000))


@pytest.mark.parametrize("read", [_fields, _check])
def test_layer_without_fields_gets_a_message(layers, read):
    path = layers["no_properties"]
    with pytest.raises(LayerError, match="lớp không có trường thuộc tính nào — cần ít nhất một trường mã"):
        read(path.read_bytes(), path.name)


@pytest.mark.parametrize("read", [_fields, _check])
def test_gml_under_a_json_name_is_named(layers, read):
    path = layers["gml_as_json"]
    with pytest.raises(LayerError) as caught:
        read(path.read_bytes(), path.name)
    [message] = caught.value.problems
    assert message.startswith("ranh-gioi.json: không đọc được") and "GML" in message and "GeoPackage" in message


def test_largest_real_layer_fits_the_limits():
    path = geodata.default_dir() / geodata.LAYERS["old_communes"].path
    count = check_uploaded_layer(path.read_bytes(), path.name, code_field="code", name_field="name", code_width=5)
    assert count == 10_035


def test_layer_error_survives_pickling():
    problems = ["a.geojson: thiếu mã", "a.geojson: thiếu tên"]
    error = pickle.loads(pickle.dumps(LayerError(problems)))
    assert isinstance(error, LayerError) and error.problems == problems and error.total == 2
    error = pickle.loads(pickle.dumps(LayerError(problems, total=7)))
    assert error.problems == problems and error.total == 7


def test_data_page_shows_vietnamese_messages_for_bad_layers(layers):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("views/data.py").run()
    for key, said in (("no_properties", "không có trường thuộc tính"), ("gml_as_json", "GML")):
        path = layers[key]
        at.file_uploader(key="data_upload").upload(path.name, path.read_bytes(), "application/octet-stream").run()
        assert not at.exception, at.exception
        errors = [e.value for e in at.error]
        assert errors and said in errors[0], errors
    assert "tối đa 20 MB" in at.file_uploader(key="data_upload").label  # said before a file is chosen
