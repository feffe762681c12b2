"""``match``: score every account of a case against every network of a library.

Per account and network, facet by facet (docs/matching.md):

1. **Set facets.** Each feature the account shares with the network weighs
   ``llr = log10(P(feature | network) / P(feature | case))`` with
   ``P(f | network) = (n + 0.5) / (members + 1)`` (n members had it) and
   ``P(f | case) = (c + 1) / (accounts + 2)`` (c accounts of the new case have it). A domain
   half the new case links weighs nothing; one only the network used weighs a lot. Only
   positive weights count (a network changes its domains; a missing one is no evidence).
   A unit (a post for texts, a feature for sets) counts once, with its best feature; a
   facet's score is the sum over units, capped at ``family_cap``.
2. **Distribution facets** (the posting hour), for accounts with some set evidence: every
   post counts, for or against, by the ratio of the network's distribution to the case's
   (add-one smoothing over the facet's levels); the sum is clipped to ``±family_cap``.
3. **Families.** Facets that are not independent (URL and domain; handle formula and name
   lists) form a family, which counts with its strongest facet. The score ``S`` is the sum
   of the family scores.
4. **Match.** An account matches when ``S >= threshold`` (default 4: odds of 10,000 to 1
   before any prior) *and* at least ``min_families`` (2) families of content or persona
   (text, links, tags, media, targets, persona, creation) reach ``min_family`` (1) each: an
   organic account sharing one domain or one slogan with the network has one family, never
   two, however rare the domain. Schedule and context (client, language, platform) add to
   ``S`` but cannot make a match. ``similarity = S / (S + threshold)`` (0.5 at the
   threshold).
5. **Identity.** A member account of the network reappearing (same platform and account
   id, or the same handle) matches with similarity 1.

Everything is SQL in the engine; Python loops over facets, not accounts.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cibscan.engine import Engine
from cibscan.engine.base import scratch
from cibscan.engine.limits import check_number
from cibscan.export.tables import csv_safe_sql, matches_sql
from cibscan.match.base import BEHAVIOUR_FAMILIES, Facet, FacetContext, facets
from cibscan.match.library import attached, build_scratch, facet_scratch
from cibscan.progress import phase

log = logging.getLogger(__name__)

MATCHES_DDL = """CREATE TABLE matches (
    platform VARCHAR, account_id VARCHAR, handle VARCHAR, network VARCHAR,
    similarity DOUBLE, matched BOOLEAN, score DOUBLE, families INTEGER, identity BOOLEAN,
    facets VARCHAR)"""


@dataclass(frozen=True)
class MatchOptions:
    """Thresholds of the match rule (see the module docstring and docs/matching.md)."""

    threshold: float = 4.0
    min_families: int = 2
    min_family: float = 1.0
    family_cap: float = 3.0
    #: rows below this score (and not members) are not written: the near misses worth a look
    #: are the pairs with the families the rule needs and a score short of the threshold; 0
    #: writes every pair with any evidence, one family or none (slow on a big case)
    report_floor: float = 1.0
    #: raise the threshold by log10(networks matched): each account is compared with every
    #: network, so its chance of clearing the bar for some network by coincidence grows
    #: with the library (a Bonferroni correction; docs/matching.md)
    per_network: bool = True
    #: only these networks of the library (None: all)
    networks: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("threshold", "min_family", "family_cap"):
            check_number(name, getattr(self, name), low=0, low_open=True)
        check_number("report_floor", self.report_floor, low=0)
        check_number("min_families", self.min_families, low=1)


@dataclass
class MatchReport:
    """The outcome of a match (the rows themselves are the case's ``matches`` table)."""

    accounts: int = 0
    networks: int = 0
    rows: int = 0
    matched: int = 0
    by_identity: int = 0
    matched_by_network: dict[str, int] = field(default_factory=dict)
    #: the threshold applied (``threshold`` + log10(networks) with ``per_network``)
    threshold: float = 0.0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def match(engine: Engine, library: str | Path, options: MatchOptions | None = None) -> MatchReport:
    """Score the case open in ``engine`` against ``library`` into its ``matches`` table."""
    options = options or MatchOptions()
    clock = time.perf_counter()
    chosen = list(facets().values())
    report = MatchReport()
    with attached(engine, library) as lib:
        names = _networks(engine, lib, options)
        report.networks = len(names)
        report.threshold = effective_threshold(options, len(names))
        with scratch(engine, *facet_scratch(chosen), *_SCRATCH):
            build_scratch(engine)
            report.accounts = int(engine.fetchall("SELECT count(*) FROM _mx_acc")[0][0])
            ctx = FacetContext(engine, "match", lib)
            _facet_table(engine, chosen)
            _features(engine, ctx, chosen, names)
            _weights(engine, lib, report.accounts)
            _identity(engine, lib, names)
            _set_scores(engine, options, behaviour=False)
            _candidates(engine, options)
            _set_scores(engine, options, behaviour=True)
            _distribution_scores(engine, lib, chosen, options)
            _write(engine, options, report.threshold)
    _summarise(engine, report)
    report.seconds = time.perf_counter() - clock
    log.info(
        "match: %d accounts against %d networks: %d matched (%d by identity) in %.1fs",
        report.accounts,
        report.networks,
        report.matched,
        report.by_identity,
        report.seconds,
    )
    return report


_SCRATCH = (
    "_mx_facets",
    "_mx_nets",
    "_mx_feat",
    "_mx_dist",
    "_mx_fs",
    "_mx_id",
    "_mx_cand",
    "_mx_w",
    "_mx_du",
    "_mx_dfeat",
    "_mx_dw",
    "_mx_dacc",
    "_mx_keep",
)


def _networks(engine: Engine, lib: str, options: MatchOptions) -> list[str]:
    known = [r[0] for r in engine.fetchall(f"SELECT network FROM {lib}.networks ORDER BY 1")]
    if options.networks is None:
        chosen = known
    else:
        unknown = sorted(set(options.networks) - set(known))
        if unknown:
            raise ValueError(
                f"no network(s) {', '.join(unknown)} in the library "
                f"(known: {', '.join(known) or 'none'})"
            )
        chosen = [n for n in known if n in options.networks]
    engine.execute("CREATE OR REPLACE TEMP TABLE _mx_nets (network VARCHAR)")
    if chosen:
        engine.execute(
            "INSERT INTO _mx_nets VALUES " + ", ".join("(?)" for _ in chosen), list(chosen)
        )
    return chosen


def _facet_table(engine: Engine, chosen: list[Facet]) -> None:
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE _mx_facets "
        "(facet VARCHAR, family VARCHAR, levels INTEGER, unit_name VARCHAR, min_members INTEGER,"
        " one_per_account BOOLEAN)"
    )
    engine.execute(
        "INSERT INTO _mx_facets VALUES " + ", ".join("(?, ?, ?, ?, ?, ?)" for _ in chosen),
        [
            v
            for f in chosen
            for v in (f.name, f.family, f.levels, f.unit_name, f.min_members, f.one_per_account)
        ],
    )


