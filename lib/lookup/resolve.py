"""Resolve the units a sheet names (codes or names, new or old) to official codes, saying why when it cannot."""

from __future__ import annotations

import unicodedata
from collections import namedtuple
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyogrio

from lib.core.vocab import REFORM_TEXT
from lib.data import geodata
from lib.data.contract import fix_new_code
from lib.data.names import fold, name_key, name_keys, pad_code, split_unit_type

RESOLVED = "resolved"
AMBIGUOUS = "ambiguous"
UNKNOWN = "unknown"

# Province spellings that real sheets use → the key of the official name (see ``name_key``).
PROVINCE_ALIASES = {
    "hcm": "ho chi minh",
    "tphcm": "ho chi minh",
    "tp hcm": "ho chi minh",
    "hcmc": "ho chi minh",
    "ho chi minh city": "ho chi minh",
    "sai gon": "ho chi minh",
    "thanh pho ho chi minh": "ho chi minh",
    "hn": "ha noi",
    "tp ha noi": "ha noi",
    "thua thien hue": "hue",
    "tt hue": "hue",
    "brvt": "ba ria vung tau",
    "vung tau": "ba ria vung tau",
    "dac lac": "dak lak",
    "daklak": "dak lak",
    "dac nong": "dak nong",
    "daknong": "dak nong",
    "dn": "da nang",
}

_MAX_LISTED = 6


@dataclass(frozen=True)
class Match:
    """Outcome of resolving one unit reference.

    ``status`` is "resolved", "ambiguous" or "unknown"; ``codes`` holds the one code when
    resolved, every candidate when ambiguous and nothing when unknown; ``method`` says how
    it matched; ``message`` explains (in Vietnamese) why it did not resolve.
    """

    status: str
    codes: tuple[str, ...] = ()
    method: str = ""
    message: str = ""

    @property
    def code(self) -> str | None:
        """The resolved code, or ``None``."""
        return self.codes[0] if self.status == RESOLVED else None


@lru_cache(maxsize=65536)
def _key(text: str) -> str:
    return name_key(text)


@lru_cache(maxsize=65536)
def _exact(text: str) -> str:
    """Lower-case NFC name without its type word, diacritics kept ("Văn Lăng" ≠ "Văn Lang")."""
    _, bare = split_unit_type(text)
    return " ".join(unicodedata.normalize("NFC", bare).lower().split())


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return value != value
    text = str(value).strip()
    return text == "" or text.lower() in {"nan", "none"}


def _alias(key: str) -> str:
    return PROVINCE_ALIASES.get(key, PROVINCE_ALIASES.get(key.replace(" ", ""), key))


@lru_cache(maxsize=65536)
def _type_of(text: str) -> str:
    unit_type, _ = split_unit_type(text)
    return fold(unit_type)


@dataclass
class _Index:
    """Codes of one kind of unit, with their labels, types and name keys."""

    label: dict[str, str] = field(default_factory=dict)
    utype: dict[str, str] = field(default_factory=dict)
    by_key: dict[str, list[str]] = field(default_factory=dict)
    exact: dict[str, str] = field(default_factory=dict)

    def add(self, code: str, label: str, utype: str, *names: str) -> None:
        self.label[code] = label
        self.utype[code] = fold(utype)
        for name in names:
            if not name:
                continue
            self.exact.setdefault(code, _exact(name))
            # The bare name too ("Phường Ba Đình" and "Ba Đình" must both find the unit).
            for key in {_key(name), _key(split_unit_type(name)[1])}:
                if key and code not in self.by_key.setdefault(key, []):
                    self.by_key[key].append(code)

    def lookup(self, name: str, *, alias: bool = False) -> list[str]:
        for key in name_keys(name):  # "phuong ba dinh": as written first, then without "phuong"
            found = self.by_key.get(_alias(key) if alias else key)
            if found:
                return list(found)
        return []

    def describe(self, codes: list[str] | tuple[str, ...]) -> str:
        shown = [f"{self.label[c]} [{c}]" for c in list(codes)[:_MAX_LISTED]]
        more = len(codes) - len(shown)
        return "; ".join(shown) + (f"; … và {more} đơn vị khác" if more > 0 else "")


