"""Free-text search over old and new units (names or codes, diacritics optional)."""

from __future__ import annotations

import re

import pandas as pd

from lib.data.names import fold, name_key, split_unit_type
from lib.lookup.resolve import PROVINCE_ALIASES

# Result kinds, in the order they are listed when scores tie (higher levels first, new before old).
KINDS = ("new_province", "old_province", "new_commune", "old_district", "old_commune")
RESULT_COLUMNS = ["kind", "code", "name", "province_name", "district_name", "new_codes", "score"]

# Scores of the ways a query can match a name; context parts ("…, Ba Đình") add or subtract.
_EXACT, _PREFIX, _TOKENS, _SUBSTRING, _SPREAD = 100, 80, 60, 50, 40
_CODE_EXACT, _CODE_NUMERIC, _CODE_PREFIX = 100, 90, 40
_CONTEXT_HIT, _CONTEXT_MISS, _TYPE_HIT = 5, -25, 3
_CODE_QUERY = re.compile(r"\d+(\.0*)?")


# Bounds on a query's cost (every part is a vectorised scan of ~15,000 names): longer input is cut.
MAX_QUERY = 200  # characters (the longest unit name with district and province is under 120)
MAX_WORDS = 12  # words of the name part
MAX_PARTS = 3  # ", district, province" parts after the name


class SearchIndex:
    """An in-memory index of every old and new unit, searched by name or code.

    Build it once (``from_tables``) and call :meth:`search` per query; it holds no
    per-session state, so one instance can serve every session.
    """

    def __init__(self, entries: pd.DataFrame) -> None:
        self._entries = entries.reset_index(drop=True)
        self._key = self._entries["key"]
        self._padded_key = " " + self._entries["key"] + " "
        self._padded_context = " " + self._entries["context"] + " "
        self._padded_all = " " + self._entries["key"] + " " + self._entries["context"] + " "
        self._codes = self._entries["code"]
        self._unpadded_codes = self._codes.str.lstrip("0").replace("", "0")
        self._kind_rank = self._entries["kind"].map({kind: rank for rank, kind in enumerate(KINDS)})

    @classmethod
    def from_tables(
        cls, crosswalk: pd.DataFrame, new_communes: pd.DataFrame, new_provinces: pd.DataFrame
    ) -> SearchIndex:
        """Index the new communes and provinces and every old unit of the crosswalk.

        Parameters
        ----------
        crosswalk
            The commune crosswalk (``lib.data.geodata.load_crosswalk``).
        new_communes, new_provinces
            Attribute columns of geodata/new/*.geojson (``code``, ``full_name`` or ``name``,
            ``province_name`` for communes); geometry is not needed.
        """
        return cls(pd.concat(_entry_tables(crosswalk, new_communes, new_provinces), ignore_index=True))

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str, *, limit: int = 20) -> pd.DataFrame:
        """Units matching ``query``, best first.

        ``query`` is a name (with or without diacritics or unit-type word, whole or the
        start of its words), a code (padded or not), or "name, district, province".

        Returns
        -------
        pandas.DataFrame
            :data:`RESULT_COLUMNS`; ``new_codes`` is a tuple of the new commune codes the
            unit leads to (itself for a new commune). Empty when nothing matches.
        """
        text = str(query or "")[:MAX_QUERY].strip()
        if not text:
            return _empty()
        if _CODE_QUERY.fullmatch(text):
            scores = self._code_scores(text.split(".")[0])
        else:
            scores = self._text_scores(text)
        hits = scores[scores > 0]
        if hits.empty:
            return _empty()
        order = pd.DataFrame({"score": hits, "rank": self._kind_rank[hits.index], "name": self._key[hits.index]})
        order = order.sort_values(["score", "rank", "name"], ascending=[False, True, True]).head(limit)
        result = self._entries.loc[order.index, RESULT_COLUMNS[:-1]].copy()
        result["score"] = order["score"].astype(int)
        return result.reset_index(drop=True)

    def _code_scores(self, digits: str) -> pd.Series:
        scores = pd.Series(0, index=self._entries.index)
        if len(digits) >= 2:
            scores[self._codes.str.startswith(digits)] = _CODE_PREFIX
        scores[self._unpadded_codes.eq(digits.lstrip("0") or "0")] = _CODE_NUMERIC
        scores[self._codes.eq(digits)] = _CODE_EXACT
        return scores

    def _text_scores(self, text: str) -> pd.Series:
        head, *context = [part for part in text.split(",") if part.strip()] or [text]
        context = context[:MAX_PARTS]
        key = _alias(" ".join(name_key(head).split()[:MAX_WORDS]))
        if not key:
            return pd.Series(0, index=self._entries.index)
        tokens = key.split()
        scores = pd.Series(0, index=self._entries.index)
        scores[self._key.str.contains(key, regex=False)] = _SUBSTRING
        scores[_all_tokens(self._padded_key, tokens)] = _TOKENS
        scores[self._key.str.startswith(key)] = _PREFIX
        scores[self._key.eq(key)] = _EXACT
        if not context and len(tokens) > 1:
            spread = scores.eq(0) & _all_tokens(self._padded_all, tokens) & _all_tokens(self._padded_key, tokens[:1])
            scores[spread] = _SPREAD
        matched = scores > 0
        for part in context:
            part_key = _alias(name_key(part))
            if part_key:
                hit = self._padded_context.str.contains(" " + part_key + " ", regex=False)
                scores[matched] += hit[matched].map({True: _CONTEXT_HIT, False: _CONTEXT_MISS})
        unit_type = fold(split_unit_type(head)[0])
        if unit_type:
            scores[matched & self._entries["type_key"].eq(unit_type)] += _TYPE_HIT
        return scores.where(matched, 0).clip(lower=0)