def _features(engine: Engine, ctx: FacetContext, chosen: list[Facet], names: list[str]) -> None:
    """``_mx_feat``: set features the library knows; ``_mx_dist``: distribution units.

    A unit is kept as its hash: it is only grouped on, and a 64-bit key groups faster than
    the string of a feature (a URL, a hashtag) it stands for."""
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE _mx_feat "
        "(facet VARCHAR, acct BIGINT, unit UBIGINT, feature VARCHAR)"
    )
    engine.execute(
        "CREATE OR REPLACE TEMP TABLE _mx_dist "
        "(facet VARCHAR, acct BIGINT, unit VARCHAR, feature VARCHAR)"
    )
    for facet in chosen:
        with phase(f"match {facet.name}"):
            facet.prepare(ctx)
        rows = facet.features_sql(ctx)
        if facet.levels:
            engine.execute(
                f"""INSERT INTO _mx_dist SELECT ?, acct, CAST(unit AS VARCHAR), feature
                FROM ({rows}) AS f""",
                [facet.name],
            )
            continue
        # only the features some chosen network has: the rest cannot be evidence
        engine.execute(
            f"""INSERT INTO _mx_feat SELECT ?, f.acct, hash(CAST(f.unit AS VARCHAR)), f.feature
            FROM ({rows}) AS f
            WHERE f.feature IN (SELECT feature FROM {ctx.library}.network_features
                                WHERE facet = ? AND network IN (SELECT network FROM _mx_nets))""",
            [facet.name, facet.name],
        )


def effective_threshold(options: MatchOptions, networks: int) -> float:
    """The threshold a match must reach against a library of ``networks`` networks."""
    if options.per_network and networks > 1:
        return options.threshold + math.log10(networks)
    return options.threshold


def _behaviour_sql() -> str:
    return ", ".join(f"'{f}'" for f in BEHAVIOUR_FAMILIES)


