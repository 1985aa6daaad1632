"""Validation of user layers and tables: each bad input gets a message naming file and feature.

Layer messages are Vietnamese (the page Dữ liệu shows them); the dataset checks stay English."""

import json
import tempfile

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Polygon, box

from lib.data.validate import (
    LayerError,
    crosswalk_problems,
    layer_problems,
    nesting_problems,
    read_user_layer,
    tiling_problems,
)
from lib.io.layers import check_uploaded_layer, layer_fields


def squares(codes=("00001", "00002", "00003"), crs="EPSG:4326"):
    """Three 0.1° squares side by side near Hà Nội."""
    return gpd.GeoDataFrame(
        {"ma": list(codes), "ten": ["Xã Một", "Xã Hai", "Xã Ba"][: len(codes)]},
        geometry=[box(105.8 + 0.1 * i, 21.0, 105.9 + 0.1 * i, 21.1) for i in range(len(codes))],
        crs=crs,
    )


def problems(gdf, **kw):
    return layer_problems(gdf, source="xa.geojson", code_field="ma", name_field="ten", code_width=5, **kw)


def test_good_layer_has_no_problem():
    assert problems(squares(), expected_count=3) == []


def test_projected_crs_is_named():
    projected = squares().to_crs("EPSG:3405")  # VN-2000 / UTM zone 48N
    [message] = problems(projected)
    assert "xa.geojson" in message and "toạ độ phẳng" in message and "EPSG:4326" in message


def test_metres_without_crs_are_recognised():
    gdf = squares().to_crs("EPSG:3405").set_crs(None, allow_override=True)
    [message] = problems(gdf)
    assert "ngoài khung kinh độ/vĩ độ của Việt Nam" in message and "mét của toạ độ phẳng" in message


def test_swapped_lat_lon_outside_vietnam():
    gdf = gpd.GeoDataFrame({"ma": ["00001"], "ten": ["Xã"]}, geometry=[box(21.0, 105.8, 21.1, 105.9)], crs="EPSG:4326")
    assert any("ngoài khung kinh độ/vĩ độ của Việt Nam" in p for p in problems(gdf))


def test_other_geographic_crs():
    assert any("cần EPSG:4326" in p for p in problems(squares().to_crs("EPSG:4756")))  # VN-2000 geographic


def test_duplicate_codes_name_both_features():
    [message] = problems(squares(codes=("00001", "00002", "00001")))
    assert "mã 00001 được dùng cho 2 đối tượng (đối tượng 0, 2)" in message


def test_missing_and_malformed_codes():
    gdf = squares(codes=("00001", None, "1"))
    found = problems(gdf)
    assert any("đối tượng 1" in p and "thiếu mã" in p for p in found)
    assert any("đối tượng 2" in p and "không gồm đúng 5 chữ số" in p for p in found)


def test_broken_geometry_named():
    gdf = squares()
    gdf.loc[1, "geometry"] = Polygon([(105.9, 21.0), (106.0, 21.1), (106.0, 21.0), (105.9, 21.1)])  # bow-tie
    [message] = problems(gdf)
    assert "đối tượng 1 (mã 00002)" in message and "hình học không hợp lệ" in message and "Self-intersection" in message


def test_empty_and_non_polygon_geometries():
    gdf = squares()
    gdf.loc[0, "geometry"] = None
    gdf.loc[2, "geometry"] = LineString([(106.0, 21.0), (106.1, 21.1)])
    found = problems(gdf)
    assert any("đối tượng 0" in p and "không có hình học" in p for p in found)
    assert any("đối tượng 2" in p and "LineString" in p for p in found)


def test_missing_field_lists_available_fields():
    [message] = layer_problems(squares(), source="xa.geojson", code_field="code")
    assert "không có trường code" in message and "ma, ten" in message


def test_count_checked():
    assert any("có 3 đối tượng, cần 4" in p for p in problems(squares(), expected_count=4))


def test_read_user_layer_pads_numeric_codes(tmp_path):
    gdf = squares()
    gdf["ma"] = [1, 2, 3]
    path = tmp_path / "xa.geojson"
    gdf.to_file(path, driver="GeoJSON")
    loaded = read_user_layer(path, code_field="ma", name_field="ten", code_width=5)
    assert list(loaded["ma"]) == ["00001", "00002", "00003"]


def test_read_user_layer_collects_every_problem(tmp_path):
    gdf = squares(codes=("00001", "00001", "00003"))
    gdf.loc[2, "geometry"] = Polygon([(106.0, 21.0), (106.1, 21.1), (106.1, 21.0), (106.0, 21.1)])
    path = tmp_path / "xa.geojson"
    gdf.to_file(path, driver="GeoJSON")
    with pytest.raises(LayerError) as caught:
        read_user_layer(path, code_field="ma", name_field="ten", code_width=5)
    assert len(caught.value.problems) == 2
    assert all(p.startswith("xa.geojson") for p in caught.value.problems)


def test_read_user_layer_rejects_non_vector_file(tmp_path):
    path = tmp_path / "notes.geojson"
    path.write_text("this is not json", encoding="utf-8")
    with pytest.raises(LayerError, match="notes.geojson: không đọc được như một lớp ranh giới"):
        read_user_layer(path, code_field="ma")
    with pytest.raises(LayerError, match="^missing.geojson: không tìm thấy tệp$"):
        read_user_layer(tmp_path / "missing.geojson", code_field="ma")


