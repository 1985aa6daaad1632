"""Reconcile every crosswalk pair with the official notes of the statistics office's catalogue
(nso2026) and with the old commune's own geographic evidence (2009 shape, geocoded point).

A pair that one mapping source alone supports and that the note or the geography contradicts
is rejected; a two-source pair is rejected only when the note's naming is ambiguous and the
geography contradicts it. ``part`` follows the note where the note names the old commune; an
old commune labelled part with one target is resolved (its missing target found in another
unit's note, or taken as whole), and every change keeps its reason in the ``review`` column.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from lib.data.contract import classify_relations
from lib.data.geometry import EQUAL_AREA_CRS
from lib.data.names import name_key

CATALOGUE_COMMUNES = "nso2026/xa-phuong"
NOTES_SOURCE = "nso2026"
# Farther than this (km) from the new commune, the old commune's evidence contradicts the pair.
FAR_KM = 5.0

_LEGAL = re.compile(r"(bỏ cấp huyện|số\s*:).*$", re.IGNORECASE | re.DOTALL)
_BEFORE = re.compile(r"\(\s*trước khi[^)]*\)", re.IGNORECASE)
_PAREN = re.compile(r"\(([^)]*)\)")
_BELONGS = re.compile(r"\bthuộc\s+((?:huyện|thị xã|thành phố|quận)\s+[^,;.]+)", re.IGNORECASE)
_PART = re.compile(r"^(?:(?:1|một)\s+phần|phần)(?:\s+diện tích)?(?:\s+còn lại)?(?:\s+của)?\s+", re.IGNORECASE)
_LEAD = re.compile(
    r"^(?:đổi tên từ|đổi tên|đối tên từ|hợp nhất|họp nhất|hơp nhất|sáp nhập|nhập|các|toàn bộ|và)\s+", re.IGNORECASE
)
_SPLIT = re.compile(r",|;|\.|\bvà\b|\bthành\b|\bvới\b", re.IGNORECASE)


@dataclass(frozen=True)
class NoteItem:
    """An old unit named in a note: its name key, whether only part of it, and its district qualifier key."""

    key: str
    part: bool
    qualifier: str = ""


def read_catalogue_notes(sources: Path) -> pd.Series:
    """The official note of each new commune (code → text) from ``nso2026/xa-phuong/*.json``, sorted by code."""
    folder = Path(sources) / CATALOGUE_COMMUNES
    files = sorted(folder.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"source folder without catalogue files: {folder}")
    notes: dict[str, str] = {}
    for path in files:
        for code, unit in json.loads(path.read_text(encoding="utf-8")).items():
            notes[str(code).zfill(5)] = unicodedata.normalize("NFC", str(unit.get("note") or "")).strip()
    return pd.Series(notes, name="note", dtype=object).sort_index()


def parse_note(note: str) -> list[NoteItem]:
    """The old units a note names, in order ("1 phần xã A" → part; "(thị xã B)" → qualifier of the group)."""
    text = _BEFORE.sub(" ", _LEGAL.sub("", note or ""))
    items: list[NoteItem] = []
    for clause in re.split(r"[.;]", text):
        pending: list[tuple[str, bool]] = []
        for raw in re.split(r",", clause):
            qualifier = ""
            match = _PAREN.search(raw) or _BELONGS.search(raw)
            if match:
                qualifier = name_key(match.group(1))
                raw = raw[: match.start()] + " " + raw[match.end() :]
            for piece in _SPLIT.split(raw):
                piece = " ".join(piece.split())
                while True:
                    stripped = _LEAD.sub("", piece)
                    if stripped == piece:
                        break
                    piece = stripped
                part = bool(_PART.match(piece))
                piece = _LEAD.sub("", _PART.sub("", piece))
                key = name_key(piece)
                if key and not key.startswith("giu nguyen"):
                    pending.append((key, part))
            if qualifier:
                items += [NoteItem(k, p, qualifier) for k, p in pending]
                pending = []
        items += [NoteItem(k, p) for k, p in pending]
    return items


def note_check(items: list[NoteItem], note: str, *, old_key: str, district_key: str, new_key: str) -> str:
    """How the note names an old commune: "whole", "part", "not named" or "" (no note)."""
    if not note:
        return ""
    hits = [i for i in items if i.key == old_key and _qualifies(i, district_key)]
    if not hits:
        kept = "giữ nguyên" in note.lower() or "phần còn lại" in note.lower()
        return "whole" if kept and old_key == new_key else "not named"
    return "part" if all(i.part for i in hits) else "whole"


def _qualifies(item: NoteItem, district_key: str) -> bool:
    return not item.qualifier or _same_district(item.qualifier, district_key)


def _same_district(qualifier: str, district_key: str) -> bool:
    return qualifier == district_key or qualifier.endswith(" " + district_key) or district_key.endswith(qualifier)


def evidence_km(
    pairs: pd.DataFrame, new_geoms: dict[str, BaseGeometry], shapes: dict[str, BaseGeometry], points: dict
) -> pd.DataFrame:
    """How far each pair's old-commune evidence lies from the new commune's polygon.

    ``census_km``: distance (km) of an interior point of the old commune's 2009 shape;
    ``census_share``: the share of that shape inside the new commune; ``point_km``: distance of
    the geocoded point. ``evidence_km`` is the 2009 shape's figure where the commune has one
    (geocoded points of same-named communes are often swapped), else the point's.
    """
    to_m = gpd.GeoSeries(list(new_geoms.values()), index=list(new_geoms), crs="EPSG:4326").to_crs(EQUAL_AREA_CRS)
    target = to_m.reindex(pairs["new_code"]).to_numpy()

    def projected(evidence: dict) -> np.ndarray:
        geoms = gpd.GeoSeries([evidence.get(c) for c in pairs["old_code"]], crs="EPSG:4326")
        return geoms.to_crs(EQUAL_AREA_CRS).to_numpy()

    shape = projected(shapes)
    inside = shapely.area(shapely.intersection(shape, target, grid_size=1.0))
    out = pd.DataFrame(
        {
            "census_km": shapely.distance(shapely.point_on_surface(shape), target) / 1000.0,
            "census_share": inside / shapely.area(shape),
            "point_km": shapely.distance(projected(points), target) / 1000.0,
        },
        index=pairs.index,
    )
    out["evidence_km"] = out["census_km"].fillna(out["point_km"]).round(1)
    # Far: the evidence lies beyond FAR_KM, and (with a 2009 shape) hardly any of the shape is inside.
    out["far"] = out["evidence_km"].gt(FAR_KM) & ~out["census_share"].gt(0.05)
    return out


def reconcile(
    crosswalk: pd.DataFrame,
    *,
    notes: pd.Series,
    new_communes: pd.DataFrame,
    new_geoms: dict[str, BaseGeometry],
    census_shapes: dict[str, BaseGeometry],
    points: dict[str, BaseGeometry],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check each pair against the notes and the geography; return (crosswalk, rejected pairs).

    ``crosswalk`` gains ``note_check``, ``evidence_km`` and ``review``; ``rejected`` has the
    removed pairs with ``reason``. No old commune is left without a target.
    """
    pairs = crosswalk.copy()
    parsed = {code: parse_note(text) for code, text in notes.items()}
    pairs = _check(pairs, notes, parsed, new_geoms, census_shapes, points)
    pairs, rejected = _reject(pairs)
    pairs = _resolve_lone_parts(pairs, notes, parsed, new_communes, new_geoms, census_shapes, points)
    pairs = _follow_notes(pairs)
    pairs["relation"] = _relation(pairs)
    pairs = pairs.sort_values(["old_code", "new_code"], kind="mergesort", ignore_index=True)
    return pairs, rejected.sort_values(["old_code", "new_code"], kind="mergesort", ignore_index=True)


def _check(pairs, notes, parsed, new_geoms, census_shapes, points) -> pd.DataFrame:
    commune = pairs["old_level"].eq("commune")
    district_key = pairs["old_district_name"].map(name_key)
    old_key = pairs["old_name"].map(name_key)
    new_key = pairs["new_name"].map(name_key)
    pairs["note_check"] = [
        note_check(parsed.get(n, []), notes.get(n, ""), old_key=o, district_key=d, new_key=k) if c else ""
        for n, o, d, k, c in zip(pairs["new_code"], old_key, district_key, new_key, commune, strict=True)
    ]
    distances = evidence_km(pairs, new_geoms, census_shapes, points)
    pairs["evidence_km"] = distances["evidence_km"].where(commune)
    pairs["_far"] = distances["far"] & commune
    # A name the note gives without a district may be another old commune of that name that went
    # into the same new province (the notes name old communes of several old provinces).
    same_name = pairs[commune].groupby([pairs["new_province_code"], old_key])["old_code"].transform("nunique")
    pairs["_ambiguous"] = same_name.reindex(pairs.index).fillna(1).gt(1)
    pairs["review"] = ""
    return pairs


def _reject(pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    far = pairs["_far"]
    unnamed = pairs["note_check"].eq("not named")
    single = ~pairs["sources"].str.contains("+", regex=False)
    reason = pd.Series("", index=pairs.index, dtype=object)
    km = pairs["evidence_km"].map(lambda v: f"{v:.1f}", na_action="ignore")
    unnamed_text = "one source only; the official note does not name it"
    reason[single & unnamed & far] = unnamed_text + "; its evidence lies " + km + " km away"
    reason[single & unnamed & ~far] = unnamed_text
    reason[single & ~unnamed & far] = "one source only; its evidence lies " + km + " km away"
    both_far = ~single & far & (unnamed | pairs["_ambiguous"])
    reason[both_far] = (
        "the note may name another old commune of the same name (several went into the new province); "
        + "its evidence lies "
        + km
        + " km away"
    )
    reject = reason.ne("")
    kept_any = (~reject).groupby(pairs["old_code"]).transform("any")
    # Never leave an old commune without a target: keep its nearest candidate, flagged.
    orphan = reject & ~kept_any
    if orphan.any():
        nearest = pairs[orphan].sort_values(["old_code", "evidence_km", "new_code"], kind="mergesort")
        keep = nearest.drop_duplicates("old_code").index
        pairs.loc[keep, "review"] = "kept although contradicted (" + reason[keep] + "): its only target"
        reject[keep] = False
    rejected = pairs[reject].copy()
    rejected["reason"] = reason[reject]
    return pairs[~reject].drop(columns=["_ambiguous", "_far"]), rejected.drop(columns=["_ambiguous", "_far"])


def _follow_notes(pairs: pd.DataFrame) -> pd.DataFrame:
    targets = pairs.groupby("old_code")["new_code"].transform("size")
    # (Lone parts were resolved just before: their verdict stands.)
    said = pairs["note_check"].isin(["whole", "part"]) & ~pairs["review"].str.contains("lone part", regex=False)
    change = said & pairs["note_check"].ne(pairs["part"])
    to_whole = change & pairs["note_check"].eq("whole")
    impossible = to_whole & targets.gt(1)
    pairs.loc[change & ~impossible, "part"] = pairs.loc[change & ~impossible, "note_check"]
    pairs.loc[change & ~impossible, "part_source"] = NOTES_SOURCE
    note = "the official note names it whole, but it has several targets: part"
    pairs.loc[impossible, "review"] = _append(pairs.loc[impossible, "review"], note)
    whole_split = pairs["part"].eq("whole") & targets.gt(1)
    pairs.loc[whole_split, "part"] = "part"
    return pairs


def _resolve_lone_parts(pairs, notes, parsed, new_communes, new_geoms, census_shapes, points) -> pd.DataFrame:
    targets = pairs.groupby("old_code")["new_code"].transform("size")
    said_part = pairs["part"].eq("part") | pairs["note_check"].eq("part")
    lone = pairs[said_part & targets.eq(1) & pairs["old_level"].eq("commune")]
    if lone.empty:
        return pairs
    flows = pairs.groupby("old_province_code")["new_province_code"].agg(set)
    province_of = new_communes.set_index("code")["province_code"]
    added = []
    for index, row in lone.iterrows():
        old_key, district_key = name_key(row["old_name"]), name_key(row["old_district_name"])
        candidates = [
            code
            for code, items in parsed.items()
            if code != row["new_code"]
            and province_of.get(code) in flows.get(row["old_province_code"], set())
            and any(i.key == old_key and i.part and _qualifies(i, district_key) for i in items)
        ]
        found = None
        if candidates:
            probe = pd.DataFrame({"old_code": [row["old_code"]] * len(candidates), "new_code": candidates})
            km = evidence_km(probe, new_geoms, census_shapes, points)
            near = probe.assign(km=km["evidence_km"].to_numpy(), far=km["far"].to_numpy())
            near = near[~near["far"]].sort_values(["km", "new_code"], kind="mergesort")
            if len(near):
                found = near.iloc[0]
        if found is not None:
            new = new_communes.set_index("code").loc[found["new_code"]]
            extra = row.copy()
            extra["new_code"], extra["new_name"], extra["new_type"] = found["new_code"], new["full_name"], new["type"]
            extra["new_province_code"], extra["new_province_name"] = new["province_code"], new["province_name"]
            extra["sources"], extra["part_source"], extra["part"] = NOTES_SOURCE, NOTES_SOURCE, "part"
            extra["note_check"], extra["evidence_km"] = "part", round(float(found["km"]), 1)
            extra["disagreement"] = f"pair only in the {NOTES_SOURCE} notes"
            why = f"lone part: its other target {found['new_code']} found in that unit's official note ('1 phần')"
            extra["review"] = why
            pairs.loc[index, "review"] = _append(pd.Series([row["review"]]), why).iloc[0]
            added.append(extra)
        else:
            why = {
                "whole": "lone part: its target's official note names it whole, and no other unit's note names it",
                "part": "lone part: its target's note says '1 phần' but no other unit's note names it; taken as whole",
            }.get(row["note_check"], "lone part: no unit's official note names it in part; taken as whole")
            pairs.loc[index, "part"] = "whole"
            pairs.loc[index, "review"] = _append(pd.Series([row["review"]]), why).iloc[0]
    if added:
        pairs = pd.concat([pairs, pd.DataFrame(added)], ignore_index=True)
    return pairs


def _append(existing: pd.Series, text: str) -> pd.Series:
    return existing.map(lambda s: f"{s}; {text}" if s else text)


def _relation(pairs: pd.DataFrame) -> pd.Series:
    return classify_relations(
        targets=pairs.groupby("old_code")["new_code"].transform("size"),
        predecessors=pairs.groupby("new_code")["old_code"].transform("size"),
        whole=pairs["part"].ne("part"),
        same_name=pairs["old_name"].eq(pairs["new_name"]),
    )
