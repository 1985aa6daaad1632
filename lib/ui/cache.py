"""Streamlit caching wrappers around the loaders: the one lib module that imports Streamlit."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib.data import geodata

T = TypeVar("T")
P = ParamSpec("P")


def _per_folder(cached: Callable[P, T]) -> Callable[P, T]:
    """``cached`` (a Streamlit-cached loader) always called with its arguments spelled out and ``geodata_dir``
    resolved now (None: the folder served, read from the settings at call time). Streamlit keys a value on the
    arguments given, not on defaults: so the folder is part of the key and a folder set after import is followed."""
    signature = inspect.signature(cached)
    call_cached: Callable[..., T] = cached

    @functools.wraps(cached)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        bound.arguments["geodata_dir"] = str(geodata.folder(bound.arguments["geodata_dir"]))
        return call_cached(*bound.args, **bound.kwargs)

    return call


# Layers and the crosswalk are shared by every session as the same objects (cache_resource):
# copying a 3,321-polygon frame on every rerun, as cache_data would, costs far more than
# the rest of a rerun. Callers must treat them as read-only (copy before changing).
@_per_folder
@st.cache_resource(show_spinner="Đang tải dữ liệu ranh giới…", max_entries=8)
def layer(name: str, geodata_dir: str | None = None) -> gpd.GeoDataFrame:
    """A layer of the bundled dataset (see ``lib.data.geodata.LAYERS``), loaded once per process; read-only."""
    return geodata.load_layer(name, geodata.folder(geodata_dir))


def has_layer(name: str, geodata_dir: str | None = None) -> bool:
    """Whether the dataset has this layer (the reconstructed old communes may be absent)."""
    return name in geodata.LAYERS and (geodata.folder(geodata_dir) / geodata.LAYERS[name].path).is_file()


@_per_folder
@st.cache_resource(show_spinner="Đang tải bảng chuyển đổi…", max_entries=4)
def crosswalk(geodata_dir: str | None = None) -> pd.DataFrame:
    """The commune crosswalk, loaded once per process; read-only."""
    return geodata.load_crosswalk(geodata.folder(geodata_dir))


@_per_folder
@st.cache_resource(max_entries=4)
def changes(geodata_dir: str | None = None) -> pd.DataFrame:
    """The dated change log of the new communes (``changes.csv``), loaded once per process; read-only."""
    from lib.data.asof import load_changes

    return load_changes(geodata.folder(geodata_dir))


@_per_folder
@st.cache_data(max_entries=8)
def crosswalk_on(on: str, geodata_dir: str | None = None) -> pd.DataFrame:
    """The crosswalk with the new communes' names and types as of ``on`` (ISO) and their legal basis."""
    from lib.data.asof import crosswalk_on as on_date

    return on_date(on, crosswalk(geodata_dir), changes(geodata_dir))


@_per_folder
@st.cache_data(max_entries=4)
def province_crosswalk(geodata_dir: str | None = None) -> pd.DataFrame:
    """The province crosswalk (63 → 34)."""
    return geodata.load_province_crosswalk(geodata.folder(geodata_dir))


@_per_folder
@st.cache_data(max_entries=4)
def manifest(geodata_dir: str | None = None) -> dict:
    """Version and counts of the dataset."""
    return geodata.load_manifest(geodata.folder(geodata_dir))


@_per_folder
@st.cache_data(show_spinner="Đang kiểm tra dữ liệu…", max_entries=2)
def validation_report(geodata_dir: str | None = None):
    """The validation report of the dataset in use (a few seconds; computed once)."""
    from lib.data.validate import validate_dataset

    return validate_dataset(geodata.folder(geodata_dir))


@_per_folder
@st.cache_data(max_entries=2)
def sources_text(geodata_dir: str | None = None) -> str:
    """geodata/SOURCES.md as text."""
    return (geodata.folder(geodata_dir) / "SOURCES.md").read_text(encoding="utf-8")


@st.cache_data(show_spinner="Đang chuẩn bị bản đồ…", max_entries=64)
def map_geometry(kind: str, province: str = "") -> str:
    """Compact GeoJSON text of one map layer, prepared once per (kind, province)."""
    from lib.maps import layers as mapdata

    return mapdata.geometry_text(kind, province, layer=layer, crosswalk=crosswalk())


