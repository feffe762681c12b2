"""Accuracy metrics for flags, scores and clusters, on plain NumPy arrays.

Written here rather than imported so that the definitions are visible and tested against
hand-worked examples (tests/test_evaluate.py):
- precision, recall, F1 of the flags;
- PR-AUC as *average precision* (the step-wise area: sum over positives of the precision at
  their rank; ties in score are ranked together, as scikit-learn does);
- ROC-AUC as the Mann-Whitney probability that a random positive outscores a random negative
  (ties count one half);
- precision at k: the share of campaign accounts among the k highest scores;
- adjusted mutual information (arithmetic-mean normalisation, Vinh, Epps & Bailey 2010): 1
  when the clusters equal the true networks, about 0 for a random partition.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class FlagCounts:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def flag_counts(truth: NDArray[np.bool_], flagged: NDArray[np.bool_]) -> FlagCounts:
    return FlagCounts(
        int(np.sum(truth & flagged)), int(np.sum(~truth & flagged)), int(np.sum(truth & ~flagged))
    )


def average_precision(truth: NDArray[np.bool_], score: NDArray[np.float64]) -> float:
    """Area under the precision-recall curve, step-wise, ties grouped."""
    positives = int(truth.sum())
    if positives == 0:
        return 0.0
    order = np.argsort(-score, kind="stable")
    s, t = score[order], truth[order].astype(np.int64)
    # the last index of each run of equal scores: a threshold admits a whole tie at once
    ends = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tp = np.cumsum(t)[ends]
    seen = ends + 1
    precision = tp / seen
    recall_steps = np.diff(np.r_[0, tp]) / positives
    return float(np.sum(precision * recall_steps))


def roc_auc(truth: NDArray[np.bool_], score: NDArray[np.float64]) -> float:
    """P(score of a random positive > score of a random negative), ties one half."""
    n_pos, n_neg = int(truth.sum()), int((~truth).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(score)  # average ranks for ties
    return float((ranks[truth].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def precision_at_k(truth: NDArray[np.bool_], score: NDArray[np.float64], k: int) -> float:
    if k <= 0 or len(score) == 0:
        return 0.0
    top = np.argsort(-score, kind="stable")[:k]
    return float(truth[top].mean())


def _entropy(counts: NDArray[np.int64]) -> float:
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def _expected_mutual_information(a: NDArray[np.int64], b: NDArray[np.int64], n: int) -> float:
    """E[MI] of two random partitions with the given cluster sizes (hypergeometric model)."""
    from scipy.special import gammaln

    emi = 0.0
    lg_n = gammaln(n + 1)
    for ai in a:
        for bj in b:
            lo, hi = max(1, ai + bj - n), min(ai, bj)
            if lo > hi:
                continue
            nij = np.arange(lo, hi + 1, dtype=np.float64)
            term = nij / n * np.log(n * nij / (ai * bj))
            log_p = (
                gammaln(ai + 1)
                + gammaln(bj + 1)
                + gammaln(n - ai + 1)
                + gammaln(n - bj + 1)
                - lg_n
                - gammaln(nij + 1)
                - gammaln(ai - nij + 1)
                - gammaln(bj - nij + 1)
                - gammaln(n - ai - bj + nij + 1)
            )
            emi += float(np.sum(term * np.exp(log_p)))
    return emi


def adjusted_mutual_information(labels_true: list[str], labels_pred: list[str]) -> float:
    """AMI with arithmetic-mean normalisation; 1.0 for identical partitions."""
    n = len(labels_true)
    if n == 0:
        return float("nan")
    _, t = np.unique(labels_true, return_inverse=True)
    _, p = np.unique(labels_pred, return_inverse=True)
    table = np.zeros((t.max() + 1, p.max() + 1), dtype=np.int64)
    np.add.at(table, (t, p), 1)
    a, b = table.sum(axis=1), table.sum(axis=0)
    if len(a) == len(b) == 1 or (len(a) == len(b) == n):
        return 1.0  # both trivial in the same way: identical
    nz = table > 0
    outer = np.outer(a, b)[nz]
    mi = float(np.sum(table[nz] / n * np.log(n * table[nz] / outer)))
    h = (_entropy(a) + _entropy(b)) / 2
    emi = _expected_mutual_information(a, b, n)
    denominator = h - emi
    return float((mi - emi) / denominator) if abs(denominator) > 1e-15 else 1.0
