"""Robustness: accuracy as the simulated campaign hides better, one knob at a time.

Each *axis* moves one knob of ``SpamouflageParams`` (docs/simulator.md) from easy to hard while
every other knob keeps its default:

- ``camouflage``: ``political_share``, the share of operator posts that are political (the rest
  is camouflage spam), from 0.8 down to 0.1;
- ``timing``: ``amplifier_delay_median``, the median seconds before an amplifier reposts,
  from 30 s up to 6 h;
- ``paraphrase``: ``paraphrase``, the chance of each rewording (synonyms, clause order, an
  opener) when a text is posted or reposted, from 0 (copypasta, the default) to 1;
- ``accounts``: ``campaign_share``, from 2 % of accounts down to 0.4 % (at least 10 accounts);
- ``noise``: ``organic_noise``, the multiplier of the authentic look-alikes (retweet storm,
  debate live-tweeting, fandom drive, petition), from 0.5 up to 8.

For every value and seed the case is simulated, then scored for three methods with
``cibscan.evaluate.evaluate``: cibscan (``ingest`` + ``detect`` at their defaults, no exports),
the CooRTweet-style detector and coordination-network-toolkit 1.5.2, both exactly as in
``benchmarks/accuracy.py`` (imported from it). The default point is shared by every axis and
run once per seed.

Seeds: 1-3 are the development seeds and are never used here; the default seeds are 100-102,
drawn afresh for this benchmark and used to tune nothing.

Writes into ``--out`` (default ``benchmarks/robustness/``): ``results.csv`` (one row per axis,
value, seed and method), ``tables.md`` (means over seeds) and one SVG line plot per axis
(F1 solid with the seeds' min-max as a bar, precision dashed, recall dotted). Finished cases
are kept in ``--workdir`` so that ``--resume`` continues an interrupted run; ``--replot``
redraws the tables and plots from ``results.csv`` alone.

    .venv/bin/pip install -e '.[bench]'     # coordination-network-toolkit==1.5.2
    .venv/bin/python benchmarks/robustness.py
    .venv/bin/python benchmarks/robustness.py --axes paraphrase timing --seeds 100 --accounts 2000
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import math
import shutil
import statistics
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from accuracy import cnt_baseline, coortweet_style

from cibscan.detect.pipeline import detect
from cibscan.evaluate import Evaluation, evaluate
from cibscan.ingest.pipeline import ingest
from cibscan.simulate import SpamouflageParams, simulate
from cibscan.store import open_case

log = logging.getLogger("bench.robustness")

METHODS = ("cibscan", "CooRTweet-style", "coordination-network-toolkit")
COLOURS = {
    "cibscan": "#1b6ca8",
    "CooRTweet-style": "#d1495b",
    "coordination-network-toolkit": "#2e8b57",
}
CAMPAIGN_ROLES = ("operator_persona", "amplifier", "hijacked", "regrowth")
DEVELOPMENT_SEEDS = frozenset({1, 2, 3})
Row = dict[str, Any]


@dataclass(frozen=True)
class Axis:
    """One way of hiding: a ``SpamouflageParams`` field swept from easy to hard."""

    param: str
    values: tuple[float, ...]
    label: str


AXES = {
    "camouflage": Axis(
        "political_share",
        (0.8, 0.55, 0.4, 0.25, 0.1),
        "political_share: share of operator posts that are political (lower = more camouflage)",
    ),
    "timing": Axis(
        "amplifier_delay_median",
        (30, 90, 600, 3600, 21600),
        "amplifier_delay_median: median seconds before an amplifier reposts",
    ),
    "paraphrase": Axis(
        "paraphrase",
        (0.0, 0.25, 0.5, 0.75, 1.0),
        "paraphrase: chance of each rewording of a campaign text",
    ),
    "accounts": Axis(
        "campaign_share",
        (0.02, 0.015, 0.01, 0.006, 0.004),
        "campaign_share: share of accounts in the campaign",
    ),
    "noise": Axis(
        "organic_noise",
        (0.5, 1.0, 2.0, 4.0, 8.0),
        "organic_noise: multiplier of the authentic look-alikes",
    ),
}
FIELDS = (
    "axis",
    "param",
    "value",
    "seed",
    "method",
    "campaign",
    "flagged",
    "precision",
    "recall",
    "f1",
    "pr_auc",
    "roc_auc",
    *(f"recall_{r}" for r in CAMPAIGN_ROLES),
    "seconds",
)


@dataclass
class Series:
    """One line of a plot: y values in [0, 1] (NaN = no point), optional min-max bars."""

    label: str  # empty: not in the legend
    colour: str
    style: str  # solid | dashed | dotted
    ys: list[float]
    bounds: list[tuple[float, float]] | None = None


_DASH = {"solid": "", "dashed": ' stroke-dasharray="7 4"', "dotted": ' stroke-dasharray="2 3"'}
_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 780, 460, 60, 230, 72, 64


def line_plot(title: str, xlabels: list[str], xtitle: str, series: list[Series]) -> str:
    """A small self-contained SVG line chart (y from 0 to 1, x categorical, evenly spaced):
    no plotting library in the package's dependencies."""
    pw, ph = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def x(i: int) -> float:
        return _LEFT + pw * (i + 0.5) / len(xlabels)

    def y(v: float) -> float:
        return _TOP + ph * (1 - v)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_LEFT}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<text x="{_LEFT}" y="38" fill="#555">solid: F1 (bar: min-max over seeds); '
        "dashed: precision; dotted: recall (means over seeds)</text>",
        f'<text x="{_LEFT}" y="54" fill="#555">left to right: the campaign hides better; '
        "other knobs at their defaults</text>",
    ]
    for k in range(6):
        v = k / 5
        out.append(
            f'<line x1="{_LEFT}" x2="{_LEFT + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="#ddd"/><text x="{_LEFT - 8}" y="{y(v) + 4:.1f}" '
            f'text-anchor="end">{v:.1f}</text>'
        )
    for i, label in enumerate(xlabels):
        out.append(
            f'<text x="{x(i):.1f}" y="{_TOP + ph + 18}" text-anchor="middle">{escape(label)}</text>'
        )
    out.append(
        f'<text x="{_LEFT + pw / 2:.1f}" y="{_H - 16}" text-anchor="middle">{escape(xtitle)}</text>'
    )
    out.append(
        f'<rect x="{_LEFT}" y="{_TOP}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>'
    )
    legend = 0
    for s in series:
        width = 2.5 if s.style == "solid" else 1.5
        points = [(x(i), y(v)) for i, v in enumerate(s.ys) if not math.isnan(v)]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{s.colour}" '
            f'stroke-width="{width}"{_DASH[s.style]}/>'
        )
        if s.style == "solid":
            out += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{s.colour}"/>'
                    for px, py in points]  # fmt: skip
        for i, (lo, hi) in enumerate(s.bounds or []):
            if not (math.isnan(lo) or math.isnan(hi)):
                out.append(
                    f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{y(lo):.1f}" y2="{y(hi):.1f}" '
                    f'stroke="{s.colour}" stroke-width="6" stroke-opacity="0.25"/>'
                )
        if s.label:
            ly = _TOP + 10 + 22 * legend
            legend += 1
            out.append(
                f'<line x1="{_W - _RIGHT + 16}" x2="{_W - _RIGHT + 44}" y1="{ly}" y2="{ly}" '
                f'stroke="{s.colour}" stroke-width="2.5"/><text x="{_W - _RIGHT + 50}" '
                f'y="{ly + 4}">{escape(s.label)}</text>'
            )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _default(param: str) -> float:
    return float(getattr(SpamouflageParams(), param))