def map_geometry_url(kind: str, province: str = "") -> str | None:
    """URL of a layer's GeoJSON prepared under static/geo/<dataset version>/ (``python -m lib.cli
    prepare``), or None when it was not prepared: the caller then inlines :func:`map_geometry`.
    Never writes, so the app can serve from a read-only checkout."""
    from lib.maps import layers as mapdata
    from lib.maps import leaflet

    relative = mapdata.static_relative(manifest()["version"], kind, province)
    return leaflet.static_url(relative) if (leaflet.STATIC_DIR / relative).is_file() else None


@st.cache_resource(max_entries=4)
def merge_structure() -> pd.DataFrame:
    """Predecessor counts per new commune (colour mode "merge")."""
    from lib.maps.style import merge_structure as compute

    return compute(crosswalk())


@_per_folder
@st.cache_resource(show_spinner="Đang dựng chỉ mục tìm kiếm…")
def search_index(geodata_dir: str | None = None):
    """The lookup search index over old and new units (one per process, read-only)."""
    from lib.lookup.search import SearchIndex

    attributes = {name: layer(name, geodata_dir).drop(columns="geometry") for name in ("new_communes", "new_provinces")}
    return SearchIndex.from_tables(crosswalk(geodata_dir), attributes["new_communes"], attributes["new_provinces"])


@_per_folder
@st.cache_data(max_entries=4)
def new_to_old_summary(geodata_dir: str | None = None) -> pd.DataFrame:
    """One row per new commune with its predecessors listed."""
    from lib.lookup.lineage import new_to_old_summary as summarise

    return summarise(crosswalk(geodata_dir))


# ---------------------------------------------------------------------- report template (lib.status.template)
@_per_folder
@st.cache_data(show_spinner=False, max_entries=8)  # called from a download button, where no spinner may draw
def report_template(province: str = "", geodata_dir: str | None = None) -> bytes:
    """The XLSX report template of one new province ("" = every commune), made once per process."""
    from lib.status import template

    communes = template.template_communes(crosswalk(geodata_dir), province or None)
    return template.template_bytes(communes, version=manifest(geodata_dir)["version"])


@_per_folder
@st.cache_resource(show_spinner="Đang chuẩn bị bộ chuyển đổi…")
def converter(geodata_dir: str | None = None):
    """The batch converter of old-unit lists (resolver indexes built once per process)."""
    from lib.lookup.convert import Converter

    old = layer("old_communes", geodata_dir) if has_layer("old_communes", geodata_dir) else None
    return Converter(resolver(geodata_dir), crosswalk(geodata_dir), old_communes=old)  # the status page's resolver


@st.cache_resource(show_spinner="Đang mở kho báo cáo tình hình…", max_entries=4)
def status_store(url: str):
    """The status store at ``url`` (one engine per process); demonstration data is written on first run
    (only into a store that never held a batch: not again once every batch was revoked)."""
    from lib.status import demo
    from lib.status.store import StatusStore

    store = StatusStore(url)
    if store.is_empty():
        demo.load_demo(store)  # only_if_empty: a concurrent first run cannot load it twice
    return store


@_per_folder
@st.cache_resource(show_spinner="Đang lập chỉ mục tên đơn vị…", max_entries=2)
def resolver(geodata_dir: str | None = None):
    """The unit resolver (codes, names, aliases) built once per process."""
    from lib.lookup.resolve import UnitResolver

    return UnitResolver.from_geodata(geodata.folder(geodata_dir))


@st.cache_data(show_spinner="Đang tính tình hình…", max_entries=32)
def status_table(url: str, as_of: str, revision: int, level: str = "commune") -> pd.DataFrame:
    """``lib.status.status.export_frame`` at ISO time ``as_of``; ``revision`` (``StatusStore.revision``)
    renews it after imports and revocations."""
    import datetime as dt

    from lib.status import status

    return status.export_frame(
        status_store(url), as_of=dt.datetime.fromisoformat(as_of), level=level, crosswalk=crosswalk()
    )


@st.cache_data(show_spinner="Đang tính tình hình…", max_entries=32)
def commune_status(url: str, as_of: str, revision: int) -> pd.DataFrame:
    """``lib.status.status.commune_status`` at ISO time ``as_of`` (one row per new commune, for the map)."""
    import datetime as dt

    from lib.status import status

    codes = sorted(crosswalk()["new_code"].unique())
    return status.commune_status(status_store(url), as_of=dt.datetime.fromisoformat(as_of), codes=codes)


