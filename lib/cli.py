"""Command line: python -m lib.cli COMMAND ...

Commands: build-geodata, apply-amendments, validate, prepare, quality, export, convert, ingest, ingest-dir,
template, status, batches, revoke, map, brief, settings.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib.core.vocab import REFORM_DATE
from lib.data import geodata


def _build(args: argparse.Namespace) -> int:
    from lib.assemble.dataset import build_geodata

    build_geodata(Path(args.sources), Path(args.out), amendments=Path(args.amendments) if args.amendments else None)
    return 0


def _apply_amendments(args: argparse.Namespace) -> int:
    import time

    from lib.assemble.amend import apply_to_geodata
    from lib.assemble.changes import AmendmentError

    started = time.monotonic()
    try:
        manifest = apply_to_geodata(Path(args.geodata), Path(args.file))
    except AmendmentError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(
        f"{manifest['counts'].get('changes_amendments', 0)} amendment(s) applied to {args.geodata} "
        f"(version {manifest['version']}) in {time.monotonic() - started:.1f} s; "
        "run `python -m lib.cli prepare` for the map files"
    )
    return 0


def _on_date(args: argparse.Namespace):
    """The ``--on`` date checked (None when not given); raises SystemExit(2) with the reason."""
    from lib.data.asof import DateError, parse_on

    if not getattr(args, "on", None):
        return None
    try:
        return parse_on(args.on)
    except DateError as err:
        print(f"--on {args.on}: {err}", file=sys.stderr)
        raise SystemExit(2) from None


def _crosswalk_on(crosswalk, folder: Path, on):
    """The crosswalk with new names and types as of ``on`` (today when None) and the legal basis."""
    from lib.data.asof import crosswalk_on, load_changes

    return crosswalk_on(on, crosswalk, load_changes(folder))


def _validate(args: argparse.Namespace) -> int:
    from lib.data.validate import validate_dataset

    report = validate_dataset(Path(args.geodata))
    print(report.render())
    return 0 if report.ok else 1


def _quality(args: argparse.Namespace) -> int:
    from lib.assemble.quality import dataset_report

    report = dataset_report(Path(args.geodata))
    print(report.render())
    return 0 if report.ok else 1


def _export(args: argparse.Namespace) -> int:
    from lib.data import i18n
    from lib.data.asof import communes_on, load_changes
    from lib.io.files import write_atomic
    from lib.lookup.crosswalk_export import crosswalk_export
    from lib.lookup.lineage import filter_crosswalk

    folder = Path(args.geodata)
    on = _on_date(args) or i18n.today()
    crosswalk = _crosswalk_on(geodata.load_crosswalk(folder), folder, on)
    selected = filter_crosswalk(crosswalk, new_province=args.province, old_province=args.old_province)
    if selected.empty:
        print(
            f"error: no crosswalk rows for province {args.province or args.old_province!r} "
            "(use a 2-digit code, e.g. 01; --province is the NEW province, --old-province the old one)",
            file=sys.stderr,
        )
        return 2
    polygons = None
    if args.format in ("geojson", "parquet"):
        polygons = communes_on(on, geodata.load_new_communes(folder), load_changes(folder))
    selection = (f"tỉnh mới {args.province}" if args.province else "") + (
        f" tỉnh cũ {args.old_province}" if args.old_province else ""
    )
    selection = (
        f"{selection.strip() or 'toàn bộ bảng chuyển đổi'}; tên, loại hình xã mới tính đến {i18n.format_date(on)}"
    )
    data = crosswalk_export(
        args.format,
        selected,
        crosswalk=crosswalk,
        province_crosswalk=geodata.load_province_crosswalk(folder),
        manifest=geodata.load_manifest(folder),
        new_communes=polygons,
        selection=selection,
        old_communes=geodata.load_old_commune_confidence(folder),
    )
    write_atomic(Path(args.out), data)
    print(f"{len(selected)} pairs → {args.out} ({len(data):,} bytes)")
    return 0


def _convert(args: argparse.Namespace) -> int:
    from lib.io.export import export_info
    from lib.io.files import write_atomic
    from lib.io.sheets import check_file_size
    from lib.lookup.convert import Converter, ConvertError, conversion_bytes, convert_file

    source, out = Path(args.file), Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        print(f"error: --out must end in .csv or .xlsx, not {out.name!r}", file=sys.stderr)
        return 2
    try:
        overrides = dict(item.split("=", 1) for item in args.column)
    except ValueError:
        print("error: --column takes ROLE=HEADER, e.g. --column name='Tên xã'", file=sys.stderr)
        return 2
    folder = Path(args.geodata)

    def converter() -> Converter:  # made once the file is read: a bad file is refused at once
        return Converter.from_crosswalk(
            geodata.load_crosswalk(folder), old_communes=geodata.load_old_commune_confidence(folder)
        )

    try:
        check_file_size(source.stat().st_size, source.name)
        result = convert_file(
            source.read_bytes(),
            source.name,
            converter,
            sheet=args.sheet or 0,
            overrides=overrides,
            expand=args.one_row_per_candidate,
        )
    except (ConvertError, OSError) as err:
        print(f"error: {source}: {err}", file=sys.stderr)
        return 2
    info = export_info(geodata.load_manifest(folder), selection=f"chuyển đổi tệp {source.name}")
    write_atomic(out, conversion_bytes(result, fmt, info))
    print(f"columns: {result.columns.describe()}")
    print(result.summary().to_string(index=False))
    print(f"match rate: {result.match_rate:.1%} of {result.given_rows} non-empty rows → {out}")
    if result.given_rows and not result.match_rate:
        print("error: no row matched an old unit — check the columns and the file's encoding", file=sys.stderr)
        return 1
    return 0


def _as_of(text: str):
    from lib.core.parse import parse_day
    from lib.core.vocab import LAST_DATE, REFORM_DATE

    day = parse_day(text)
    if day is None:
        raise argparse.ArgumentTypeError(f"ngày “{text}” không đúng dạng YYYY-MM-DD")
    if not REFORM_DATE <= day <= LAST_DATE:
        raise argparse.ArgumentTypeError(f"ngày “{text}” ngoài khoảng 01/07/2025 (ngày các đơn vị mới bắt đầu) – 2200")
    return day


def _map_inputs(args: argparse.Namespace, scratch: str):
    from lib.maps import staticdata
    from lib.status.store import StoreError

    try:
        store = staticdata.open_store(args.db, demo=args.demo, scratch=Path(scratch))
    except StoreError as err:  # its message names the store with the password masked
        raise UsageError(str(err)) from None
    if store is None:
        print("Chưa có số liệu trạng thái (kho trống hoặc chưa tạo): bản đồ ghi rõ điều đó.", file=sys.stderr)
    return staticdata.load_inputs(store=store, date=args.as_of)


def _map(args: argparse.Namespace) -> int:
    import tempfile

    from lib.maps import static, staticdata
    from lib.maps.urlstate import ViewState

    fmt = args.format or Path(args.out).suffix.lstrip(".").lower()
    if fmt not in (*static.FORMATS, "html"):
        print(f"Định dạng “{fmt}” không hỗ trợ: dùng --format png, svg, pdf hoặc html.", file=sys.stderr)
        return 2
    view = ViewState(province=args.province, level=args.level, mode=args.mode)
    on = _on_date(args)
    with tempfile.TemporaryDirectory() as scratch:
        inputs = _map_inputs(args, scratch)
        if on is not None:  # labels with the names and types as of that date
            import dataclasses

            from lib.data.asof import communes_on, load_changes

            folder = geodata.default_dir()  # the folder load_inputs reads
            inputs = dataclasses.replace(
                inputs,
                communes=communes_on(on, inputs.communes, load_changes(folder)),
                crosswalk=_crosswalk_on(inputs.crosswalk, folder, on),
            )
        try:
            if fmt == "html":  # imported only here: folium and the map assembly cost a second to import
                from lib.maps import html as htmlexport

                htmlexport.write_html(view, inputs, Path(args.out))
            else:
                static.render_map(view, inputs, Path(args.out), fmt=fmt)
        except staticdata.StaticMapError as err:  # also HtmlExportError: a request the data cannot answer
            print(err, file=sys.stderr)
            return 2
    print(args.out)
    return 0


def _brief(args: argparse.Namespace) -> int:
    import tempfile

    from lib.maps import brief, staticdata

    with tempfile.TemporaryDirectory() as scratch:
        inputs = _map_inputs(args, scratch)
        try:
            brief.render_brief(args.province, inputs, Path(args.out))
        except staticdata.StaticMapError as err:
            print(err, file=sys.stderr)
            return 2
    print(args.out)
    return 0


def _field_column(text: str) -> tuple[str, str]:
    """``FIELD=COLUMN`` of ``ingest --map`` as a pair; argparse reports a bad one in one line (exit 2)."""
    from lib.status.importer import FIELDS

    fieldname, sep, column = text.partition("=")
    fieldname, column = fieldname.strip(), column.strip()
    if not sep or not fieldname or not column:
        raise argparse.ArgumentTypeError(f"“{text}” không đúng dạng TRƯỜNG=CỘT (ví dụ tasks_total=Tổng số nhiệm vụ)")
    if fieldname not in FIELDS:
        raise argparse.ArgumentTypeError(f"trường “{fieldname}” không tồn tại (có: {', '.join(FIELDS)})")
    return fieldname, column


def _geodata_option(parser: argparse.ArgumentParser) -> None:
    """``--geodata``, the dataset folder, as every command that reads the dataset takes it."""
    parser.add_argument("--geodata", default=str(geodata.default_dir()), help="dataset folder (default: geodata)")


def _on_option(parser: argparse.ArgumentParser) -> None:
    """``--on``: the names and types of the new communes as of a date."""
    parser.add_argument(
        "--on",
        default=None,
        help=f"names and types of the new communes as of this date (YYYY-MM-DD, from {REFORM_DATE}; default: today)",
    )


def _db_option(parser: argparse.ArgumentParser) -> None:
    """``--db``, the status store, as every command that reads or writes it takes it."""
    parser.add_argument(
        "--db", default=None, help="SQLAlchemy URL or SQLite path (default: $VNMAP_STATUS_DB or data/status.sqlite)"
    )


def _status_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of", type=_as_of, default=None, help="status at the end of this day (YYYY-MM-DD); default: latest"
    )
    _db_option(parser)
    parser.add_argument("--demo", action="store_true", help="use the seeded demonstration data instead of the store")


class UsageError(Exception):
    """A bad argument found inside a command: one line on stderr, exit code 2 (as argparse's own errors)."""


def _report_time(text: str | None):
    """The report time ``--as-of`` names (None when not given); :class:`UsageError` when it is not a time."""
    from lib.status import importer

    as_of = importer.parse_time(text) if text else None
    if text and as_of is None:
        raise UsageError(f"--as-of {text!r}: không phải ngày hợp lệ (dd/mm/yyyy [hh:mm] hoặc ISO, năm 1900–2200)")
    return as_of


def _status_time(text: str | None):
    """The moment ``status --as-of`` shows: a date alone means the end of that day (a report at 23:59:30
    counts, as on the map and in the brief), a date and time that time; None when not given."""
    from lib.core.vocab import end_of_day

    as_of = _report_time(text)
    if as_of is not None and text is not None and ":" not in text and "t" not in text.strip().lower():
        return end_of_day(as_of.date())
    return as_of


def _ingest(args: argparse.Namespace) -> int:
    import getpass

    from lib.io.files import display_name
    from lib.lookup.resolve import UnitResolver
    from lib.status import importer
    from lib.status.store import StatusStore, StoreError

    as_of = _report_time(args.as_of)
    overrides = dict(args.map)
    try:
        store = StatusStore(args.db)
        report, batch = importer.import_file(
            store,
            Path(args.file),
            lambda: UnitResolver.from_geodata(Path(args.geodata)),
            name=display_name(Path(args.file).name),  # printable and storable whatever bytes the name has
            imported_by=args.by or getpass.getuser(),
            sheet=args.sheet,
            keys=args.keys,
            as_of=as_of,
            overrides=overrides,
            all_or_nothing=args.all_or_nothing,
            dry_run=args.dry_run,
            force=args.force,
        )
    except (importer.SheetError, StoreError) as err:
        print(err, file=sys.stderr)
        return 2
    print(report.render(limit=args.limit))
    if not report.ok:
        print("Không có dòng hợp lệ nào — không ghi gì.", file=sys.stderr)
        return 1
    if batch is None:
        print(
            "Không ghi gì" + (" (--dry-run)." if args.dry_run else " (--all-or-nothing: còn dòng lỗi)."),
            file=sys.stderr,
        )
        return 0 if args.dry_run else 1
    print(f"Đã ghi lô {batch}: {len(report.records)} báo cáo vào {store!r}")
    return 0


def _ingest_dir(args: argparse.Namespace) -> int:
    from lib.lookup.resolve import UnitResolver
    from lib.status import intake
    from lib.status.store import StatusStore, StoreError

    inbox = Path(args.inbox)
    try:
        intake.check_inbox(inbox)  # before the store is opened: a read-only inbox changes nothing
        store = StatusStore(args.db)
        summary = intake.ingest_dir(
            inbox,
            store,
            lambda: UnitResolver.from_geodata(Path(args.geodata)),
            imported_by=args.by,
            settle=args.settle,
        )
    except (intake.IntakeError, StoreError) as err:
        print(err, file=sys.stderr)
        return 2
    print(summary.render())
    return 1 if summary.failed else 0


def _template(args: argparse.Namespace) -> int:
    from lib.status.template import TemplateError, write_template

    try:
        rows = write_template(Path(args.out), province=args.province, geodata_dir=Path(args.geodata))
    except TemplateError as err:
        print(err, file=sys.stderr)
        return 2
    where = f"tỉnh {args.province.strip().zfill(2)}" if args.province else "cả nước"
    print(f"Mẫu báo cáo ({where}, {rows} xã) → {args.out}")
    return 0


def _status(args: argparse.Namespace) -> int:
    import pandas as pd
    import sqlalchemy as sa

    from lib.status import status
    from lib.status.store import StatusStore, StoreError

    as_of = _status_time(args.as_of)
    crosswalk = geodata.load_crosswalk(Path(args.geodata))
    if args.on:  # names and types of the new communes as of that date (default: as in the dataset)
        crosswalk = _crosswalk_on(crosswalk, Path(args.geodata), _on_date(args))
    try:
        store = StatusStore(args.db)
    except StoreError as err:
        print(err, file=sys.stderr)
        return 1
    try:
        frame = status.export_frame(store, as_of=as_of, level=args.level, crosswalk=crosswalk)
    except (sa.exc.SQLAlchemyError, pd.errors.DatabaseError) as err:  # a table missing or not readable
        cause = err.__cause__ if isinstance(err, pd.errors.DatabaseError) and err.__cause__ else err
        detail = (str(getattr(cause, "orig", None) or cause).strip().splitlines() or [type(err).__name__])[0]
        print(f"Không đọc được kho trạng thái {store!r}: {store.redact(detail)}", file=sys.stderr)
        return 1
    if frame["is_demo"].any():
        print(f"Chú ý: {status.DEMO_MARK} — không phải số liệu thật.", file=sys.stderr)
    if args.format == "csv":
        data = status.to_csv_bytes(frame)
        if args.out:
            Path(args.out).write_bytes(data)
        else:
            sys.stdout.buffer.write(data)
    else:
        print(frame.to_string(index=False, max_rows=args.limit))
    return 0


def _batch_number(text: str) -> int:
    """The BATCH of ``revoke``: a batch id (a whole number from 1)."""
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"số lô “{text}” không phải số nguyên dương (xem: python -m lib.cli batches)")
    return int(text)