def _metrics(e: Evaluation | None) -> dict[str, Any]:
    if e is None:  # the method failed on this case (logged): no numbers rather than zeros
        return {k: math.nan for k in FIELDS[5:-1]}
    return {
        "campaign": e.campaign_accounts,
        "flagged": e.flagged,
        "precision": e.precision,
        "recall": e.recall,
        "f1": e.f1,
        "pr_auc": e.pr_auc,
        "roc_auc": e.roc_auc,
        **{f"recall_{r}": e.recall_by_role.get(r, math.nan) for r in CAMPAIGN_ROLES},
    }


def _timed(method: str, run: Callable[[], Evaluation]) -> tuple[Evaluation | None, float]:
    clock = time.perf_counter()
    try:
        return run(), time.perf_counter() - clock
    except Exception:
        log.exception("%s failed", method)
        return None, time.perf_counter() - clock


def score_case(work: Path, seed: int, accounts: int, overrides: dict[str, float]) -> list[Row]:
    """Simulate one case and score the three methods on it; one row per method."""
    shutil.rmtree(work, ignore_errors=True)
    simulated = simulate("spamouflage", work / "data", seed, accounts=accounts, **overrides)
    truth = simulated.out_dir / "truth.csv"
    case_path = work / "case.duckdb"

    def ours() -> Evaluation:
        with open_case(case_path) as case:
            ingest(case, [work / "data"])
            detect(case)
            return evaluate(truth, engine=case.engine)

    def coortweet() -> Evaluation:
        coortweet_style(case_path, work / "coortweet.csv")
        return evaluate(truth, accounts_csv=work / "coortweet.csv")

    def toolkit() -> Evaluation:
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):  # its progress
            cnt_baseline(case_path, work, work / "cnt.csv")
        return evaluate(truth, accounts_csv=work / "cnt.csv")

    rows = []
    for method, run in zip(METHODS, (ours, coortweet, toolkit), strict=True):
        e, seconds = _timed(method, run)
        rows.append({"method": method, **_metrics(e), "seconds": round(seconds, 2)})
    shutil.rmtree(work, ignore_errors=True)
    return rows


