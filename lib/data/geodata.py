"""The bundled dataset under geodata/: where each layer lives and how to load it with string codes."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyogrio

from lib.core.settings import settings

PROJECT_DIR = Path(__file__).resolve().parents[2]
MANIFEST = "manifest.json"
CROSSWALK = "crosswalk.csv"
CROSSWALK_PROVINCES = "crosswalk_provinces.csv"
CROSSWALK_REJECTED = "crosswalk_rejected.csv"
OLD_COMMUNE_LIST = "old/gso_communes.csv"
OLD_DISTRICT_LIST = "old/gso_districts.csv"
# Reports of the old-commune reconstruction (issue 7).
OLD_DISTRICT_IOU = "old/districts_iou.csv"
OLD_POINTS_OUTSIDE = "old/points_outside.csv"
OLD_HOLDOUT = "old/holdout_iou.csv"
OLD_QUALITY = "old/quality.txt"
OLD_EXCLAVES = "old/exclaves.csv"  # far parts of old communes kept, with the reason (issue 14)


def default_dir() -> Path:
    """The dataset folder served: geodata/, or another of the same shape (setting ``geodata_dir``)."""
    return settings().geodata_dir


def cache_dir() -> Path:
    """The folder of the layers' GeoParquet copies (setting ``cache_dir``)."""
    return settings().cache_dir


def folder(geodata_dir: Path | str | None = None) -> Path:
    """The dataset folder ``geodata_dir``, or when None the one served (:func:`default_dir`), read at call time."""
    return Path(geodata_dir) if geodata_dir is not None else default_dir()


@dataclass(frozen=True)
class Layer:
    """One polygon layer of the dataset: its file, code field and width, expected count."""

    name: str
    path: str
    code_field: str
    code_width: int
    expected_count: int | None
    string_fields: tuple[str, ...] = ()


LAYERS = {
    "new_provinces": Layer("new_provinces", "new/provinces.geojson", "code", 2, 34),
    "new_communes": Layer("new_communes", "new/communes.geojson", "code", 5, 3321, ("province_code",)),
    "old_provinces": Layer("old_provinces", "old/provinces.geojson", "code", 2, 63),
    "old_districts": Layer("old_districts", "old/districts.geojson", "code", 3, None, ("province_code",)),
    "old_communes": Layer(
        "old_communes", "old/communes.geojson", "code", 5, 10035, ("district_code", "province_code", "new_codes")
    ),
}

# Code columns of the CSV tables, read as text so that leading zeros survive.
CROSSWALK_CODE_COLUMNS = [
    "old_code",
    "old_district_code",
    "old_province_code",
    "new_code",
    "new_province_code",
]


