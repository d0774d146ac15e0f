"""Run every benchmark module (or ``--only`` some) on the infrastructure ladder."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import pkgutil

from btxh_common.logs import configure_logging
from btxh_common.testing.infra import kafka_broker, postgres_server

import btxh_tools.bench as package
from btxh_tools.bench.common import BenchContext

SKIP = {"common", "__main__", "national_parts"}


def main() -> None:
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name not in SKIP)
    parser = argparse.ArgumentParser(prog="python -m btxh_tools.bench")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--districts",
        type=int,
        nargs="*",
        default=[70, 200, 700],
        help="the national month's sizes in districts of 5,000 lines (700 = 3.5M)",
    )
    parser.add_argument("--only", nargs="*", choices=names, default=names)
    parser.add_argument(
        "--row",
        nargs="*",
        default=[],
        help="within the modules, only the rows whose names start with these (modules that "
        "know their rows: imports)",
    )
    args = parser.parse_args()
    configure_logging("bench", "WARNING")
    print(f"{'name':32} {'system_s':>9} {'floor_s':>9} {'ratio':>7} {'peak_rss_mb':>10}")
    with postgres_server() as server, kafka_broker() as bootstrap:
        ctx = BenchContext(
            server,
            bootstrap,
            args.rows,
            max(args.rounds, 3),
            tuple(args.districts),
            tuple(args.row),
        )
        for name in args.only:
            module = importlib.import_module(f"btxh_tools.bench.{name}")
            asyncio.run(module.run(ctx))


main()