@st.cache_data(show_spinner="Đang tính tình hình…", max_entries=16)
def status_on_day(url: str, day: str, revision: int) -> tuple[pd.DataFrame | None, str]:
    """Commune status at the end of ISO ``day`` ("" = the store's default time) and the day shown;
    ``revision`` (``StatusStore.revision``) renews it after imports and revocations."""
    import datetime as dt

    from lib.maps import staticdata

    frame, shown = staticdata.status_as_of(
        status_store(url), dt.date.fromisoformat(day) if day else None, codes=sorted(layer("new_communes")["code"])
    )
    return frame, shown.isoformat() if shown else ""


def briefing_inputs(url: str, day: str, revision: int):
    """Inputs of the briefing outputs from the cached layers and status (see ``lib.maps.staticdata.MapInputs``)."""
    import datetime as dt

    from lib.core.vocab import end_of_day
    from lib.maps import staticdata

    frame, shown = status_on_day(url, day, revision)
    return staticdata.MapInputs(
        communes=layer("new_communes"),
        provinces=layer("new_provinces"),
        crosswalk=crosswalk(),
        merge=merge_structure(),
        status=frame,
        as_of=dt.date.fromisoformat(shown) if shown else None,
        version=manifest()["version"],
        sources=staticdata.source_names(geodata.default_dir()),
        province_reports=(
            province_reports(url, end_of_day(dt.date.fromisoformat(shown)).isoformat(), revision) if shown else None
        ),
    )


@st.cache_data(show_spinner=False, max_entries=48)  # also called from download buttons, where no spinner may draw
def briefing_output(kind: str, province: str, level: str, mode: str, url: str, day: str, revision: int) -> bytes:
    """Bytes of one briefing output: ``kind`` is png, svg, pdf, html or brief."""
    from lib.maps import brief
    from lib.maps import html as htmlexport
    from lib.maps import static as staticmap
    from lib.maps.urlstate import ViewState

    inputs = briefing_inputs(url, day, revision)
    view = ViewState(province=province, level=level, mode=mode)
    if kind == "html":
        return htmlexport.render_html(view, inputs).encode("utf-8")
    if kind == "brief":
        return brief.brief_bytes(province, inputs)
    return staticmap.figure_bytes(staticmap.map_figure(view, inputs), kind)


def warm(log=print) -> dict[str, float]:
    """Fill this process's caches before the first visitor comes, so that the first visit waits
    no longer than the next ones: the heavy imports, the layers, the crosswalk, the status store
    (demonstration data on its first run), the search index and resolver, one map built and
    rendered (folium's templates compiled). Returns seconds per step.

    ``cache_resource`` values are process-global; the global ``cache_data`` caches made here are
    kept by key and found again by the sessions' runs (checked by the first-visit benchmark)."""
    import time

    timings: dict[str, float] = {}

    def step(name: str, func: Callable[[], T]) -> T:
        started = time.perf_counter()
        value = func()
        timings[name] = time.perf_counter() - started
        log(f"warm: {name} {timings[name]:.2f} s")
        return value

    # Not streamlit_folium: importing it declares its component, which must happen once the
    # server runs (declared before, the component's files are not served: 404).
    def imports() -> None:
        import folium  # noqa: F401
        import folium.plugins  # noqa: F401  (what streamlit_folium imports)

        from lib.lookup import unitinfo  # noqa: F401
        from lib.maps import style, urlstate, view  # noqa: F401
        from lib.status import status  # noqa: F401
        from lib.ui import widgets  # noqa: F401

    from lib.status.store import default_url

    step("imports (folium, lib)", imports)
    for name in geodata.LAYERS:
        if has_layer(name):
            step(f"layer {name}", functools.partial(layer, name))
    step("crosswalk", crosswalk)
    step("manifest", manifest)
    url = default_url()
    store = step("status store", lambda: status_store(url))
    step("merge structure", merge_structure)
    step("search index", search_index)
    step("resolver", resolver)

    def one_map() -> None:
        from lib.maps import leaflet
        from lib.maps import view as mapview
        from lib.maps.urlstate import ViewState
        from lib.status import status

        as_of = status.default_as_of(store)
        frame = commune_status(url, as_of.isoformat(), store.revision())
        for view in (ViewState(), ViewState(level="commune"), ViewState(province="01", layers=("old_communes",))):
            built = mapview.build(
                view,
                communes=layer("new_communes"),
                provinces=layer("new_provinces"),
                crosswalk=crosswalk(),
                merge=merge_structure(),
                status=frame,
                as_of=as_of,
                geometry=lambda kind, prov: map_geometry_url(kind, prov) or map_geometry(kind, prov),
                tiles=leaflet.configured_tiles(),
            )
            built.map.get_root().render()

    step("status of the communes, three maps built", one_map)
    # The dashboard's daily series reads every report once; later imports are read batch by batch.
    step("status reports for the daily series", lambda: report_cache().reports(store, store.batch_ids()))

    def reader_worker() -> None:
        from lib.io import sandbox

        sandbox.warm()

    step("reader worker (fork server with the readers loaded)", reader_worker)
    return timings