def _weights(engine: Engine, lib: str, accounts: int) -> None:
    """``_mx_w(facet, feature, network, example, llr)``: the positive weights of the set
    features of the chosen networks against this case.

    A feature's weight depends on the network and the feature alone, so it is computed once
    per feature of the library and only the positive ones are joined with the accounts'
    features: a feature most of the case shares with a network (the platform, the common
    client) used to make one row per account and network before being dropped (200M rows
    at 1M accounts and 100 networks).
    """
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE _mx_w AS
        WITH bg AS (
            SELECT facet, feature, count(DISTINCT acct) AS c FROM _mx_feat GROUP BY ALL)
        SELECT facet, feature, network, example, llr FROM (
            SELECT nf.facet, nf.feature, nf.network, nf.example,
                   log10(((nf.n + 0.5) / (nt.total + 1.0))
                         / ((b.c + 1.0) / ({accounts} + 2.0))) AS llr
            FROM {lib}.network_features AS nf
            JOIN _mx_nets AS k ON k.network = nf.network
            JOIN _mx_facets AS x ON x.facet = nf.facet AND nf.n >= x.min_members
            JOIN {lib}.network_facets AS nt ON nt.network = nf.network AND nt.facet = nf.facet
            JOIN bg AS b ON b.facet = nf.facet AND b.feature = nf.feature) AS w
        WHERE llr > 0"""
    )


def _set_scores(engine: Engine, options: MatchOptions, *, behaviour: bool) -> None:
    """``_mx_fs(acct, network, facet, score, n_units, examples)`` for the set facets.

    First (``behaviour`` False) the content and persona facets of every account: they
    decide which pairs can match at all (:func:`_candidates`). Then the behaviour facets
    (client, language, platform), only for the candidates: they can add to a score but
    never make a family, and a common client shared with a network made three rows in four
    of the join (76M of 101M at 1M accounts and 100 networks).
    """
    where = "NOT IN" if not behaviour else "IN"
    scope = "JOIN _mx_cand AS c ON c.acct = f.acct AND c.network = w.network" if behaviour else ""
    head = "INSERT INTO _mx_fs" if behaviour else "CREATE OR REPLACE TEMP TABLE _mx_fs AS"
    facets = f"""FROM _mx_feat AS f JOIN _mx_w AS w USING (facet, feature) {scope}
        WHERE f.facet IN (SELECT facet FROM _mx_facets
                          WHERE family {where} ({_behaviour_sql()}) AND one_per_account = """
    # the examples are left out here (NULL) and found by _write for the rows it writes; a
    # facet of one feature an account has one unit, its weight (no grouping: a handle
    # formula or a first name on a network's list made half of the 23M rows at 1M accounts)
    engine.execute(
        f"""{head}
        WITH units AS (
            SELECT f.acct, w.network, f.facet, f.unit, max(w.llr) AS llr
            {facets} FALSE)
            GROUP BY f.acct, w.network, f.facet, f.unit)
        SELECT acct, network, facet, least(sum(llr), {options.family_cap}) AS score,
               count(*) AS n_units, CAST(NULL AS VARCHAR[]) AS examples
        FROM units GROUP BY ALL
        UNION ALL
        SELECT f.acct, w.network, f.facet, least(w.llr, {options.family_cap}), 1,
               CAST(NULL AS VARCHAR[])
        {facets} TRUE)"""
    )


def _identity(engine: Engine, lib: str, names: list[str]) -> None:
    """``_mx_id(acct, network)``: member accounts of a network seen again (same id, or
    the same handle on the same platform)."""
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE _mx_id AS
        SELECT DISTINCT acct, network FROM (
            SELECT a.acct, m.network FROM _mx_acc AS a
            JOIN {lib}.network_members AS m USING (platform, account_id)
            UNION ALL
            SELECT a.acct, m.network FROM _mx_acc AS a
            JOIN {lib}.network_members AS m
              ON m.platform = a.platform AND lower(m.handle) = lower(a.handle)
            WHERE a.handle IS NOT NULL AND a.handle <> '') AS i
        WHERE network IN (SELECT network FROM _mx_nets)"""
    )


