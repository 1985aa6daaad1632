"""Readers of the public source files (see ../shared/sources/README.md), returning clean tables.

Every reader takes the sources folder, returns codes as zero-padded strings and names in
NFC, and raises :class:`SourceError` naming the file when something expected is missing.

Every reader also returns its rows in a canonical order (a stable sort on a unique key, see
:func:`_canonical`), so that nothing downstream depends on the order of the rows in the
source files: the same source data gives a byte-identical dataset (tests/test_build.py).
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import geopandas as gpd
import pandas as pd

from lib.assemble.census import CENSUS_2009
from lib.data.contract import fix_new_code
from lib.data.names import name_key, pad_code, pad_codes, split_unit_type

NEW_COMMUNES = "new2025/communes_2025.parquet"
UNITS_TREE = "new2025/units_tree_2026-07-25.json"
SAPNHAP_COMMUNES = "new2025/sapnhap_communes_2025-07-17.csv"
SAPNHAP_PROVINCES = "new2025/sapnhap_provinces_2025-07-17.csv"
PREDECESSOR_TEXTS = "new2025/sapnhap_units_predecessors.json"
GSO_COMMUNES = "old2025/gso_communes_2025-06-30.csv"
GSO_DISTRICTS = "old2025/gso_districts_2025-06-30.csv"
GIS_DISTRICTS = "old2025/districts_gis_chinhphu.parquet"
COMMUNE_POINTS = "old2025/commune_points_geocoded.csv"
VAU_CROSSWALK = "crosswalk/vietnamadminunits_old_to_new_2025.csv"
DVHCVN_MERGES = "crosswalk/dvhcvn_20250701_merges.json"
NSO_PROVINCES = "nso2026/tinh_tp.json"
NSO_COMMUNES_DIR = "nso2026/xa-phuong"
NSO_TYPES = ("xa", "phuong", "dac-khu")


class SourceError(Exception):
    """A source file is missing or does not have the expected shape."""


def _path(sources: Path, relative: str) -> Path:
    path = Path(sources) / relative
    if not path.is_file():
        raise SourceError(f"source file not found: {path}")
    return path


def _nfc(series: pd.Series) -> pd.Series:
    return series.map(lambda s: unicodedata.normalize("NFC", s).strip() if isinstance(s, str) else s)


def _canonical(frame: pd.DataFrame, keys: list[str], path: Path) -> pd.DataFrame:
    """``frame`` stably sorted by ``keys``, which must identify a row (else :class:`SourceError`)."""
    duplicated = frame.duplicated(keys)
    if duplicated.any():
        example = frame.loc[duplicated, keys].iloc[0].tolist()
        raise SourceError(f"{path}: rows are not unique by {', '.join(keys)} (e.g. {example})")
    return frame.sort_values(keys, kind="mergesort", ignore_index=True)


def _require(frame: pd.DataFrame, columns: list[str], path: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SourceError(f"{path}: missing column(s) {', '.join(missing)}")


def read_new_provinces(sources: Path) -> pd.DataFrame:
    """The 34 new provinces: ``code``, ``name``, ``full_name``, ``name_en``."""
    path = _path(sources, UNITS_TREE)
    tree = json.loads(path.read_text(encoding="utf-8"))
    rows = [
        {"code": pad_code(p["Code"], 2), "name": p["Name"], "full_name": p["FullName"], "name_en": p["NameEn"]}
        for p in tree
    ]
    frame = pd.DataFrame(rows)
    for column in ("name", "full_name", "name_en"):
        frame[column] = _nfc(frame[column])
    return _canonical(frame, ["code"], path)


def read_new_communes(sources: Path) -> gpd.GeoDataFrame:
    """The 3,321 new communes with the known code fixes applied (see ``lib.data.contract.NEW_CODE_FIXES``)."""
    path = _path(sources, NEW_COMMUNES)
    gdf = gpd.read_parquet(path)
    _require(gdf, ["code", "name", "fullName", "nameEn", "province_code", "areaKm2", "gisServerId"], path)
    gdf["code"] = pad_codes(gdf["code"], 5).map(fix_new_code)
    gdf["province_code"] = pad_codes(gdf["province_code"], 2)
    for column in ("name", "fullName", "nameEn"):
        gdf[column] = _nfc(gdf[column])
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise SourceError(f"{path}: expected EPSG:4326, found {gdf.crs}")
    return _canonical(gdf, ["code"], path)


def read_sapnhap_communes(sources: Path) -> pd.DataFrame:
    """Attributes of the merger map per new commune: population, area, administrative centre.

    Keyed by ``province_key`` + ``name_key`` (the site's ids are not GSO codes). Rows come in
    the order of the site's numeric ``id``: ten pairs of communes share a key once diacritics
    are folded (Lộc Thành / Lộc Thạnh ...), and a caller keeping the first gets the lower id.
    """
    path = _path(sources, SAPNHAP_COMMUNES)
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    _require(frame, ["id", "tentinh", "tenhc", "loai", "dientichkm2", "dansonguoi", "trungtamhc"], path)
    frame = _canonical(frame.assign(_id=pd.to_numeric(frame["id"], errors="raise")), ["_id"], path)
    return pd.DataFrame(
        {
            "province_key": frame["tentinh"].map(name_key),
            "name_key": frame["tenhc"].map(name_key),
            "population": pd.to_numeric(frame["dansonguoi"], errors="coerce"),
            "admin_centre": _nfc(frame["trungtamhc"]),
            "centre_lon": pd.to_numeric(frame["kinhdo"], errors="coerce"),
            "centre_lat": pd.to_numeric(frame["vido"], errors="coerce"),
        }
    )


def _vn_number(text: object) -> float:
    """Parse "3.359,80" or "8.718.000" (Vietnamese separators)."""
    if not isinstance(text, str) or not text.strip():
        return float("nan")
    return float(text.strip().replace(".", "").replace(",", "."))


def read_sapnhap_provinces(sources: Path) -> pd.DataFrame:
    """Population and administrative centre per new province, keyed by ``province_key``."""
    path = _path(sources, SAPNHAP_PROVINCES)
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    _require(frame, ["tentinh", "dansonguoi", "trungtamhc", "truocsapnhap"], path)
    out = pd.DataFrame(
        {
            "province_key": frame["tentinh"].map(name_key),
            "population": frame["dansonguoi"].map(_vn_number),
            "admin_centre": _nfc(frame["trungtamhc"]),
        }
    )
    return _canonical(out, ["province_key"], path)


def read_predecessor_texts(sources: Path) -> pd.Series:
    """The merger map's free-text predecessor description per new unit code."""
    path = _path(sources, PREDECESSOR_TEXTS)
    rows = json.loads(path.read_text(encoding="utf-8"))
    frame = pd.DataFrame(
        {
            "code": [fix_new_code(pad_code(r["ma"], 5 if len(str(r["ma"])) > 2 else 2)) for r in rows],
            "text": [unicodedata.normalize("NFC", r.get("truocsapnhap") or "") for r in rows],
        }
    )
    frame = _canonical(frame, ["code"], path)
    return pd.Series(frame["text"].to_numpy(), index=frame["code"].to_numpy())


def read_old_communes(sources: Path) -> pd.DataFrame:
    """The 10,035 communes of the GSO list of 30/06/2025 with district and province."""
    path = _path(sources, GSO_COMMUNES)
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    _require(frame, ["Mã", "Tên", "Cấp", "Mã QH", "Quận Huyện", "Mã TP", "Tỉnh / Thành Phố"], path)
    out = pd.DataFrame(
        {
            "code": pad_codes(frame["Mã"], 5),
            "name": _nfc(frame["Tên"]),
            "type": _nfc(frame["Cấp"]),
            "district_code": pad_codes(frame["Mã QH"], 3),
            "district_name": _nfc(frame["Quận Huyện"]),
            "province_code": pad_codes(frame["Mã TP"], 2),
            "province_name": _nfc(frame["Tỉnh / Thành Phố"]),
        }
    )
    duplicated = out["code"][out["code"].duplicated()]
    if len(duplicated):
        raise SourceError(f"{path}: duplicated commune codes {', '.join(duplicated.head(5))}")
    return _canonical(out, ["code"], path)


def read_old_districts(sources: Path) -> pd.DataFrame:
    """The ~696 districts of the GSO list of 30/06/2025."""
    path = _path(sources, GSO_DISTRICTS)
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    _require(frame, ["Mã", "Tên", "Cấp", "Mã TP", "Tỉnh / Thành Phố"], path)
    out = pd.DataFrame(
        {
            "code": pad_codes(frame["Mã"], 3),
            "name": _nfc(frame["Tên"]),
            "type": _nfc(frame["Cấp"]),
            "province_code": pad_codes(frame["Mã TP"], 2),
            "province_name": _nfc(frame["Tỉnh / Thành Phố"]),
        }
    )
    return _canonical(out, ["code"], path)


def read_gis_districts(sources: Path) -> gpd.GeoDataFrame:
    """Old district polygons of gis.chinhphu.vn (692, mixed vintage: see the sources README)."""
    path = _path(sources, GIS_DISTRICTS)
    gdf = gpd.read_parquet(path)
    _require(gdf, ["province_code", "district_code", "name"], path)
    gdf["province_code"] = pad_codes(gdf["province_code"], 2)
    gdf["district_code"] = pad_codes(gdf["district_code"], 3)
    return _canonical(gdf, ["district_code"], path)


def read_vau_pairs(sources: Path) -> pd.DataFrame:
    """vietnamadminunits old→new pairs: ``old_code``, ``old_level``, ``new_code``, ``divided``.

    Its five rows without a commune are island districts that became special zones (đặc khu):
    they get ``old_level`` "district" and the 3-digit district code.
    """
    path = _path(sources, VAU_CROSSWALK)
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    _require(frame, ["wardCode", "districtCode", "newWardCode", "isDividedWard"], path)
    is_district = frame["wardCode"].isna()
    old_code = pd.Series(index=frame.index, dtype=object)
    old_code[~is_district] = pad_codes(frame.loc[~is_district, "wardCode"], 5)
    old_code[is_district] = pad_codes(frame.loc[is_district, "districtCode"], 3)
    pairs = pd.DataFrame(
        {
            "old_code": old_code,
            "old_level": is_district.map({True: "district", False: "commune"}),
            "new_code": pad_codes(frame["newWardCode"], 5).map(fix_new_code),
            "divided": frame["isDividedWard"].str.lower().eq("true"),
        }
    )
    # Sorted on every column first, so that which of two repeated rows is kept does not depend on the file's order.
    pairs = pairs.sort_values(["old_code", "new_code", "old_level", "divided"], kind="mergesort", ignore_index=True)
    return pairs.drop_duplicates(["old_code", "new_code"], ignore_index=True)


def read_dvhcvn_pairs(sources: Path) -> pd.DataFrame:
    """dvhcvn pairs from the resolutions: ``old_code``, ``new_code``, ``type`` (full/partial), names."""
    path = _path(sources, DVHCVN_MERGES)
    data = json.loads(path.read_text(encoding="utf-8"))
    try:
        rows = [
            {
                "old_code": str(old["old_id"]),
                "new_code": fix_new_code(str(new["level2_id"])),
                "type": old["type"],
                "old_name_dvhcvn": unicodedata.normalize("NFC", old["name"]),
            }
            for province in data["data"]
            for new in province["level2s"]
            for old in new["merges"]
        ]
    except (KeyError, TypeError) as err:
        raise SourceError(f"{path}: unexpected structure ({err})") from None
    if not rows:
        raise SourceError(f"{path}: no (old, new) pairs found")
    frame = pd.DataFrame(rows)
    # Island districts appear with their 3-digit district code as the old id.
    frame["old_level"] = frame["old_code"].str.len().map({3: "district", 5: "commune"})
    if frame["old_level"].isna().any():
        bad = frame.loc[frame["old_level"].isna(), "old_code"].iloc[0]
        raise SourceError(f"{path}: old id {bad!r} is neither a 3- nor a 5-digit code")
    frame = frame.sort_values(["old_code", "new_code", "type", "old_name_dvhcvn"], kind="mergesort", ignore_index=True)
    return frame.drop_duplicates(["old_code", "new_code"], ignore_index=True)


def read_commune_points(sources: Path) -> pd.DataFrame:
    """Geocoded point per old commune (hints, not truth: see the sources README)."""
    path = _path(sources, COMMUNE_POINTS)
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    _require(frame, ["commune_code", "lat", "lon"], path)
    frame = frame.dropna(subset=["commune_code"])
    out = pd.DataFrame(
        {
            "code": pad_codes(frame["commune_code"], 5),
            "lat": pd.to_numeric(frame["lat"]),
            "lon": pd.to_numeric(frame["lon"]),
        }
    )
    return _canonical(out, ["code"], path)


def read_nso_provinces(sources: Path) -> pd.DataFrame:
    """The catalogue's 34 provinces: ``code``, ``name``, ``type``, ``name_with_type``, sorted by code."""
    path = _path(sources, NSO_PROVINCES)
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = data.values() if isinstance(data, dict) else data
    frame = pd.DataFrame([{k: r.get(k, "") for k in ("code", "name", "type", "name_with_type")} for r in rows])
    _require(frame, ["code", "name"], path)
    frame["code"] = pad_codes(frame["code"], 2)
    for column in ("name", "type", "name_with_type"):
        frame[column] = _nfc(frame[column])
    return _canonical(frame, ["code"], path)


def nso_commune_files(sources: Path) -> list[str]:
    """Relative paths of the catalogue's per-province commune files, in name order."""
    folder = Path(sources) / NSO_COMMUNES_DIR
    if not folder.is_dir():
        raise SourceError(f"source folder not found: {folder}")
    return [f"{NSO_COMMUNES_DIR}/{p.name}" for p in sorted(folder.glob("*.json"))]


def read_nso_communes(sources: Path) -> pd.DataFrame:
    """The catalogue's 3,321 communes, sorted by code.

    Columns: ``code``, ``name`` (with its type word, "Phường Ba Đình"), ``type`` (xa / phuong /
    dac-khu), ``name_with_type``, ``province_code`` (the ``parent_code``), ``note`` (the official
    change text with its legal basis) and ``file`` (the province file it came from).
    """
    rows = []
    for relative in nso_commune_files(sources):
        path = _path(sources, relative)
        data = json.loads(path.read_text(encoding="utf-8"))
        for key, unit in data.items() if isinstance(data, dict) else enumerate(data):
            rows.append(
                {
                    "code": unit.get("code", key),
                    "name": unit.get("name", ""),
                    "type": unit.get("type", ""),
                    "name_with_type": unit.get("name_with_type", ""),
                    "province_code": unit.get("parent_code", ""),
                    "note": unit.get("note", "") or "",
                    "file": relative,
                }
            )
    folder = Path(sources) / NSO_COMMUNES_DIR
    frame = pd.DataFrame(rows, columns=["code", "name", "type", "name_with_type", "province_code", "note", "file"])
    frame["code"] = pad_codes(frame["code"], 5)
    frame["province_code"] = pad_codes(frame["province_code"], 2)
    for column in ("name", "type", "name_with_type", "note"):
        frame[column] = _nfc(frame[column])
    unknown = frame[~frame["type"].isin(NSO_TYPES)]
    if not unknown.empty:
        raise SourceError(f"{folder}: unit type {unknown['type'].iloc[0]!r} of {unknown['code'].iloc[0]} unknown")
    return _canonical(frame, ["code"], folder)


def source_file_list(sources: Path | None = None) -> list[str]:
    """Relative paths of every source file the build reads (for provenance hashes); the catalogue's
    per-province files are listed when the ``sources`` folder is given."""
    return [
        NEW_COMMUNES,
        UNITS_TREE,
        SAPNHAP_COMMUNES,
        SAPNHAP_PROVINCES,
        PREDECESSOR_TEXTS,
        GSO_COMMUNES,
        GSO_DISTRICTS,
        GIS_DISTRICTS,
        COMMUNE_POINTS,
        CENSUS_2009,
        VAU_CROSSWALK,
        DVHCVN_MERGES,
        NSO_PROVINCES,
        *(nso_commune_files(sources) if sources is not None else []),
    ]


def unit_type_of(full_name: str) -> str:
    """Unit type word of a full name, normalised to "Xã", "Phường", "Đặc khu"..."""
    unit_type, _ = split_unit_type(full_name)
    return unit_type
