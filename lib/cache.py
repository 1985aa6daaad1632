"""Streamlit caching wrappers around the loaders: the one lib module that imports Streamlit."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from lib import geodata


@st.cache_data(show_spinner="Đang tải dữ liệu ranh giới…", max_entries=8)
def layer(name: str, geodata_dir: str = str(geodata.DEFAULT_DIR)) -> gpd.GeoDataFrame:
    """A layer of the bundled dataset (see ``lib.geodata.LAYERS``), loaded once per process."""
    return geodata.load_layer(name, Path(geodata_dir))


@st.cache_data(show_spinner="Đang tải bảng chuyển đổi…", max_entries=4)
def crosswalk(geodata_dir: str = str(geodata.DEFAULT_DIR)) -> pd.DataFrame:
    """The commune crosswalk, loaded once per process."""
    return geodata.load_crosswalk(Path(geodata_dir))


@st.cache_data(max_entries=4)
def province_crosswalk(geodata_dir: str = str(geodata.DEFAULT_DIR)) -> pd.DataFrame:
    """The province crosswalk (63 → 34)."""
    return geodata.load_province_crosswalk(Path(geodata_dir))


@st.cache_data(max_entries=4)
def manifest(geodata_dir: str = str(geodata.DEFAULT_DIR)) -> dict:
    """Version and counts of the dataset."""
    return geodata.load_manifest(Path(geodata_dir))


@st.cache_data(show_spinner="Đang kiểm tra dữ liệu…", max_entries=2)
def validation_report(geodata_dir: str = str(geodata.DEFAULT_DIR)):
    """The validation report of the dataset in use (a few seconds; computed once)."""
    from lib.validate import validate_dataset

    return validate_dataset(Path(geodata_dir))


@st.cache_data(max_entries=2)
def sources_text(geodata_dir: str = str(geodata.DEFAULT_DIR)) -> str:
    """geodata/SOURCES.md as text."""
    return (Path(geodata_dir) / "SOURCES.md").read_text(encoding="utf-8")
