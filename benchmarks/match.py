"""Benchmark of ``cibscan match``: 1M accounts against a library of 100 known networks.

Target: :func:`cibscan.match.scoring.match` (what ``cibscan match --case C --library LIB``
runs) takes under 30 s for a case of 1,000,000 accounts (about 4.5M posts) against 100
networks on a 2-core machine.

Everything is built by SQL inside DuckDB (``range`` and ``hash``), no Python loop over
accounts or posts:

- **Period 1** (the library's source): 100 networks of 30-200 accounts (about 11,500 in
  all, 8-20 posts each), each with its own habits: three domains of its own, four hashtags,
  three accounts it targets (mentions, replies), one handle formula among six
  (``ZoeRich28859010``, ``zoe_rich1234``, ...), six first names and six surnames drawn from
  the same lists as everybody's, one creation batch, a nine-hour working day in UTC, one
  client app and one language, six images and six talking points posted with one word
  changed; a third of its posts are reposts of fellow members. Each network is
  fingerprinted with :func:`cibscan.match.library.add_network` (the library build, timed
  apart). Period 1 holds only the networks: fingerprinting reads nothing else.
- **Period 2** (the case matched): 1M organic accounts (``u<i>``) with 1-8 posts each:
  seven handle formulas (four of them networks' own, 30% of accounts), display names
  from the same name lists, creation dates over 2009-2025, twelve languages, nine clients,
  a diurnal schedule by language, 25% reposts and 10% replies, texts of 6-20 words from a
  435-word vocabulary, links on 20,000 sites and hashtags from 20,000 (both Zipf-like, a
  few popular ones that the networks use too), mentions of 5,000 public accounts (the
  networks' targets among them), images on 8% of posts. Look-alikes: 1,000 organic
  accounts link one network's domain once, 1,000 use one network's hashtag, about 750 paste one
  of its talking points (one family each: they must not match). **Planted**: 70 of the
  networks return with new accounts (``n<k>r<m>``, a quarter of the network's size, at
  least five; 3-6 posts each; same formula and name lists, a new creation batch, talking
  points with two words changed (a third with a word added, a quarter of the texts new),
  new URLs on the same domains, the same hashtags, targets, schedule, client, language,
  some of the same images), and 20 of them with two old members under their old ids
  (``n<k>m<m>``, matched by identity).

Three steps are timed, each in a fresh process (cibscan/match/text_index.py): a match of
the case without its text index (a case made by an older cibscan or by SQL, as this one:
the match builds the index), **ingest's text-index step** (what ``cibscan ingest`` adds to
index the posts it stores, here over every post of the case at ingest's default memory
limit of 1 GB), and the **first match of the freshly ingested case** (the index complete:
the same work as any later match, which adds the digests of new texts only).
Printed for each: accounts, posts, networks, library build seconds, match seconds (the target),
accounts matched, planted recall (planted accounts matched to their own network), false
matches (organic accounts matched to any network), the match's peak RSS (it runs in a
fresh child process: ``ru_maxrss``) and the size of the case file afterwards.

No open-source tool matches accounts against fingerprints of known networks (the
coordination detectors compared in benchmarks/detect.py find networks from scratch), so
there is no peer to run side by side. As a yardstick the script times a plain DuckDB
baseline on the same case and library: the simplest equivalent, an exact join of each
account's domains and hashtags against the library's domain and hashtag features (an
account "matches" a network when it shares at least one of each), and prints the ratio
``match s / baseline s``: what the scoring costs over a join that has to read the same
posts.

    .venv/bin/python benchmarks/match.py --accounts 1000000 --networks 100 --workdir /tmp/mxb
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import resource
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from cibscan.engine import Engine
from cibscan.ingest.pipeline import IngestOptions
from cibscan.match import text_index
from cibscan.match.library import add_network, attached
from cibscan.match.scoring import match
from cibscan.store import open_case

log = logging.getLogger("bench_match")


def _words(text: str) -> list[str]:
    """The distinct words of ``text`` in order (sites and hashtags are built from them)."""
    return list(dict.fromkeys(text.split()))


TARGET_S = 30.0

# fmt: off
WORDS = _words("""
time year people way day man thing woman life child world school state family student group
country problem hand part place case week company system program question work government
number night point home water room mother area money story fact month lot right study book
eye job word business issue side kind head house service friend father power hour game line
end member law car city community name president team minute idea kid body information back
parent face others level office door health person art war history party result change
morning reason research girl guy moment air teacher force education foot boy age policy
process music market sense nation plan college interest death experience effect use class
control care field development role effort rate heart drug show leader light voice wife
police mind price report decision son view relationship town road arm difference value
building action model season society tax director position player record paper space ground
form event official matter center couple site project activity star table need court oil
situation cost industry figure street image phone data picture practice piece land product
doctor wall patient worker news test movie north love support technology step baby computer
type attention film tree source organization hair window evidence population site truth
freedom justice people media border energy farm cotton village economy trade army island
river mountain election vote protest rally market factory harvest railway bridge festival
say get make go know take see come think look want give find tell ask seem feel try leave
call keep let begin help talk turn start show hear play run move like live believe hold
bring happen write provide sit stand lose pay meet include continue set learn lead
understand watch follow stop create speak read allow add spend grow open walk win offer
remember consider appear buy wait serve die send expect build stay fall cut reach kill
remain suggest raise pass sell require decide return explain hope develop carry break
receive agree support hit produce eat cover catch draw choose cause point listen realize
good new first last long great little own other old right big high different small large
next early young important few public bad same able late hard major better economic strong
possible whole free military true federal international full special easy clear recent
certain personal open red difficult available likely short single medical current wrong
private past foreign fine common poor natural significant similar hot dead central happy
serious ready simple left physical general environmental financial blue democratic dark
various entire close legal religious cold final main green nice huge popular traditional
cultural western local happy peaceful modern fake honest brave proud
""")

FIRST = _words("""
Zoe Karen John Maria Liam Ava Noah Mia Ethan Sofia Emma Olivia James Lucas Amelia Harper
Evelyn Henry Jack Levi Mason Ella Chloe Grace Lily Aria Nora Riley Layla Zoey Hannah Leah
Anna Aaron Adam Alan Alex Amy Andy Ben Beth Bill Brian Carl Cathy Chris Dan David Diana
Ed Ella Eric Eva Frank Gary George Gina Hugo Ian Ivy Jake Jane Jill Joe Josh Julia Kate
Kevin Kim Kyle Laura Lena Leo Lisa Luke Mark Mary Matt Max Mike Nina Omar Paul Pete Rita
Rose Ruby Ryan Sam Sara Sean Tina Tom Tony Vera Will Yara Zack Ahmed Ali Chen Wei Yuki Hana
Ivan Olga Pavel Raj Priya Arjun Fatima Hassan Juan Pedro Lucia Carmen
""")

LAST = _words("""
Rich Garcia Smith Jones Brown Khan Silva Rossi Tanaka Miller Davis Wilson Moore Taylor
Anderson Thomas Jackson White Harris Martin Thompson Young Allen King Wright Scott Green
Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Torres Parker
Collins Edwards Stewart Flores Morris Nguyen Murphy Rivera Cook Rogers Morgan Peterson
Cooper Reed Bailey Bell Gomez Kelly Howard Ward Cox Diaz Richardson Wood Watson Brooks
Bennett Gray James Reyes Cruz Hughes Price Myers Long Foster Sanders Ross Morales Powell
Sullivan Russell Ortiz Jenkins Perry Butler Barnes Fisher Henderson Coleman Simmons
Patterson Jordan Reynolds Hamilton Graham Kim Wallace Cole West Stone Ford Lane Moss Hale
Pike Creel Wang Li Zhang Liu Chen Yang Ivanov Petrov Sato Suzuki Kumar Singh Ahmed
""")
# fmt: on

POPULAR_SITES = [
    "youtube.com",
    "twitter.com",
    "facebook.com",
    "nytimes.com",
    "bbc.co.uk",
    "instagram.com",
    "reuters.com",
    "wikipedia.org",
    "cnn.com",
    "theguardian.com",
]
POPULAR_TAGS = ["news", "breaking", "covid19", "music", "football", "love", "photography",
                "travel", "art", "politics"]  # fmt: skip
#: (value, cumulative share in thousandths) for organic accounts
LANGS = [
    ("en", 520),
    ("es", 640),
    ("pt", 710),
    ("ja", 780),
    ("ar", 820),
    ("fr", 860),
    ("ru", 890),
    ("de", 920),
    ("tr", 945),
    ("zh", 960),
    ("fa", 970),
    ("und", 1000),
]
CLIENTS = [("Twitter for Android", 400), ("Twitter for iPhone", 750), ("Twitter Web App", 930),
           ("TweetDeck", 950), ("Hootsuite Inc.", 960), ("Buffer", 970), ("IFTTT", 980),
           ("Twitter for iPad", 995), ("dlvr.it", 1000)]  # fmt: skip
#: habits of network k: its language and client are picked by k from these
NET_LANGS = ["en", "en", "en", "zh", "ru", "es", "ar", "fa", "fr", "en"]
NET_CLIENTS = ["Twitter Web App", "Twitter for Android", "TweetDeck", "Hootsuite Inc.",
               "Twitter for iPhone", "Twitter Web App", "Buffer"]  # fmt: skip
TAG_PREFIXES = ["standwith", "stop", "truthabout", "justicefor"]
#: UTC offset (hours) of the organic speakers of each language: their day is shifted
LANG_TZ = {"en": -5, "es": -4, "pt": -3, "ja": 9, "ar": 3, "fr": 1, "ru": 3, "de": 1, "tr": 3,
           "zh": 8, "fa": 3, "und": 0}  # fmt: skip

N_SITES = 20_000
N_TAGS = 20_000
N_PUBLIC = 5_000
PERIOD1 = "TIMESTAMPTZ '2023-06-01 00:00:00+00'"
PERIOD2 = "TIMESTAMPTZ '2025-03-01 00:00:00+00'"
SNAPSHOT = "TIMESTAMPTZ '2025-06-01 00:00:00+00'"


def _list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


W, F, L = _list(WORDS), _list(FIRST), _list(LAST)
NW, NF, NL = len(WORDS), len(FIRST), len(LAST)


def _at(values: str, index: str) -> str:
    """SQL: element ``index`` (from 0, any integer type) of the SQL list ``values``."""
    return f"{values}[1 + CAST({index} AS BIGINT)]"


def _pick(cumulative: list[tuple[str, int]], r: str) -> str:
    """SQL picking a value by its cumulative share (thousandths) for ``r`` in 0..999."""
    whens = " ".join(f"WHEN {r} < {c} THEN '{v}'" for v, c in cumulative[:-1])
    return f"CASE {whens} ELSE '{cumulative[-1][0]}' END"


def _digits(seed: str, n: int) -> str:
    return f"lpad(CAST({seed} % {10**n} AS VARCHAR), {n}, '0')"


def _logu(pool: int, r: str) -> str:
    """A Zipf-like index in 0..pool-1 from ``r`` uniform in [0, 1) (log-uniform)."""
    return f"least(CAST(floor(pow({pool}, {r})) AS BIGINT) - 1, {pool - 1})"


def _u(seed: str) -> str:
    """Uniform in [0, 1) from a hash."""
    return f"(({seed}) % 1000003) / 1000003.0"


def _word(seed: str) -> str:
    return _at(W, f"({seed}) % {NW}")


def _site(idx: str) -> str:
    """The organic site of Zipf index ``idx`` (the first few are the popular ones)."""
    return (
        f"CASE WHEN {idx} < {len(POPULAR_SITES)} THEN {_at(_list(POPULAR_SITES), idx)} "
        f"ELSE {_at(W, f'{idx} % {NW}')} || {_at(W, f'({idx} // {NW}) % {NW}')} || "
        f"{_at(_list(['.com', '.net', '.org', '.co.uk']), f'{idx} % 4')} END"
    )


def _tag(idx: str) -> str:
    return (
        f"CASE WHEN {idx} < {len(POPULAR_TAGS)} THEN {_at(_list(POPULAR_TAGS), idx)} "
        f"ELSE {_at(W, f'{idx} % {NW}')} || {_at(W, f'({idx} * 7 + 3) % {NW}')} END"
    )


def _public(idx: str) -> str:
    """Handle of public account ``idx`` (the accounts people mention)."""
    first, last = _at(W, f"{idx} % {NW}"), _at(L, f"({idx} // {NW}) % {NL}")
    return f"lower({first}) || '_' || lower({last})"


def _net_domain(k: str, d: str) -> str:
    return (
        f"{_at(W, f'({k} * 3 + {d}) % {NW}')} || '-' || {_at(W, f'({k} * 13 + {d} * 41) % {NW}')}"
        f" || {_at(_list(['.com', '.net', '.info']), d)}"
    )


def _net_tag(k: str, t: str) -> str:
    return f"{_at(_list(TAG_PREFIXES), t)} || {_at(W, f'({k} * 7 + {t} * 3) % {NW}')}"


def _net_target(k: str, t: str) -> str:
    """Index among the public accounts of network k's target t."""
    return f"(({k} * 3 + {t}) * 17 + 250) % {N_PUBLIC}"


