"""What an import reads and finds: the sheet, its column mapping, the issues and the validation report."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from lib.core.vocab import GAP_LABELS, HEADER_FIELDS

# The fields a status sheet may carry ({field: (Vietnamese label, header spellings)}): the header
# vocabulary without convert's address column.
FIELDS = {name: words for name, words in HEADER_FIELDS.items() if name != "address"}
UNIT_FIELDS = ("province_code", "province_name", "district_code", "district_name", "commune_code", "commune_name")
NUMBER_FIELDS = ("tasks_total", "tasks_done", "tasks_overdue")
# Fields that make a row a report: a row naming a unit with none of these filled is skipped like a blank row.
REPORT_VALUE_FIELDS = ("as_of", *NUMBER_FIELDS, "centre_state", "gaps", *GAP_LABELS, "note")


@dataclass(frozen=True)
class Sheet:
    """A sheet read from a file: its cells as text, and where the header was found."""

    name: str
    sha256: str
    frame: pd.DataFrame
    header_row: int = 1  # 1-based row of the header in the file
    sheet_name: str | None = None

    def file_row(self, position: int) -> int:
        """1-based row in the file of data row ``position`` (0-based)."""
        return self.header_row + 1 + position


@dataclass
class Mapping:
    """Which sheet column holds each field, and whether the unit columns name old or new units."""

    columns: dict[str, str] = field(default_factory=dict)
    keys: str = "new"  # "new" or "old"
    unrecognised: list[str] = field(default_factory=list)

    def missing(self, *, has_default_as_of: bool) -> list[str]:
        """Fields that must be mapped before the sheet can be validated (Vietnamese labels)."""
        out = []
        if not any(f in self.columns for f in UNIT_FIELDS):
            out.append("mã hoặc tên đơn vị (xã hoặc tỉnh)")
        if not any(f in self.columns for f in ("tasks_total", "centre_state", "gaps", *GAP_LABELS)):
            out.append("số nhiệm vụ hoặc tình trạng trung tâm")
        if "as_of" not in self.columns and not has_default_as_of:
            out.append("thời điểm báo cáo (cột hoặc tuỳ chọn --as-of)")
        return out


@dataclass(frozen=True)
class Issue:
    """One problem found in a sheet, with its place (file row and column)."""

    kind: str  # "unknown" | "ambiguous" | "invalid" | "duplicate"
    row: int | None
    column: str | None
    message: str
    candidates: tuple[str, ...] = ()

    def render(self, file_name: str) -> str:
        where = [file_name]
        if self.row is not None:
            where.append(f"dòng {self.row}")
        if self.column:
            where.append(f"cột “{self.column}”")
        return f"{', '.join(where)}: {self.message}"


@dataclass
class ValidationReport:
    """What validating a sheet found: per-row outcome, every issue, and the rows ready to store."""

    sheet: Sheet
    mapping: Mapping
    rows: pd.DataFrame  # row, status, level, key (resolved code), message
    issues: list[Issue]
    records: pd.DataFrame  # lib.status.store.REPORT_COLUMNS, one per (valid row, new unit)

    @property
    def counts(self) -> dict[str, int]:
        """Rows per status: valid, ambiguous, unknown, invalid (blank rows are not counted)."""
        counts = self.rows["status"].value_counts()
        return {s: int(counts.get(s, 0)) for s in ("valid", "ambiguous", "unknown", "invalid")}

    @property
    def ok(self) -> bool:
        """True when at least one row is valid."""
        return self.counts["valid"] > 0

    @property
    def clean(self) -> bool:
        """True when every row is valid."""
        return self.ok and not self.issues

    def issues_frame(self) -> pd.DataFrame:
        """The issues as a table (for display and export)."""
        return pd.DataFrame(
            [
                {
                    "kind": i.kind,
                    "row": i.row,
                    "column": i.column or "",
                    "message": i.message,
                    "candidates": ", ".join(i.candidates),
                }
                for i in self.issues
            ],
            columns=["kind", "row", "column", "message", "candidates"],
        )

    def render(self, *, limit: int = 50) -> str:
        """A text report for the command line."""
        c = self.counts
        lines = [
            f"{self.sheet.name}: {sum(c.values())} dòng — hợp lệ {c['valid']}, không rõ đơn vị {c['unknown']}, "
            f"nhiều khả năng {c['ambiguous']}, giá trị sai {c['invalid']}; "
            f"{len(self.records)} báo cáo sẽ ghi cho đơn vị mới (mã {'cũ' if self.mapping.keys == 'old' else 'mới'})"
        ]
        lines += [issue.render(self.sheet.name) for issue in self.issues[:limit]]
        if len(self.issues) > limit:
            lines.append(f"… và {len(self.issues) - limit} lỗi khác")
        return "\n".join(lines)
