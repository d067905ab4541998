"""python -m bench [--quick] [--only NAME ...]: run Hallway's benchmarks, print a table.

Each figure comes with a baseline measured in the same run, because absolute times on a
shared machine are noisy. Results go to bench/results.json (or --output). Generated
databases are cached under $HALLWAY_BENCH_CACHE (default /tmp/hallway-bench).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.common import ROOT, Result, machine

BENCHMARKS = {
    "capture": "bench.capture",
    "tagger": "bench.tagger",
    "digest": "bench.digest",
    "startup": "bench.startup",
    "commands": "bench.commands",
    "ask_growth": "bench.ask_growth",
    "memory": "bench.memory",
    "hallway": "bench.hallway",
    "scale": "bench.scale",
    "announce_history": "bench.announce_history",
    "load": "bench.load",
    "storm": "bench.storm",
    "survey_export": "bench.survey_export",
    "report": "bench.report",
    "history_exports": "bench.history_exports",
}


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def table(results: list[Result]) -> str:
    header = ("Benchmark", "Hallway", "Baseline", "Ratio", "Target", "Met")
    rows: list[tuple[str, ...]] = []
    for r in results:
        spread = ""
        if "value_min" in r.details:
            spread = f" ({_fmt(r.details['value_min'])}-{_fmt(r.details['value_max'])})"
        rows.append(
            (
                r.name,
                f"{_fmt(r.value)} {r.unit}{spread}",
                f"{_fmt(r.baseline)} {r.unit}" if r.baseline is not None else "-",
                f"{_fmt(r.ratio)} ({r.ratio_name})" if r.ratio is not None else "-",
                r.target,
                "yes" if r.met else "NO",
            )
        )
        # Breakdown lines a benchmark adds under its headline (e.g. one per command).
        rows.extend(tuple(str(c) for c in sub) for sub in r.details.get("table_rows", []))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), sep, *(line(r) for r in rows)])


def _median_run(runs: list[Result]) -> Result:
    """The run with the median headline figure, with every run's figures noted on it."""
    ordered = sorted(runs, key=lambda r: getattr(r, r.rank_by) or 0.0)
    chosen = ordered[(len(ordered) - 1) // 2]
    if len(runs) > 1:
        # Each run's own figures too (such as scale's memory per guild), not just the headline:
        # the median run by the headline need not be the median of the others.
        chosen.details["repeats"] = [
            {"value": r.value, "baseline": r.baseline, "ratio": r.ratio, "met": r.met}
            | {k: v for k, v in r.details.items() if isinstance(v, int | float)}
            for r in runs
        ]
        values = [r.value for r in runs if r.value is not None]
        ratios = [r.ratio for r in runs if r.ratio is not None]
        chosen.details["value_min"], chosen.details["value_max"] = min(values), max(values)
        if ratios:
            chosen.details["ratio_min"], chosen.details["ratio_max"] = min(ratios), max(ratios)
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: a smoke run in under a minute"
    )
    parser.add_argument(
        "--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME", help="run only these"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run each benchmark N times: the median run, with min-max",
    )
    parser.add_argument(
        "--output", type=Path, default=ROOT / "bench" / "results.json", help="JSON results file"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    names = args.only or list(BENCHMARKS)
    results: list[Result] = []
    started = time.monotonic()
    failed: dict[str, str] = {}
    for name in names:
        print(f"running {name}{' (quick)' if args.quick else ''} ...", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        try:
            module = importlib.import_module(BENCHMARKS[name])
            runs = [module.run(args.quick) for _ in range(max(1, args.repeat))]
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            logging.exception("benchmark %s failed", name)
            failed[name] = f"{type(exc).__name__}: {exc}"
            continue
        result = _median_run(runs)
        result.details["seconds"] = round(time.monotonic() - t0, 1)
        results.append(result)
        print(f"  {name}: {result.value} {result.unit} ({time.monotonic() - t0:.1f} s)",
              file=sys.stderr, flush=True)  # fmt: skip
    print(table(results))
    for name, why in failed.items():
        print(f"FAILED {name}: {why}")
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "repeat": args.repeat,
        "machine": {**machine(), "loadavg_at_end": [round(x, 2) for x in os.getloadavg()]},
        "seconds": round(time.monotonic() - started, 1),
        "results": [r.to_dict() for r in results],
        "failed": failed,
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
