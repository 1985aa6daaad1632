"""The build command: reproduces the committed dataset, and fails without leaving half-written files."""

import json
import shutil
from pathlib import Path

import pytest

from lib import geodata
from lib.build import build_geodata
from lib.sources import SourceError

SOURCES = Path(__file__).resolve().parents[2] / "shared" / "sources"


def linked_sources(tmp_path: Path, *, replace: dict[str, str] | None = None, drop: str | None = None) -> Path:
    """A copy of the sources folder made of links, with one file dropped or replaced."""
    copy = tmp_path / "sources"
    for path in SOURCES.rglob("*"):
        if path.is_file():
            rel = path.relative_to(SOURCES).as_posix()
            target = copy / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if rel == drop:
                continue
            if replace and rel in replace:
                target.write_text(replace[rel], encoding="utf-8")
            else:
                target.symlink_to(path)
    return copy


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.dataset
def test_rebuild_reproduces_committed_dataset(tmp_path):
    out = tmp_path / "geodata"
    messages = []
    manifest = build_geodata(SOURCES, out, progress=messages.append)
    committed = geodata.load_manifest()
    assert manifest["counts"] == committed["counts"]
    assert manifest["version"] == committed["version"], "rebuild differs from the committed geodata/"
    assert (out / "crosswalk.csv").read_bytes() == (geodata.DEFAULT_DIR / "crosswalk.csv").read_bytes()
    assert any(m.startswith("[1/") for m in messages) and messages[-1].startswith("done")


def test_missing_source_file_leaves_output_untouched(tmp_path):
    out = tmp_path / "geodata"
    out.mkdir()
    (out / "keep.txt").write_text("previous dataset", encoding="utf-8")
    sources = linked_sources(tmp_path, drop="new2025/units_tree_2026-07-25.json")
    with pytest.raises(SourceError, match="units_tree_2026-07-25.json"):
        build_geodata(sources, out, progress=lambda _: None)
    assert snapshot(out) == {"keep.txt": b"previous dataset"}
    assert not list(tmp_path.glob(".geodata-build-*"))


def test_late_failure_leaves_output_untouched(tmp_path):
    out = tmp_path / "geodata"
    shutil.copytree(geodata.DEFAULT_DIR, out)
    before = snapshot(out)
    broken = json.dumps({"data": [{"level1_id": "01", "level2s": [{"merges": []}]}]})
    sources = linked_sources(tmp_path, replace={"crosswalk/dvhcvn_20250701_merges.json": broken})
    with pytest.raises(SourceError, match="dvhcvn_20250701_merges.json"):
        build_geodata(sources, out, progress=lambda _: None)
    assert snapshot(out) == before
    assert not list(tmp_path.glob(".geodata-build-*"))