def _candidates(engine: Engine, options: MatchOptions) -> None:
    """``_mx_cand(acct, network)``: the pairs scored further and written.

    A pair with fewer content or persona families at ``min_family`` than the rule needs
    cannot match whatever its schedule and context, so it is left here (at 1M accounts and
    100 networks, 15M pairs share some feature worth a family with a network, half a
    million have two). Members seen again are always candidates. With ``report_floor`` 0
    every pair with some content or persona evidence is kept.
    """
    needed = options.min_families if options.report_floor > 0 else 0
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE _mx_cand AS
        SELECT s.acct, s.network FROM _mx_fs AS s JOIN _mx_facets AS x USING (facet)
        WHERE s.score >= {options.min_family} OR {needed} = 0
        GROUP BY s.acct, s.network HAVING count(DISTINCT x.family) >= {needed}
        UNION
        SELECT acct, network FROM _mx_id"""
    )
    engine.execute(
        """CREATE OR REPLACE TEMP TABLE _mx_fs AS
        SELECT s.* FROM _mx_fs AS s SEMI JOIN _mx_cand AS c USING (acct, network)"""
    )


def _distribution_scores(
    engine: Engine, lib: str, chosen: list[Facet], options: MatchOptions
) -> None:
    """Add the distribution facets' scores of the candidates to ``_mx_fs``.

    A unit's weight depends on its feature and the network alone, so each account's units
    are counted by feature once (``_mx_dacc``: features and counts as lists) and each
    network's weights of the case's features are one list (``_mx_dw``): a candidate's score
    is the dot product of the two, rather than a join of every candidate with every one of
    its units (at 1M accounts and 100 networks: tens of millions of candidates, hundreds of
    millions of unit rows). ``m`` units of one feature add ``m * llr`` where they added
    ``llr`` m times: the same sum up to rounding.
    """
    cap = options.family_cap
    for facet in chosen:
        if not facet.levels:
            continue
        k = float(facet.levels)
        engine.execute(
            """CREATE OR REPLACE TEMP TABLE _mx_du AS
            SELECT acct, feature, count(*) AS m FROM _mx_dist WHERE facet = ? GROUP BY ALL""",
            [facet.name],
        )
        # the case's features of the facet, numbered, and how many units have each
        engine.execute(
            """CREATE OR REPLACE TEMP TABLE _mx_dfeat AS
            SELECT feature, row_number() OVER (ORDER BY feature) AS i,
                   CAST(sum(m) AS BIGINT) AS c
            FROM _mx_du GROUP BY feature"""
        )
        # each network's weights of those features, as one list in their order
        engine.execute(
            f"""CREATE OR REPLACE TEMP TABLE _mx_dw AS
            WITH total AS (SELECT CAST(sum(m) AS BIGINT) AS u FROM _mx_du),
            w AS (
                SELECT nt.network, b.i,
                       log10(((coalesce(nf.n, 0) + 1.0) / (nt.total + {k}))
                             / ((b.c + 1.0) / (t.u + {k}))) AS llr
                FROM {lib}.network_facets AS nt
                JOIN _mx_nets AS kn ON kn.network = nt.network
                CROSS JOIN _mx_dfeat AS b CROSS JOIN total AS t
                LEFT JOIN {lib}.network_features AS nf
                  ON nf.network = nt.network AND nf.facet = ? AND nf.feature = b.feature
                WHERE nt.facet = ?)
            SELECT network, list(llr ORDER BY i) AS llr FROM w GROUP BY network""",
            [facet.name, facet.name],
        )
        # each candidate account's units: feature numbers, counts, how many, the first
        # features
        engine.execute(
            """CREATE OR REPLACE TEMP TABLE _mx_dacc AS
            SELECT u.acct, list(b.i ORDER BY u.feature) AS i,
                   list(CAST(u.m AS DOUBLE) ORDER BY u.feature) AS m,
                   CAST(sum(u.m) AS BIGINT) AS n, list(u.feature ORDER BY u.feature)[1:3] AS ex
            FROM _mx_du AS u JOIN _mx_dfeat AS b USING (feature)
            WHERE u.acct IN (SELECT acct FROM _mx_cand)
            GROUP BY u.acct"""
        )
        engine.execute(
            f"""INSERT INTO _mx_fs
            SELECT c.acct, c.network, ?,
                   greatest(least(list_dot_product(a.m, list_transform(a.i, lambda x: w.llr[x])),
                                  {cap}), -{cap}),
                   a.n, a.ex
            FROM _mx_cand AS c JOIN _mx_dacc AS a USING (acct)
            JOIN _mx_dw AS w USING (network)""",
            [facet.name],
        )


def _write(engine: Engine, options: MatchOptions, t: float) -> None:
    """The ``matches`` table: the candidates scored at least ``report_floor`` (and the
    members seen again), each with its facets in words, matched at threshold ``t``.

    Schedule and context add up to one family's worth at most, for or against (the hours an
    account posts at follow its language and its client: adding a full family for each
    counted one habit twice)."""
    behaviour = _behaviour_sql()
    cap = options.family_cap
    engine.execute(
        f"""CREATE OR REPLACE TEMP TABLE _mx_keep AS
        WITH fam AS (
            SELECT s.acct, s.network, x.family, x.family IN ({behaviour}) AS behaviour,
                   CASE WHEN max(s.score) > 0 THEN max(s.score) ELSE min(s.score) END AS score
            FROM _mx_fs AS s JOIN _mx_facets AS x USING (facet) GROUP BY ALL),
        total AS (
            SELECT acct, network,
                   coalesce(sum(score) FILTER (WHERE NOT behaviour), 0)
                   + greatest(least(coalesce(sum(score) FILTER (WHERE behaviour), 0), {cap}),
                              -{cap}) AS s,
                   count(*) FILTER (WHERE NOT behaviour
                                    AND score >= {options.min_family}) AS families
            FROM fam GROUP BY ALL)
        SELECT c.acct, c.network, t.s, t.families, i.acct IS NOT NULL AS identity
        FROM _mx_cand AS c
        LEFT JOIN total AS t USING (acct, network)
        LEFT JOIN _mx_id AS i USING (acct, network)
        WHERE i.acct IS NOT NULL OR coalesce(t.s, 0) >= {options.report_floor}"""
    )
    engine.execute("DROP TABLE IF EXISTS matches")
    engine.execute(MATCHES_DDL)
    engine.execute(
        f"""INSERT INTO matches
        WITH units AS (
            SELECT k.acct, k.network, f.facet, f.unit, arg_max(w.example, w.llr) AS example
            FROM _mx_keep AS k JOIN _mx_feat AS f USING (acct)
            JOIN _mx_w AS w
              ON w.facet = f.facet AND w.feature = f.feature AND w.network = k.network
            GROUP BY k.acct, k.network, f.facet, f.unit),
        examples AS (
            SELECT acct, network, facet,
                   list(DISTINCT left(example, 80) ORDER BY left(example, 80))[1:3] AS examples
            FROM units GROUP BY ALL),
        said AS (
            SELECT s.acct, s.network,
                   string_agg(printf('%s %.1f (%d %s: %s)', s.facet, s.score, s.n_units,
                                     x.unit_name,
                                     array_to_string(coalesce(s.examples, e.examples), ' | ')),
                              '; ' ORDER BY s.score DESC, s.facet) AS facets
            FROM _mx_fs AS s JOIN _mx_keep AS k USING (acct, network)
            JOIN _mx_facets AS x USING (facet)
            LEFT JOIN examples AS e USING (acct, network, facet)
            WHERE s.score <> 0 GROUP BY ALL)
        SELECT a.platform, a.account_id, a.handle, c.network,
               CASE WHEN c.identity THEN 1.0
                    ELSE greatest(coalesce(c.s, 0), 0) / (greatest(coalesce(c.s, 0), 0) + {t})
               END AS similarity,
               c.identity
               OR (coalesce(c.s, 0) >= {t} AND coalesce(c.families, 0) >= {options.min_families})
                   AS matched,
               coalesce(c.s, 0) AS score, coalesce(c.families, 0) AS families,
               c.identity AS identity,
               concat_ws('; ', CASE WHEN c.identity THEN 'member of the network' END,
                         d.facets) AS facets
        FROM _mx_keep AS c JOIN _mx_acc AS a USING (acct)
        LEFT JOIN said AS d USING (acct, network)
        ORDER BY matched DESC, similarity DESC, a.platform, a.account_id, c.network"""
    )


def _summarise(engine: Engine, report: MatchReport) -> None:
    report.rows = int(engine.fetchall("SELECT count(*) FROM matches")[0][0])
    report.matched = int(
        engine.fetchall("SELECT count(DISTINCT (platform, account_id)) FROM matches WHERE matched")[
            0
        ][0]
    )
    report.by_identity = int(
        engine.fetchall(
            "SELECT count(DISTINCT (platform, account_id)) FROM matches WHERE identity"
        )[0][0]
    )
    report.matched_by_network = {
        str(n): int(c)
        for n, c in engine.fetchall(
            "SELECT network, count(*) FROM matches WHERE matched GROUP BY 1 ORDER BY 1"
        )
    }


def write_matches_csv(engine: Engine, path: str | Path) -> int:
    """``matches.csv``: the case's matches (text cells guarded against formula injection)."""
    return engine.copy_to(csv_safe_sql(engine, matches_sql(engine)), str(path), "csv")