def _text(seed: str, n_words: str) -> str:
    """``n_words`` words of the vocabulary drawn by ``seed``."""
    return (
        f"array_to_string(list_transform(range(CAST({n_words} AS BIGINT)), "
        f"lambda w: {_at(W, f'hash({seed}, w) % {NW}')}), ' ')"
    )


def _talking_point(k: str, tp: str, seed: str, changed: int) -> str:
    """Talking point ``tp`` of network ``k`` (14 words) with ``changed`` words replaced."""
    swaps = " OR ".join(f"w = hash({seed}, {c}) % 14" for c in range(changed))
    # the same words whoever writes it: k and tp as BIGINT (hash depends on the type)
    key = f"CAST({k} AS BIGINT), CAST({tp} AS BIGINT), 'tp'"
    return (
        f"array_to_string(list_transform(range(14), lambda w: CASE WHEN {swaps} "
        f"THEN {_at(W, f'hash({seed}, w, {chr(39)}swap{chr(39)}) % {NW}')} "
        f"ELSE {_at(W, f'hash({key}, w) % {NW}')} "
        "END), ' ')"
    )


def _handle(formula: str, first: str, last: str, seed: str) -> str:
    """Handles of the six network formulas (0-5), organic ones too."""
    return f"""CASE {formula}
        WHEN 0 THEN {first} || {last} || {_digits(seed, 8)}
        WHEN 1 THEN lower({first}) || '_' || lower({last}) || {_digits(seed, 4)}
        WHEN 2 THEN lower({first}) || lower({last}) || {_digits(seed, 3)}
        WHEN 3 THEN {first} || {_digits(seed, 6)}
        WHEN 4 THEN {first} || {last} || {_digits(seed, 2)}
        WHEN 5 THEN lower({_word(seed)}) || lower({_word(seed + " + 7")}) || {_digits(seed, 5)}
        WHEN 6 THEN lower({first}) || {_digits(seed, 2)}
        WHEN 7 THEN lower({first}) || '_' || lower({last})
        ELSE {first} || {last} END"""


