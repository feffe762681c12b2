"""Score contract: what a score means and when an account is flagged.

An account's **strength** in a signal is the strongest evidence among its pairs in that signal
that share at least ``min_shared`` items: ``-log10 q``, where ``q`` is the Bonferroni-
corrected Poisson p-value of the pair (see :mod:`cibscan.detect.statistics`). Its overall
strength is the maximum over signals.

A strength ``s`` maps to a **score** ``s / (s + 2)`` in [0, 1):

- 0 means nothing surprising; 0.5 means the account's strongest tie would arise by chance
  with probability 0.01 in a case of this size (family-wise); 0.75 means 1e-6; 0.9 means
  1e-18. The map is monotone, so ranking by score is ranking by evidence.
- ``score_<signal>`` columns use the same map on the signal's own strength.

An account is **tied** when it has at least one significant tie (``q <= alpha``, default
0.01). Whether it is **flagged**, and its final score, come from the combination rule of
:mod:`cibscan.score.combine`, which adds the account tells; :func:`flag_threshold` (0.5 by
default) is the score at and above which an account is flagged.

A **cluster's score** is the mean score of its members; its size, density and synchrony are
reported beside it.
"""

from __future__ import annotations

import math

#: strength at which the score is one half
SCORE_HALF_STRENGTH = 2.0


def score_sql(strength: str) -> str:
    """SQL mapping a strength expression to a score in [0, 1)."""
    return f"(({strength}) / (({strength}) + {SCORE_HALF_STRENGTH}))"


def flag_threshold(alpha: float) -> float:
    """The score at and above which an account is flagged, for a family-wise ``alpha``."""
    strength = -math.log10(alpha)
    return strength / (strength + SCORE_HALF_STRENGTH)
