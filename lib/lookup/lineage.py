"""A unit's lineage both ways, the new→old summary table, and filters over the crosswalk."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from lib.core.vocab import RELATION_LABELS, RELATIONS
from lib.data.contract import SUMMARY_DOCS, classify_relations

SUMMARY_COLUMNS = list(SUMMARY_DOCS)
PART_MARK = " (một phần)"


@dataclass(frozen=True)
class Lineage:
    """Where a unit came from and went to.

    ``pairs`` are the crosswalk rows of the unit itself (its targets for an old unit, its
    predecessors for a new commune, every pair inside a province or district). ``related``
    are the rows one step further: for an old commune, every predecessor of its targets;
    for a new commune, every target of its predecessors (shows where a split one's other
    parts went).
    """

    kind: str
    code: str
    name: str
    pairs: pd.DataFrame
    related: pd.DataFrame

    @property
    def new_codes(self) -> tuple[str, ...]:
        """The new communes this unit leads to or is."""
        return tuple(sorted(set(self.pairs["new_code"])))

    @property
    def disagreements(self) -> int:
        """How many of the unit's pairs the mapping sources disagree on."""
        return int(self.pairs["disagreement"].fillna("").astype(str).ne("").sum())

    @property
    def old_codes(self) -> tuple[str, ...]:
        """The old units this unit comes from or is."""
        return tuple(sorted(set(self.pairs["old_code"])))


_SELECTORS = {
    "old_commune": ("old_code", "old_name"),
    "old_district": ("old_district_code", "old_district_name"),
    "old_province": ("old_province_code", "old_province_name"),
    "new_commune": ("new_code", "new_name"),
    "new_province": ("new_province_code", "new_province_name"),
}


def lineage(crosswalk: pd.DataFrame, *, kind: str, code: str) -> Lineage:
    """The lineage of one unit (``kind`` as in :data:`lib.lookup.search.KINDS`).

    Raises ``KeyError`` naming the kind and code when the crosswalk has no such unit.
    """
    if kind not in _SELECTORS:
        raise ValueError(f"unknown unit kind {kind!r}; expected one of {', '.join(_SELECTORS)}")
    code_column, name_column = _SELECTORS[kind]
    pairs = crosswalk[crosswalk[code_column].eq(str(code))]
    if pairs.empty:
        raise KeyError(f"no {kind} with code {code!r} in the crosswalk")
    if kind.startswith("old"):
        related = crosswalk[crosswalk["new_code"].isin(set(pairs["new_code"]))]
    else:
        related = crosswalk[crosswalk["old_code"].isin(set(pairs["old_code"]))]
    related = related.drop(index=pairs.index, errors="ignore")
    return Lineage(
        kind=kind,
        code=str(code),
        name=str(pairs[name_column].iloc[0]),
        pairs=pairs.reset_index(drop=True),
        related=related.reset_index(drop=True),
    )


def new_to_old_summary(crosswalk: pd.DataFrame) -> pd.DataFrame:
    """One row per new commune with its predecessors listed (:data:`SUMMARY_COLUMNS`)."""
    rows = crosswalk.sort_values(["new_code", "old_code"])
    label = rows["old_name"] + " (" + rows["old_district_name"] + ", " + rows["old_province_name"] + ")"
    label = label.where(rows["part"].ne("part"), label + PART_MARK)
    rows = rows.assign(
        _label=label, _part=rows["part"].eq("part"), _disagrees=rows["disagreement"].fillna("").astype(str).ne("")
    )
    grouped = rows.groupby("new_code", sort=True)
    summary = grouped[["new_name", "new_type", "new_province_code", "new_province_name"]].first()
    summary["predecessor_count"] = grouped["old_code"].nunique()
    summary["predecessor_codes"] = _joined(rows, "old_code")
    summary["predecessors"] = _joined(rows, "_label")
    summary["partial_predecessor_count"] = grouped["_part"].sum().astype(int)
    summary["old_district_names"] = _joined(rows, "old_district_name", unique=True)
    summary["old_province_names"] = _joined(rows, "old_province_name", unique=True)
    same_name = grouped["old_name"].first().eq(summary["new_name"])
    summary["relation"] = classify_relations(
        targets=pd.Series(1, index=summary.index),
        predecessors=summary["predecessor_count"],
        whole=summary["partial_predecessor_count"].eq(0),
        same_name=same_name,
        split=False,
    )
    summary["disagreeing_pairs"] = grouped["_disagrees"].sum().astype(int)
    return summary.reset_index()[SUMMARY_COLUMNS]


def _joined(rows: pd.DataFrame, column: str, *, unique: bool = False) -> pd.Series:
    """'; '-joined values of ``column`` per new_code, in row order (plain loop: fast and order-keeping)."""
    lists: dict[str, list[str]] = {}
    for key, value in zip(rows["new_code"].to_numpy(), rows[column].astype(str).to_numpy(), strict=False):
        values = lists.setdefault(key, [])
        if not unique or value not in values:
            values.append(value)
    return pd.Series({key: "; ".join(values) for key, values in lists.items()}, dtype=object)