def net_size(k: int) -> int:
    return 30 + (k * 37 + 11) % 171


def network_name(k: int) -> str:
    return f"net{k:03d}"


def returns(k: int) -> bool:
    """Networks that come back in period 2 with new accounts."""
    return k % 10 < 7


def _network_accounts(e: Engine, networks: int) -> None:
    """``_bn_acc``: period 1's members (``n<k>m<m>``) and period 2's planted accounts
    (``n<k>r<m>``, new; ``old`` for members back under their old ids)."""
    sizes = ", ".join(f"({k}, {net_size(k)}, {returns(k)})" for k in range(networks))
    e.execute(
        f"CREATE OR REPLACE TEMP TABLE _bn_net AS SELECT * FROM (VALUES {sizes}) AS t(k, size, "
        "back)"
    )
    first = _at(F, f"(k * 7 + hash(k, m, period, 'f') % 6) % {NF}")
    last = _at(L, f"(k * 11 + hash(k, m, period, 'l') % 6) % {NL}")
    e.execute(
        f"""CREATE OR REPLACE TEMP TABLE _bn_acc AS
        WITH members AS (
            SELECT k, unnest(range(size)) AS m, 1 AS period, false AS old FROM _bn_net
            UNION ALL
            SELECT k, unnest(range(greatest(size // 4, 5))) AS m, 2, false FROM _bn_net
            WHERE back
            UNION ALL
            SELECT k, unnest(range(2)) AS m, 2, true FROM _bn_net WHERE back AND k % 5 = 0),
        named AS (SELECT *, {first} AS first, {last} AS last FROM members)
        SELECT k, m, period, old,
               CASE WHEN period = 1 OR old THEN 'n' || k || 'm' || m
                    ELSE 'n' || k || 'r' || m END AS account_id,
               CASE WHEN old THEN NULL
                    ELSE {_handle("k % 6", "first", "last", "hash(k, m, period, 'h')")}
               END AS handle,
               first || ' ' || last AS display_name,
               CASE WHEN period = 1
                    THEN TIMESTAMPTZ '2023-01-02 00:00:00+00' + to_days(CAST((k * 5) % 300
                         + hash(k, m, 'c') % 10 AS INTEGER))
                    ELSE TIMESTAMPTZ '2025-01-06 00:00:00+00' + to_days(CAST((k * 3) % 40
                         + hash(k, m, 'c2') % 10 AS INTEGER)) END
                   + to_seconds(CAST(hash(k, m, 's') % 86400 AS BIGINT)) AS created_at,
               CAST(CASE WHEN period = 1 THEN 8 + hash(k, m, 'n') % 13
                         WHEN old THEN 2 ELSE 3 + hash(k, m, 'n') % 4 END AS BIGINT) AS n_posts
        FROM named"""
    )


