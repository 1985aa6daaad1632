"""The build command: deterministic (reproduces the committed dataset byte for byte, whatever the
machine, PYTHONHASHSEED or row order of the sources), and fails without leaving half-written files."""

import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from lib.assemble import sources
from lib.assemble.census import read_census_2009
from lib.assemble.dataset import BUILD_LOG, build_geodata
from lib.assemble.sources import SourceError
from lib.data import geodata

PROJECT_DIR = Path(__file__).resolve().parents[1]
SOURCES = Path(__file__).resolve().parents[2] / "shared" / "sources"
SHUFFLE_SEED = 20251130
BOM = b"\xef\xbb\xbf"


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


def _shuffle_lists(value, rng: random.Random):
    """Every list of objects (units, pairs: their order carries no meaning) shuffled, recursively."""
    if isinstance(value, dict):
        return {k: _shuffle_lists(v, rng) for k, v in value.items()}
    if isinstance(value, list):
        items = [_shuffle_lists(v, rng) for v in value]
        if items and all(isinstance(v, dict) for v in items):
            rng.shuffle(items)
        return items
    return value


def shuffled_sources(target: Path, seed: int = SHUFFLE_SEED) -> Path:
    """A copy of the sources with the rows of every table in another order (same values).

    GeoParquet files are rewritten with their rows permuted (CRS kept), CSV files with their
    rows permuted (read as text, BOM kept, so every value is byte-identical), JSON lists of
    units or pairs shuffled at every level (sources README: their order means nothing); other
    files are linked.
    """
    rng = random.Random(seed)
    for path in sorted(SOURCES.rglob("*")):
        if not path.is_file():
            continue
        out = target / path.relative_to(SOURCES)
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".parquet":
            gdf = gpd.read_parquet(path)
            gdf.sample(frac=1, random_state=rng.randrange(2**32)).reset_index(drop=True).to_parquet(out)
        elif path.suffix == ".csv":
            bom = path.read_bytes().startswith(BOM)
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            frame.sample(frac=1, random_state=rng.randrange(2**32)).to_csv(
                out, index=False, encoding="utf-8-sig" if bom else "utf-8", lineterminator="\n"
            )
        elif path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            out.write_text(json.dumps(_shuffle_lists(data, rng), ensure_ascii=False), encoding="utf-8")
        else:
            out.symlink_to(path)
    return target


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def first_difference(a: dict[str, bytes], b: dict[str, bytes]) -> str | None:
    """The first file (in path order) that is missing on one side or differs, with the first differing line."""
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b:
            return f"{name}: only in {'the first' if name in a else 'the second'}"
        if a[name] != b[name]:
            for n, (x, y) in enumerate(zip(a[name].splitlines(), b[name].splitlines(), strict=False), start=1):
                if x != y:
                    return f"{name}: line {n} differs: {x[:200]!r} != {y[:200]!r}"
            return f"{name}: differs in length ({len(a[name])} != {len(b[name])} bytes)"
    return None


def test_readers_ignore_the_row_order_of_the_sources(tmp_path):
    """Fast check of the first line of defence: every reader returns the same table from shuffled files."""
    shuffled = shuffled_sources(tmp_path / "shuffled")
    readers = [
        sources.read_new_provinces,
        sources.read_new_communes,
        sources.read_sapnhap_communes,
        sources.read_sapnhap_provinces,
        sources.read_old_communes,
        sources.read_old_districts,
        sources.read_gis_districts,
        sources.read_vau_pairs,
        sources.read_dvhcvn_pairs,
        sources.read_commune_points,
        read_census_2009,
        sources.read_nso_provinces,
        sources.read_nso_communes,
    ]
    for reader in readers:
        pd.testing.assert_frame_equal(reader(SOURCES), reader(shuffled), obj=reader.__name__)
    pd.testing.assert_series_equal(sources.read_predecessor_texts(SOURCES), sources.read_predecessor_texts(shuffled))


