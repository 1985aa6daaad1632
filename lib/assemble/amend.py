"""apply-amendments: apply a user amendments file to a built dataset without touching geometry.

Only names and types change, so only the tables that carry them are rewritten: the change log
``changes.csv``, the amendments copy ``amendments.csv``, the properties of
``new/communes.geojson`` (edited as text, line by line: the coordinates are not re-encoded),
the ``new_name``/``new_type`` columns of ``crosswalk.csv``, then ``manifest.json`` (new
version) and the version and change section of ``SOURCES.md``. Every file is written
atomically; the manifest last. The result equals a full build with the same amendments.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd

from lib.assemble import changes
from lib.core.vocab import REFORM_DATE
from lib.data import geodata
from lib.data.asof import AMENDMENTS, CHANGES, load_changes
from lib.io.files import write_atomic

_FEATURE_CODE = re.compile(r'"properties": \{ "code": "(\d{5})"')
_STRING = r'"(?:[^"\\]|\\.)*"'


def apply_to_geodata(geodata_dir: Path, amendments_file: Path) -> dict:
    """Apply ``amendments_file`` (the complete list of amendments) to the dataset in ``geodata_dir``.

    Amendments recorded earlier in the dataset are undone first, so applying the same file
    twice gives the same bytes. Raises :class:`lib.assemble.changes.AmendmentError` (file, row,
    column) for a malformed row, before anything is written. Returns the new manifest.
    """
    geodata_dir = Path(geodata_dir)
    manifest = geodata.load_manifest(geodata_dir)
    log = load_changes(geodata_dir)
    communes_path = geodata_dir / geodata.LAYERS["new_communes"].path
    lines = communes_path.read_text(encoding="utf-8").split("\n")
    state = _state_from_lines(lines)
    state, base = _undo_amendments(state, log)
    table = changes.read_amendments(Path(amendments_file), set(state["code"]))
    state, log = changes.apply_amendments(state, base, table, path=Path(amendments_file))
    lines = _rewrite_lines(lines, state)
    crosswalk = pd.read_csv(geodata_dir / geodata.CROSSWALK, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    indexed = state.set_index("code")
    known = crosswalk["new_code"].isin(indexed.index)
    crosswalk.loc[known, "new_type"] = crosswalk.loc[known, "new_code"].map(indexed["type"])
    crosswalk.loc[known, "new_name"] = crosswalk.loc[known, "new_code"].map(indexed["type"] + " " + indexed["name"])

    write_atomic(geodata_dir / CHANGES, _csv_bytes(log))
    amendments_copy = geodata_dir / f".{AMENDMENTS}.new"
    changes.write_amendments(Path(amendments_file), amendments_copy)
    write_atomic(geodata_dir / AMENDMENTS, amendments_copy.read_bytes())
    amendments_copy.unlink()
    write_atomic(communes_path, "\n".join(lines).encode("utf-8"))
    write_atomic(geodata_dir / geodata.CROSSWALK, _csv_bytes(crosswalk))
    return _refresh_manifest(geodata_dir, manifest, log, len(table))


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def _properties(line: str) -> dict | None:
    if not _FEATURE_CODE.search(line):
        return None
    start = line.index('"properties": ') + len('"properties": ')
    end = line.index(', "geometry": ')
    return json.loads(line[start:end])


def _state_from_lines(lines: list[str]) -> pd.DataFrame:
    rows = [p for p in map(_properties, lines) if p is not None]
    return pd.DataFrame({k: [r[k] for r in rows] for k in ("code", "name", "type")})


def _undo_amendments(state: pd.DataFrame, log: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The state and log without the amendments applied earlier (undone latest first)."""
    amended = log["basis_from"] == "amendment"
    state = state.copy()
    index = pd.Series(state.index, index=state["code"])
    for _, row in log[amended].iloc[::-1].sort_values("effective_date", ascending=False, kind="mergesort").iterrows():
        state.at[index[row["code"]], row["field"]] = row["old_value"]
    return state, log[~amended].reset_index(drop=True)


def _rewrite_lines(lines: list[str], state: pd.DataFrame) -> list[str]:
    """The feature lines with ``name``, ``full_name`` and ``type`` of the properties set from ``state``."""
    indexed = state.set_index("code")
    out = []
    for line in lines:
        match = _FEATURE_CODE.search(line)
        if match and match.group(1) in indexed.index:
            unit = indexed.loc[match.group(1)]
            start = line.index('"properties": ')
            end = line.index(', "geometry": ', start)
            properties = line[start:end]
            values = {"name": unit["name"], "full_name": f"{unit['type']} {unit['name']}", "type": unit["type"]}
            for key, value in values.items():
                text = json.dumps(value, ensure_ascii=False).replace("\\", "\\\\")
                properties = re.sub(rf'(?<=[{{,] )"{key}": {_STRING}', f'"{key}": {text}', properties, count=1)
            line = line[:start] + properties + line[end:]
        out.append(line)
    return out


def _refresh_manifest(geodata_dir: Path, manifest: dict, log: pd.DataFrame, n_amendments: int) -> dict:
    """New version and file sizes (computed as the build does: over the data files), new counts."""
    files = sorted(manifest["files"])
    for name in (CHANGES, AMENDMENTS):
        if name not in files:
            files = sorted([*files, name])
    digest = hashlib.sha256()
    for rel in files:
        digest.update(rel.encode() + hashlib.sha256((geodata_dir / rel).read_bytes()).hexdigest().encode())
    old_version = manifest["version"]
    manifest = {
        **manifest,
        "version": f"vn2025-{digest.hexdigest()[:10]}",
        "files": {rel: (geodata_dir / rel).stat().st_size for rel in files},
    }
    by_kind = log["kind"].value_counts()
    counts = dict(manifest["counts"])
    for kind in ("reform", "type_change", "rename", "merge", "boundary"):
        counts[f"changes_{kind}"] = int(by_kind.get(kind, 0))
    counts["changes_after_reform"] = int((log["effective_date"] > REFORM_DATE.isoformat()).sum())
    counts["changes_amendments"] = n_amendments
    manifest["counts"] = counts
    _rewrite_sources_md(geodata_dir / "SOURCES.md", old_version, manifest["version"], counts, n_amendments)
    write_atomic(
        geodata_dir / geodata.MANIFEST,
        (json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8"),
    )
    return manifest


def _rewrite_sources_md(path: Path, old_version: str, new_version: str, counts: dict, n_amendments: int) -> None:
    """SOURCES.md with the new version and amendment count (the rest is the build's text)."""
    if not path.is_file():
        return
    text = path.read_text(encoding="utf-8").replace(old_version, new_version)
    text = re.sub(r"Amendments applied: [\d,]+\.", f"Amendments applied: {n_amendments:,}.", text)
    for key, value in counts.items():  # the rows of the counts table
        text = re.sub(rf"^\| {re.escape(key)} \| [^|]* \|$", f"| {key} | {value:,} |", text, flags=re.MULTILINE)
    write_atomic(path, text.encode("utf-8"))