def filter_crosswalk(
    crosswalk: pd.DataFrame,
    *,
    new_province: str | None = None,
    old_province: str | None = None,
    old_district: str | None = None,
    relations: tuple[str, ...] | list[str] = (),
    only_split: bool = False,
    only_disagreement: bool = False,
) -> pd.DataFrame:
    """The crosswalk rows a planner's filters select (all given filters must hold).

    Provinces and districts are codes; ``relations`` a subset of :data:`RELATIONS`
    (empty = all); ``only_split`` keeps old communes that went to several new ones;
    ``only_disagreement`` keeps pairs on which the two mapping sources disagree.
    """
    unknown = set(relations) - set(RELATIONS)
    if unknown:
        raise ValueError(f"unknown relation(s) {', '.join(sorted(unknown))}; expected {', '.join(RELATIONS)}")
    mask = pd.Series(True, index=crosswalk.index)
    for column, value in (
        ("new_province_code", new_province),
        ("old_province_code", old_province),
        ("old_district_code", old_district),
    ):
        if value:
            mask &= crosswalk[column].eq(str(value))
    if relations:
        mask &= crosswalk["relation"].isin(list(relations))
    if only_split:
        mask &= crosswalk["relation"].eq("split")
    if only_disagreement:
        mask &= crosswalk["disagreement"].fillna("").astype(str).ne("")
    return crosswalk[mask]


def filter_province_crosswalk(province_crosswalk: pd.DataFrame, crosswalk: pd.DataFrame) -> pd.DataFrame:
    """The province pairs that occur among the (filtered) ``crosswalk`` rows."""
    keys = crosswalk[["old_province_code", "new_province_code"]].drop_duplicates()
    return province_crosswalk.merge(keys, on=["old_province_code", "new_province_code"], how="inner")


def choices(
    crosswalk: pd.DataFrame, code_column: str, name_column: str, *, old_province: str | None = None
) -> dict[str, str]:
    """``{code: "code – name"}`` for a filter select box, sorted by code (only in ``old_province`` if given)."""
    if old_province:
        crosswalk = crosswalk[crosswalk["old_province_code"].eq(str(old_province))]
    pairs = crosswalk[[code_column, name_column]].drop_duplicates(code_column).sort_values(code_column)
    return {code: f"{code} – {name}" for code, name in zip(pairs[code_column], pairs[name_column], strict=False)}


# Vietnamese labels of the unit kinds and of the columns shown on the lookup page.
KIND_LABELS = {
    "new_commune": "Xã mới",
    "old_commune": "Xã cũ",
    "new_province": "Tỉnh mới",
    "old_province": "Tỉnh cũ",
    "old_district": "Huyện cũ",
}
COLUMN_LABELS = {
    "old_code": "Mã cũ",
    "old_name": "Đơn vị cũ",
    "old_district_name": "Huyện cũ",
    "old_province_name": "Tỉnh cũ",
    "new_code": "Mã mới",
    "new_name": "Xã mới",
    "new_province_name": "Tỉnh mới",
    "new_legal_basis": "Căn cứ (xã mới)",
    "relation": "Quan hệ",
    "part": "Toàn bộ/một phần",
    "share_of_old": "Tỷ lệ diện tích xã cũ",
    "disagreement": "Nguồn khác nhau",
}


def describe(item: Lineage) -> str:
    """One Vietnamese sentence on where the unit went or came from (plain text, not escaped)."""
    pairs = item.pairs
    if item.kind == "old_commune":
        targets = [
            f"{name}{' (một phần)' if part == 'part' else ''}"
            for name, part in zip(pairs["new_name"], pairs["part"], strict=False)
        ]
        if len(targets) == 1:
            return (
                f"{item.name} ({pairs['old_district_name'].iloc[0]}, {pairs['old_province_name'].iloc[0]}) "
                f"nay thuộc {targets[0]}, {pairs['new_province_name'].iloc[0]}."
            )
        return f"{item.name} được chia cho {len(targets)} xã mới: {'; '.join(targets)}."
    if item.kind == "new_commune":
        parts = int(pairs["part"].eq("part").sum())
        extra = f", trong đó {parts} đơn vị chỉ một phần" if parts else ""
        return f"{item.name} ({pairs['new_province_name'].iloc[0]}) được hình thành từ {len(pairs)} đơn vị cũ{extra}."
    olds, news = pairs["old_code"].nunique(), pairs["new_code"].nunique()
    if item.kind == "new_province":
        provinces = pairs["old_province_code"].nunique()
        return f"{item.name}: {news} xã mới, hình thành từ {olds} xã cũ của {provinces} tỉnh cũ."
    return (
        f"{item.name} ({KIND_LABELS[item.kind].lower()}): {olds} xã cũ, nay thuộc {news} xã mới "
        f"của {pairs['new_province_code'].nunique()} tỉnh mới."
    )


def describe_filters(
    *,
    new_province: str | None = None,
    old_province: str | None = None,
    old_district: str | None = None,
    relations: tuple[str, ...] | list[str] = (),
    only_split: bool = False,
    only_disagreement: bool = False,
) -> str:
    """The filters in words, for the 'about' sheet of an export ("toàn bộ" when none)."""
    words = [
        f"tỉnh mới {new_province}" if new_province else "",
        f"tỉnh cũ {old_province}" if old_province else "",
        f"huyện cũ {old_district}" if old_district else "",
        "quan hệ " + ", ".join(RELATION_LABELS[r] for r in relations) if relations else "",
        "chỉ xã bị chia tách" if only_split else "",
        "chỉ cặp các nguồn khác nhau" if only_disagreement else "",
    ]
    return "; ".join(w for w in words if w) or "toàn bộ bảng chuyển đổi"


def result_labels(results: pd.DataFrame) -> list[str]:
    """One line per search result: "Xã cũ · Phường Phúc Xá · Quận Ba Đình · Thành phố Hà Nội [00001]"."""
    return [
        f"{KIND_LABELS[kind]} · {name}{' · ' + district if district else ''}"
        f"{' · ' + province if province and province != name else ''} [{code}]"
        for kind, name, district, province, code in results[
            ["kind", "name", "district_name", "province_name", "code"]
        ].itertuples(index=False)
    ]