def _narrow(candidates: list[str], name: str, index: _Index) -> list[str]:
    """Narrow ``candidates`` by the unit type written before ``name`` ("Xã", "Phường"...), if any,
    then by the exact spelling with diacritics ("Văn Lăng" rather than "Văn Lang")."""
    if len(candidates) < 2:
        return candidates
    wanted = _type_of(name)
    if wanted:
        candidates = [c for c in candidates if index.utype.get(c) == wanted] or candidates
    if len(candidates) > 1:
        spelled = _exact(name)
        candidates = [c for c in candidates if index.exact.get(c) == spelled] or candidates
    return candidates


def _records(frame: pd.DataFrame) -> list:
    """Rows of ``frame`` as named tuples of plain Python values (iterating Arrow columns is slow)."""
    # The fields come from the frame: mypy only understands a literal field list here.
    Row = namedtuple("Row", [str(c) for c in frame.columns], rename=True)  # type: ignore[misc]
    return [Row(*values) for values in zip(*(frame[c].tolist() for c in frame.columns), strict=False)]


def _attributes(geodata_dir: Path, layer_name: str) -> pd.DataFrame:
    """Attribute table of a layer without its geometry (much faster than reading the polygons)."""
    layer = geodata.LAYERS[layer_name]
    frame = pyogrio.read_dataframe(geodata_dir / layer.path, read_geometry=False, use_arrow=True)
    for column in (layer.code_field, *layer.string_fields):
        frame[column] = frame[column].astype(str)
    return pd.DataFrame(frame)


