"""The regrowth world (two periods around a takedown) and the scoring of network matching."""

from __future__ import annotations

import csv
import dataclasses
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from cibscan.cli import main
from cibscan.evaluate.matching import evaluate_matching
from cibscan.simulate import RegrowthParams, generate, regrowth, simulate
from cibscan.simulate.texts import CAMPAIGN_TAGS
from cibscan.store import open_case
from tests.conftest import load, rows

SMALL = {"accounts": 600, "days": 7}
SEED = 3
FORMULA = re.compile(r"^[A-Z][a-z]+[A-Z][a-z]+\d{8}$")  # FirstLast12345678 (Meta Q2 2023)


@pytest.fixture(scope="module")
def world() -> regrowth.Regrowth:
    """Both periods in memory, as ``simulate(..., regrowth=True)`` builds them."""
    return regrowth.build(generate("spamouflage", SEED, **SMALL), SEED, RegrowthParams())


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("regrowth") / "case"
    simulate("spamouflage", folder, SEED, regrowth=True, **SMALL)
    return folder


def _truth(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _domains(posts: list[Any]) -> Counter[str]:
    return Counter(u.split("/")[2] for p in posts for u in p.urls)


def _returning_posts(world: regrowth.Regrowth) -> list[Any]:
    ids = {id(a) for a in world.returning}
    return [p for p in world.period2.posts if id(p.account) in ids]


def _utc_hours(posts: list[Any]) -> np.ndarray:
    return np.bincount([datetime.fromtimestamp(p.t, UTC).hour for p in posts], minlength=24)


def test_two_periods_each_a_case_with_one_truth_schema(out: Path) -> None:
    columns = ["platform", "account_id", "label", "network", "role", "regrew_from", "reappeared"]
    for period in ("period1", "period2"):
        with (out / period / "truth.csv").open(encoding="utf-8") as f:
            assert next(csv.reader(f)) == columns
    assert sorted(p.name for p in (out / "period1").iterdir()) == [
        "reddit.ndjson",
        "truth.csv",
        "x_io_tweets.csv",
        "x_v2.jsonl",
        "youtube.json",
    ]
    # period 2 is collected after the takedown: no takedown archive, so no empty IO file
    assert not (out / "period2" / "x_io_tweets.csv").exists()
    first = _truth(out / "period1" / "truth.csv")
    assert {r["regrew_from"] for r in first} == {""}
    assert {r["reappeared"] for r in first} == {"false"}


@pytest.mark.parametrize("period", ["period1", "period2"])
def test_every_period_ingests_and_truth_reconciles(out: Path, tmp_path: Path, period: str) -> None:
    case = open_case(tmp_path / "case.duckdb")
    try:
        report = load(case, out / period)
        assert all(f.quarantined == 0 and f.stored == f.read > 0 for f in report.files)
        truth = out / period / "truth.csv"
        missing = rows(
            case,
            f"""SELECT t.platform, t.account_id
                FROM read_csv('{truth}', all_varchar = true) AS t
                ANTI JOIN accounts AS a USING (platform, account_id)""",
        )
        assert missing == []
        n = rows(case, "SELECT count(*) AS n FROM accounts")[0]["n"]
        assert n == len(_truth(truth))
    finally:
        case.close()


def test_period2_starts_months_later_with_truth_lineage(
    out: Path, world: regrowth.Regrowth
) -> None:
    assert world.period2.start - world.period1.end == 120 * 86400
    second = _truth(out / "period2" / "truth.csv")
    lineage = Counter((r["network"], r["regrew_from"], r["reappeared"]) for r in second)
    assert lineage[("spamouflage", "spamouflage", "false")] == 40  # the new accounts
    assert lineage[("spamouflage", "spamouflage", "true")] >= 1  # known members
    assert lineage[("distractor", "", "false")] == 24
    assert all(r["regrew_from"] == "" for r in second if r["network"] != "spamouflage")


def test_returning_accounts_are_new_except_the_reappearing_share(world: regrowth.Regrowth) -> None:
    old = [a for a in world.period1.accounts if a.network == "spamouflage"]
    old_ids = {(a.platform, a.account_id) for a in old}
    old_handles = {a.handle for a in old}
    again = {id(a) for a in world.reappeared}
    # 5 % of period 1's ten campaign accounts rounds to 0: at least one comes back
    assert len(world.reappeared) == max(round(0.05 * len(old)), 1)
    for a in world.returning:
        seen = (a.platform, a.account_id) in old_ids or a.handle in old_handles
        assert seen == (id(a) in again), a
    # no other period-2 account borrows a period-1 campaign id either
    others = [a for a in world.period2.accounts if id(a) not in again]
    assert not {(a.platform, a.account_id) for a in others} & old_ids
    # and created in new batches, in the weeks before period 2
    new = [a for a in world.returning if id(a) not in again]
    assert all(world.period2.start - 46 * 86400 < a.created < world.period2.start for a in new)
    assert len({a.created // 86400 for a in new}) <= len(new) // 3


def test_returning_accounts_post_little(world: regrowth.Regrowth) -> None:
    counts = Counter(id(p.account) for p in _returning_posts(world) if p.kind != "repost")
    per_account = [counts[id(a)] for a in world.returning]
    assert min(per_account) >= 2
    assert 3 <= float(np.median(per_account)) <= 5


def test_returning_accounts_keep_beijing_office_hours(world: regrowth.Regrowth) -> None:
    # 09:00-21:00 in Beijing (UTC+8) is 01:00-13:00 UTC; lunch (04 UTC) and dinner (10 UTC)
    # are quiet, as in period 1.
    hours = _utc_hours([p for p in _returning_posts(world) if p.kind != "repost"])
    assert hours[1:13].sum() > 0.85 * hours.sum()
    assert int(np.argmax(hours)) in range(1, 10)
    assert hours[4] < hours[3] and hours[4] < hours[6]


def test_habits_carry_over_imperfectly(world: regrowth.Regrowth) -> None:
    p1 = [p for p in world.period1.posts if p.account.network == "spamouflage"]
    p2 = _returning_posts(world)
    before, after = set(_domains(p1)), set(_domains(p2))
    assert {"www.youtube.com", world.popular_domain} <= before
    shared = (after & before) - {"www.youtube.com"}
    assert shared and after - before  # old sites partly, new sites too
    assert not {u for p in p1 for u in p.urls} & {u for p in p2 for u in p.urls}  # new URLs
    tags = Counter(t for p in p2 for t in p.hashtags)
    assert any(t in CAMPAIGN_TAGS for t in tags) and any(t not in CAMPAIGN_TAGS for t in tags)
    # the same handle formula for most new accounts (other names), the same clients
    new = [a for a in world.returning if a not in world.reappeared]
    assert sum(bool(FORMULA.match(a.handle)) for a in new) > 0.6 * len(new)
    assert {p.client for p in p2} <= {p.client for p in p1}
    assert {p.lang for p in p2} == {"en", "zh"}
    # the same journalists attacked: replies go to period 1's journalist accounts
    journalists = {a.account_id for a in world.period1.accounts if a.role == "journalist"}
    replied = {p.ref.account.account_id for p in p2 if p.kind == "reply" and p.ref}
    assert replied and replied <= journalists


def test_distractor_is_another_operation(world: regrowth.Regrowth) -> None:
    posts = [p for p in world.period2.posts if p.account.network == "distractor"]
    members = {p.account.handle for p in posts}
    assert len(members) > 10 and not any(FORMULA.match(h) for h in members)
    spam = [p for p in world.period1.posts if p.account.network == "spamouflage"]
    spam += _returning_posts(world)
    assert not set(_domains(posts)) & set(_domains(spam))
    assert not {t for p in posts for t in p.hashtags} & {t for p in spam for t in p.hashtags}
    # Moscow office hours: 10:00-19:00 UTC+3 is 07:00-16:00 UTC; bursts of one link
    hours = _utc_hours(posts)
    assert hours[7:17].sum() > 0.95 * hours.sum()
    by_url = Counter(p.urls[0] for p in posts)
    assert np.median(list(by_url.values())) >= 5
    assert {p.client for p in posts} == {"Buffer"}


def test_organic_hard_negatives_share_a_domain_tag_or_slogan(world: regrowth.Regrowth) -> None:
    neighbors = [a for a in world.period2.accounts if a.role == "topic_neighbor"]
    assert len(neighbors) >= 10 and {a.label for a in neighbors} == {"organic"}
    ids = {id(a) for a in neighbors}
    posts = [p for p in world.period2.posts if id(p.account) in ids]
    p1_tags = {
        t for p in world.period1.posts if p.account.network == "spamouflage" for t in p.hashtags
    }

    def shared(p: Any) -> bool:
        domain = any(u.split("/")[2] == world.popular_domain for u in p.urls)
        slogan = any(s in p.text for s in regrowth.SLOGANS)
        return domain or bool(set(p.hashtags) & p1_tags) or slogan

    # each neighbour posts one or two such lines among its everyday posts
    assert {id(p.account) for p in posts if shared(p)} == ids
    assert any(world.popular_domain in u for p in posts for u in p.urls)


def test_same_seed_same_bytes(out: Path, tmp_path: Path) -> None:
    simulate("spamouflage", tmp_path / "again", SEED, regrowth=True, **SMALL)
    simulate("spamouflage", tmp_path / "other", SEED + 1, regrowth=True, **SMALL)
    for path in sorted(out.rglob("*.*")):
        name = path.relative_to(out)
        assert (tmp_path / "again" / name).read_bytes() == path.read_bytes(), name
        assert (tmp_path / "other" / name).read_bytes() != path.read_bytes(), name


def test_without_site_links_period1_is_the_plain_scenario(tmp_path: Path) -> None:
    # site_link_share 0 draws nothing: period 1's platform files are the plain scenario's bytes
    # and its truth the plain truth plus the two lineage columns.
    plain = tmp_path / "plain"
    simulate("spamouflage", plain, SEED, **SMALL)
    quiet = RegrowthParams(site_link_share=0.0, accounts=400)
    simulate("spamouflage", tmp_path / "rg", SEED, regrowth=True, regrowth_params=quiet, **SMALL)
    for name in ("x_io_tweets.csv", "x_v2.jsonl", "reddit.ndjson", "youtube.json"):
        assert (tmp_path / "rg" / "period1" / name).read_bytes() == (plain / name).read_bytes()
    trimmed = [{k: r[k] for k in list(r)[:5]} for r in _truth(tmp_path / "rg/period1/truth.csv")]
    assert trimmed == _truth(plain / "truth.csv")


def test_cli_regrowth_writes_both_periods(tmp_path: Path) -> None:
    args = ["simulate", "--regrowth", "--out", str(tmp_path), "--accounts", "500", "--days", "4"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "period1" in result.output and "period2" in result.output
    assert (tmp_path / "period1" / "truth.csv").is_file()
    assert (tmp_path / "period2" / "x_v2.jsonl").is_file()


def test_regrowth_parameters_are_documented_and_validated() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "simulator.md").read_text("utf-8")
    section = docs[docs.index("## Regrowth") :]
    for f in dataclasses.fields(RegrowthParams):
        assert f"| `{f.name}` |" in section, f"docs/simulator.md lacks regrowth field {f.name}"
    for bad in ({"reappear_share": 1.5}, {"posts_mean": 1}, {"accounts": 50}, {"days": 1}):
        with pytest.raises(ValueError):
            RegrowthParams(**bad)  # type: ignore[arg-type]


# --- scoring of matches against truth ---

TRUTH = """platform,account_id,label,network,role,regrew_from,reappeared
twitter,n1,campaign,spamouflage,regrowth,spamouflage,false
twitter,n2,campaign,spamouflage,regrowth,spamouflage,false
twitter,n3,campaign,spamouflage,regrowth,spamouflage,false
twitter,k1,campaign,spamouflage,known_member,spamouflage,true
twitter,d1,campaign,distractor,operator_persona,,false
twitter,o1,organic,,topic_neighbor,,false
twitter,o2,organic,,organic,,false
twitter,o3,organic,,organic,,false
"""
# The analyst called the network "spam-2024" in the library. Ranked by similarity:
#   n1 .9 P (matched), k1 .8 P (matched), d1 .7 N (matched: distractor FP),
#   n2 .6 P (matched), o1 .5 N (matched: topic_neighbor FP), x9 .45 N (matched: an account
#   not in the truth, FP), n3 .4 P (not matched: FN; its second row .2 is ignored), o2 .1 N,
#   o3 no row of spam-2024 (similarity 0); o3 is matched to another library network.
MATCHES = [
    ("n1", "spam-2024", 0.9, True),
    ("k1", "spam-2024", 0.8, True),
    ("d1", "spam-2024", 0.7, True),
    ("n2", "spam-2024", 0.6, True),
    ("o1", "spam-2024", 0.5, True),
    ("x9", "spam-2024", 0.45, True),
    ("n3", "spam-2024", 0.4, False),
    ("n3", "spam-2024", 0.2, False),
    ("o2", "spam-2024", 0.1, False),
    ("o3", "other-net", 0.95, True),
]


def _match_rows() -> list[dict[str, Any]]:
    return [
        {"platform": "twitter", "account_id": a, "network": n, "similarity": s, "matched": m}
        for a, n, s, m in MATCHES
    ]


def test_evaluate_matching_on_hand_built_rows(tmp_path: Path) -> None:
    truth = tmp_path / "truth.csv"
    truth.write_text(TRUTH, encoding="utf-8")
    result = evaluate_matching(_match_rows(), truth, network_map={"spam-2024": "spamouflage"})
    s = result.networks["spamouflage"]
    # TP n1, k1, n2; FP d1, o1, x9; FN n3
    assert (s.tp, s.fp, s.fn, s.predicted) == (3, 3, 1, 6)
    assert (s.positives, s.new_positives, s.reappeared_positives) == (4, 3, 1)
    assert s.precision == pytest.approx(0.5) and s.recall == pytest.approx(0.75)
    assert s.f1 == pytest.approx(0.6)  # 2 * 0.5 * 0.75 / 1.25
    assert s.recall_new == pytest.approx(2 / 3) and s.recall_reappeared == 1.0
    # average precision: positives at ranks 1, 2, 4, 7 -> (1/1 + 2/2 + 3/4 + 4/7) / 4
    assert s.pr_auc == pytest.approx((1 + 1 + 0.75 + 4 / 7) / 4)
    assert s.fp_by_label == {"(not in truth)": 1, "campaign": 1, "organic": 1}
    assert s.fp_by_role == {"(not in truth)": 1, "operator_persona": 1, "topic_neighbor": 1}
    assert s.fp_by_network == {"(none)": 1, "(not in truth)": 1, "distractor": 1}
    assert result.accounts == 9  # the truth's eight and x9
    assert result.unscored_networks == {"other-net": 1}
    assert result.as_dict()["networks"]["spamouflage"]["tp"] == 3

    # the same from a matches.csv (strings for numbers and booleans)
    path = tmp_path / "matches.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        columns = ["platform", "account_id", "handle", "network", "similarity", "matched", "facets"]
        w = csv.DictWriter(f, fieldnames=columns)
        w.writeheader()
        for r in _match_rows():
            w.writerow({**r, "handle": "", "matched": str(r["matched"]).lower(), "facets": ""})
    again = evaluate_matching(path, truth, network_map={"spam-2024": "spamouflage"})
    assert again.as_dict() == result.as_dict()

    # without the map the library name is taken as is: nothing is found for spamouflage
    plain = evaluate_matching(_match_rows(), truth)
    assert plain.networks["spamouflage"].recall == 0.0
    assert plain.networks["spamouflage"].pr_auc == pytest.approx(0.5)  # all tied at 0
    assert plain.unscored_networks == {"other-net": 1, "spam-2024": 6}  # its six matched


def test_evaluate_matching_rejects_files_without_the_columns(tmp_path: Path) -> None:
    truth = tmp_path / "truth.csv"
    truth.write_text("platform,account_id,label,network,role\n", encoding="utf-8")
    with pytest.raises(ValueError, match="regrew_from"):
        evaluate_matching([], truth)
