"""Confidence of a reconstructed old commune: classes of its predicted IoU, their labels, and the methods in words.

An old commune's ``confidence`` (geodata/old/communes.geojson) is the predicted IoU of its rebuilt
polygon against the true boundary: the expected share of overlap, area of the intersection over
area of the union (0–1). The map, the old commune's panel and every export read the class from
here, so the thresholds are stated once.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from lib.data.i18n import format_number

# Thresholds of the classes, on the predicted IoU: high ≥ 0.85, medium ≥ 0.70, low below.
# 0.85 is the hold-out target of the median IoU; 0.70 is where a rebuilt shape still sits
# mostly on the right ground (most of its area inside the true one).
HIGH = 0.85
MEDIUM = 0.70
CLASSES = ("high", "medium", "low", "unknown")
CLASS_LABELS = {"high": "cao", "medium": "khá", "low": "thấp", "unknown": "chưa rõ"}
CLASS_LABELS_EN = {"high": "high", "medium": "medium", "low": "low", "unknown": "unknown"}
CLASS_MEANINGS = {
    "high": "IoU dự đoán ≥ 0,85 — gần như trùng ranh giới thật",
    "medium": "IoU dự đoán từ 0,70 đến dưới 0,85 — đúng vị trí, lệch ở vài đoạn",
    "low": "IoU dự đoán dưới 0,70 — vị trí gần đúng, ranh giới có thể lệch nhiều",
    "unknown": "chưa xác định được vùng của xã (thiếu bằng chứng)",
}
IOU_MEANING = (
    "IoU dự đoán: tỉ lệ trùng khớp ước tính giữa vùng xã cũ dựng lại và ranh giới thật "
    "(diện tích phần chung chia cho diện tích phần hợp; 1 = trùng hoàn toàn)"
)
RECONSTRUCTED_CAVEAT = "Ranh giới xã cũ là ranh giới dựng lại, gần đúng, không phải bản đồ địa giới chính thức."
# How an old commune's polygon was obtained (the layer's ``method``), in words; a method not
# listed here is shown by its code.
METHOD_LABELS = {
    "exact": "trùng ranh giới xã mới (xã cũ giữ nguyên vùng)",
    "census2009": "cắt theo bản đồ xã năm 2009 và ranh giới huyện cũ",
    "located2009": "theo bản đồ năm 2009 tìm thấy tại vị trí của xã (thường là xã đổi tên)",
    "points": "không có bản đồ 2009: chia phần trống theo vị trí và diện tích các xã",
    "gap": "không có bản đồ 2009: phần trống lớn nhất trong xã mới",
    "estimated": "ước lượng: một vùng cỡ diện tích năm 2009, vị trí gần đúng",
    "fallback": "chưa xác định được vùng (vị trí tạm)",
}
# Methods whose polygon says nothing about the true boundary, whatever its number.
UNKNOWN_METHODS = frozenset({"fallback", "unknown", "none"})

# Columns every export that carries old communes adds, with their meaning.
EXPORT_DOCS = {
    "old_shape_method": "how the reconstructed polygon of the old commune was obtained (the layer's 'method', "
    "e.g. exact = its new commune's outline, census2009 = cut along its 2009 census shape and old district lines, "
    "points = divided by the communes' points and areas; all values in geodata/SOURCES.md); empty where the old "
    "unit has no reconstructed polygon",
    "old_shape_iou": "predicted IoU (0–1) of that polygon against the true boundary: expected area of the "
    "intersection over area of the union (the layer's 'confidence'); area_km2 and the shares rest on it",
    "old_shape_class": f"class of old_shape_iou: high (≥ {HIGH}), medium ({MEDIUM} to < {HIGH}), low (< {MEDIUM}), "
    "unknown (no value, or method fallback); Vietnamese: cao, khá, thấp, chưa rõ",
}


def confidence_class(confidence: pd.Series, method: pd.Series | None = None) -> pd.Series:
    """Class ("high", "medium", "low", "unknown") of each predicted IoU in ``confidence``.

    A missing value, or a ``method`` in :data:`UNKNOWN_METHODS`, is "unknown".
    """
    values = pd.to_numeric(confidence, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    unknown = np.isnan(values)
    if method is not None:
        unknown |= method.reindex(confidence.index).isin(UNKNOWN_METHODS).to_numpy()
    classes = np.select([unknown, values >= HIGH, values >= MEDIUM], ["unknown", "high", "medium"], "low")
    return pd.Series(classes, index=confidence.index, dtype=object)


def class_of(confidence: float | None, method: str | None = None) -> str:
    """:func:`confidence_class` of one value (without pandas: the panel asks on every rerun)."""
    if method in UNKNOWN_METHODS or confidence is None or pd.isna(confidence):
        return "unknown"
    return "high" if confidence >= HIGH else "medium" if confidence >= MEDIUM else "low"


def method_label(method: str | None) -> str:
    """The method in Vietnamese words ("" when missing)."""
    if method is None or (isinstance(method, float) and pd.isna(method)) or method == "":
        return ""
    return METHOD_LABELS.get(str(method), f"cách dựng khác ({method})")


def format_iou(confidence: float | None) -> str:
    """Predicted IoU as Vietnamese shows it, cut (not rounded) to 2 decimals so that the number shown
    and its class agree at the thresholds: ``0.874`` → "0,87", ``0.849`` → "0,84" ("" when missing)."""
    if confidence is None or pd.isna(confidence):
        return ""
    return format_number(math.floor(float(confidence) * 100 + 1e-9) / 100, 2)


def describe(confidence: float | None, method: str | None = None) -> str:
    """One line: "độ tin cậy khá (IoU dự đoán 0,78)", or "độ tin cậy chưa rõ"."""
    label = CLASS_LABELS[class_of(confidence, method)]
    iou = format_iou(confidence)
    return f"độ tin cậy {label}" + (f" (IoU dự đoán {iou})" if iou else "")


def shape_columns(codes: pd.Series, old_communes: pd.DataFrame) -> pd.DataFrame:
    """The :data:`EXPORT_DOCS` columns for old unit ``codes`` (aligned on their index), from the old-commune
    layer's ``code``, ``method`` and ``confidence``; a code not in the layer gets no method and "unknown"."""
    kept = [c for c in ("code", "method", "confidence") if c in old_communes.columns]
    table = old_communes.loc[old_communes["code"].isin(set(codes.dropna())), kept]
    table = pd.DataFrame(table).drop_duplicates("code").set_index("code")
    method = codes.map(table["method"]) if "method" in table else pd.Series(None, index=codes.index, dtype=object)
    iou = pd.to_numeric(codes.map(table["confidence"]), errors="coerce") if "confidence" in table else None
    if iou is None:
        iou = pd.Series(float("nan"), index=codes.index)
    return pd.DataFrame(
        {
            "old_shape_method": method.astype(object).where(method.notna(), None),
            "old_shape_iou": iou.round(3),
            "old_shape_class": confidence_class(iou, method),
        },
        index=codes.index,
    )
