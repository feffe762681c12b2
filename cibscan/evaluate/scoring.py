"""Score a detect run against a ground-truth file (``truth.csv``).

The truth file has one row per account: ``platform, account_id, label, network, role``.
``label`` is ``campaign`` for an account of a coordinated network (also accepted: ``cib``,
``inauthentic``, ``1``, ``true``) and anything else (``organic``) otherwise; ``network`` names
the campaign network; ``role`` says what the account does in it (operator, amplifier,
persona, ...). The predictions are the latest detect run of a case, or an ``accounts.csv``
written by cibscan (columns ``platform, account_id, score, flagged, cluster_id``).

Rules (documented because they change the numbers):
- the population is the union of both files; an account the detector never saw counts as
  not flagged with score 0; an account missing from the truth counts as organic;
- AMI compares clusters with true networks over the campaign accounts; a campaign account
  that is not flagged is its own singleton cluster, so missing members lower the AMI. With
  fewer than two true networks it is undefined (None).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cibscan.engine import DuckDBEngine, Engine
from cibscan.evaluate.metrics import (
    adjusted_mutual_information,
    average_precision,
    flag_counts,
    precision_at_k,
    roc_auc,
)

log = logging.getLogger(__name__)

POSITIVE_LABELS = ("campaign", "cib", "inauthentic", "1", "true")
TRUTH_COLUMNS = ("platform", "account_id", "label", "network", "role")


@dataclass
class Evaluation:
    """The accuracy of one detect run against one truth file."""

    accounts: int
    campaign_accounts: int
    flagged: int
    precision: float
    recall: float
    f1: float
    pr_auc: float
    roc_auc: float
    precision_at_k: dict[int, float]
    #: None when the truth has fewer than two networks (AMI would measure nothing)
    ami: float | None
    recall_by_role: dict[str, float] = field(default_factory=dict)
    recall_by_network: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _csv(path: str | Path) -> str:
    return "read_csv('" + str(path).replace("'", "''") + "', header = true, all_varchar = true)"


def _load(engine: Engine, truth: str | Path, accounts_csv: str | Path | None) -> None:
    try:
        _read(engine, truth, accounts_csv)
    except ValueError:
        raise
    except Exception as exc:  # the engine's own parse errors, reworded for the user
        raise ValueError(f"cannot read the truth or accounts file: {exc}") from exc


def _read(engine: Engine, truth: str | Path, accounts_csv: str | Path | None) -> None:
    columns = {r[0] for r in engine.fetchall(f"DESCRIBE SELECT * FROM {_csv(truth)}")}
    missing = [c for c in TRUTH_COLUMNS if c not in columns]
    if missing:
        raise ValueError(f"{truth}: truth file lacks column(s) {', '.join(missing)}")
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _truth AS SELECT * FROM {_csv(truth)}")
    if accounts_csv is not None:
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE _pred AS
            SELECT platform, account_id, CAST(score AS DOUBLE) AS score,
                   lower(flagged) IN ('true', '1') AS flagged, cluster_id
            FROM {_csv(accounts_csv)}"""
        )
    else:
        engine.execute(
            """CREATE OR REPLACE TEMP TABLE _pred AS
            SELECT platform, account_id, score, flagged, CAST(cluster_id AS VARCHAR) AS cluster_id
            FROM account_scores"""
        )


def _joined(engine: Engine) -> dict[str, Any]:
    positive = ", ".join(f"'{label}'" for label in POSITIVE_LABELS)
    table = engine.fetch_arrow(
        f"""SELECT coalesce(t.platform, p.platform) AS platform,
                   coalesce(t.account_id, p.account_id) AS account_id,
                   coalesce(lower(trim(t.label)) IN ({positive}), false) AS truth,
                   coalesce(t.network, '') AS network, coalesce(t.role, '') AS role,
                   coalesce(p.score, 0.0) AS score, coalesce(p.flagged, false) AS flagged,
                   p.cluster_id
            FROM _truth AS t FULL OUTER JOIN _pred AS p
              ON t.platform = p.platform AND t.account_id = p.account_id
            ORDER BY platform, account_id"""
    )
    return {name: table.column(name).to_pylist() for name in table.column_names}


def _recall_by(groups: list[str], truth: Any, flagged: Any) -> dict[str, float]:
    out = {}
    for group in sorted({g for g, t in zip(groups, truth, strict=True) if t}):
        members = np.array([g == group for g in groups]) & truth
        out[group or "(none)"] = float(flagged[members].mean())
    return out


def evaluate(
    truth: str | Path,
    *,
    engine: Engine | None = None,
    accounts_csv: str | Path | None = None,
    k: tuple[int, ...] = (10, 100, 1000),
) -> Evaluation:
    """Compare predictions (a case's ``engine`` or an ``accounts_csv``) with ``truth``."""
    if (engine is None) == (accounts_csv is None):
        raise ValueError("evaluate needs either a case or an accounts.csv, not both")
    if engine is not None and not engine.table_exists("account_scores"):
        raise ValueError("this case has no findings yet: run 'cibscan detect' first")
    work = engine if engine is not None else DuckDBEngine()
    _load(work, truth, accounts_csv)
    rows = _joined(work)
    t = np.array(rows["truth"], dtype=bool)
    f = np.array(rows["flagged"], dtype=bool)
    s = np.array(rows["score"], dtype=np.float64)
    counts = flag_counts(t, f)
    campaign = [i for i, v in enumerate(t) if v]
    predicted = [
        str(rows["cluster_id"][i]) if f[i] and rows["cluster_id"][i] is not None else f"_{i}"
        for i in campaign
    ]
    networks = [rows["network"][i] for i in campaign]
    result = Evaluation(
        accounts=len(t),
        campaign_accounts=int(t.sum()),
        flagged=int(f.sum()),
        precision=counts.precision,
        recall=counts.recall,
        f1=counts.f1,
        pr_auc=average_precision(t, s),
        roc_auc=roc_auc(t, s),
        precision_at_k={n: precision_at_k(t, s, n) for n in k},
        ami=adjusted_mutual_information(networks, predicted) if len(set(networks)) > 1 else None,
        recall_by_role=_recall_by(rows["role"], t, f),
        recall_by_network=_recall_by(rows["network"], t, f),
    )
    log.info(
        "evaluation: precision %.3f recall %.3f F1 %.3f", result.precision, result.recall, result.f1
    )
    return result
