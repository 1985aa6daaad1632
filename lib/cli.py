"""Command line: python -m lib.cli {build-geodata,validate,export,convert} ..."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib import geodata


def _build(args: argparse.Namespace) -> int:
    from lib.build import build_geodata

    build_geodata(Path(args.sources), Path(args.out))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from lib.validate import validate_dataset

    report = validate_dataset(Path(args.geodata))
    print(report.render())
    return 0 if report.ok else 1


def _export(args: argparse.Namespace) -> int:
    from lib.export import crosswalk_export, write_atomic
    from lib.lineage import filter_crosswalk

    folder = Path(args.geodata)
    crosswalk = geodata.load_crosswalk(folder)
    selected = filter_crosswalk(crosswalk, new_province=args.province, old_province=args.old_province)
    if selected.empty:
        print(f"error: no crosswalk rows for province {args.province or args.old_province!r} "
              "(use a 2-digit code, e.g. 01; --province is the NEW province, --old-province the old one)", file=sys.stderr)
        return 2
    polygons = geodata.load_new_communes(folder) if args.format in ("geojson", "parquet") else None
    selection = (f"tỉnh mới {args.province}" if args.province else "") + (f" tỉnh cũ {args.old_province}"
                                                                           if args.old_province else "")
    data = crosswalk_export(args.format, selected, crosswalk=crosswalk,
                            province_crosswalk=geodata.load_province_crosswalk(folder),
                            manifest=geodata.load_manifest(folder), new_communes=polygons,
                            selection=selection.strip() or "toàn bộ bảng chuyển đổi")
    write_atomic(Path(args.out), data)
    print(f"{len(selected)} pairs → {args.out} ({len(data):,} bytes)")
    return 0


def _convert(args: argparse.Namespace) -> int:
    from lib.convert import ConvertError, Converter, conversion_bytes, convert_file
    from lib.export import export_info, write_atomic

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
    converter = Converter.from_crosswalk(geodata.load_crosswalk(folder))
    try:
        result = convert_file(source.read_bytes(), source.name, converter, sheet=args.sheet or 0,
                              overrides=overrides, expand=args.one_row_per_candidate)
    except (ConvertError, OSError) as err:
        print(f"error: {source}: {err}", file=sys.stderr)
        return 2
    info = export_info(geodata.load_manifest(folder), selection=f"chuyển đổi tệp {source.name}")
    write_atomic(out, conversion_bytes(result, fmt, info))
    print(f"columns: {result.columns.describe()}")
    print(result.summary().to_string(index=False))
    print(f"match rate: {result.match_rate:.1%} of {result.given_rows} non-empty rows → {out}")
    return 0


def make_parser() -> argparse.ArgumentParser:
    """The parser with one sub-command per task."""
    parser = argparse.ArgumentParser(prog="python -m lib.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build-geodata", help="build geodata/ from the public sources")
    build.add_argument("--sources", required=True, help="folder of the source files (e.g. ../shared/sources)")
    build.add_argument("--out", default=str(geodata.DEFAULT_DIR), help="output folder (default: geodata)")
    build.set_defaults(func=_build)

    validate = commands.add_parser("validate", help="check the bundled dataset and print a report")
    validate.add_argument("--geodata", default=str(geodata.DEFAULT_DIR), help="dataset folder (default: geodata)")
    validate.set_defaults(func=_validate)

    export = commands.add_parser("export", help="write the crosswalk as csv, xlsx, geojson or parquet")
    export.add_argument("what", choices=["crosswalk"], help="what to export")
    export.add_argument("--province", help="only this NEW province (2-digit code)")
    export.add_argument("--old-province", help="only this OLD province (2-digit code)")
    export.add_argument("--format", required=True, choices=["csv", "xlsx", "geojson", "parquet"])
    export.add_argument("--out", required=True, help="output file")
    export.add_argument("--geodata", default=str(geodata.DEFAULT_DIR), help="dataset folder (default: geodata)")
    export.set_defaults(func=_export)

    convert = commands.add_parser("convert", help="append the new commune and province to a list of old units")
    convert.add_argument("file", help="CSV or XLSX with old unit codes, names (+ district, province) or addresses")
    convert.add_argument("--out", required=True, help="output .csv or .xlsx")
    convert.add_argument("--sheet", help="sheet name of an XLSX input (default: the first)")
    convert.add_argument("--column", action="append", default=[], metavar="ROLE=HEADER",
                         help="say which column holds code, name, district, province or address")
    convert.add_argument("--one-row-per-candidate", action="store_true",
                         help="one output row per candidate new commune instead of '; '-joined lists")
    convert.add_argument("--geodata", default=str(geodata.DEFAULT_DIR), help="dataset folder (default: geodata)")
    convert.set_defaults(func=_convert)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
