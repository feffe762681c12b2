"""``cibscan simulate`` (a seeded case with ground truth) and ``cibscan demo`` (simulate, run,
evaluate: the README's main job)."""

from __future__ import annotations

from typing import Any

import click

from cibscan.cli import main, out
from cibscan.cli.evaluation import print_evaluation, print_match_evaluation
from cibscan.cli.findings import print_detect_summary
from cibscan.demo import run_demo
from cibscan.simulate import SCENARIOS, simulate
from cibscan.store import CaseError


@main.command("simulate")
@click.option(
    "--scenario",
    type=click.Choice(sorted(SCENARIOS)),
    default="spamouflage",
    show_default=True,
    help="Which scenario to generate.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write the platform files and truth.csv into.",
)
@click.option("--seed", default=1, show_default=True, help="Random seed (same seed, same bytes).")
@click.option(
    "--accounts", type=click.IntRange(min=500), help="Accounts in all, at least 500 (default 4000)."
)
@click.option("--days", type=click.IntRange(min=3), help="Days in the period (default 14).")
@click.option(
    "--visual-mirrors",
    type=click.IntRange(min=0),
    help="Operator personas mirrored on Instagram (Meta Content Library), Pinterest and "
    "TikTok (Zeeschuimer captures), sharing the campaign's images and sound (default 0).",
)
@click.option(
    "--regrowth",
    is_flag=True,
    help="Write two periods, OUT/period1 and OUT/period2: the network returns after a "
    "takedown with new accounts (docs/simulator.md, Regrowth).",
)
def simulate_command(
    scenario: str,
    out_dir: str,
    seed: int,
    accounts: int | None,
    days: int | None,
    visual_mirrors: int | None,
    regrowth: bool,
) -> None:
    """Generate a realistic case with ground truth in real platform formats.

    The files are read by the ordinary ingest adapters; truth.csv gives every account's
    platform, account_id, label (campaign/organic), network and role (docs/simulator.md).

    With --regrowth, OUT/period1 is that case and OUT/period2 the same world months after a
    takedown, the network back with new accounts and old habits; each has its own truth.csv
    with regrew_from and reappeared columns (--accounts and --days shape period 1).

    \b
    Example: cibscan simulate --scenario spamouflage --out sim --seed 7 --accounts 2000
    Example: cibscan simulate --scenario spamouflage --regrowth --out whack
    Example: cibscan simulate --out sim --visual-mirrors 12   # + Instagram, Pinterest, TikTok
    """
    given: dict[str, Any] = {"accounts": accounts, "days": days, "visual_mirrors": visual_mirrors}
    overrides = {k: v for k, v in given.items() if v is not None}
    try:
        report = simulate(scenario, out_dir, seed, regrowth=regrowth, **overrides)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    for part in report.periods.values() or [report]:
        for name, n in part.files.items():
            out.print(f"wrote {part.out_dir / name}: {n:,} records")
        labels = ", ".join(f"{k} {v:,}" for k, v in part.labels.items())
        roles = ", ".join(f"{k} {v:,}" for k, v in part.roles.items())
        out.print(f"accounts: {labels}")
        out.print(f"roles: {roles}", highlight=False)


@main.command("demo")
@click.option(
    "--out",
    "out_dir",
    default="out/demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for the simulated data, the case and every output.",
)
@click.option("--seed", default=1, show_default=True, help="Seed of the simulated population.")
@click.option(
    "--accounts",
    default=4000,
    show_default=True,
    type=click.IntRange(min=500),
    help="Accounts in the simulated case.",
)
def demo_command(out_dir: str, seed: int, accounts: int) -> None:
    """Show what cibscan does in about a minute: simulate a Spamouflage-like case, run the
    whole pipeline on it and measure the findings against the simulation's truth; then
    confirm the campaign, fingerprint it into a library, and recognise it when it comes
    back after a takedown (the whack-a-mole loop, scored against the regrowth's truth).

    Writes OUT/data/period1 and OUT/data/period2 (platform files and truth.csv),
    OUT/case.duckdb, the findings tables, network.gexf, network.graphml, network.stix.json,
    report.html, evaluation.json, library.duckdb, spamouflage.stix.json and OUT/period2/
    (case, findings, report.html, matches.csv, matching.json).

    \b
    Example:
      cibscan demo --out out/demo --seed 3
    """
    try:
        result = run_demo(out_dir, seed=seed, accounts=accounts)
    except (CaseError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    print_detect_summary(result.run.detect)
    print_evaluation(result.evaluation)
    loop = result.regrowth
    out.print(
        f"whack-a-mole: {loop.verdicts.confirmed:,} flagged accounts confirmed "
        f"({loop.verdicts.dismissed:,} dismissed) and fingerprinted as "
        f"{loop.network.network!r} into {loop.library}; the network came back after a "
        "takedown (period 2), matched against the library:",
        highlight=False,
    )
    print_match_evaluation(loop.evaluation)
    out.print(
        f"period 2: the library matched {loop.score.predicted:,} accounts (matches.csv); "
        f"detection alone flagged {loop.flagged_regrown:,} of the {loop.score.positives:,} "
        "regrown accounts (too few posts each to coordinate visibly)",
        highlight=False,
    )
    out.print(
        f"demo written to {result.run.out_dir}/ in {result.seconds:.1f}s: open "
        f"{result.run.outputs['report']} and {loop.matches.parent / 'report.html'} "
        "in a browser",
        highlight=False,
    )
