"""Evaluation against ground truth: ``cibscan evaluate`` (metrics in :mod:`.metrics`)."""

from cibscan.evaluate.scoring import Evaluation, evaluate

__all__ = ["Evaluation", "evaluate"]