class UnitResolver:
    """Resolve province and commune references, new (since 1/7/2025) or old, to official codes.

    Parameters
    ----------
    crosswalk
        The commune crosswalk (``lib.data.geodata.load_crosswalk``); old units come from it.
    new_communes
        Attributes of the new communes: code, name, full_name, type, province_code, province_name.
    new_provinces
        Attributes of the new provinces: code, name, full_name (name_en is used when present).
    """

    def __init__(self, crosswalk: pd.DataFrame, new_communes: pd.DataFrame, new_provinces: pd.DataFrame) -> None:
        self._crosswalk = crosswalk.reset_index(drop=True)
        # Scopes already computed for a (province, district) text; bounded by the distinct values seen.
        self._memo: dict[tuple[str, ...], tuple[set[str] | None, str, Match | None]] = {}
        self._new_prov = _Index()
        for row in _records(new_provinces):
            names = [row.name, row.full_name, getattr(row, "name_en", "") or ""]
            self._new_prov.add(row.code, row.full_name, getattr(row, "type", ""), *names)
        self._new_comm = _Index()
        self._new_comm_province: dict[str, str] = {}
        for row in _records(new_communes):
            label = f"{row.full_name} ({row.province_name})"
            self._new_comm.add(row.code, label, row.type, row.name, row.full_name)
            self._new_comm_province[row.code] = row.province_code
        self._new_comm_by_prov: dict[str, set[str]] = {}
        for code, prov in self._new_comm_province.items():
            self._new_comm_by_prov.setdefault(prov, set()).add(code)
        self._build_old(self._crosswalk)

    def _build_old(self, cw: pd.DataFrame) -> None:
        self._old_prov = _Index()
        for row in _records(cw.drop_duplicates("old_province_code")):
            self._old_prov.add(row.old_province_code, row.old_province_name, "", row.old_province_name)
        self._old_dist = _Index()
        self._old_dist_province: dict[str, str] = {}
        for row in _records(cw.drop_duplicates("old_district_code")):
            self._old_dist.add(
                row.old_district_code, f"{row.old_district_name} ({row.old_province_name})", "", row.old_district_name
            )
            self._old_dist_province[row.old_district_code] = row.old_province_code
        self._old_comm = _Index()
        self._old_comm_parent: dict[str, tuple[str, str]] = {}
        self._old_level: dict[str, str] = {}
        for row in _records(cw.drop_duplicates("old_code")):
            if row.old_level == "district":
                label = f"{row.old_name} ({row.old_province_name})"
            else:
                label = f"{row.old_name} ({row.old_district_name}, {row.old_province_name})"
            self._old_comm.add(row.old_code, label, row.old_type, row.old_name)
            self._old_comm_parent[row.old_code] = (row.old_province_code, row.old_district_code)
            self._old_level[row.old_code] = row.old_level
        self._old_comm_by_prov: dict[str, set[str]] = {}
        self._old_comm_by_dist: dict[str, set[str]] = {}
        for code, (prov, dist) in self._old_comm_parent.items():
            self._old_comm_by_prov.setdefault(prov, set()).add(code)
            self._old_comm_by_dist.setdefault(dist, set()).add(code)
        # Which new communes received (part of) each old province, the reverse, and the rows of each old unit.
        self._new_comm_of_old_prov: dict[str, set[str]] = {}
        self._old_comm_of_new_prov: dict[str, set[str]] = {}
        self._rows_of_old: dict[str, list[int]] = {}
        self._new_of_old: dict[str, list[str]] = {}
        columns = [cw[c].tolist() for c in ("old_province_code", "new_province_code", "new_code", "old_code")]
        for position, (old_prov, new_prov, new_code, old_code) in enumerate(zip(*columns, strict=False)):
            self._new_comm_of_old_prov.setdefault(old_prov, set()).add(new_code)
            self._old_comm_of_new_prov.setdefault(new_prov, set()).add(old_code)
            self._rows_of_old.setdefault(old_code, []).append(position)
            self._new_of_old.setdefault(old_code, []).append(new_code)

    @classmethod
    def from_geodata(cls, geodata_dir: Path | None = None) -> UnitResolver:
        """Build a resolver from the bundled dataset (attributes only, no polygons; ~2 s)."""
        folder = geodata.folder(geodata_dir)
        communes = _attributes(folder, "new_communes")
        provinces = _attributes(folder, "new_provinces")
        return cls(geodata.load_crosswalk(folder), communes, provinces)

    # ------------------------------------------------------------------ provinces
    def _province(self, index: _Index, code: object, name: object, what: str) -> Match:
        if not _blank(code):
            try:
                padded = pad_code(code, 2)
            except ValueError:
                return Match(UNKNOWN, (), "code", f"Mã {what} “{code}” không phải là số có tối đa 2 chữ số")
            if padded in index.label:
                return Match(RESOLVED, (padded,), "code")
            return Match(UNKNOWN, (), "code", f"Không có mã {what} {padded}")
        if _blank(name):
            return Match(UNKNOWN, (), "", f"Thiếu mã hoặc tên {what}")
        found = index.lookup(str(name))
        method = "name"
        if not found:
            found, method = index.lookup(str(name), alias=True), "alias"
        if len(found) == 1:
            return Match(RESOLVED, (found[0],), method)
        if found:
            return Match(AMBIGUOUS, tuple(found), method, f"“{name}” khớp nhiều {what}: {index.describe(found)}")
        return Match(UNKNOWN, (), "name", f"Không tìm thấy {what} “{name}”")

    def new_province(self, *, code: object = None, name: object = None) -> Match:
        """Resolve a province in force since 1/7/2025 by code (2 digits) or name (aliases accepted)."""
        match = self._province(self._new_prov, code, name, "tỉnh/thành phố")
        if match.status == UNKNOWN and not _blank(name) and _blank(code):
            old = self._province(self._old_prov, None, name, "tỉnh cũ")
            if old.status == RESOLVED:
                targets = sorted({self._new_comm_province[c] for c in self._new_comm_of_old_prov[old.codes[0]]})
                names = ", ".join(self._new_prov.label[t] for t in targets)
                return Match(UNKNOWN, (), "name", f"“{name}” là tỉnh cũ (trước {REFORM_TEXT}), nay thuộc {names}")
        return match

    def old_province(self, *, code: object = None, name: object = None) -> Match:
        """Resolve one of the 63 provinces in force until 30/6/2025 by code or name."""
        return self._province(self._old_prov, code, name, "tỉnh cũ")

    # ------------------------------------------------------------------ new communes
    def _new_scope(self, province: object) -> tuple[set[str] | None, str, Match | None]:
        """Codes of new communes allowed by ``province`` (new or old code/name); None = everywhere."""
        memo_key = ("new", str(province))
        if memo_key not in self._memo:
            self._memo[memo_key] = self._new_scope_uncached(province)
        return self._memo[memo_key]

    def _new_scope_uncached(self, province: object) -> tuple[set[str] | None, str, Match | None]:
        if _blank(province):
            return None, "", None
        text = str(province)
        as_code = text.strip().replace(".0", "").isdigit()
        match = self._province(self._new_prov, text if as_code else None, None if as_code else text, "tỉnh")
        if match.status == RESOLVED:
            code = match.codes[0]
            return set(self._new_comm_by_prov.get(code, ())), self._new_prov.label[code], None
        if not as_code:
            old = self._province(self._old_prov, None, text, "tỉnh cũ")
            if old.status == RESOLVED:
                return set(self._new_comm_of_old_prov[old.codes[0]]), self._old_prov.label[old.codes[0]], None
        return None, "", Match(UNKNOWN, (), "province", f"Không tìm thấy tỉnh/thành phố “{province}”")

    def new_commune(self, *, code: object = None, province: object = None, name: object = None) -> Match:
        """Resolve a commune in force since 1/7/2025.

        ``province`` is the code or name of the new province; an old province name is accepted
        and narrows the search to the new communes formed from it.
        """
        scope, scope_label, failed = self._new_scope(province)
        if not _blank(code):
            try:
                padded = fix_new_code(pad_code(code, 5))
            except ValueError:
                return Match(UNKNOWN, (), "code", f"Mã xã “{code}” không phải là số có tối đa 5 chữ số")
            if padded not in self._new_comm.label:
                return Match(UNKNOWN, (), "code", f"Không có mã xã mới {padded} (danh sách 3.321 xã từ {REFORM_TEXT})")
            if scope is not None and padded not in scope:
                return Match(
                    UNKNOWN, (), "code", f"Mã {padded} là {self._new_comm.label[padded]}, không thuộc {scope_label}"
                )
            return Match(RESOLVED, (padded,), "code")
        if failed is not None:
            return failed
        if _blank(name):
            return Match(UNKNOWN, (), "", "Thiếu mã hoặc tên xã")
        found = self._new_comm.lookup(str(name))
        if scope is not None:
            found = [c for c in found if c in scope]
        found = _narrow(found, str(name), self._new_comm)
        method = "name+province" if scope is not None else "name"
        where = f" trong {scope_label}" if scope is not None else ""
        if len(found) == 1:
            return Match(RESOLVED, (found[0],), method)
        if found:
            hint = "" if scope is not None else " — hãy ghi thêm tỉnh"
            return Match(
                AMBIGUOUS,
                tuple(found),
                method,
                f"“{name}”{where} khớp {len(found)} xã: {self._new_comm.describe(found)}{hint}",
            )
        return Match(UNKNOWN, (), method, f"Không tìm thấy xã mới “{name}”{where}")

    # ------------------------------------------------------------------ old communes
    def _old_scope(self, province: object, district: object) -> tuple[set[str] | None, str, Match | None]:
        """Codes of old units allowed by ``province`` and ``district``; None = everywhere."""
        memo_key = ("old", str(province), str(district))
        if memo_key not in self._memo:
            self._memo[memo_key] = self._old_scope_uncached(province, district)
        return self._memo[memo_key]

    def _old_scope_uncached(self, province: object, district: object) -> tuple[set[str] | None, str, Match | None]:
        scope: set[str] | None = None
        labels: list[str] = []
        if not _blank(province):
            text = str(province)
            as_code = text.strip().replace(".0", "").isdigit()
            match = self.old_province(code=text if as_code else None, name=None if as_code else text)
            if match.status == RESOLVED:
                pcode = match.codes[0]
                scope = set(self._old_comm_by_prov.get(pcode, ()))
                labels.append(self._old_prov.label[pcode])
            else:
                new = self._province(self._new_prov, text if as_code else None, None if as_code else text, "tỉnh")
                if new.status != RESOLVED:
                    return None, "", Match(UNKNOWN, (), "province", f"Không tìm thấy tỉnh cũ “{province}”")
                scope = set(self._old_comm_of_new_prov.get(new.codes[0], ()))
                labels.append(self._new_prov.label[new.codes[0]])
        if not _blank(district):
            text = str(district)
            try:
                dcodes = [pad_code(text, 3)]
            except ValueError:
                dcodes = self._old_dist.lookup(text)
            dcodes = [d for d in dcodes if d in self._old_comm_by_dist]
            if scope is not None:
                dcodes = [d for d in dcodes if self._old_comm_by_dist[d] & scope]
            if not dcodes:
                where = f" trong {labels[0]}" if labels else ""
                return None, "", Match(UNKNOWN, (), "district", f"Không tìm thấy huyện cũ “{district}”{where}")
            wanted = set(dcodes)
            dscope = set().union(*(self._old_comm_by_dist[d] for d in wanted))
            scope = dscope if scope is None else scope & dscope
            labels.insert(0, str(district))
        return scope, ", ".join(labels), None

    def old_commune(
        self, *, code: object = None, province: object = None, district: object = None, name: object = None
    ) -> Match:
        """Resolve one of the 10,035 communes (or 5 island districts) in force until 30/6/2025.

        ``province`` and ``district`` are old codes or names (a new province name also narrows);
        without a district, a name shared by several communes of the province is "ambiguous".
        """
        if not _blank(code):
            text = str(code).strip()
            try:
                padded = pad_code(text, 5)
            except ValueError:
                return Match(UNKNOWN, (), "code", f"Mã xã cũ “{code}” không phải là số có tối đa 5 chữ số")
            if padded in self._old_comm.label:
                return Match(RESOLVED, (padded,), "code")
            short = padded.lstrip("0").zfill(3)
            if len(short) == 3 and self._old_level.get(short) == "district":
                return Match(RESOLVED, (short,), "code")
            return Match(UNKNOWN, (), "code", f"Không có mã xã cũ {padded} (danh sách 10.035 xã đến 30/6/2025)")
        scope, scope_label, failed = self._old_scope(province, district)
        if failed is not None:
            return failed
        if _blank(name):
            return Match(UNKNOWN, (), "", "Thiếu mã hoặc tên xã cũ")
        found = self._old_comm.lookup(str(name))
        if scope is not None:
            found = [c for c in found if c in scope]
        found = _narrow(found, str(name), self._old_comm)
        method = "name" + ("+district" if not _blank(district) else "") + ("+province" if not _blank(province) else "")
        where = f" trong {scope_label}" if scope_label else ""
        if len(found) == 1:
            return Match(RESOLVED, (found[0],), method)
        if found:
            hint = " — hãy ghi thêm huyện" if _blank(district) else ""
            return Match(
                AMBIGUOUS,
                tuple(found),
                method,
                f"“{name}”{where} khớp {len(found)} xã cũ: {self._old_comm.describe(found)}{hint}",
            )
        return Match(UNKNOWN, (), method, f"Không tìm thấy xã cũ “{name}”{where}")

    def new_targets(self, old_code: str) -> pd.DataFrame:
        """The crosswalk rows of one old unit (one per new commune it went to; empty if unknown)."""
        rows = self._rows_of_old.get(str(old_code))
        if rows is None:
            return self._crosswalk.iloc[0:0]
        return self._crosswalk.iloc[rows]

    def new_codes_of_old(self, old_code: str) -> list[str]:
        """Codes of the new communes an old unit went to (fast; [] if unknown)."""
        return list(self._new_of_old.get(str(old_code), ()))

    def new_provinces_of_old(self, old_province_code: str) -> list[str]:
        """Codes of the new provinces an old province went into (one for every real case)."""
        communes = self._new_comm_of_old_prov.get(str(old_province_code), set())
        return sorted({self._new_comm_province[c] for c in communes if c in self._new_comm_province})

    def label(self, kind: str, code: str) -> str:
        """Display label of a unit: ``kind`` is new_province, old_province, new_commune or old_commune."""
        index = {
            "new_province": self._new_prov,
            "old_province": self._old_prov,
            "new_commune": self._new_comm,
            "old_commune": self._old_comm,
        }[kind]
        return index.label.get(code, code)
