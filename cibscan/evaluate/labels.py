"""Score the latest detect run against the analyst's own verdicts (``cibscan evaluate --labels``).

Truth files exist for simulations and research sets; on a live case the only truth is what
the analysts confirmed or dismissed (:mod:`cibscan.store.labels`). The population is the
labelled accounts only: an account nobody looked at is neither right nor wrong, so
precision is measured among the labelled flagged accounts and recall among the confirmed
ones. How many flagged accounts nobody has looked at yet is reported beside it (the review
backlog), because a precision measured on 10 of 500 flags says little.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from cibscan.engine import Engine
from cibscan.evaluate.metrics import average_precision, flag_counts
from cibscan.store.labels import current_labels_sql

log = logging.getLogger(__name__)


@dataclass
class LabelEvaluation:
    """The latest detect run against the current verdicts."""

    confirmed: int
    dismissed: int
    flagged_confirmed: int
    flagged_dismissed: int
    #: confirmed accounts the run did not flag
    missed_confirmed: int
    #: flagged accounts without a verdict (the review backlog)
    flagged_unlabelled: int
    precision: float
    recall: float
    f1: float
    #: average precision of the run's scores over the labelled accounts
    pr_auc: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def evaluate_labels(engine: Engine) -> LabelEvaluation:
    """Compare the latest run's flags and scores with the case's current verdicts."""
    if not engine.table_exists("account_scores"):
        raise ValueError("this case has no findings yet: run 'cibscan detect' first")
    if not engine.table_exists("labels") or not engine.fetchall("SELECT 1 FROM labels LIMIT 1"):
        raise ValueError("this case has no labels yet: label with 'cibscan label' first")
    table = engine.fetch_arrow(
        f"""SELECT l.verdict = 'confirmed' AS truth,
                   coalesce(s.flagged, false) AS flagged, coalesce(s.score, 0.0) AS score
            FROM ({current_labels_sql()}) AS l
            LEFT JOIN account_scores AS s USING (platform, account_id)
            ORDER BY l.platform, l.account_id"""
    )
    truth = np.array(table.column("truth").to_pylist(), dtype=bool)
    flagged = np.array(table.column("flagged").to_pylist(), dtype=bool)
    score = np.array(table.column("score").to_pylist(), dtype=np.float64)
    counts = flag_counts(truth, flagged)
    backlog = engine.fetchall(
        f"""SELECT count(*) FROM account_scores AS s
            WHERE s.flagged AND NOT EXISTS (
                SELECT 1 FROM ({current_labels_sql()}) AS l
                WHERE l.platform = s.platform AND l.account_id = s.account_id)"""
    )[0][0]
    result = LabelEvaluation(
        confirmed=int(truth.sum()),
        dismissed=int((~truth).sum()),
        flagged_confirmed=counts.tp,
        flagged_dismissed=counts.fp,
        missed_confirmed=counts.fn,
        flagged_unlabelled=int(backlog),
        precision=counts.precision,
        recall=counts.recall,
        f1=counts.f1,
        pr_auc=average_precision(truth, score),
    )
    log.info("against labels: precision %.3f recall %.3f", result.precision, result.recall)
    return result