@st.cache_resource
def password_guard():
    """The one :class:`lib.ui.signin.PasswordGuard` of the process (failures counted across sessions)."""
    from lib.ui.signin import PasswordGuard

    return PasswordGuard()


def client_keys() -> list[str]:
    """Keys the import password's failures are counted under: this session, and the client address if known."""
    keys = []
    ctx = get_script_run_ctx()
    if ctx is not None:
        keys.append(f"session {ctx.session_id}")
    try:
        address = st.context.ip_address
    except (AttributeError, RuntimeError):
        address = None
    if address:
        keys.append(f"address {address}")
    return keys or ["anonymous"]


def upload_limit() -> str:
    """The size limit of an uploaded file (:attr:`lib.io.sheets.ReadLimits.max_bytes`) as "tối đa 20 MB", said in
    each uploader's label before a file is chosen: Streamlit's own refusal of a bigger file is in English."""
    from lib.io.sheets import ReadLimits, format_mb

    return f"tối đa {format_mb(ReadLimits.from_env().max_bytes)}"


@_per_folder
@st.cache_data(show_spinner="Đang tổng hợp chất lượng dữ liệu…", max_entries=2)
def quality_issues(geodata_dir: str | None = None) -> pd.DataFrame:
    """What is known wrong or uncertain, per unit (:func:`lib.lookup.quality_report.quality_issues`)."""
    from lib.lookup import quality_report

    return quality_report.quality_issues(
        crosswalk(geodata_dir),
        layer("new_communes", geodata_dir),
        new_provinces=layer("new_provinces", geodata_dir),
        **quality_report.load_inputs(geodata.folder(geodata_dir)),
    )


@st.cache_data(show_spinner=False, max_entries=16)
def province_reports(url: str, as_of: str, revision: int) -> pd.DataFrame:
    """``lib.status.status.province_reported_status`` at ISO time ``as_of``: what each province
    reports for its own (province-level) tasks, for the map's dots and legend."""
    import datetime as dt

    from lib.status import status

    codes = sorted(crosswalk()["new_province_code"].unique())
    return status.province_reported_status(status_store(url), as_of=dt.datetime.fromisoformat(as_of), codes=codes)


# ---------------------------------------------------------------------------------- the status dashboard
@st.cache_resource
def report_cache():
    """The process's :class:`lib.status.progress.ReportCache`: each imported batch is read from the store once."""
    from lib.status.progress import ReportCache

    return ReportCache()


@_per_folder
@st.cache_resource(max_entries=2)
def commune_province(geodata_dir: str | None = None) -> pd.Series:
    """New commune code → new province code, in code order."""
    communes = crosswalk(geodata_dir).drop_duplicates("new_code").set_index("new_code")["new_province_code"]
    return communes.sort_index()


@st.cache_data(show_spinner="Đang tính tiến độ theo ngày…", max_entries=16)
def daily_series(url: str, end: str, revision: int):
    """``lib.status.progress.daily_series`` from 01/07/2025 to ISO day ``end``; ``revision`` renews it after
    imports (the batches not yet read are read then, by this process or another)."""
    import datetime as dt

    from lib.status import progress

    provinces = commune_province()
    return progress.daily_series(
        status_store(url),
        dt.date.fromisoformat(end),
        codes=provinces.index,
        commune_province=provinces,
        cache=report_cache(),
    )


@st.cache_data(show_spinner="Đang lập danh sách cần đôn đốc…", max_entries=16)
def named_commune_status(url: str, as_of: str, revision: int) -> pd.DataFrame:
    """``commune_status`` at ISO time ``as_of`` with the names of the communes and their provinces."""
    from lib.status import followup

    return followup.with_names(commune_status(url, as_of, revision), crosswalk())
