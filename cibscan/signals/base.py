"""Signal contract: one module per coordination signal, one small shared contract.

A signal turns the posts of a case into an **account-pair table**: for each pair of accounts
that acted together in its sense (reposted the same post, shared the same URL, posted the
same text...), how much they shared and how much sharing a null model expects by chance.

What a signal declares:
- ``name`` (the layer name, used in ``score_<name>`` columns and ``--signal``), ``title``,
  ``description`` (one paragraph for ``docs/signals.md`` and ``cibscan signals``);
- ``params``: a tuple of :class:`Param` with defaults, ranges and docs. :meth:`Signal.resolve`
  validates what a user passes and fills the defaults.

What a signal computes, :meth:`Signal.pairs`, entirely inside the engine (SQL, no Python loop
over posts, never all pairs of accounts). It reads the detect input table ``cib_posts``
(one row per post with an integer account key ``acct`` and the time ``t`` in epoch seconds,
see :mod:`cibscan.detect.inputs`) and appends rows to two tables named by the context:

- ``ctx.pairs_table`` (columns as in :data:`cibscan.detect.base.FINDINGS_DDL`): ``signal``,
  ``a < b`` (account keys), ``n_shared`` (shared items: co-actions, one per pair of posts),
  ``weight`` (the rarity-weighted count, see ``docs/signals.md``), ``min_dt`` (seconds),
  ``first_t`` / ``last_t`` (epoch seconds), ``expected`` (the null model's expected
  evidence for this pair) and optionally ``n_effective`` (the evidence tested, default
  ``n_shared``), ``trials`` (the most items the pair could have shared: the test is then
  binomial, else Poisson), ``n_objects`` (distinct objects), ``mean_dt`` and ``tie_kind``
  (``lockstep`` or ``target``, default the signal's :attr:`Signal.tie_kind`);
- ``ctx.evidence_table``: the top shared items of each pair (``object``, both posts and
  times, ``dt``, ``object_accounts``).

The detect stage then tests every pair uniformly (binomial or Poisson tail of the evidence
given ``expected``, corrected for the number of pairs tested, see
:mod:`cibscan.detect.statistics`), so a signal only has to state its null expectation, not
its own statistics.

Most signals are "co-actions on a shared object within a time window"; they subclass
:class:`cibscan.signals.coaction.CoActionSignal` and write one SELECT. Built-in signals
register with :func:`register` exactly as a plugin does (entry point group
``cibscan.signals``).
"""

from __future__ import annotations

import logging
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from cibscan.engine import Engine
from cibscan.plugins import Registry

log = logging.getLogger(__name__)

ParamKind = Literal["int", "float", "duration", "bool", "str"]
#: what a tie of a signal is evidence of (docs/signals.md, "The combination rule"):
#: ``lockstep`` - the accounts did the same thing together: posted the same text, image or
#: link, reposted at machine speed, were active in the same minutes (the signature of one
#: operator behind several accounts); ``target`` - they aimed at the same thing (an account,
#: a post, a hashtag, a site), which fan drives, petitions and hashtag games do in their own
#: words too
TieKind = Literal["lockstep", "target"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"ms": 0.001, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}
WHOLE_CASE = ("case", "none", "inf", "all")


def parse_duration(value: Any) -> float | None:
    """Seconds from ``60``, ``"60s"``, ``"5m"``, ``"1.5h"``, ``"2d"``; None for ``"case"``.

    ``"case"`` (or ``none``/``inf``/``all``) means no time window: co-actions anywhere in the
    case count.
    """
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        if text in WHOLE_CASE:
            return None
        match = _DURATION.match(text)
        if not match:
            raise ValueError(f"not a duration: {value!r} (use e.g. 60s, 5m, 1h, 2d or 'case')")
        seconds = float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "s").lower()]
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration must be a non-negative number of seconds: {value!r}")
    return seconds


def format_duration(seconds: float | None) -> str:
    """The inverse of :func:`parse_duration`, for docs and run records."""
    if seconds is None:
        return "case"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