def _insert_network_accounts(e: Engine, period: int) -> None:
    # the old members back in period 2 keep their period-1 account rows
    e.execute(
        f"""INSERT INTO accounts (platform, account_id, handle, display_name, created_at, n_posts,
                                  snapshot_at)
        SELECT 'twitter', a.account_id,
               coalesce(a.handle, p1.handle), coalesce(p1.display_name, a.display_name),
               coalesce(p1.created_at, a.created_at), a.n_posts, {SNAPSHOT}
        FROM _bn_acc AS a LEFT JOIN _bn_acc AS p1
          ON a.old AND p1.period = 1 AND p1.account_id = a.account_id
        WHERE a.period = {period}"""
    )


def _insert_network_posts(e: Engine, period: int) -> None:
    """Posts of the network accounts of ``period``: the network's habits (module docstring).
    Period 2 changes two or three words of a talking point (one in period 1), posts new
    URLs, and a quarter of its texts are new."""
    start = PERIOD1 if period == 1 else PERIOD2
    changed = 1 if period == 1 else 2
    r = "hash(a.account_id, j, 'r')"
    tp = "hash(a.account_id, j, 'tp') % 6"
    e.execute(
        f"""INSERT INTO posts (platform, post_id, account_id, created_at, kind, text, text_norm,
                               language, repost_of_post, repost_of_account, reply_to_account,
                               urls, domains, hashtags, mentions, media, client)
        WITH p AS (
            SELECT a.k, a.account_id, a.period, j,
                   'q' || a.account_id || '-' || j AS post_id,
                   ({r} % 100) < {30 if period == 1 else 15} AS repost,
                   {r} % 1000 AS r1, hash(a.account_id, j, 'r2') % 1000 AS r2,
                   hash(a.account_id, j, 'r3') % 1000 AS r3,
                   hash(a.account_id, j, 'd') % 3 AS d, hash(a.account_id, j, 't') % 4 AS t,
                   hash(a.account_id, j, 'g') % 3 AS g, hash(a.account_id, j, 'i') % 6 AS im,
                   CASE WHEN {period} = 2 AND hash(a.account_id, j, 'new') % 4 = 0
                        THEN {_text("a.account_id, j, 'fresh'", "14")}
                        ELSE {_talking_point("a.k", tp, "a.account_id, j, 'edit'", changed)}
                             || CASE WHEN {period} = 2 AND {r} % 3 = 0
                                     THEN ' ' || {_word("hash(a.account_id, j, 'x')")}
                                     ELSE '' END
                   END AS words,
                   {start} + to_days(CAST(hash(a.account_id, j, 'day') % 90 AS INTEGER))
                   + to_hours(CAST(CASE WHEN hash(a.account_id, j, 'off') % 10 = 0
                                        THEN hash(a.account_id, j, 'hr') % 24
                                        ELSE (a.k * 7 + hash(a.account_id, j, 'hr') % 9) % 24
                                   END AS BIGINT))
                   + to_seconds(CAST(hash(a.account_id, j, 'sec') % 3600 AS BIGINT)) AS t_at
            FROM (SELECT *, unnest(range(n_posts)) AS j FROM _bn_acc
                  WHERE period = {period}) AS a),
        q AS (
            SELECT *,
                   CASE WHEN NOT repost AND r2 < 700
                        THEN ['https://' || {_net_domain("k", "d")} || '/' || {period + 2023}
                              || '/' || post_id] ELSE [] END AS urls,
                   CASE WHEN NOT repost AND r2 < 700 THEN [{_net_domain("k", "d")}] ELSE [] END
                       AS domains,
                   CASE WHEN r3 < 600 THEN [{_net_tag("k", "t")}] ELSE [] END
                   || CASE WHEN r3 % 5 = 0 THEN [{_tag("r3 % 10")}] ELSE [] END AS tags,
                   CASE WHEN r1 % 10 < 4 THEN [{_public(_net_target("k", "g"))}] ELSE [] END
                       AS mentions
            FROM p)
        SELECT 'twitter', post_id, account_id, t_at,
               CASE WHEN repost THEN 'repost' WHEN r1 % 10 = 9 THEN 'reply' ELSE 'post' END,
               CASE WHEN repost THEN 'RT ' ELSE '' END || words
               || array_to_string(list_transform(tags, lambda x: ' #' || x), ''),
               lower(words
               || array_to_string(list_transform(tags, lambda x: ' #' || x), '')),
               {_at(_list(NET_LANGS), f"k % {len(NET_LANGS)}")},
               CASE WHEN repost THEN 'q' || account_id || '-orig' END,
               CASE WHEN repost THEN 'n' || k || 'm' || (r2 % 30) END,
               CASE WHEN NOT repost AND r1 % 10 = 9
                    THEN 'pub' || {_net_target("k", "g")} END,
               urls, domains, tags, mentions,
               CASE WHEN NOT repost AND r1 < {250 if period == 1 else 150}
                    THEN [{{'url': 'https://pbs.example/' || post_id || '.jpg', 'type': 'photo',
                           'hash': md5('img ' || k || ' ' || (im + {3 if period == 2 else 0}))}}]
                    ELSE [] END,
               CASE WHEN r2 % 10 < 9 THEN {_at(_list(NET_CLIENTS), f"k % {len(NET_CLIENTS)}")}
                    ELSE 'Twitter for Android' END
        FROM q"""
    )