def _plain(value: object) -> str:
    """Text from the store for a terminal: control characters (escape sequences, line breaks) shown as "?"."""
    return "".join(ch if ch.isprintable() else "?" for ch in str(value))


def _batches(args: argparse.Namespace) -> int:
    from lib.data.i18n import format_int
    from lib.status import dashboard
    from lib.status.store import StatusStore, StoreError

    try:
        store = StatusStore(args.db)
        batches = store.batches()
        shown = batches.head(args.limit) if args.limit > 0 else batches
        sizes = store.text_sizes(list(shown["id"]))
    except StoreError as err:
        print(err, file=sys.stderr)
        return 2
    if batches.empty:
        print(f"Kho {store!r} chưa có lô nào.")
        return 0
    table = dashboard.batches_table(shown)
    table.insert(5, "Ký tự văn bản", shown["id"].map(sizes).map(format_int))
    table["Thời điểm nhập"] = table["Thời điểm nhập"].dt.strftime("%d/%m/%Y %H:%M")
    table["Số dòng"] = table["Số dòng"].map(format_int)
    for column in ("Minh hoạ", "Đã thu hồi"):
        table[column] = table[column].map({True: "có", False: ""})
    for column in ("Người nhập", "Tệp", "Lý do thu hồi"):
        table[column] = table[column].map(_plain)
    revoked = int(batches["revoked"].sum())
    print(
        f"{format_int(len(batches))} lô trong kho {store!r} ({format_int(revoked)} đã thu hồi); giờ Việt Nam"
        + (f", {format_int(len(shown))} lô mới nhất:" if len(shown) < len(batches) else ":")
    )
    print(table.to_string(index=False, max_colwidth=40))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    import getpass

    from lib.data.i18n import format_int
    from lib.status.store import StatusStore, StoreError

    try:
        store = StatusStore(args.db)
        done = store.revoke(args.batch, by=args.by or getpass.getuser(), reason=args.reason)
    except StoreError as err:  # also RevokeError: unknown batch, revoked already, no reason
        print(_plain(err), file=sys.stderr)
        return 2
    print(
        f"Đã thu hồi lô {done['batch_id']} (tệp “{_plain(done['source_name'])}”, {format_int(done['rows'])} báo cáo) "
        f"trong kho {store!r}: các báo cáo vẫn được lưu nhưng không còn được tính ở đâu."
    )
    if not store.has_real_data():
        print("Kho không còn lô báo cáo thật nào: ứng dụng hiện lại số liệu minh hoạ (nếu kho có), ghi rõ là minh hoạ.")
    return 0


