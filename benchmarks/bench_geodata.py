"""Benchmark: loading the new communes layer (cold GeoJSON parse and warm cached load), validation."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import median_seconds, report  # noqa: E402
from lib.data import geodata  # noqa: E402
from lib.data.validate import validate_dataset  # noqa: E402
from lib.maps.prepare import write_layer_cache  # noqa: E402


def main() -> None:
    path = geodata.default_dir() / geodata.LAYERS["new_communes"].path
    cache = Path(tempfile.mkdtemp(prefix="vnmap-bench-cache-"))
    os.environ["VNMAP_CACHE_DIR"] = str(cache)  # read through lib.core.settings
    try:
        median, times = median_seconds(
            lambda: geodata.read_layer(path, string_fields=("code", "province_code")), runs=5
        )
        report("new communes: parse GeoJSON (no layer cache)", median, times)
        write_layer_cache("new_communes")  # what the prepare step does
        median, times = median_seconds(geodata.load_new_communes, runs=5)
        report("new communes: load ready for display (warm)", median, times, target=1.0)
        median, times = median_seconds(lambda: validate_dataset(geodata.default_dir()), runs=3)
        report("python -m lib.cli validate (whole dataset)", median, times)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    size = sum(p.stat().st_size for p in geodata.default_dir().rglob("*") if p.is_file())
    print(f"{'geodata/ total size':<55} {size / 2**20:.1f} MB (target < 60 MB)")


if __name__ == "__main__":
    main()