def sweep(axes: list[str], seeds: list[int], accounts: int, workdir: Path) -> list[Row]:
    """Every axis value and seed, the shared default point run once per seed."""
    done = workdir / f"done-{accounts}.json"  # finished cases: a rerun resumes
    cache: dict[str, list[Row]] = json.loads(done.read_text("utf-8")) if done.exists() else {}
    results = []
    for name in axes:
        axis = AXES[name]
        for value in axis.values:
            overrides = {} if value == _default(axis.param) else {axis.param: value}
            for seed in seeds:
                key = f"{sorted(overrides.items())} seed {seed}"
                if key not in cache:
                    log.info("%s=%s seed %d", axis.param, value, seed)
                    cache[key] = score_case(workdir / "case", seed, accounts, overrides)
                    done.write_text(json.dumps(cache), "utf-8")
                    f1 = ", ".join(f"{r['method']} {r['f1']:.3f}" for r in cache[key])
                    log.info("  F1: %s", f1)
                for row in cache[key]:
                    results.append(
                        {"axis": name, "param": axis.param, "value": value, "seed": seed, **row}
                    )
    return results


def _mean(rows: list[Row], key: str) -> float:
    values = [float(r[key]) for r in rows if not math.isnan(float(r[key]))]
    return statistics.fmean(values) if values else math.nan


def _select(results: list[Row], axis: str, value: float, method: str) -> list[Row]:
    return [
        r for r in results if r["axis"] == axis and r["value"] == value and r["method"] == method
    ]