def _prepare(args: argparse.Namespace) -> int:
    from lib.maps.prepare import prepare

    prepare(Path(args.geodata), force=args.force)
    return 0


def _settings(args: argparse.Namespace) -> int:
    from lib.core import settings as registry
    from lib.status.store import mask_url

    if args.markdown:
        print(registry.markdown_table(), end="")
        return 0
    given = registry.settings()
    origin = registry.sources()
    rows = []
    for setting in registry.SETTINGS:
        value = registry.shown(getattr(given, setting.name))
        if setting.secret and value and setting.name == "status_db":
            value = mask_url(value)
        elif setting.secret and value:
            value = "***"
        source = "biến môi trường" if origin[setting.name] == "environment" else "mặc định"
        rows.append((setting.env, value or "(chưa đặt)", source))
    width = max(len(env) for env, _, _ in rows)
    for env, value, source in rows:
        print(f"{env:<{width}}  {value}  [{source}]")
    return 0


def make_parser() -> argparse.ArgumentParser:
    """The parser with one sub-command per task."""
    parser = argparse.ArgumentParser(prog="python -m lib.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build-geodata", help="build geodata/ from the public sources")
    build.add_argument("--sources", required=True, help="folder of the source files (e.g. ../shared/sources)")
    build.add_argument("--out", default=str(geodata.default_dir()), help="output folder (default: geodata)")
    build.add_argument(
        "--amendments", default=None, help="amendments CSV to apply (default: the output folder's amendments.csv)"
    )
    build.set_defaults(func=_build)

    amend = commands.add_parser(
        "apply-amendments", help="apply an amendments CSV (names, types) to a built dataset, without geometry work"
    )
    amend.add_argument("file", help="the complete amendments CSV (columns: see geodata/SOURCES.md)")
    _geodata_option(amend)
    amend.set_defaults(func=_apply_amendments)

    validate = commands.add_parser("validate", help="check the bundled dataset and print a report")
    _geodata_option(validate)
    validate.set_defaults(func=_validate)

    prepare = commands.add_parser("prepare", help="write the derived files the app serves (map GeoJSON, layer caches)")
    _geodata_option(prepare)
    prepare.add_argument("--force", action="store_true", help="write everything again even if up to date")
    prepare.set_defaults(func=_prepare)

    quality = commands.add_parser("quality", help="print the quality figures of the reconstructed old communes")
    _geodata_option(quality)
    quality.set_defaults(func=_quality)

    export = commands.add_parser("export", help="write the crosswalk as csv, xlsx, geojson or parquet")
    export.add_argument("what", choices=["crosswalk"], help="what to export")
    export.add_argument("--province", help="only this NEW province (2-digit code)")
    export.add_argument("--old-province", help="only this OLD province (2-digit code)")
    export.add_argument("--format", required=True, choices=["csv", "xlsx", "geojson", "parquet"])
    export.add_argument("--out", required=True, help="output file")
    _geodata_option(export)
    _on_option(export)
    export.set_defaults(func=_export)

    convert = commands.add_parser("convert", help="append the new commune and province to a list of old units")
    convert.add_argument("file", help="CSV or XLSX with old unit codes, names (+ district, province) or addresses")
    convert.add_argument("--out", required=True, help="output .csv or .xlsx")
    convert.add_argument("--sheet", help="sheet name of an XLSX input (default: the first)")
    convert.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="ROLE=HEADER",
        help="say which column holds code, name, district, province or address",
    )
    convert.add_argument(
        "--one-row-per-candidate",
        action="store_true",
        help="one output row per candidate new commune instead of '; '-joined lists",
    )
    _geodata_option(convert)
    convert.set_defaults(func=_convert)
    map_ = commands.add_parser("map", help="draw the national or a province map as PNG, SVG, PDF or interactive HTML")
    map_.add_argument("--province", default="", help="new province code (2 digits); default: the whole country")
    map_.add_argument(
        "--level",
        choices=("province", "commune"),
        default="province",
        help="national map: colour provinces or communes",
    )
    map_.add_argument("--mode", choices=("task", "centre", "merge"), default="task", help="colour mode (default: task)")
    map_.add_argument(
        "--format", choices=("png", "svg", "pdf", "html"), default=None, help="default: from the file suffix"
    )
    map_.add_argument("--out", required=True, help="output file")
    _status_options(map_)
    _on_option(map_)
    map_.set_defaults(func=_map)

    brief = commands.add_parser("brief", help="one-page A4 PDF brief of a province")
    brief.add_argument("--province", required=True, help="new province code (2 digits)")
    brief.add_argument("--out", required=True, help="output PDF file")
    _status_options(brief)
    brief.set_defaults(func=_brief)

    ingest = commands.add_parser("ingest", help="import a status sheet (CSV/XLSX) into the status store")
    ingest.add_argument("file", help="the sheet (.csv in UTF-8, or .xlsx)")
    ingest.add_argument("--as-of", help="report time for rows without one (dd/mm/yyyy [hh:mm], Vietnam time)")
    _db_option(ingest)
    ingest.add_argument("--sheet", default=None, help="XLSX sheet name or 0-based number (default: the first)")
    ingest.add_argument(
        "--keys", choices=["auto", "new", "old"], default="auto", help="unit columns name new or old units"
    )
    ingest.add_argument(
        "--map",
        action="append",
        default=[],
        type=_field_column,
        metavar="FIELD=COLUMN",
        help="map a column by hand (FIELD: one of lib.status.importer.FIELDS)",
    )
    ingest.add_argument("--by", default=None, help="who imports (default: the login name)")
    ingest.add_argument("--all-or-nothing", action="store_true", help="write nothing unless every row is valid")
    ingest.add_argument("--dry-run", action="store_true", help="validate and report only")
    ingest.add_argument("--force", action="store_true", help="import even if the same file was imported before")
    ingest.add_argument("--limit", type=int, default=50, help="issues to print (default 50)")
    _geodata_option(ingest)
    ingest.set_defaults(func=_ingest)

    inbox = commands.add_parser(
        "ingest-dir",
        help="import every new report file of a folder once (for cron or a systemd timer); "
        "files go to INBOX/done or INBOX/failed with a report beside them",
    )
    inbox.add_argument("inbox", help="the folder reports are dropped into")
    _db_option(inbox)
    inbox.add_argument("--by", default=None, help="who imports (default: ingest-dir@HOST:PID)")
    inbox.add_argument(
        "--settle",
        type=float,
        default=60.0,
        help="leave files modified less than this many seconds ago for the next run (default 60)",
    )
    _geodata_option(inbox)
    inbox.set_defaults(func=_ingest_dir)

    template = commands.add_parser(
        "template", help="write the XLSX report template (one row per commune) that imports without column mapping"
    )
    template.add_argument("--out", required=True, help="output .xlsx file, e.g. mau-bao-cao.xlsx")
    template.add_argument("--province", default=None, help="only the communes of this NEW province (2-digit code)")
    _geodata_option(template)
    template.set_defaults(func=_template)

    state = commands.add_parser("status", help="export the status of every commune (or province) at a time")
    state.add_argument("--as-of", help="time to show; a date alone: the end of that day (default: now)")
    _db_option(state)
    state.add_argument("--level", choices=["commune", "province"], default="commune")
    state.add_argument("--format", choices=["csv", "table"], default="table")
    state.add_argument("--out", default=None, help="write the CSV to this file instead of stdout")
    state.add_argument("--limit", type=int, default=60, help="rows to print with --format table")
    _geodata_option(state)
    _on_option(state)
    state.set_defaults(func=_status)

    listing = commands.add_parser("batches", help="list the imported batches (newest first), revoked ones marked")
    _db_option(listing)
    listing.add_argument("--limit", type=int, default=50, help="batches to list (default 50; 0: all)")
    listing.set_defaults(func=_batches)

    revoke = commands.add_parser(
        "revoke", help="withdraw an imported batch: its reports stay stored but are no longer counted anywhere"
    )
    revoke.add_argument("batch", type=_batch_number, help="the batch number (see `batches`)")
    revoke.add_argument("--reason", required=True, help="why (recorded; at most 1,000 characters)")
    revoke.add_argument("--by", default=None, help="who revokes (default: the login name)")
    _db_option(revoke)
    revoke.set_defaults(func=_revoke)
    shown = commands.add_parser(
        "settings", help="print the effective settings (VNMAP_* variables) and where each comes from, secrets masked"
    )
    shown.add_argument("--markdown", action="store_true", help="print the README's table of the settings instead")
    shown.set_defaults(func=_settings)
    return parser


def main(argv: list[str] | None = None) -> int:
    from lib.core.settings import SettingError

    try:
        parser = make_parser()  # its defaults read the settings
    except SettingError as err:
        print(err, file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (UsageError, SettingError) as err:
        print(err, file=sys.stderr)
        return 2
    except OSError as err:  # a file or folder given on the command line cannot be read or written
        from lib.io.files import display_name

        print(f"error: {err.strerror or err}: {display_name(str(err.filename or ''))}".rstrip(": "), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