@pytest.mark.dataset
def test_build_is_deterministic_and_reproduces_committed_dataset(tmp_path):
    """Two builds run at once: A from the sources, B from a row-shuffled copy with another hash seed.

    Every file of A must equal B's and the committed geodata/ byte for byte. manifest.json
    records the SHA-256 of the source files, which differ for the shuffled copy by
    construction: there B's is compared with those digests replaced by A's.
    """
    shuffled = shuffled_sources(tmp_path / "b" / "sources")
    runs = {}
    started = time.monotonic()
    for name, sources_dir, seed in (("a", SOURCES, "0"), ("b", shuffled, "12345")):
        out = tmp_path / name / "geodata"
        log = (tmp_path / f"{name}.out").open("w", encoding="utf-8")
        process = subprocess.Popen(
            [sys.executable, "-m", "lib.cli", "build-geodata", "--sources", str(sources_dir), "--out", str(out)],
            cwd=PROJECT_DIR,
            env={**os.environ, "PYTHONHASHSEED": seed},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        runs[name] = (process, out, log)
    for name, (process, out, log) in runs.items():
        code = process.wait(timeout=3 * 3600)
        log.close()
        output = (tmp_path / f"{name}.out").read_text(encoding="utf-8")
        assert code == 0, f"build {name} failed:\n{output[-3000:]}"
        lines = output.splitlines()
        assert any(m.startswith("[1/") for m in lines) and lines[-1].startswith("done"), output[-2000:]
        assert (out.parent / BUILD_LOG).read_text(encoding="utf-8").splitlines()[-1] == lines[-1]
    print(f"two concurrent builds: {time.monotonic() - started:.0f} s")

    a, b = snapshot(tmp_path / "a" / "geodata"), snapshot(tmp_path / "b" / "geodata")
    manifest_a, manifest_b = json.loads(a[geodata.MANIFEST]), json.loads(b[geodata.MANIFEST])
    assert manifest_a["sources"].keys() == manifest_b["sources"].keys()
    manifest_b["sources"] = manifest_a["sources"]
    b[geodata.MANIFEST] = (json.dumps(manifest_b, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    difference = first_difference(a, b)
    assert difference is None, f"build from shuffled sources (PYTHONHASHSEED=12345) differs: {difference}"

    committed = snapshot(geodata.default_dir())
    difference = first_difference(committed, a)
    assert difference is None, f"rebuild differs from the committed geodata/: {difference}"
    assert manifest_a["version"] == geodata.load_manifest()["version"]


DURATION_PATTERNS = [
    re.compile(r"\bsec(?:ond)?s?\b", re.IGNORECASE),  # "seconds", "secs"
    re.compile(r"\d\s*s\b(?![²³])"),  # "384 s", "185s"
    re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"),  # a date-time stamp
    re.compile(r"(?<![\w.])(?:/(?:home|tmp|work|root|Users|var|usr|opt)/|[A-Z]:\\)"),  # an absolute path
]


def _keys(value) -> list[str]:
    if isinstance(value, dict):
        return [*value, *(k for v in value.values() for k in _keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in _keys(v)]
    return []


def test_committed_dataset_records_no_durations_or_machine_facts():
    """The documented dataset must not depend on the machine: no build time, stamp or path in it."""
    for name in ("SOURCES.md", geodata.MANIFEST, geodata.OLD_QUALITY):
        text = (geodata.default_dir() / name).read_text(encoding="utf-8")
        for pattern in DURATION_PATTERNS:
            match = pattern.search(text)
            assert match is None, (
                f"{name}: {match.group(0)!r} in …{text[max(match.start() - 60, 0) : match.end() + 20]}…"
            )
    keys = _keys(geodata.load_manifest())
    assert not [k for k in keys if k.endswith(("_seconds", "_s", "_time", "_at"))], keys


def test_missing_source_file_leaves_output_untouched(tmp_path):
    out = tmp_path / "geodata"
    out.mkdir()
    (out / "keep.txt").write_text("previous dataset", encoding="utf-8")
    sources_dir = linked_sources(tmp_path, drop="new2025/units_tree_2026-07-25.json")
    with pytest.raises(SourceError, match="units_tree_2026-07-25.json"):
        build_geodata(sources_dir, out, progress=lambda _: None)
    assert snapshot(out) == {"keep.txt": b"previous dataset"}
    assert not list(tmp_path.glob(".geodata-build-*"))


def test_late_failure_leaves_output_untouched(tmp_path):
    out = tmp_path / "geodata"
    shutil.copytree(geodata.default_dir(), out)
    before = snapshot(out)
    broken = json.dumps({"data": [{"level1_id": "01", "level2s": [{"merges": []}]}]})
    sources_dir = linked_sources(tmp_path, replace={"crosswalk/dvhcvn_20250701_merges.json": broken})
    with pytest.raises(SourceError, match="dvhcvn_20250701_merges.json"):
        build_geodata(sources_dir, out, progress=lambda _: None)
    assert snapshot(out) == before
    assert not list(tmp_path.glob(".geodata-build-*"))