def tables(results: list[Row], axes: list[str], seeds: list[int], accounts: int) -> str:
    """Markdown: per axis, the mean over seeds of each method's numbers at each value."""
    out = [f"Means over seeds {', '.join(map(str, seeds))}; {accounts} accounts per case.", ""]
    keys = ("flagged", "precision", "recall", "f1", "pr_auc")
    for name in axes:
        axis = AXES[name]
        out += [
            f"### {name}: {axis.label} (default {_default(axis.param):g})",
            "",
            "| value | method | flagged | precision | recall | F1 | PR-AUC | F1 min-max |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for value in axis.values:
            for method in METHODS:
                rows = _select(results, name, value, method)
                f1s = [float(r["f1"]) for r in rows]
                means = " | ".join(
                    f"{_mean(rows, k):.1f}" if k == "flagged" else f"{_mean(rows, k):.3f}"
                    for k in keys
                )
                out.append(f"| {value:g} | {method} | {means} | {min(f1s):.3f}-{max(f1s):.3f} |")
        out.append("")
    return "\n".join(out)


def plot_axis(results: list[Row], name: str, seeds: list[int], accounts: int) -> str:
    """The SVG of one axis: each method's F1, precision and recall against the knob."""
    axis = AXES[name]
    series = []
    for method in METHODS:
        per_value = [_select(results, name, v, method) for v in axis.values]
        f1_bounds = [
            (min(float(r["f1"]) for r in rows), max(float(r["f1"]) for r in rows))
            for rows in per_value
        ]
        colour = COLOURS[method]
        series += [
            Series(
                method,
                colour,
                "solid",
                [_mean(rows, "f1") for rows in per_value],
                f1_bounds,
            ),
            Series("", colour, "dashed", [_mean(r, "precision") for r in per_value]),
            Series("", colour, "dotted", [_mean(r, "recall") for r in per_value]),
        ]
    title = f"Robustness: {name} (seeds {', '.join(map(str, seeds))}; {accounts} accounts)"
    return line_plot(title, [f"{v:g}" for v in axis.values], axis.label, series)


def write_results(results: list[Row], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for row in results:
            writer.writerow({k: f"{v:.4f}" if isinstance(v, float) else v for k, v in row.items()})


def read_results(path: Path) -> list[Row]:
    """``results.csv`` back into rows (for ``--replot``)."""
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    numeric = set(FIELDS) - {"axis", "param", "method"}
    return [
        {k: (float(v) if k in numeric else v) for k, v in row.items()}
        | {"seed": int(float(row["seed"]))}
        for row in rows
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[100, 101, 102])
    parser.add_argument("--accounts", type=int, default=3000)
    parser.add_argument("--axes", nargs="+", choices=list(AXES), default=list(AXES))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "robustness")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cibscan-robustness"))
    parser.add_argument(
        "--resume",
        action="store_true",
        help="Reuse the cases an interrupted run finished in --workdir (same code and options).",
    )
    parser.add_argument(
        "--replot",
        action="store_true",
        help="Only redraw tables and plots from --out's results.csv (give the same --accounts).",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    log.setLevel(logging.INFO)
    if DEVELOPMENT_SEEDS & set(args.seeds):
        parser.error("seeds 1-3 are the development seeds: choose others (default 100-102)")
    clock = time.perf_counter()
    if args.replot:
        results = read_results(args.out / "results.csv")
        args.axes = [a for a in args.axes if any(r["axis"] == a for r in results)]
        args.seeds = sorted({int(r["seed"]) for r in results})
    else:
        if not args.resume:
            shutil.rmtree(args.workdir, ignore_errors=True)
        args.workdir.mkdir(parents=True, exist_ok=True)
        results = sweep(args.axes, args.seeds, args.accounts, args.workdir)
        args.out.mkdir(parents=True, exist_ok=True)
        write_results(results, args.out / "results.csv")
        results = read_results(args.out / "results.csv")  # as --replot sees them (rounded)
    (args.out / "tables.md").write_text(
        tables(results, args.axes, args.seeds, args.accounts), encoding="utf-8"
    )
    for name in args.axes:
        svg = plot_axis(results, name, args.seeds, args.accounts)
        (args.out / f"{name}.svg").write_text(svg, encoding="utf-8")
    log.info("done in %.0f s; wrote %s", time.perf_counter() - clock, args.out)


if __name__ == "__main__":
    main()