def test_read_user_layer_keeps_text_codes(tmp_path):
    path = tmp_path / "xa.geojson"
    features = [
        {
            "type": "Feature",
            "properties": {"ma": "00007", "ten": "Xã"},
            "geometry": {"type": "Polygon", "coordinates": [[[105.8, 21], [105.9, 21], [105.9, 21.1], [105.8, 21]]]},
        }
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    assert list(read_user_layer(path, code_field="ma", code_width=5)["ma"]) == ["00007"]


def test_nesting_and_tiling():
    communes = squares()
    communes["province"] = "01"
    province = gpd.GeoDataFrame({"code": ["01"]}, geometry=[box(105.8, 21.0, 106.1, 21.1)], crs="EPSG:4326")
    assert nesting_problems(communes.rename(columns={"ma": "code"}), province, child_key="province") == []
    assert tiling_problems(communes, province, child_key="province") == []
    small = gpd.GeoDataFrame({"code": ["01"]}, geometry=[box(105.8, 21.0, 106.05, 21.1)], crs="EPSG:4326")
    [message] = nesting_problems(communes.rename(columns={"ma": "code"}), small, child_key="province")
    assert message.startswith("code 00003: only 0.5")
    overlapping = communes.copy()
    overlapping.loc[1, "geometry"] = box(105.85, 21.0, 106.0, 21.1)
    assert tiling_problems(overlapping, province, child_key="province")


def crosswalk_table(**overrides):
    table = pd.DataFrame(
        {
            "old_code": ["00001", "00002", "00002"],
            "old_level": ["commune"] * 3,
            "new_code": ["00010", "00010", "00020"],
            "relation": ["merged", "split", "split"],
            "part": ["whole", "part", "part"],
            "share_of_old": [None, None, None],
            "share_of_new": [None, None, None],
        }
    )
    for column in [
        "old_name",
        "old_type",
        "old_district_code",
        "old_district_name",
        "old_province_code",
        "old_province_name",
        "new_name",
        "new_type",
        "new_province_code",
        "new_province_name",
        "area_km2",
        "sources",
        "part_source",
        "disagreement",
        "note_check",
        "evidence_km",
        "review",
    ]:
        table[column] = ""
    for column, values in overrides.items():
        table[column] = values
    return table


def test_crosswalk_good():
    assert crosswalk_problems(crosswalk_table(), new_codes={"00010", "00020"}, old_codes={"00001", "00002"}) == []


def test_crosswalk_referential_integrity():
    found = crosswalk_problems(crosswalk_table(), new_codes={"00010"}, old_codes={"00001", "00002", "00003"})
    assert any("new codes have no polygon" in p and "row 4" in p for p in found)
    assert any("old communes have no target: 00003" in p for p in found)


def test_crosswalk_split_without_part_and_duplicates():
    table = crosswalk_table(part=["whole", "whole", "part"])
    found = crosswalk_problems(table, new_codes={"00010", "00020"}, old_codes={"00001", "00002"})
    assert any("not marked part" in p for p in found)
    dup = pd.concat([crosswalk_table(), crosswalk_table().iloc[[0]]], ignore_index=True)
    assert any(
        "repeat an (old, new) pair" in p for p in crosswalk_problems(dup, new_codes={"00010", "00020"}, old_codes=None)
    )


def test_crosswalk_shares_must_add_up():
    table = crosswalk_table(share_of_old=[1.0, 0.6, 0.3], share_of_new=[0.5, 0.5, 1.0])
    [message] = crosswalk_problems(table, new_codes={"00010", "00020"}, old_codes={"00001", "00002"})
    assert "share_of_old" in message and "00002" in message


def test_uploaded_layer_messages_use_the_users_file_name(tmp_path):
    gdf = squares(codes=("00001", "00001", "00003"))
    path = tmp_path / "x.geojson"
    gdf.to_file(path, driver="GeoJSON")
    data = path.read_bytes()
    assert layer_fields(data, "ranh_gioi_xa.geojson") == ["ma", "ten"]
    with pytest.raises(LayerError) as caught:
        check_uploaded_layer(data, "ranh_gioi_xa.geojson", code_field="ma", name_field="ten", code_width=5)
    assert caught.value.problems[0].startswith("ranh_gioi_xa.geojson: mã 00001 được dùng cho 2 đối tượng")
    with pytest.raises(LayerError, match="ranh_gioi_xa.geojson: không đọc được"):
        layer_fields(b"\x00\x01garbage", "ranh_gioi_xa.geojson")


@pytest.mark.parametrize(
    "check",
    [
        lambda data: layer_fields(data, "ranh_gioi_xa.geojson"),
        lambda data: check_uploaded_layer(data, "ranh_gioi_xa.geojson", code_field="ma"),
    ],
)
@pytest.mark.parametrize("data", [b"\x00\x01garbage", b"not json", b'{"type": "FeatureCollection", "features": [{'])
def test_unreadable_upload_never_shows_the_servers_temporary_path(check, data):
    with pytest.raises(LayerError) as caught:
        check(data)
    [message] = caught.value.problems
    assert message.startswith("ranh_gioi_xa.geojson: không đọc được")
    assert tempfile.gettempdir() not in message and "layer." not in message, message
