"""The old communes' confidence on the map: class property and tooltip per commune, line style per class,
legend of the line styles, and the panel's record."""

import json
import re

import geopandas as gpd
import pandas as pd
from shapely.geometry import box

from lib.data.confidence import CLASS_LABELS, METHOD_LABELS
from lib.maps import layers as maplayers
from lib.maps import view as mapview
from lib.maps.style import OLD_COMMUNE_CLASS_LINES, merge_structure
from lib.maps.urlstate import ViewState
from tests.test_mapview import EVIL, tiny


def old_layer() -> gpd.GeoDataFrame:
    """Four old communes of new province 01 (10001–10004) and one of 79 (10005), one per class and a second high."""
    return gpd.GeoDataFrame(
        {
            "code": ["10001", "10002", "10003", "10004", "10005"],
            "name": [EVIL, "Xã Y", "Xã V", "Xã W", "Xã Z"],
            "method": ["census2009", "points", "points", "fallback", "exact"],
            "confidence": [0.93, 0.78, 0.41, 0.0, 1.0],
            "reconstructed": [True, True, True, True, False],
        },
        geometry=[box(105.8 + i * 0.05, 21.0, 105.85 + i * 0.05, 21.1) for i in range(5)],
        crs="EPSG:4326",
    )


def old_crosswalk() -> pd.DataFrame:
    _, _, crosswalk = tiny()
    extra = crosswalk.iloc[[0, 0]].assign(old_code=["10003", "10004"], old_name=["Xã V", "Xã W"])
    return pd.concat([crosswalk, extra], ignore_index=True)


def features(province: str = "") -> dict[str, dict]:
    layer = old_layer()
    text = maplayers.geometry_text("old_communes", province, layer=lambda name: layer, crosswalk=old_crosswalk())
    return {f["properties"]["code"]: f["properties"] for f in json.loads(text)["features"]}


def test_each_old_commune_carries_its_class_and_a_tooltip_that_says_it():
    props = features()
    assert {code: p["cls"] for code, p in props.items()} == {
        "10001": "high",
        "10002": "medium",
        "10003": "low",
        "10004": "unknown",
        "10005": "high",
    }
    lines = props["10002"]["label"].split("\n")
    assert lines[0] == "Xã Y (cũ, ranh giới dựng lại)"
    assert lines[1] == f"Độ tin cậy: {CLASS_LABELS['medium']} — IoU dự đoán 0,78"
    assert lines[2] == f"Cách dựng: {METHOD_LABELS['points']}"
    assert "Độ tin cậy: chưa rõ" in props["10004"]["label"]
    assert props["10001"]["label"].startswith(EVIL)  # the name is data: kept as text, escaped by the browser
    assert set(features("01")) == {"10001", "10002", "10003", "10004"}


def test_line_style_differs_by_class_and_reaches_the_map_escaped():
    dashes = {name: style.get("dashArray") for name, style in OLD_COMMUNE_CLASS_LINES.items()}
    assert len(set(dashes.values())) == len(dashes)  # solid, dashed, dotted, dash-dot
    assert dashes["high"] is None
    communes, provinces, _ = tiny()
    layer = old_layer()
    built = mapview.build(
        ViewState(province="01", layers=("old_communes",)),
        communes=communes,
        provinces=provinces,
        crosswalk=old_crosswalk(),
        geometry=lambda kind, prov: (
            maplayers.geometry_text(kind, prov, layer=lambda n: layer, crosswalk=old_crosswalk())
            if kind == "old_communes"
            else '{"type":"FeatureCollection","features":[]}'
        ),
        merge=merge_structure(old_crosswalk()),
        status=None,
        old_communes=layer,
    )
    html = built.map.get_root().render()
    by_class = [json.loads(text) for text in re.findall(r"var byClass = (\{.*?\});\n", html)]
    assert by_class == [{}, OLD_COMMUNE_CLASS_LINES]  # the new communes have no classes; the old ones do
    assert "<script>alert" not in html and "textContent" in html and "whiteSpace = 'pre'" in html
    # the legend of the line styles counts the old communes of province 01 only
    counts = {label.split(":")[0]: count for _, label, count in built.old_lines.entries}
    assert counts == {"Cao": 1, "Khá": 1, "Thấp": 1, "Chưa rõ": 1}
    assert any("IoU dự đoán" in note for note in built.old_lines.notes)


def test_no_line_legend_without_the_old_communes():
    communes, provinces, crosswalk = tiny()
    built = mapview.build(
        ViewState(province="01", layers=("old_districts",)),
        communes=communes,
        provinces=provinces,
        crosswalk=crosswalk,
        geometry=lambda kind, prov: '{"type":"FeatureCollection","features":[]}',
        merge=merge_structure(crosswalk),
        status=None,
    )
    assert built.old_lines is None


def test_panel_record_of_an_old_commune_says_method_iou_and_class():
    communes, _, _ = tiny()
    tables = mapview.panel_tables(
        ViewState(province="01", old="10002"), communes=communes, crosswalk=old_crosswalk(), old_communes=old_layer()
    )
    old = tables["old"]
    assert (old["method"], old["confidence"], old["confidence_class"], old["class_label"]) == (
        "points",
        0.78,
        "medium",
        "khá",
    )
    assert old["method_label"] == METHOD_LABELS["points"]
    bare = mapview.panel_tables(ViewState(province="01", old="10002"), communes=communes, crosswalk=old_crosswalk())
    assert "confidence_class" not in bare["old"]


def test_every_module_that_shapes_the_prepared_layers_is_in_their_code_version():
    """A change of class thresholds or words must re-prepare the static layers (their version hashes these)."""
    import ast
    from pathlib import Path

    from lib.maps.prepare import CODE_MODULES

    root = Path(__file__).resolve().parents[1]
    seen, todo = set(), ["lib/maps/layers.py"]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for node in ast.walk(ast.parse((root / path).read_text(encoding="utf-8"))):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            names += [f"{node.module}.{a.name}" for a in getattr(node, "names", []) if isinstance(node, ast.ImportFrom)]
            for name in names:
                module = name.replace(".", "/") + ".py"
                if name.startswith("lib.") and (root / module).is_file():
                    todo.append(module)
    assert seen <= set(CODE_MODULES), sorted(seen - set(CODE_MODULES))
