"""Tell contract: an account-level trait of inauthenticity, measured in the engine.

Coordination signals (:mod:`cibscan.signals`) score *pairs* of accounts. A tell scores
*accounts*, alone or as members of a cluster: shift-work schedules, accounts created in a
burst, persona handles, reactivated dormant accounts, camouflage, insular engagement. Each
tell declares its parameters (:class:`~cibscan.signals.base.Param`, validated as for
signals) and appends rows to ``account_tells``:

- ``acct``: the account key (``account_index``);
- ``tell``: the tell's name;
- ``strength``: ``-log10`` of the tell's corrected p-value where it has a null model (the
  same scale as a tie's strength), so that ``score = strength / (strength + 2)`` reads like a
  coordination sub-score (0.5 = a family-wise 1% chance);
- ``score``: that score, in [0, 1);
- ``detail``: a readable sentence of evidence ("9 of 10 members created within 3 days ...");
- ``cluster_id`` (optional, NULL by default): the cluster this evidence ties the account to,
  for tells that link an account to a cluster it is not a member of (its reposts go almost
  only to that cluster, say).

A tell runs after the clusters are found (it may read ``account_clusters``) and before the
scores. Tells are reported as ``score_<tell>`` columns and in the report, and they enter the
flag through the combination rule (:mod:`cibscan.score.combine`, docs/signals.md).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from cibscan.engine import Engine
from cibscan.plugins import Registry
from cibscan.signals.base import Configurable

ACCOUNT_TELLS_DDL = """CREATE TABLE account_tells (
    acct BIGINT, tell STRING, strength DOUBLE, score DOUBLE, detail STRING,
    cluster_id INTEGER)"""


@dataclass
class TellContext:
    """Where a tell writes, and what the run knows."""

    engine: Engine
    table: str = "account_tells"
    #: the run's family-wise error rate (tells with a null model correct for it)
    alpha: float = 0.01
    #: scratch tables one tell built for others of the same run to reuse (the engagement
    #: actions of insular_engagement and amplifies_cluster); dropped after the last tell
    shared: set[str] = field(default_factory=set)
    #: the library of known networks this run matched the case against (``--library``);
    #: without one, a ``matches`` table left by an earlier ``cibscan match`` is not evidence
    library: str | None = None


class Tell(Configurable, ABC):
    """Base class of every account tell (see the module docstring)."""

    kind: ClassVar[str] = "tell"
    title: ClassVar[str]
    description: ClassVar[str]
    default_enabled: ClassVar[bool] = True
    #: whether the tell's strength adds to the evidence of inauthenticity in the combination
    #: rule; False for tells that only link accounts (cross-platform personas)
    corroborates: ClassVar[bool] = True

    @abstractmethod
    def accounts(self, ctx: TellContext, params: Mapping[str, Any]) -> None:
        """Append this tell's per-account rows to ``ctx.table``."""


TELLS: Registry[Tell] = Registry("tell", "cibscan.tells", "cibscan.tells", "DEFAULT_TELLS")
#: add a tell (built-ins and plugins alike)
register = TELLS.register
#: all registered tells by name, in run order
tells = TELLS.all
#: the tell of that name, or a ValueError listing the known names
get_tell = TELLS.get
