"""Facet contract: one trait of a network's habits, as features of its accounts.

A known network is remembered by its habits, facet by facet: the texts it posts, the links
and domains, hashtags, media, the accounts it targets, the formula of its handles and names,
when its accounts were created, its posting schedule, its client apps and languages. Each
facet turns the accounts of a case into rows ``(acct, unit, feature)`` with SQL over two
scratch tables that :mod:`cibscan.match.library` and :mod:`cibscan.match.scoring` build:

- ``_mx_acc(acct, platform, account_id, handle, display_name, created_at)``;
- ``_mx_posts(acct, post_id, t, text_words, is_repost, urls, domains, hashtags, mentions,
  media, reply_to_account, repost_of_account, client, language)``.

A ``feature`` is a string (``example.com``, ``AaAa99999999``, ``hour:03``); a ``unit`` is
what counts once as evidence (a post for texts and schedule, the feature itself for a set of
domains). Facets come in two kinds:

- **set** facets (``levels`` None): only features the network has count, each by how much
  likelier it is among the network's members than among the accounts of the case being
  matched (a log-likelihood ratio; docs/matching.md). A domain everyone in the new case
  links is no evidence; a domain only the network and this account link is strong evidence.
- **distribution** facets (``levels`` the number of possible features, 24 hours): every unit
  counts, for or against, by the ratio of the network's distribution to the case's.

A facet's ``family`` groups facets that are not independent evidence (a shared URL implies a
shared domain): a family counts with its strongest facet. ``schedule`` and ``context``
families add to the score but cannot make a match on their own (docs/matching.md).

Third parties add a facet by registering it, as the built-ins do (``DEFAULT_FACETS``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal

from cibscan.engine import Engine
from cibscan.plugins import Registry

Mode = Literal["fingerprint", "match"]

#: families that add to a match's score but never count towards the families it needs
BEHAVIOUR_FAMILIES = ("schedule", "context")


@dataclass
class FacetContext:
    """What a facet may read while it computes features."""

    engine: Engine
    #: ``fingerprint`` (features of a network's members, to store) or ``match`` (features
    #: of every account of a case, to compare with the library)
    mode: Mode
    #: the attached library's catalog name (``lib``)
    library: str = "lib"
    #: the network being fingerprinted (fingerprint mode)
    network: str | None = None


class Facet(ABC):
    """Base class of every facet (see the module docstring)."""

    name: ClassVar[str]
    family: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    #: None for a set facet; the number of possible features for a distribution facet
    levels: ClassVar[int | None] = None
    #: what one unit is called in evidence sentences ("posts", "domains")
    unit_name: ClassVar[str] = "features"
    #: fewest members of a network that must share a feature for it to be a habit of the
    #: network rather than of one member (one persona's first name is not the operator's)
    min_members: ClassVar[int] = 1
    #: fewest distinct days the network's posts must cover for the facet to be a habit: an
    #: hour-of-day schedule learnt from one evening describes that evening (a debate, a
    #: burst), not the operator's office hours; the facet is then left out of the network
    min_days: ClassVar[int] = 0
    #: at most one feature an account (a handle formula, a creation week): its score is its
    #: one weight, with no units to sum (the scorer skips the grouping for such facets)
    one_per_account: ClassVar[bool] = False
    #: the scratch tables :meth:`prepare` makes, dropped when the match or the fingerprint
    #: ends, however it ends (:func:`cibscan.engine.base.scratch`)
    scratch_tables: ClassVar[tuple[str, ...]] = ()

    def prepare(self, ctx: FacetContext) -> None:  # noqa: B027 (optional hook)
        """Build scratch tables the features need (text families, say)."""

    @abstractmethod
    def features_sql(self, ctx: FacetContext) -> str:
        """``SELECT acct, unit, feature`` over ``_mx_acc`` / ``_mx_posts`` (no NULLs)."""

    def store(self, ctx: FacetContext) -> None:  # noqa: B027 (optional hook)
        """Write what matching will need besides the features into the library (the text
        signatures of the text facet); fingerprint mode only."""


FACETS: Registry[Facet] = Registry("facet", "cibscan.facets", "cibscan.match", "DEFAULT_FACETS")
#: add a facet (built-ins and plugins alike)
register = FACETS.register
#: all registered facets by name
facets = FACETS.all