def _alias(key: str) -> str:
    """Province spellings real sheets use ("tp hcm", "hn", "thua thien hue") → the key of the official name."""
    return PROVINCE_ALIASES.get(key, PROVINCE_ALIASES.get(key.replace(" ", ""), key))


def _all_tokens(padded: pd.Series, tokens: list[str]) -> pd.Series:
    """True where every token starts a word of ``padded`` (a space-padded key)."""
    mask = pd.Series(True, index=padded.index)
    for token in tokens:
        mask &= padded.str.contains(" " + token, regex=False)
    return mask


def _empty() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in RESULT_COLUMNS})


def _targets(crosswalk: pd.DataFrame, by: str) -> dict[str, tuple[str, ...]]:
    """Sorted distinct new codes per value of column ``by`` (a plain loop: groupby+lambda is slow)."""
    sets: dict[str, set[str]] = {}
    for key, new_code in zip(crosswalk[by].to_numpy(), crosswalk["new_code"].to_numpy(), strict=False):
        sets.setdefault(key, set()).add(new_code)
    return {key: tuple(sorted(codes)) for key, codes in sets.items()}


def _entries(
    kind: str, code: pd.Series, name: pd.Series, province: pd.Series, district: pd.Series, new_codes: pd.Series
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "kind": kind,
            "code": code.astype(str).to_numpy(),
            "name": name.astype(str).to_numpy(),
            "province_name": province.astype(str).to_numpy(),
            "district_name": district.astype(str).to_numpy(),
            "new_codes": list(new_codes),
        }
    )
    frame["key"] = _map_unique(frame["name"], name_key)
    frame["context"] = (
        _map_unique(frame["district_name"], name_key) + " " + _map_unique(frame["province_name"], name_key)
    ).str.strip()
    frame["type_key"] = _map_unique(frame["name"], lambda n: fold(split_unit_type(n)[0]))
    return frame


def _map_unique(values: pd.Series, func) -> pd.Series:
    """``values.map(func)``, calling ``func`` once per distinct value."""
    return values.map({value: func(value) for value in values.unique()})


def _entry_tables(
    crosswalk: pd.DataFrame, new_communes: pd.DataFrame, new_provinces: pd.DataFrame
) -> list[pd.DataFrame]:
    communes = new_communes.drop_duplicates("code")
    commune_names = communes["full_name"] if "full_name" in communes else communes["name"]
    provinces = new_provinces.drop_duplicates("code")
    province_names = provinces["full_name"] if "full_name" in provinces else provinces["name"]
    by_province = _targets(communes.rename(columns={"code": "new_code"}), "province_code")
    old_units = crosswalk.drop_duplicates("old_code")
    old_communes = old_units[old_units["old_level"].eq("commune")]
    districts = crosswalk.drop_duplicates("old_district_code")
    old_provinces = crosswalk.drop_duplicates("old_province_code")
    blank_new = pd.Series("", index=communes.index)
    return [
        _entries(
            "new_province",
            provinces["code"],
            province_names,
            province_names,
            pd.Series("", index=provinces.index),
            provinces["code"].map(lambda code: by_province.get(code, ())),
        ),
        _entries(
            "old_province",
            old_provinces["old_province_code"],
            old_provinces["old_province_name"],
            old_provinces["old_province_name"],
            pd.Series("", index=old_provinces.index),
            old_provinces["old_province_code"].map(_targets(crosswalk, "old_province_code")),
        ),
        _entries(
            "new_commune",
            communes["code"],
            commune_names,
            communes["province_name"],
            blank_new,
            communes["code"].map(lambda code: (code,)),
        ),
        _entries(
            "old_district",
            districts["old_district_code"],
            districts["old_district_name"],
            districts["old_province_name"],
            pd.Series("", index=districts.index),
            districts["old_district_code"].map(_targets(crosswalk, "old_district_code")),
        ),
        _entries(
            "old_commune",
            old_communes["old_code"],
            old_communes["old_name"],
            old_communes["old_province_name"],
            old_communes["old_district_name"],
            old_communes["old_code"].map(_targets(crosswalk, "old_code")),
        ),
    ]