def read_layer(path: Path, *, string_fields: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """Read a GeoJSON/GeoPackage/... layer with pyogrio, keeping ``string_fields`` as text."""
    gdf = pyogrio.read_dataframe(path, use_arrow=True)
    for field in string_fields:
        if field in gdf.columns:
            gdf[field] = gdf[field].astype(str)
    return gdf


# Bumped when the cached copy's contents change shape (e.g. which fields are kept as text).
CACHE_FORMAT = 2


def _content_key(path: Path, string_fields: tuple[str, ...]) -> str:
    """Key of a layer file's cached copy: its bytes (not its path or time, so that a copied or
    freshly checked-out folder keeps its prepared caches), the text fields and the cache format."""
    digest = hashlib.sha1(f"{CACHE_FORMAT}|{','.join(string_fields)}|".encode())
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def cache_path(path: Path, *, string_fields: tuple[str, ...] = ()) -> Path:
    """Where the GeoParquet copy of layer file ``path`` lives under :func:`cache_dir`."""
    return cache_dir() / f"{path.parent.name}-{path.stem}-{_content_key(path, string_fields)}.parquet"


def read_layer_cached(path: Path, *, string_fields: tuple[str, ...] = ()) -> gpd.GeoDataFrame:
    """:func:`read_layer` through a GeoParquet copy under :func:`cache_dir` if one was prepared.

    Parsing GeoJSON costs about a second for the communes; the binary copy loads in a
    fraction of that. The copy is keyed by the file's contents, so an edited or rebuilt file
    is read afresh. This never writes: only the prepare step (``lib.maps.prepare.write_layer_cache``,
    ``python -m lib.cli prepare``) does, so the app can serve from a read-only checkout.
    """
    cached = cache_path(path, string_fields=string_fields)
    if cached.is_file():
        try:
            return gpd.read_parquet(cached)
        except Exception as err:  # a damaged copy: the GeoJSON is the truth
            logging.getLogger(__name__).warning("layer cache %s unreadable (%s); reading %s", cached, err, path)
    return read_layer(path, string_fields=string_fields)


def layer_fields(name: str) -> tuple[str, ...]:
    """The fields of layer ``name`` read as text (its code and the ``string_fields``)."""
    layer = LAYERS[name]
    return (layer.code_field, *layer.string_fields)


def load_layer(name: str, geodata_dir: Path | None = None) -> gpd.GeoDataFrame:
    """Load one layer of :data:`LAYERS` from ``geodata_dir``."""
    return read_layer_cached(folder(geodata_dir) / LAYERS[name].path, string_fields=layer_fields(name))


# Attributes of the reconstructed old communes that say how far each polygon can be trusted.
OLD_CONFIDENCE_FIELDS = ("code", "method", "confidence")


def load_old_commune_confidence(geodata_dir: Path | None = None) -> pd.DataFrame | None:
    """``code``, ``method`` and ``confidence`` (predicted IoU) of each reconstructed old commune, without
    geometry (from the prepared copy when there is one), or None when the dataset has no old-commune layer."""
    path = folder(geodata_dir) / LAYERS["old_communes"].path
    if not path.is_file():
        return None
    cached = cache_path(path, string_fields=layer_fields("old_communes"))
    if cached.is_file():
        try:
            names = set(pq.read_schema(cached).names)
            return pd.read_parquet(cached, columns=[c for c in OLD_CONFIDENCE_FIELDS if c in names])
        except Exception as err:  # a damaged copy: the GeoJSON is the truth
            logging.getLogger(__name__).warning("layer cache %s unreadable (%s); reading %s", cached, err, path)
    fields = set(pyogrio.read_info(path)["fields"])
    columns = [c for c in OLD_CONFIDENCE_FIELDS if c in fields]
    table = pyogrio.read_dataframe(path, columns=columns, read_geometry=False, use_arrow=True)
    table["code"] = table["code"].astype(str)
    return pd.DataFrame(table)


def load_new_communes(geodata_dir: Path | None = None) -> gpd.GeoDataFrame:
    """The 3,321 new communes (EPSG:4326) with their attributes."""
    return load_layer("new_communes", geodata_dir)


def load_new_provinces(geodata_dir: Path | None = None) -> gpd.GeoDataFrame:
    """The 34 new provinces, dissolved from the new communes."""
    return load_layer("new_provinces", geodata_dir)


def read_code_table(path: Path, code_columns: list[str]) -> pd.DataFrame:
    """Read a CSV table with ``code_columns`` as text (the file may carry a UTF-8 BOM)."""
    return pd.read_csv(
        path,
        dtype={c: str for c in code_columns},
        encoding="utf-8-sig",
        keep_default_na=False,
        na_values={"area_km2": [""], "share_of_old": [""], "share_of_new": [""], "evidence_km": [""]},
    )


def load_old_commune_list(geodata_dir: Path | None = None) -> pd.DataFrame:
    """The GSO list of the 10,035 communes of 30/06/2025 (code, name, type, district, province)."""
    return read_code_table(folder(geodata_dir) / OLD_COMMUNE_LIST, ["code", "district_code", "province_code"])


def load_crosswalk(geodata_dir: Path | None = None) -> pd.DataFrame:
    """One row per (old unit, new commune) pair; see ``lib.data.contract.COLUMN_DOCS``."""
    return read_code_table(folder(geodata_dir) / CROSSWALK, CROSSWALK_CODE_COLUMNS)


def load_province_crosswalk(geodata_dir: Path | None = None) -> pd.DataFrame:
    """One row per (old province, new province) pair."""
    return read_code_table(folder(geodata_dir) / CROSSWALK_PROVINCES, ["old_province_code", "new_province_code"])


def load_manifest(geodata_dir: Path | None = None) -> dict:
    """Dataset version, counts and source hashes written by the build."""
    return json.loads((folder(geodata_dir) / MANIFEST).read_text(encoding="utf-8"))