def build_period1(path: Path, networks: int) -> None:
    """The period-1 case: the networks' members and posts only."""
    with open_case(path) as case:
        e = case.engine
        _network_accounts(e, networks)
        _insert_network_accounts(e, 1)
        _insert_network_posts(e, 1)


def build_library(period1: Path, library: Path, networks: int) -> float:
    """Fingerprint every network of period 1 into ``library``; returns seconds."""
    started = time.perf_counter()
    with open_case(period1, create=False) as case:
        e = case.engine
        for k in range(networks):
            members = [
                ("twitter", str(a))
                for (a,) in e.fetchall(
                    "SELECT account_id FROM accounts WHERE account_id LIKE ? ORDER BY 1",
                    [f"n{k}m%"],
                )
            ]
            add_network(e, library, network_name(k), members, source="benchmarks/match.py")
    return time.perf_counter() - started


def build_case(path: Path, accounts: int, networks: int) -> None:
    """The period-2 case: ``accounts`` organic accounts, the look-alikes and the planted
    returning accounts (module docstring)."""
    tz = "CASE lang " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in LANG_TZ.items()) + " END"
    with open_case(path) as case:
        e = case.engine
        e.execute(
            f"""CREATE OR REPLACE TEMP TABLE _bo_acc AS
            SELECT i, 'u' || i AS account_id,
                   {_pick(LANGS, "hash(i, 'lang') % 1000")} AS lang,
                   {_pick(CLIENTS, "hash(i, 'client') % 1000")} AS client,
                   {_at(F, f"hash(i, 'f') % {NF}")} AS first,
                   {_at(L, f"hash(i, 'l') % {NL}")} AS last,
                   hash(i, 'form') % 100 AS form, CAST(1 + hash(i, 'n') % 8 AS BIGINT) AS n_posts
            FROM range({accounts}) AS t(i)"""
        )
        # seven formulas; 5%, 10%, 5% and 10% of handles follow the networks' formulas 0, 2, 4, 5
        formula = (
            "CASE WHEN form < 5 THEN 0 WHEN form < 15 THEN 2 WHEN form < 20 THEN 4 "
            "WHEN form < 50 THEN 6 WHEN form < 70 THEN 7 WHEN form < 80 THEN 5 ELSE 8 END"
        )
        e.execute(
            f"""INSERT INTO accounts (platform, account_id, handle, display_name, created_at,
                                      n_posts, snapshot_at)
            SELECT 'twitter', account_id, {_handle(formula, "first", "last", "hash(i, 'h')")},
                   CASE WHEN hash(i, 'dn') % 5 = 0 THEN {_word("hash(i, 'nick')")}
                        ELSE first || ' ' || last END,
                   TIMESTAMPTZ '2009-01-01 00:00:00+00'
                   + to_seconds(CAST(hash(i, 'created') % (16 * 365 * 86400) AS BIGINT)),
                   n_posts, {SNAPSHOT}
            FROM _bo_acc"""
        )
        r = "hash(i, j, 'r')"
        e.execute(
            f"""INSERT INTO posts (platform, post_id, account_id, created_at, kind, text,
                                   text_norm, language, repost_of_post, repost_of_account,
                                   reply_to_post, reply_to_account, urls, domains, hashtags,
                                   mentions, media, client)
            WITH p AS (
                SELECT i, j, account_id, lang, client, 'p' || i || '-' || j AS post_id,
                       {r} % 1000 AS r1, hash(i, j, 'r2') % 1000 AS r2,
                       hash(i, j, 'r3') % 1000 AS r3, hash(i, 'look') % 1000 AS look,
                       hash(i, 'lk') % {networks} AS lk,
                       {PERIOD2} + to_days(CAST(hash(i, j, 'day') % 90 AS INTEGER))
                       + to_hours(CAST(((CASE WHEN hash(i, j, 'dh') % 5 = 0
                                              THEN CAST(hash(i, j, 'hr') % 24 AS BIGINT)
                                              ELSE CAST(8 + hash(i, j, 'hr') % 16 AS BIGINT)
                                         END)
                                        - ({tz}) + 48) % 24 AS BIGINT))
                       + to_seconds(CAST(hash(i, j, 'sec') % 3600 AS BIGINT)) AS t_at
                FROM (SELECT *, unnest(range(n_posts)) AS j FROM _bo_acc) AS a),
            q AS (
                SELECT *, r1 < 250 AS repost, r1 >= 250 AND r1 < 350 AS reply,
                       CASE WHEN r1 < 250
                            THEN {_text("hash(i, j, 'pop') % 200000", "12")}
                            WHEN j = 0 AND look = 999
                            THEN {_talking_point("lk", "hash(i, 'ltp') % 6", "i, 'lt'", 1)}
                            ELSE {_text("i, j, 'w'", "6 + hash(i, j, 'nw') % 15")}
                       END AS words,
                       CASE WHEN j = 0 AND look = 0
                            THEN [{_net_domain("lk", "hash(i, 'ld') % 3")}]
                            WHEN r1 >= 250 AND r2 < 300
                            THEN [{_site(_logu(N_SITES, _u("hash(i, j, 'site')")))}]
                            ELSE [] END AS domains,
                       CASE WHEN j = 0 AND look = 1
                            THEN [{_net_tag("lk", "hash(i, 'lt') % 4")}]
                            WHEN r3 < 200 THEN [{_tag(_logu(N_TAGS, _u("hash(i, j, 'tag')")))}]
                            ELSE [] END
                       || CASE WHEN r3 < 60 THEN [{_tag(_logu(N_TAGS, _u("hash(i, j, 't2')")))}]
                               ELSE [] END AS tags,
                       CASE WHEN r2 % 7 = 0
                            THEN [{_public(_logu(N_PUBLIC, _u("hash(i, j, 'pub')")))}]
                            ELSE [] END AS mentions
                FROM p),
            r AS (
                SELECT *, array_to_string(list_transform(mentions, lambda x: '@' || x || ' '), '')
                          || words || array_to_string(list_transform(tags, lambda x: ' #' || x),
                                                      '') AS body
                FROM q)
            SELECT 'twitter', post_id, account_id, t_at,
                   CASE WHEN repost THEN 'repost' WHEN reply THEN 'reply' ELSE 'post' END,
                   CASE WHEN repost THEN 'RT ' ELSE '' END || body, lower(body),
                   CASE WHEN r3 % 20 = 0 THEN 'en' ELSE lang END,
                   CASE WHEN repost THEN 'x' || (hash(i, j, 'pop') % 200000) END,
                   CASE WHEN repost THEN 'u' || (hash(i, j, 'pop') % 200000) * 5 END,
                   CASE WHEN reply THEN 'p' || hash(i, j, 'rp') % {accounts} || '-0' END,
                   CASE WHEN reply AND r2 % 20 = 0
                        THEN 'pub' || {_logu(N_PUBLIC, _u("hash(i, j, 'rpub')"))}
                        WHEN reply THEN 'u' || hash(i, j, 'rp') % {accounts} END,
                   list_transform(domains, lambda d: 'https://' || d || '/' || post_id),
                   domains, tags, mentions,
                   CASE WHEN NOT repost AND r2 % 100 >= 92
                        THEN [{{'url': 'https://pbs.example/' || post_id || '.jpg',
                               'type': 'photo', 'hash': md5(post_id)}}]
                        ELSE [] END,
                   client
            FROM r"""
        )
        _network_accounts(e, networks)
        _insert_network_accounts(e, 2)
        _insert_network_posts(e, 2)
        # a handle is one account's on a platform (and a suspended one's is not released):
        # an organic account drawn with a network account's handle, or a new network account
        # drawn with a period-1 member's (the formulas overlap), takes another
        e.execute(
            """UPDATE accounts SET handle = handle || '_'
            WHERE (account_id LIKE 'u%' AND lower(handle) IN (
                       SELECT lower(handle) FROM _bn_acc WHERE handle IS NOT NULL))
               OR (account_id LIKE 'n%r%' AND lower(handle) IN (
                       SELECT lower(handle) FROM _bn_acc WHERE period = 1))"""
        )
        e.execute("CHECKPOINT")


