"""Run the benchmarks: `uv run python -m tests.bench [names…]` (all of them by default).

Each prints one line per figure as it is measured; the run ends with a summary table
(figure, value, baseline, ratio, target, met/missed). Every benchmark starts its own
private redis-server and processes; a benchmark that fails is reported and the others
still run. The exit status is 1 if one failed, else 0 (a missed target is a figure, not
a failure).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback

from tests.bench.common import Figure, Report

BENCHES = {  # name → what it measures; run in this order
    "webhook": "webhook throughput and latency against a bare aiohttp endpoint",
    "roundtrips": "Redis commands per event, by event type",
    "timers": "timers fired per second by one worker; lateness under steady load",
    "memory": "Redis bytes per open request",
    "cards": "card render time against the bare template render",
}


def _cell(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{text} {unit}".rstrip()


def summary(figures: list[Figure]) -> str:
    header = ("figure", "value", "baseline", "ratio", "target", "")
    rows = [header]
    for figure in figures:
        verdict = "" if figure.met is None else ("met" if figure.met else "MISSED")
        rows.append(
            (
                figure.name.strip(),
                _cell(figure.value, figure.unit),
                _cell(figure.baseline, figure.unit) if figure.baseline is not None else "—",
                "—" if figure.ratio is None else f"{figure.ratio:.2f}",
                figure.target or "—",
                verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    aligns = ["<", ">", ">", ">", "<", "<"]
    lines = []
    for number, row in enumerate(rows):
        cells = [
            f"{cell:{align}{width}}" for cell, align, width in zip(row, aligns, widths, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths).rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "names",
        nargs="*",
        metavar="name",
        help="benchmarks to run: " + ", ".join(BENCHES) + " (default: all)",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    names = args.names or list(BENCHES)
    report = Report()
    failed: list[str] = []
    took: dict[str, float] = {}
    started = time.perf_counter()
    for name in names:
        print(f"\n## {name}: {BENCHES[name]}", flush=True)
        begun = time.perf_counter()
        try:
            importlib.import_module(f"tests.bench.{name}").bench(report)
        except Exception:
            traceback.print_exc()
            failed.append(name)
        took[name] = time.perf_counter() - begun
    total = time.perf_counter() - started
    print("\n## summary\n")
    print(summary(report.figures))
    met = [f for f in report.figures if f.met is not None]
    times = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in took.items())
    verdict = f"{sum(bool(f.met) for f in met)} of {len(met)} targets met" if met else "no target"
    print(f"\n{verdict}; took {total:.0f} s ({times})")
    if failed:
        print(f"FAILED: {', '.join(failed)} (see the tracebacks above)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
