"""``cibscan evaluate``: a detect run against a truth file or the analysts' labels, or a match
run against a regrowth truth (each mode calls one library function)."""

from __future__ import annotations

import json

import click
from rich.table import Table

from cibscan.cli import main, out
from cibscan.evaluate import Evaluation, evaluate
from cibscan.evaluate.labels import LabelEvaluation, evaluate_labels
from cibscan.evaluate.matching import MatchEvaluation, evaluate_matching
from cibscan.store import CaseError, open_case


@main.command("evaluate")
@click.option(
    "--truth",
    "truth_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Ground truth: platform, account_id, label, network, role (e.g. a simulation's); "
    "for --matches also regrew_from.",
)
@click.option("--case", "case_path", type=click.Path(), help="A case with a detect run.")
@click.option(
    "--accounts",
    "accounts_path",
    type=click.Path(exists=True, dir_okay=False),
    help="An accounts.csv written by cibscan (instead of --case).",
)
@click.option(
    "--labels", is_flag=True, help="Score the case's latest run against the analysts' labels."
)
@click.option(
    "--matches",
    "matches_mode",
    is_flag=True,
    help="Score the case's matches against known networks (cibscan match) with --truth.",
)
@click.option(
    "--matches-csv",
    type=click.Path(exists=True, dir_okay=False),
    help="A matches.csv to score with --truth (instead of the case's matches).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the evaluation as JSON.")
def evaluate_command(
    truth_path: str | None,
    case_path: str | None,
    accounts_path: str | None,
    labels: bool,
    matches_mode: bool,
    matches_csv: str | None,
    as_json: bool,
) -> None:
    """Measure a detect run against ground truth: precision, recall, F1, PR-AUC, ROC-AUC,
    precision at k, AMI of clusters against true networks, recall per role and network.
    With --labels, against the analysts' verdicts; with --matches, a match run against the
    truth's regrew_from column (recall of new accounts and of known members apart).

    \b
    Example:
      cibscan evaluate --truth sim/truth.csv --case sim/case.duckdb
      cibscan evaluate --truth sim/truth.csv --accounts results/accounts.csv --json
      cibscan evaluate --labels --case case.duckdb
      cibscan evaluate --matches --truth sim/period2/truth.csv --case period2.duckdb
    """
    try:
        result: Evaluation | LabelEvaluation | MatchEvaluation
        if labels:
            if case_path is None:
                raise click.UsageError("--labels needs --case")
            with open_case(case_path, create=False, read_only=True) as case:
                result = evaluate_labels(case.engine)
        elif matches_mode or matches_csv:
            result = _matches(truth_path, case_path, matches_csv)
        else:
            result = _detection(truth_path, case_path, accounts_path)
    except (CaseError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    elif isinstance(result, LabelEvaluation):
        _print_rows("evaluation against the labels", _label_rows(result))
    elif isinstance(result, MatchEvaluation):
        print_match_evaluation(result)
    else:
        print_evaluation(result)


def _detection(truth: str | None, case_path: str | None, accounts: str | None) -> Evaluation:
    if truth is None:
        raise click.UsageError("give --truth (or --labels)")
    if (case_path is None) == (accounts is None):
        raise click.UsageError("give either --case or --accounts")
    if case_path is not None:
        with open_case(case_path, create=False, read_only=True) as case:
            return evaluate(truth, engine=case.engine)
    return evaluate(truth, accounts_csv=accounts)


def _matches(truth: str | None, case_path: str | None, matches_csv: str | None) -> MatchEvaluation:
    if truth is None:
        raise click.UsageError("--matches needs --truth")
    if matches_csv is not None:
        return evaluate_matching(matches_csv, truth)
    if case_path is None:
        raise click.UsageError("--matches needs --case or --matches-csv")
    with open_case(case_path, create=False, read_only=True) as case:
        if not case.engine.table_exists("matches"):
            raise ValueError("this case has no matches yet: run 'cibscan match' first")
        rows = case.engine.fetch_arrow("SELECT * FROM matches").to_pylist()
    return evaluate_matching(rows, truth)


def _print_rows(title: str, rows: list[tuple[str, str]]) -> None:
    table = Table(title=title, show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)


def _label_rows(r: LabelEvaluation) -> list[tuple[str, str]]:
    return [
        ("labelled (confirmed / dismissed)", f"{r.confirmed:,} / {r.dismissed:,}"),
        ("flagged confirmed", f"{r.flagged_confirmed:,}"),
        ("flagged dismissed", f"{r.flagged_dismissed:,}"),
        ("confirmed not flagged", f"{r.missed_confirmed:,}"),
        ("flagged, not yet labelled", f"{r.flagged_unlabelled:,}"),
        ("precision", f"{r.precision:.3f}"),
        ("recall", f"{r.recall:.3f}"),
        ("F1", f"{r.f1:.3f}"),
        ("PR-AUC", f"{r.pr_auc:.3f}"),
    ]


def print_match_evaluation(result: MatchEvaluation) -> None:
    """A match run's accuracy per known network."""
    for name, s in result.networks.items():
        fps = ", ".join(f"{k} {v}" for k, v in s.fp_by_role.items()) or "none"
        rows: list[tuple[str, str]] = [
            ("regrown accounts (new / known members)",
             f"{s.positives:,} ({s.new_positives:,} / {s.reappeared_positives:,})"),
            ("matched", f"{s.predicted:,}"),
            ("precision", f"{s.precision:.3f}"),
            ("recall", f"{s.recall:.3f}"),
            ("recall of new accounts", f"{s.recall_new:.3f}"),
            ("recall of known members", f"{s.recall_reappeared:.3f}"),
            ("F1", f"{s.f1:.3f}"),
            ("PR-AUC", f"{s.pr_auc:.3f}"),
            ("false matches by role", fps),
        ]  # fmt: skip
        _print_rows(f"matching network {name}", rows)


def print_evaluation(result: Evaluation) -> None:
    """The evaluation as a table on the terminal."""
    table = Table(title="evaluation against the truth", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    rows: list[tuple[str, str]] = [
        (
            "accounts (campaign / flagged)",
            f"{result.accounts:,} ({result.campaign_accounts:,} / {result.flagged:,})",
        ),
        ("precision", f"{result.precision:.3f}"),
        ("recall", f"{result.recall:.3f}"),
        ("F1", f"{result.f1:.3f}"),
        ("PR-AUC", f"{result.pr_auc:.3f}"),
        ("ROC-AUC", f"{result.roc_auc:.3f}"),
        (
            "AMI clusters vs networks",
            "n/a (one true network)" if result.ami is None else f"{result.ami:.3f}",
        ),
    ]
    rows += [(f"precision at {k}", f"{v:.3f}") for k, v in result.precision_at_k.items()]
    rows += [(f"recall, role {r}", f"{v:.3f}") for r, v in result.recall_by_role.items()]
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
