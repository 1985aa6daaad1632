"""Command line: python -m lib.cli {build-geodata,validate,quality} ..."""

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


def _quality(args: argparse.Namespace) -> int:
    from lib.quality import dataset_report

    report = dataset_report(Path(args.geodata))
    print(report.render())
    return 0 if report.ok else 1


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

    quality = commands.add_parser("quality", help="print the quality figures of the reconstructed old communes")
    quality.add_argument("--geodata", default=str(geodata.DEFAULT_DIR), help="dataset folder (default: geodata)")
    quality.set_defaults(func=_quality)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
