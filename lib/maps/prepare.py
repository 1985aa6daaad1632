"""The prepare step: every derived file the app serves or loads, written before it serves.

``python -m lib.cli prepare`` writes the display GeoJSON of every map layer the map page can
ask for under ``static/geo/<dataset version>/`` and the GeoParquet copies of the layers under
``.cache/layers``; afterwards the server writes nothing into the checkout. A stamp file records
the dataset version and the version of the code that makes the files, so a second run with
nothing changed only checks that stamp and the files it names.
"""

from __future__ import annotations

import compileall
import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

from lib.data import geodata
from lib.io.files import write_atomic
from lib.maps import layers as mapdata
from lib.maps import leaflet
from lib.maps.urlstate import OLD_LAYERS

STAMP = ".prepared.json"
# Modules whose code decides the prepared files' contents.
CODE_MODULES = (
    "lib/maps/layers.py",
    "lib/data/confidence.py",  # old communes: their class and tooltip words
    "lib/data/i18n.py",  # numbers in those tooltips
    "lib/maps/leaflet.py",
    "lib/data/geodata.py",
    "lib/io/files.py",
    "lib/maps/prepare.py",
    "lib/core/vocab.py",  # imported by lib/data/i18n.py
    "lib/core/palette.py",  # the layers' default colours (lib/maps/leaflet.py)
    "lib/core/settings.py",  # the dataset and cache folders (lib/data/geodata.py)
)


def code_version() -> str:
    """Hash of the code that produces the prepared files (and the geometry library's version)."""
    import shapely

    digest = hashlib.sha1(f"shapely {shapely.__version__} geos {shapely.geos_version_string}".encode())
    for name in CODE_MODULES:
        digest.update((geodata.PROJECT_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def write_layer_cache(name: str, geodata_dir: Path | None = None) -> tuple[Path, bool]:
    """Write the GeoParquet copy of layer ``name`` that ``geodata.load_layer`` reads, unless a
    valid one exists; return (path, written). Older copies of the same layer file are removed."""
    source = geodata.folder(geodata_dir) / geodata.LAYERS[name].path
    fields = geodata.layer_fields(name)
    cached = geodata.cache_path(source, string_fields=fields)
    if cached.is_file():
        try:
            pq.read_metadata(cached)
            return cached, False
        except Exception:  # damaged: write it again
            pass
    gdf = geodata.read_layer(source, string_fields=fields)
    write_atomic(cached, gdf.to_parquet)
    prefix = f"{source.parent.name}-{source.stem}-"
    for stale in cached.parent.glob(f"{prefix}*.parquet"):
        if stale != cached and len(stale.name) == len(cached.name):
            stale.unlink(missing_ok=True)
    return cached, True


def _write_text_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` (UTF-8) atomically unless ``path`` already holds it; True if written."""
    data = text.encode("utf-8")
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return False
    write_atomic(path, data)
    return True


def available_old_layers(geodata_dir: Path | None = None) -> list[str]:
    """The old layers this dataset has (the reconstructed old communes may be absent)."""
    folder = geodata.folder(geodata_dir)
    return [k for k in OLD_LAYERS if (folder / geodata.LAYERS[k].path).is_file()]


def geo_dir(version: str, static_dir: Path | None = None) -> Path:
    """static/geo/<dataset version>/."""
    return (static_dir or leaflet.STATIC_DIR) / Path(mapdata.static_relative(version, "x")).parent


def _project_relative(path: Path) -> str:
    """``path`` relative to the project folder when inside it (a copied checkout keeps its stamp)."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(geodata.PROJECT_DIR))
    except ValueError:
        return str(path)


def _stamp_ok(stamp_path: Path, expected: dict, static_dir: Path) -> bool:
    try:
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if any(stamp.get(k) != v for k, v in expected.items()):
        return False
    files = [static_dir / f for f in stamp.get("files", [])] + [
        geodata.PROJECT_DIR / p for p in stamp.get("layer_caches", [])
    ]
    return bool(files) and all(f.is_file() for f in files)


def prepare(
    geodata_dir: Path | None = None,
    *,
    static_dir: Path | None = None,
    force: bool = False,
    log: Callable[[str], None] = print,
) -> dict:
    """Write every derived file (layer caches, display GeoJSON, bytecode); return the stamp written
    (or found, when nothing changed). Progress goes to ``log``."""
    started = time.perf_counter()
    static_dir = static_dir or leaflet.STATIC_DIR
    geodata_dir = geodata.folder(geodata_dir)
    version = geodata.load_manifest(geodata_dir)["version"]
    old_layers = available_old_layers(geodata_dir)
    layer_names = ["new_provinces", "new_communes", *old_layers]
    caches = [
        geodata.cache_path(geodata_dir / geodata.LAYERS[n].path, string_fields=geodata.layer_fields(n))
        for n in layer_names
    ]
    expected = {
        "dataset_version": version,
        "code_version": code_version(),
        "geodata": _project_relative(geodata_dir),
        "layer_caches": [_project_relative(p) for p in caches],
    }
    stamp_path = geo_dir(version, static_dir) / STAMP
    if not force and _stamp_ok(stamp_path, expected, static_dir):
        log(
            f"prepare: up to date (dataset {version}, code {expected['code_version']}), "
            f"{time.perf_counter() - started:.2f} s"
        )
        return json.loads(stamp_path.read_text(encoding="utf-8"))

    for i, name in enumerate(layer_names, 1):
        t = time.perf_counter()
        path, cache_written = write_layer_cache(name, geodata_dir)
        log(
            f"prepare: layer cache {i}/{len(layer_names)} {name}: {'written' if cache_written else 'up to date'} "
            f"({time.perf_counter() - t:.1f} s) → {path}"
        )

    loaded: dict[str, object] = {}

    def layer(name: str):  # the loader the app uses (through the caches just written), once per layer
        if name not in loaded:
            loaded[name] = geodata.load_layer(name, geodata_dir)
        return loaded[name]

    crosswalk = geodata.load_crosswalk(geodata_dir)
    provinces = sorted(layer("new_provinces")["code"])
    requests = mapdata.map_requests(provinces, old_layers)
    files, written = [], 0
    for i, (kind, province) in enumerate(requests, 1):
        t = time.perf_counter()
        relative = mapdata.static_relative(version, kind, province)
        text = mapdata.geometry_text(kind, province, layer=layer, crosswalk=crosswalk)
        written += _write_text_if_changed(static_dir / relative, text)
        files.append(relative)
        if i == 1 or i == len(requests) or i % 10 == 0 or time.perf_counter() - t > 1:
            log(
                f"prepare: map layer {i}/{len(requests)} {kind} {province or 'all'} "
                f"({len(text) / 1e6:.2f} MB, {time.perf_counter() - t:.1f} s)"
            )

    # Bytecode of lib/, so that modules imported late (on a first request) write no __pycache__.
    compileall.compile_dir(str(geodata.PROJECT_DIR / "lib"), quiet=1)

    stamp = {**expected, "files": files, "seconds": round(time.perf_counter() - started, 1)}
    _write_text_if_changed(stamp_path, json.dumps(stamp, ensure_ascii=False, indent=1))
    log(
        f"prepare: {len(files)} map layers ({written} written, {len(files) - written} unchanged) under "
        f"{geo_dir(version, static_dir)}, {len(caches)} layer caches, {time.perf_counter() - started:.1f} s"
    )
    return stamp


if __name__ == "__main__":
    prepare()
    sys.exit(0)
