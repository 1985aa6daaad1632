"""Classes of the old communes' predicted IoU: boundaries, missing values, methods, words."""

import math

import pandas as pd
import pytest

from lib.data import confidence as conf


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, "high"),
        (conf.HIGH, "high"),
        (math.nextafter(conf.HIGH, 0), "medium"),
        (conf.MEDIUM, "medium"),
        (math.nextafter(conf.MEDIUM, 0), "low"),
        (0.0, "low"),
        (None, "unknown"),
        (float("nan"), "unknown"),
    ],
)
def test_class_boundaries(value, expected):
    assert conf.class_of(value) == expected
    assert conf.confidence_class(pd.Series([value], dtype=float)).tolist() == [expected]  # the same rule, vectorised


def test_fallback_is_unknown_whatever_its_number_and_series_keep_their_index():
    values = pd.Series([0.95, 0.95, 0.5, None], index=[10, 11, 12, 13])
    methods = pd.Series(["census2009", "fallback", "points", "exact"], index=[10, 11, 12, 13])
    classes = conf.confidence_class(values, methods)
    assert classes.to_dict() == {10: "high", 11: "unknown", 12: "low", 13: "unknown"}


def test_every_class_has_labels_and_a_meaning():
    for name in conf.CLASSES:
        assert conf.CLASS_LABELS[name] and conf.CLASS_LABELS_EN[name] and conf.CLASS_MEANINGS[name]


def test_words_and_vietnamese_numbers():
    assert conf.format_iou(0.874) == "0,87"
    assert conf.format_iou(0.8499) == "0,84" and conf.class_of(0.8499) == "medium"  # shown as its class says
    assert conf.format_iou(0.85) == "0,85" and conf.format_iou(1.0) == "1,00"
    assert conf.format_iou(None) == ""
    assert conf.describe(0.78, "points") == "độ tin cậy khá (IoU dự đoán 0,78)"
    assert conf.describe(None) == "độ tin cậy chưa rõ"
    assert conf.method_label("census2009") == conf.METHOD_LABELS["census2009"]
    assert "voronoi2" in conf.method_label("voronoi2")  # a method added later is still named
    assert conf.method_label(None) == ""


def test_shape_columns_from_the_layer_and_unknown_codes():
    layer = pd.DataFrame({"code": ["00001", "00002"], "method": ["exact", "points"], "confidence": [1.0, 0.62]})
    codes = pd.Series(["00002", "00001", "001"], index=[5, 6, 7])
    cols = conf.shape_columns(codes, layer)
    assert list(cols.columns) == list(conf.EXPORT_DOCS)
    assert cols.loc[5].tolist() == ["points", 0.62, "low"]
    assert cols.loc[6].tolist() == ["exact", 1.0, "high"]
    assert cols.loc[7, "old_shape_method"] is None and cols.loc[7, "old_shape_class"] == "unknown"
