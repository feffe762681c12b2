"""``cibscan evaluate``: metrics with hand-worked answers, then a run against scene truth."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cibscan.cli import main
from cibscan.detect.pipeline import DetectReport
from cibscan.evaluate import evaluate
from cibscan.evaluate.metrics import (
    _expected_mutual_information,
    adjusted_mutual_information,
    average_precision,
    flag_counts,
    precision_at_k,
    roc_auc,
)
from cibscan.export import export
from cibscan.store import Case
from tests import scenes
from tests.conftest import rows

TRUTH = np.array([1, 0, 1, 1, 0, 0], dtype=bool)
SCORE = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])


def test_ranking_metrics_match_hand_worked_values() -> None:
    # positives at ranks 1, 3, 4: precisions 1, 2/3, 3/4, averaged
    assert average_precision(TRUTH, SCORE) == pytest.approx((1 + 2 / 3 + 3 / 4) / 3)
    # of the 9 positive-negative pairs, 7 have the positive higher
    assert roc_auc(TRUTH, SCORE) == pytest.approx(7 / 9)
    assert precision_at_k(TRUTH, SCORE, 2) == 0.5
    # a tie between a positive and a negative counts one half in ROC, together in AP
    tied = np.array([0.5, 0.5])
    assert roc_auc(np.array([True, False]), tied) == 0.5
    assert average_precision(np.array([True, False]), tied) == 0.5
    counts = flag_counts(TRUTH, SCORE >= 0.7)
    assert (counts.tp, counts.fp, counts.fn) == (2, 1, 1)
    assert counts.f1 == pytest.approx(2 / 3)


def _mi(a: list[int], b: list[int]) -> float:
    n = len(a)
    total = 0.0
    for x in set(a):
        for y in set(b):
            nxy = sum(1 for i in range(n) if a[i] == x and b[i] == y)
            if nxy:
                total += nxy / n * np.log(n * nxy / (a.count(x) * b.count(y)))
    return total


def test_expected_mutual_information_equals_brute_force_over_permutations() -> None:
    """E[MI] under random relabelling, averaged over every permutation of 6 items."""
    a, b = [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 2]
    brute = np.mean([_mi(a, [b[i] for i in perm]) for perm in itertools.permutations(range(6))])
    sizes = np.array([3, 2, 1]), np.array([2, 2, 2])
    assert _expected_mutual_information(*sizes, 6) == pytest.approx(brute)


def test_ami_is_one_for_equal_partitions_and_near_zero_for_random_ones() -> None:
    assert adjusted_mutual_information(list("aabbcc"), list("xxyyzz")) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    truth = [str(v) for v in rng.integers(0, 5, 400)]
    noise = [str(v) for v in rng.integers(0, 5, 400)]
    assert abs(adjusted_mutual_information(truth, noise)) < 0.02


def _write_truth(path: Path, case: Case) -> Path:
    """Truth for the shared scene: every account of a campaign prefix is campaign (the ring's
    network is 'ring', and so on; ``ring_seed``, the small account the ring exists to
    amplify, with it); everyone else is organic."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["platform", "account_id", "label", "network", "role"])
        for r in rows(case, "SELECT platform, account_id FROM accounts ORDER BY ALL"):
            prefix = next(
                (p for p in scenes.CAMPAIGN_PREFIXES if r["account_id"].startswith(p)), None
            )
            label, network = ("campaign", prefix.rstrip("_")) if prefix else ("organic", "")
            writer.writerow(
                [r["platform"], r["account_id"], label, network, "amplifier" if prefix else ""]
            )
    return path


def test_evaluate_a_case_and_its_accounts_csv_alike(
    scene: tuple[Case, DetectReport], tmp_path: Path
) -> None:
    case, _ = scene
    truth = _write_truth(tmp_path / "truth.csv", case)
    result = evaluate(truth, engine=case.engine)
    # the scene's known answer: all 23 campaign accounts flagged (the ring's seed through its
    # link to the ring), no organic one, each campaign one cluster (tests/test_detect.py)
    assert (result.precision, result.recall, result.campaign_accounts) == (1.0, 1.0, 23)
    assert result.ami > 0.95
    assert result.roc_auc > 0.999 and result.pr_auc > 0.99
    assert result.recall_by_network == {
        **{n: 1.0 for n in ("hostile", "persona", "ring", "shift")},
        "xp": 1.0,
    }
    runner = CliRunner()
    accounts = tmp_path / "accounts.csv"
    export(case, "csv", accounts, "accounts")  # the file a user would evaluate
    cli = runner.invoke(
        main, ["evaluate", "--truth", str(truth), "--accounts", str(accounts), "--json"]
    )
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)["f1"] == pytest.approx(result.f1)


def test_evaluate_explains_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "truth.csv"
    bad.write_text("platform,account_id\nx,1\n")
    runner = CliRunner()
    both = runner.invoke(main, ["evaluate", "--truth", str(bad)])
    assert both.exit_code != 0 and "either --case or --accounts" in both.output
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("platform,account_id,score,flagged,cluster_id\nx,1,0.9,true,1\n")
    lacking = runner.invoke(main, ["evaluate", "--truth", str(bad), "--accounts", str(accounts)])
    assert lacking.exit_code != 0 and "lacks column(s) label, network, role" in lacking.output
