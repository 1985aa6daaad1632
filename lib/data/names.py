"""Name and code normalisation: the one place that decides when two names or codes are the same."""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

# Unit-type words that may open a Vietnamese unit name, longest first so that "thị xã" is
# removed before "xã" could be. They are matched with their diacritics: folded, "quận" and
# "phường" would also eat real names ("Quán Thánh", "Phương Mai"). Text typed without any
# diacritics loses only the type words that hardly start a name ("quan", "phuong", "tinh" do), and
# the abbreviations.
UNIT_TYPE_WORDS = (
    "thành phố trực thuộc trung ương",
    "thành phố",
    "thủ đô",
    "thị xã",
    "thị trấn",
    "đặc khu",
    "huyện",
    "quận",
    "tỉnh",
    "phường",
    "xã",
)
ASCII_UNIT_TYPE_WORDS = ("thanh pho", "thu do", "thi xa", "thi tran", "dac khu", "huyen", "xa")
AMBIGUOUS_ASCII_TYPE_WORDS = ("phuong", "quan", "tinh")
ABBREVIATIONS = ("tp.", "tx.", "tt.", "p.", "x.", "q.", "h.", "tp", "tt")

# Full type names as they appear before a commune/district/province name (NFC, capitalised).
UNIT_TYPES = ("Đặc khu", "Thị trấn", "Thị xã", "Thành phố", "Phường", "Quận", "Huyện", "Tỉnh", "Xã")

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")
_LEADING_ZEROS = re.compile(r"\b0+(\d)")
# Icelandic eth (U+00D0/U+00F0) looks like Vietnamese Đ/đ (U+0110/U+0111) and turns up in typed lists.
_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics (đ and its look-alike ð → d), keeping everything else."""
    decomposed = unicodedata.normalize("NFD", str(text).translate(_LOOKALIKES).lower())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")


def name_key(text: str | None, *, strip_type: bool = True) -> str:
    """Matching key of a unit name.

    Ð/ð (look-alikes of Đ/đ) read as Đ/đ → NFC → lower case → leading unit-type word removed
    (see ``UNIT_TYPE_WORDS``) → diacritics and đ folded → punctuation removed → zero-padded
    numbers unpadded ("Phường 01" → "1").
    Two names denote the same unit when their keys are equal.
    """
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return ""
    lowered = _SPACES.sub(" ", unicodedata.normalize("NFC", str(text).translate(_LOOKALIKES)).lower().strip())
    lowered = lowered.replace("'", "").replace("’", "")
    if strip_type:
        lowered = _strip_type_word(lowered)
    key = _PUNCT.sub(" ", fold(lowered))
    key = _LEADING_ZEROS.sub(r"\1", key)
    return _SPACES.sub(" ", key).strip()


def name_keys(text: str | None) -> tuple[str, ...]:
    """Keys to try, best first: :func:`name_key`, then, for text typed without diacritics that
    opens with "phuong", "quan" or "tinh", the key without that word ("phuong ba dinh" is most
    likely Phường Ba Đình, but "phuong mai" may be Phương Mai itself)."""
    key = name_key(text)
    lowered = str(text or "").strip().lower()
    for word in AMBIGUOUS_ASCII_TYPE_WORDS:
        if lowered.isascii() and key.startswith(word + " "):
            return key, key[len(word) + 1 :]
    return (key,)


def _strip_type_word(lowered: str) -> str:
    words = UNIT_TYPE_WORDS + (ASCII_UNIT_TYPE_WORDS if lowered.isascii() else ())
    for word in words:
        if lowered.startswith(word + " "):
            return lowered[len(word) + 1 :]
    for abbreviation in ABBREVIATIONS:
        if lowered.startswith(abbreviation + " ") or (abbreviation.endswith(".") and lowered.startswith(abbreviation)):
            return lowered[len(abbreviation) :]
    return lowered


def split_unit_type(full_name: str) -> tuple[str, str]:
    """Split "Phường Ba Đình" into ("Phường", "Ba Đình"); ("", name) when no type word opens it."""
    name = unicodedata.normalize("NFC", str(full_name)).strip()
    lowered = name.lower()
    for unit_type in UNIT_TYPES:
        if lowered.startswith(unit_type.lower() + " "):
            return unit_type, name[len(unit_type) + 1 :].strip()
    return "", name


def pad_code(value: object, width: int) -> str:
    """Official code as a zero-padded string: 1, "1", "1.0", "00001" → "00001" for width 5.

    Raises ``ValueError`` for anything that is not a whole non-negative number.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        raise ValueError("empty code")
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0*", text):
        text = text.split(".")[0]
    if not text.isdigit():
        raise ValueError(f"not a numeric code: {value!r}")
    if len(text.lstrip("0")) > width:
        raise ValueError(f"code {value!r} has more than {width} digits")
    return text.zfill(width)


def pad_codes(values: pd.Series, width: int) -> pd.Series:
    """Vectorised :func:`pad_code` over a Series; raises on the first bad value with its index."""
    out = []
    for index, value in values.items():
        try:
            out.append(pad_code(value, width))
        except ValueError as err:
            raise ValueError(f"row {index}: {err}") from None
    return pd.Series(out, index=values.index, dtype=object)
