"""``confidence`` of the rebuilt old communes as an IoU against their 2009 census shape.

Two cases (the layer docs say which applies through ``method``):

* Communes whose 2009 shape was used (``census2009``, ``located2009``) and ``exact`` communes with
  a 2009 shape: the IoU of the rebuilt polygon with that 2009 shape, **measured**. It is the
  agreement with the evidence, not with the (unknown) line of 2025.
* All others (``points``, ``gap``, ``estimated``, ``exact`` without a 2009 shape): a **predicted**
  IoU from a small model fitted on the hold-out (communes rebuilt with their 2009 shape hidden,
  scored against it): a ridge regression on what the partition knows (method, its area against
  the 2009 census area, whether the hole was trimmed, how much of its region the neighbours'
  known shapes fix, the point's position), followed by an isotonic recalibration. Communes with
  no census area use a second model without the area features, fitted on a second hold-out
  rebuild in which the census areas of the held-out communes are hidden too (so that its
  training communes were shaped as they are). ``k``-fold cross-validation with a fixed seed
  gives the out-of-fold predictions of the calibration tables.

Everything is plain numpy with fixed folds, and predictions are rounded to 3 decimals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

FOLDS = 5
SEED = 2025
RIDGE = 1e-2
PREDICTED = ("points", "gap", "estimated", "exact")
TARGET_FEATURES = ("has_target", "log_ratio", "abs_log_ratio", "over", "under")


def features(units: pd.DataFrame, targets: dict[str, float], points: dict[str, BaseGeometry]) -> pd.DataFrame:
    """One row of numeric features per unit (``units`` from ``summarise_units``)."""
    geoms = units["geometry"].to_numpy()
    area = shapely.area(geoms)
    target = units["old_code"].map(targets).astype(float).to_numpy()
    has_target = np.isfinite(target) & (np.nan_to_num(target) > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(has_target, np.log(np.where(has_target, area / target, 1.0)), 0.0)
    ratio = np.clip(ratio, -3, 3)
    pts = np.array([points.get(c) for c in units["old_code"]], dtype=object)
    has_point = np.array([p is not None for p in pts])
    inside = np.zeros(len(units), bool)
    distance = np.zeros(len(units))
    if has_point.any():
        inside[has_point] = shapely.covers(geoms[has_point], pts[has_point])
        scale = np.sqrt(np.maximum(area[has_point], 1e-12))
        distance[has_point] = np.clip(shapely.distance(geoms[has_point], pts[has_point]) / scale, 0, 3)
    method = units["method"].to_numpy()
    frame = pd.DataFrame(
        {
            "gap": method == "gap",
            "estimated": method == "estimated",
            "exact": method == "exact",
            "has_target": has_target,
            "log_ratio": ratio,
            "abs_log_ratio": np.abs(ratio),
            "over": np.clip(ratio, 0, None),
            "under": np.clip(-ratio, 0, None),
            "capped": units["capped"].astype(bool).to_numpy(),
            "log_owners": np.log(units["owners"].astype(float).clip(lower=1).to_numpy()),
            "region_fixed": units["region_fixed"].astype(float).to_numpy(),
            "point_inside": inside,
            "no_point": ~has_point,
            "point_distance": distance,
            "district_level": units["district_level"].astype(bool).to_numpy(),
            "several_pieces": units["pieces"].to_numpy() > 1,
        },
        index=units.index,
    )
    return frame.astype(float)


@dataclass
class Model:
    """Ridge coefficients on standardised features, then an isotonic map of the linear score."""

    columns: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    knots_x: np.ndarray
    knots_y: np.ndarray

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted IoU (0–1) for rows of :func:`features`."""
        x = (frame[self.columns].to_numpy(float) - self.mean) / self.scale
        score = np.column_stack([np.ones(len(x)), x]) @ self.coef
        return np.clip(np.interp(score, self.knots_x, self.knots_y), 0.0, 1.0)


def fit(frame: pd.DataFrame, y: np.ndarray, columns: list[str]) -> Model:
    """Fit the ridge regression and its isotonic recalibration (deterministic)."""
    x = frame[columns].to_numpy(float)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.column_stack([np.ones(len(x)), (x - mean) / scale])
    penalty = RIDGE * len(x) * np.eye(z.shape[1])
    penalty[0, 0] = 0.0
    coef = np.linalg.solve(z.T @ z + penalty, z.T @ y)
    score = z @ coef
    knots_x, knots_y = isotonic(score, y)
    return Model(columns, mean, scale, coef, knots_x, knots_y)


def isotonic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pool-adjacent-violators fit of a non-decreasing ``y`` against ``x``: block (mean x, mean y)."""
    order = np.lexsort((y, x))
    xs, ys = x[order], y[order]
    blocks: list[list[float]] = []  # [sum x, sum y, count]
    for xi, yi in zip(xs, ys, strict=True):
        blocks.append([xi, yi, 1.0])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][2] >= blocks[-1][1] / blocks[-1][2]:
            sx, sy, n = blocks.pop()
            blocks[-1][0] += sx
            blocks[-1][1] += sy
            blocks[-1][2] += n
    kx = np.array([b[0] / b[2] for b in blocks])
    ky = np.array([b[1] / b[2] for b in blocks])
    return kx, ky


def folds(count: int, k: int = FOLDS, seed: int = SEED) -> np.ndarray:
    """Fold number of each of ``count`` rows (a fixed random permutation)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(count) % k


def cross_validate(frame: pd.DataFrame, y: np.ndarray, columns: list[str], k: int = FOLDS) -> np.ndarray:
    """Out-of-fold predictions: each row predicted by the model fitted on the other folds."""
    fold = folds(len(frame), k)
    out = np.zeros(len(frame))
    for f in range(k):
        train = fold != f
        out[~train] = fit(frame[train], y[train], columns).predict(frame[~train])
    return out


def calibration(predicted: np.ndarray, actual: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Per decile of the prediction: count, mean predicted, mean actual, |difference|, mean |error|."""
    order = np.lexsort((actual, predicted))
    decile = np.empty(len(order), int)
    decile[order] = np.arange(len(order)) * bins // max(len(order), 1)
    frame = pd.DataFrame({"decile": decile + 1, "predicted": predicted, "actual": actual})
    frame["abs_error"] = (frame["predicted"] - frame["actual"]).abs()
    table = frame.groupby("decile").agg(
        n=("actual", "size"),
        predicted=("predicted", "mean"),
        actual=("actual", "mean"),
        mean_abs_error=("abs_error", "mean"),
    )
    table["gap"] = (table["predicted"] - table["actual"]).abs()
    return table.reset_index()


def columns_for(frame: pd.DataFrame, with_target: bool) -> list[str]:
    """Feature columns of the model with (or without) the census-area features."""
    return [c for c in frame.columns if with_target or c not in TARGET_FEATURES]
