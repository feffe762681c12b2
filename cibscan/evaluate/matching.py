"""Score ``cibscan match`` against a regrowth truth file: did it find the network that came back?

The matches are rows ``platform, account_id, network, similarity, matched`` (``matches.csv``
or the ``matches`` table as dicts), one per account and library network it was compared with.
The truth is a truth.csv with ``regrew_from`` (the name of the period-1 network an account
regrew from, empty otherwise) and, optionally, ``reappeared`` (the account itself was seen in
period 1), as ``simulate(..., regrowth=True)`` writes it.

Rules (documented because they change the numbers):
- networks are scored one by one, for every name in the truth's ``regrew_from``; a library
  network's name maps to a truth name through ``network_map`` (identity by default);
- positives are the truth accounts with that ``regrew_from``; predicted positives are the
  accounts with a row of that network whose ``matched`` is true;
- the population is the union of the truth and the matched rows; an account missing from the
  truth counts as organic (its false positive is filed under ``(not in truth)``); an account
  with no row for the network has similarity 0;
- an account with several rows for one network keeps its highest similarity and counts as
  matched if any row is;
- PR-AUC is the average precision of the similarity (cibscan.evaluate.metrics), ties grouped.
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cibscan.evaluate.metrics import average_precision, flag_counts

log = logging.getLogger(__name__)

MATCH_COLUMNS = ("platform", "account_id", "network", "similarity", "matched")
_TRUE = ("true", "1", "yes", "t")
_MISSING = "(not in truth)"

Key = tuple[str, str]


@dataclass
class NetworkMatchScore:
    """How well one known network was recognised when it came back."""

    network: str
    positives: int
    #: positives that are new accounts / period-1 accounts seen again
    new_positives: int
    reappeared_positives: int
    predicted: int
    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    f1: float
    pr_auc: float
    recall_new: float
    recall_reappeared: float
    #: false positives by the truth's label, role and network ("(none)" for no network)
    fp_by_label: dict[str, int] = field(default_factory=dict)
    fp_by_role: dict[str, int] = field(default_factory=dict)
    fp_by_network: dict[str, int] = field(default_factory=dict)


@dataclass
class MatchEvaluation:
    """The accuracy of one match run against one regrowth truth file."""

    accounts: int
    networks: dict[str, NetworkMatchScore] = field(default_factory=dict)
    #: matched accounts per library network that maps to no truth ``regrew_from`` name
    unscored_networks: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _true(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in _TRUE


def _similarity(value: Any) -> float:
    try:
        return float(value) if value not in (None, "") else 0.0
    except (TypeError, ValueError):
        return 0.0


def _read_truth(path: str | Path) -> dict[Key, dict[str, str]]:
    with Path(path).open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        columns = set(reader.fieldnames or ())
        missing = [c for c in ("platform", "account_id", "regrew_from") if c not in columns]
        if missing:
            raise ValueError(f"{path}: truth file lacks column(s) {', '.join(missing)}")
        return {(r["platform"], r["account_id"]): r for r in reader}


def _read_matches(matches: Iterable[Mapping[str, Any]] | str | Path) -> list[Mapping[str, Any]]:
    if not isinstance(matches, str | Path):
        return list(matches)
    with Path(matches).open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in MATCH_COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{matches}: matches file lacks column(s) {', '.join(missing)}")
        return list(reader)


def _by_network(
    rows: list[Mapping[str, Any]], network_map: Mapping[str, str]
) -> dict[str, dict[Key, tuple[float, bool]]]:
    """Truth network name -> account -> (highest similarity, matched by any row)."""
    out: dict[str, dict[Key, tuple[float, bool]]] = {}
    for r in rows:
        name = str(r.get("network") or "")
        network = network_map.get(name, name)
        key = (str(r["platform"]), str(r["account_id"]))
        best, hit = out.setdefault(network, {}).get(key, (0.0, False))
        out[network][key] = (
            max(best, _similarity(r.get("similarity"))),
            hit or _true(r["matched"]),
        )
    return out


def _recall(keys: list[Key], predicted: set[Key]) -> float:
    return sum(k in predicted for k in keys) / len(keys) if keys else 0.0


def _score(
    network: str, truth: dict[Key, dict[str, str]], scores: dict[Key, tuple[float, bool]]
) -> NetworkMatchScore:
    population = sorted(set(truth) | set(scores))
    positive = np.array([truth.get(k, {}).get("regrew_from", "") == network for k in population])
    matched = np.array([scores.get(k, (0.0, False))[1] for k in population], dtype=bool)
    similarity = np.array([scores.get(k, (0.0, False))[0] for k in population], dtype=np.float64)
    counts = flag_counts(positive, matched)
    predicted = {k for k, m in zip(population, matched, strict=True) if m}
    positives = [k for k, p in zip(population, positive, strict=True) if p]
    again = [k for k in positives if _true(truth[k].get("reappeared", ""))]
    new = [k for k in positives if not _true(truth[k].get("reappeared", ""))]
    wrong = [truth.get(k) for k in sorted(predicted - set(positives))]

    def tally(column: str) -> dict[str, int]:
        found = Counter(_MISSING if r is None else (r.get(column) or "(none)") for r in wrong)
        return dict(sorted(found.items()))

    return NetworkMatchScore(
        network=network,
        positives=len(positives),
        new_positives=len(new),
        reappeared_positives=len(again),
        predicted=len(predicted),
        tp=counts.tp,
        fp=counts.fp,
        fn=counts.fn,
        precision=counts.precision,
        recall=counts.recall,
        f1=counts.f1,
        pr_auc=average_precision(positive, similarity),
        recall_new=_recall(new, predicted),
        recall_reappeared=_recall(again, predicted),
        fp_by_label=tally("label"),
        fp_by_role=tally("role"),
        fp_by_network=tally("network"),
    )


def evaluate_matching(
    matches: Iterable[Mapping[str, Any]] | str | Path,
    truth_path: str | Path,
    network_map: Mapping[str, str] | None = None,
) -> MatchEvaluation:
    """Compare ``matches`` (rows, or a matches.csv path) with a regrowth ``truth_path``.

    ``network_map`` maps the library's network names (whatever the analyst called them) to
    the truth's ``regrew_from`` names; a name it does not list is taken as is.
    """
    truth = _read_truth(truth_path)
    grouped = _by_network(_read_matches(matches), network_map or {})
    names = sorted({r["regrew_from"] for r in truth.values() if r["regrew_from"]})
    accounts = len(set(truth).union(*(set(s) for s in grouped.values())))
    result = MatchEvaluation(accounts=accounts)
    for name in names:
        result.networks[name] = _score(name, truth, grouped.get(name, {}))
        s = result.networks[name]
        log.info(
            "matching %s: precision %.3f recall %.3f F1 %.3f PR-AUC %.3f",
            name,
            s.precision,
            s.recall,
            s.f1,
            s.pr_auc,
        )
    result.unscored_networks = {
        n: sum(hit for _, hit in s.values()) for n, s in sorted(grouped.items()) if n not in names
    }
    return result