def baseline(e: Engine, library: Path) -> int:
    """The yardstick: accounts sharing a domain and a hashtag with a network, by an exact
    join of the case's posts with the library's features; returns the pairs found."""
    with attached(e, library) as lib:
        return int(
            e.fetchall(
                f"""WITH acc AS (
                    SELECT DISTINCT account_id, 'domain' AS facet, unnest(domains) AS feature
                    FROM posts
                    UNION ALL
                    SELECT DISTINCT account_id, 'hashtag', unnest(hashtags) FROM posts)
                SELECT count(*) FROM (
                    SELECT a.account_id, f.network FROM acc AS a
                    JOIN {lib}.network_features AS f USING (facet, feature)
                    GROUP BY ALL HAVING count(DISTINCT a.facet) = 2)"""
            )[0][0]
        )


def _profiled(e: Engine) -> None:
    """Log each statement of ``e`` that takes a second or more (``--profile``)."""
    execute = e.execute

    def timed(sql: str, params: Any = None) -> None:
        started = time.perf_counter()
        execute(sql, params)
        took = time.perf_counter() - started
        if took >= 1:
            log.info("%6.1f s  %s", took, " ".join(sql.split())[:110])

    e.execute = timed  # type: ignore[method-assign]


def _cpu_seconds() -> float:
    """CPU seconds of this process (all its threads): what the match costs whatever else
    runs on the machine; on 2 cores the wall time cannot be under half of it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _drop_index(e: Engine) -> None:
    """Drop the case's text index, as a case made before ingest indexed its texts."""
    e.execute(f"DROP TABLE IF EXISTS {text_index.TABLE}")
    e.execute("DELETE FROM meta WHERE key = ?", [text_index.META_KEY])
    e.execute("CHECKPOINT")