@dataclass(frozen=True)
class Param:
    """One declared parameter of a signal."""

    name: str
    kind: ParamKind
    default: Any
    doc: str
    minimum: float | None = None
    maximum: float | None = None

    def parse(self, value: Any) -> Any:
        """Validate and convert a user value (string from the CLI or a Python value)."""
        if self.kind == "duration":
            return parse_duration(value)
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(f"{self.name}: not a boolean: {value!r}")
        if self.kind == "str":
            return str(value)
        try:
            number: float = int(value) if self.kind == "int" else float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{self.name}: expected {self.kind}, got {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"{self.name}: expected a finite number, got {value!r}")
        if self.minimum is not None and number < self.minimum:
            raise ValueError(f"{self.name}: {number} is below the minimum {self.minimum:g}")
        if self.maximum is not None and number > self.maximum:
            raise ValueError(f"{self.name}: {number} is above the maximum {self.maximum:g}")
        return number

    def describe_default(self) -> str:
        if self.kind == "duration":
            return format_duration(self.default)
        return str(self.default)


@dataclass
class SignalContext:
    """Where a signal reads and writes, and facts about the case it may use."""

    engine: Engine
    pairs_table: str = "pairs"
    evidence_table: str = "evidence"
    evidence_per_pair: int = 5
    #: pairs sharing fewer items are never significant, so they get no evidence rows
    min_shared: int = 1
    #: correlation of repeated episodes of one object in one session (docs/signals.md,
    #: "Dependent items"): j such episodes count as j / (1 + (j - 1) rho), at most 1 / rho
    repeat_correlation: float = 0.25
    #: seconds of a session: episodes of one object within one block this long are one burst
    session: float = 3600.0
    #: the reach an episode is granted before anyone else acts in it (docs/signals.md): how
    #: likely another account is to join an episode nobody but its author is in
    base_reach: float = 0.25
    #: loose, uncorrected level at which two accounts are each other's *partners*, whose
    #: actions are left out of the popularity of the objects they share (docs/signals.md)
    partner_p: float = 1e-3


class Configurable:
    """Declared, validated parameters: shared by coordination signals and account tells."""

    name: ClassVar[str]
    params: ClassVar[tuple[Param, ...]] = ()
    #: what this is called in messages ("signal", "tell")
    kind: ClassVar[str] = "signal"
    #: the columns of ``cib_posts`` it reads besides ``acct`` and ``t`` (None: it may read
    #: any); a run copies only the columns its signals and tells read into ``cib_posts``
    reads: ClassVar[tuple[str, ...] | None] = None

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def resolve(self, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults overlaid with the user's values, each validated; unknown names fail."""
        given = dict(given or {})
        known = {p.name for p in self.params}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(
                f"{self.kind} {self.name!r} has no parameter {', '.join(unknown)}; "
                f"its parameters: {', '.join(sorted(known)) or 'none'}"
            )
        resolved: dict[str, Any] = {}
        for p in self.params:
            resolved[p.name] = p.parse(given[p.name]) if p.name in given else p.default
        return resolved


class Signal(Configurable, ABC):
    """Base class of every coordination signal (see the module docstring)."""

    title: ClassVar[str]
    description: ClassVar[str]
    #: run by ``cibscan detect`` unless the user chooses signals explicitly
    default_enabled: ClassVar[bool] = True
    #: what its ties are evidence of (a signal may decide per pair: ``pairs.tie_kind``)
    tie_kind: ClassVar[TieKind] = "lockstep"

    @abstractmethod
    def pairs(self, ctx: SignalContext, params: Mapping[str, Any]) -> None:
        """Append this signal's account pairs and evidence to the context's tables."""


SIGNALS: Registry[Signal] = Registry(
    "signal", "cibscan.signals", "cibscan.signals", "DEFAULT_SIGNALS"
)
#: add a signal (built-ins and plugins alike)
register = SIGNALS.register
#: load the built-in signals and any third-party ones declared as entry points
load_plugins = SIGNALS.load_plugins
#: all registered signals by name, in the order they were registered (the run order)
signals = SIGNALS.all
#: the signal of that name, or a ValueError listing the known names
get_signal = SIGNALS.get
