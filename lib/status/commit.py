"""Write a checked status sheet to the store as one batch, refusing a file stored before."""

from __future__ import annotations

import pandas as pd

from lib.core.vocab import LOCAL_TZ
from lib.io.sheets import SheetError
from lib.status.reading import ValidationReport
from lib.status.store import describe_revocation

MAX_IMPORTER = 200  # status_batch.imported_by is VARCHAR(200)
MAX_SOURCE_NAME = 500  # status_batch.source_name is VARCHAR(500)


class AlreadyImported(SheetError):
    """The same file (same SHA-256) is in the store already; commit again only with ``force=True``."""


def already_imported(store, sha256: str) -> str:
    """A Vietnamese description of the real batch(es) that stored a file with ``sha256`` ("" when none).

    A revoked batch counts too: the same file stays refused, and the message says the batch was revoked
    (a corrected file has another content and imports as usual)."""
    batches = store.batches()
    same = batches[(batches["source_sha256"] == sha256) & ~batches["is_demo"].astype(bool)]
    if same.empty:
        return ""
    live = same[~same["revoked"]]
    first = (live if len(live) else same).iloc[-1]  # the oldest, preferably one still in use
    when = pd.Timestamp(first["imported_at"]).tz_convert(LOCAL_TZ)
    told = (
        f"Tệp này (cùng nội dung) đã được nhập ở lô {int(first['id'])} lúc {when:%d/%m/%Y %H:%M} "
        f"(tên tệp “{first['source_name']}”, người nhập “{first['imported_by']}”)"
    )
    if first["revoked"]:
        return (
            f"{told}; lô đó {describe_revocation(first)} — không ghi lại. Hãy sửa tệp rồi nhập tệp đã sửa; nếu "
            "thật sự muốn nhập lại đúng tệp này: trong ứng dụng đánh dấu ô “Vẫn nhập lại”, ở dòng lệnh thêm --force."
        )
    return (
        f"{told} — không ghi lại để tránh trùng. Nếu thật sự muốn nhập lại: trong ứng dụng đánh dấu ô "
        "“Vẫn nhập lại”, ở dòng lệnh thêm --force."
    )


def commit(
    store,
    report: ValidationReport,
    *,
    imported_by: str,
    is_demo: bool = False,
    note: str = "",
    progress=None,
    force: bool = False,
    claim: str | None = None,
) -> int:
    """Store the valid rows of ``report`` as one batch (one transaction) and return the batch id.

    Raises :class:`SheetError` when there is nothing valid to store or the importer's name is longer
    than the store holds, and :class:`AlreadyImported` when the same file was imported before (unless
    ``force``). With ``claim`` (who imports: host and process) the file's content is claimed in the
    same transaction (``StatusStore.append(claim=...)``, for unattended intake): a file imported by
    another process, or at the same moment, raises ``lib.status.store.AlreadyClaimed`` instead.
    """
    if report.records.empty:
        raise SheetError(f"{report.sheet.name}: không có dòng hợp lệ nào để ghi — sửa các lỗi trong báo cáo kiểm tra")
    imported_by = imported_by.strip()
    if not imported_by:
        raise SheetError("Chưa ghi tên người nhập")
    if len(imported_by) > MAX_IMPORTER:
        raise SheetError(f"Tên người nhập dài {len(imported_by)} ký tự; tối đa {MAX_IMPORTER} ký tự — hãy viết gọn lại")
    if not force:
        earlier = already_imported(store, report.sheet.sha256)
        if earlier:
            raise AlreadyImported(earlier)
    name = report.sheet.name + (f" [{report.sheet.sheet_name}]" if report.sheet.sheet_name else "")
    return store.append(
        report.records,
        imported_by=imported_by,
        source_name=name[:MAX_SOURCE_NAME],
        source_sha256=report.sheet.sha256,
        is_demo=is_demo,
        note=note,
        progress=progress,
        **({"claim": report.sheet.sha256, "claimed_by": claim} if claim is not None else {}),
    )