def timed_index(case_path: str) -> dict[str, Any]:
    """Ingest's text-index step over every post of the case, in a fresh process, at
    ingest's default memory limit: the cost that ``cibscan ingest`` now carries."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with open_case(case_path, create=False) as case:
        e = case.engine
        _drop_index(e)
        e.configure(memory_limit=IngestOptions().memory_limit)
        load = os.getloadavg()[0]
        cpu = _cpu_seconds()
        started = time.perf_counter()
        added = text_index.index_posts(e, None)
        e.execute("CHECKPOINT")
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu
    return {
        "seconds": seconds,
        "cpu_s": cpu,
        "load": load,
        "texts": added,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "case_mib": Path(case_path).stat().st_size / 2**20,
    }


def timed_match(
    case_path: str, library: str, memory_limit: str, profile: bool = False, first: bool = True
) -> dict[str, Any]:
    """The timed part, in a fresh process: match, then the baseline; the figures. ``first``:
    the case's text index is dropped before, so the match builds it (a case made without
    it); otherwise the match reads the index that ingest (or an earlier match) kept."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    with open_case(case_path, create=False) as case:
        e = case.engine
        if first:
            _drop_index(e)
        if memory_limit != "none":
            e.configure(memory_limit=memory_limit)
        if profile:
            _profiled(e)
        load = os.getloadavg()[0]
        cpu = _cpu_seconds()
        started = time.perf_counter()
        report = match(e, library)
        match_s = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        planted, hit, wrong, organic, by_identity = e.fetchall(
            """WITH m AS (
                SELECT account_id, network, matched, identity,
                       'net' || lpad(regexp_extract(account_id, '^n(\\d+)[mr]', 1), 3, '0')
                           AS own
                FROM matches WHERE matched),
            planted AS (SELECT account_id FROM accounts WHERE account_id LIKE 'n%')
            SELECT (SELECT count(*) FROM planted),
                   count(DISTINCT account_id) FILTER (WHERE account_id LIKE 'n%'
                                                      AND network = own),
                   count(DISTINCT account_id) FILTER (WHERE account_id LIKE 'n%'
                                                      AND network <> own),
                   count(DISTINCT account_id) FILTER (WHERE account_id LIKE 'u%'),
                   count(DISTINCT account_id) FILTER (WHERE identity AND account_id LIKE 'n%'
                                                      AND network = own)
            FROM m"""
        )[0]
        started = time.perf_counter()
        pairs = baseline(e, Path(library))
        baseline_s = time.perf_counter() - started
        posts = int(e.fetchall("SELECT count(*) FROM posts")[0][0])
        e.execute("CHECKPOINT")
    return {
        "case_mib": Path(case_path).stat().st_size / 2**20,
        "accounts": report.accounts,
        "posts": posts,
        "networks": report.networks,
        "match_s": match_s,
        "cpu_s": cpu,
        "load": load,
        "rows": report.rows,
        "matched": report.matched,
        "planted": int(planted),
        "planted_hit": int(hit),
        "planted_wrong": int(wrong),
        "by_identity": int(by_identity),
        "false": int(organic),
        "rss_mib": rss / 1024,
        "baseline_s": baseline_s,
        "baseline_pairs": pairs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--networks", type=int, default=100)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/cibscan-match-bench"))
    parser.add_argument("--keep", action="store_true", help="reuse the case and library built")
    parser.add_argument(
        "--memory-limit", default="8GB",
        help="DuckDB memory_limit for the match ('none': DuckDB's default, as the CLI)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", action="store_true", help="log the match's statements taking >= 1 s"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("cibscan.match.library").setLevel(logging.WARNING)
    period1 = args.workdir / "period1.duckdb"
    library = args.workdir / "library.duckdb"
    case_path = args.workdir / "case.duckdb"
    library_s = float("nan")
    if not (args.keep and case_path.exists() and library.exists()):
        shutil.rmtree(args.workdir, ignore_errors=True)
        args.workdir.mkdir(parents=True)
        started = time.perf_counter()
        build_period1(period1, args.networks)
        log.info("period 1 built in %.1f s", time.perf_counter() - started)
        library_s = build_library(period1, library, args.networks)
        log.info("library of %d networks built in %.1f s", args.networks, library_s)
        (args.workdir / "library_seconds.txt").write_text(f"{library_s}\n")
        started = time.perf_counter()
        build_case(case_path, args.accounts, args.networks)
        log.info("case built in %.1f s", time.perf_counter() - started)
    elif (args.workdir / "library_seconds.txt").exists():
        library_s = float((args.workdir / "library_seconds.txt").read_text())
    print(
        "| step | accounts | posts | networks | library build s | s | CPU s "
        "| load (1 min) | matches "
        "| planted recall | false matches | peak RSS (match) | case file | baseline s "
        "| match / baseline |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    seconds = {}
    spawn = multiprocessing.get_context("spawn")
    for step in ("no index", "ingest's index step", "after ingest"):
        # a fresh process, so that its peak RSS is the step's (a crash is raised here)
        with ProcessPoolExecutor(1, mp_context=spawn) as pool:
            if step == "ingest's index step":
                x = pool.submit(timed_index, str(case_path)).result()
                print(
                    f"| {step} ({x['texts']:,} texts, 1 GB) | | | | | {x['seconds']:.1f} | "
                    f"{x['cpu_s']:.1f} | {x['load']:.1f} | | | | {x['rss_mib']:,.0f} MiB | "
                    f"{x['case_mib']:,.0f} MiB | | |",
                    flush=True,
                )
                continue
            r = pool.submit(
                timed_match,
                str(case_path),
                str(library),
                args.memory_limit,
                args.profile,
                step == "no index",
            ).result()
        recall = r["planted_hit"] / max(r["planted"], 1)
        log.info(
            "%d rows, %d planted matched to another network, %d by identity; baseline %d pairs",
            r["rows"],
            r["planted_wrong"],
            r["by_identity"],
            r["baseline_pairs"],
        )
        kind = (
            "match, case without index (builds it)"
            if step == "no index"
            else "first match of an ingested case (index kept)"
        )
        print(
            f"| {kind} | {r['accounts']:,} | {r['posts']:,} | {r['networks']} | "
            f"{library_s:.1f} | {r['match_s']:.1f} | {r['cpu_s']:.1f} | {r['load']:.1f} | "
            f"{r['matched']:,} | {recall:.3f} "
            f"({r['planted_hit']:,}/{r['planted']:,}) | {r['false']:,} | "
            f"{r['rss_mib']:,.0f} MiB | {r['case_mib']:,.0f} MiB | {r['baseline_s']:.2f} | "
            f"{r['match_s'] / r['baseline_s']:.0f} |",
            flush=True,
        )
        seconds[step] = r["match_s"]
    for step, s in seconds.items():
        verdict = "under" if s < TARGET_S else "OVER"
        print(f"match ({step}) {verdict} the {TARGET_S:.0f} s target ({s:.1f} s)")


if __name__ == "__main__":
    main()
