"""The combination rule (cibscan/score/combine.py) on hand-built scenes with known answers."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from cibscan.detect.base import DetectOptions
from cibscan.detect.pipeline import detect
from cibscan.store import Case, open_case
from tests import scenes
from tests.conftest import load, rows

DAY = scenes.DAY


def amplifiers(members: int = 12) -> list[scenes.Post]:
    """Twelve accounts that repost the copypasta personas' posts (persona_m_k of
    scenes.copypasta_personas) 20 minutes to 6 hours later, six each, and nothing else:
    too slow and too scattered for a co-action tie, but all their engagement goes to one
    cluster that nobody else engages."""
    rng = random.Random(41)
    originals = [(m, k) for m in range(5) for k in range(4)]
    posts = []
    for a in range(members):
        for m, k in rng.sample(originals, 6):
            t = 2 * DAY + k * DAY + m * 5400 + rng.uniform(1200, 6 * 3600)
            posts.append(
                scenes.post(f"amp_{a}_{m}_{k}", f"amp_{a}", t, repost_of_post=f"persona_{m}_{k}")
            )
    return posts


def one_text_on_three_accounts(
    prefix: str, names: list[str], handles: list[str], start: float = 0.0
) -> list[scenes.Post]:
    """Three accounts post the same twelve texts with the same link within 30 seconds."""
    posts = []
    for k in range(12):
        url = f"https://{prefix}.example.com/offer/{k}"
        for n, (name, handle) in enumerate(zip(names, handles, strict=True)):
            posts.append(
                scenes.post(
                    f"{prefix}_{n}_{k}",
                    f"{prefix}_{n}",
                    start + k * 17000 + 10 * n,
                    f"this week only: offer number {k} {url}",
                    urls=[url],
                    handle=handle,
                    acct_display_name=name,
                )
            )
    return posts


@pytest.fixture(scope="module")
def combined(tmp_path_factory: pytest.TempPathFactory) -> Case:
    folder = tmp_path_factory.mktemp("combine")
    posts = (
        scenes.organic_background()
        + scenes.copypasta_personas()
        + amplifiers()
        # a brand: one name, shown in every handle
        + one_text_on_three_accounts(
            "brand", ["Brightmart"] * 3, ["brightmart_us", "brightmart_uk", "brightmart_ca"]
        )
        # the same behaviour by three unrelated-looking personas
        + one_text_on_three_accounts(
            "sock",
            ["Zoe Rich", "Mark Doyle", "Anna Berg"],
            ["zr_news", "markdoyle", "bergan"],
            start=5000,
        )
    )
    for p in posts:
        p.setdefault("acct_display_name", None)
    case = open_case(folder / "case.duckdb")
    load(case, scenes.write(folder / "posts.jsonl", posts), format="generic_jsonl")
    detect(case)
    return case


def _accounts(case: Case, prefix: str) -> list[dict[str, object]]:
    return rows(
        case,
        "SELECT account_id, tied, flagged, score, reasons FROM account_scores "
        "WHERE starts_with(account_id, ?) ORDER BY account_id",
        prefix,
    )


def test_amplifiers_of_a_flagged_cluster_are_flagged_through_their_link(combined: Case) -> None:
    """The personas are flagged (near-duplicates, created in one batch); the amplifiers have
    no tie of their own, but insular_engagement links each to the personas' cluster."""
    assert all(r["flagged"] for r in _accounts(combined, "persona_"))
    amps = _accounts(combined, "amp_")
    assert len(amps) == 12
    for r in amps:
        assert not r["tied"] and r["flagged"], r
        assert "tells: insular_engagement (" in str(r["reasons"])
        assert float(r["score"]) >= 0.5  # type: ignore[arg-type]


def test_an_organisation_openly_running_several_accounts_is_not_flagged(combined: Case) -> None:
    """Both trios are tied strongly (twelve identical posts with the same link within 30 s).
    The brand shows one name that every handle contains and no tell fires: reported, not
    flagged. The sock puppets behave the same under unrelated names: flagged."""
    brand = _accounts(combined, "brand_")
    assert len(brand) == 3
    for r in brand:
        assert r["tied"] and not r["flagged"]
        assert str(r["reasons"]).startswith(
            "not flagged: every account of the cluster presents itself as one entity "
            "(brightmart) and no tell fires; "
        )
        assert float(r["score"]) < 0.5  # type: ignore[arg-type]
    assert all(r["tied"] and r["flagged"] for r in _accounts(combined, "sock_"))


def test_the_rule_is_a_parameter_recorded_with_the_run(tmp_path: Path) -> None:
    """Raising the corroboration bar unflags the uncorroborated sock puppets; the value is
    kept with the run."""
    case = open_case(tmp_path / "case.duckdb")
    posts = scenes.organic_background() + one_text_on_three_accounts(
        "sock", ["Zoe Rich", "Mark Doyle", "Anna Berg"], ["zr_news", "markdoyle", "bergan"]
    )
    load(case, scenes.write(tmp_path / "posts.jsonl", posts), format="generic_jsonl")
    assert detect(case).flagged == 3
    assert detect(case, DetectOptions(corroborated=300.0)).flagged == 0
    (run,) = rows(case, "SELECT params FROM detect_runs ORDER BY run_id DESC LIMIT 1")
    assert '"corroborated": 300.0' in str(run["params"])
    case.close()


def test_tells_can_be_chosen_or_left_out(tmp_path: Path) -> None:
    """The amplifiers have no tie of their own: only the insular_engagement tell links them
    to the copypasta cluster. Without tells they stay unflagged and nothing is written to
    account_tells; with that one tell they are flagged again. The choice is recorded."""
    case = open_case(tmp_path / "case.duckdb")
    posts = scenes.organic_background() + scenes.copypasta_personas() + amplifiers()
    load(case, scenes.write(tmp_path / "posts.jsonl", posts), format="generic_jsonl")

    detect(case, DetectOptions(tells=[]))
    assert not any(r["flagged"] for r in _accounts(case, "amp_"))
    assert rows(case, "SELECT count(*) AS n FROM account_tells") == [{"n": 0}]
    (run,) = rows(case, "SELECT params FROM detect_runs ORDER BY run_id DESC LIMIT 1")
    assert '"tell_order": []' in str(run["params"])

    detect(case, DetectOptions(tells=["insular_engagement"]))
    assert all(r["flagged"] for r in _accounts(case, "amp_"))
    (run,) = rows(case, "SELECT params FROM detect_runs ORDER BY run_id DESC LIMIT 1")
    assert '"tell_order": ["insular_engagement"]' in str(run["params"])

    with pytest.raises(ValueError, match=r"unknown tell\(s\): nosuch"):
        detect(case, DetectOptions(tells=["nosuch"]))
    with pytest.raises(ValueError, match="not run: camouflage"):
        detect(case, DetectOptions(tells=[], params={"camouflage": {"sample": 10}}))
    case.close()


def test_weak_lockstep_without_a_tell_is_reported_not_flagged(tmp_path: Path) -> None:
    """Two people post the same two links to a small site, a minute apart, on two days:
    lockstep, and more than chance (a significant tie), but two items are weak evidence
    (strength under 6) and nothing else says the accounts are not what they seem."""
    posts = scenes.organic_background()
    for k in range(2):
        url = f"https://little-blog.example.net/post/{k}"
        for n, who in enumerate(("reader_a", "reader_b")):
            t = (2 + 3 * k) * DAY + 50 * n
            posts.append(scenes.post(f"{who}_{k}", who, t, f"nice read {who} {url}", urls=[url]))
    case = open_case(tmp_path / "case.duckdb")
    load(case, scenes.write(tmp_path / "posts.jsonl", posts), format="generic_jsonl")
    detect(case)
    pair = _accounts(case, "reader_")
    assert [r["tied"] for r in pair] == [True, True] and not any(r["flagged"] for r in pair)
    assert str(pair[0]["reasons"]).startswith("not flagged: the cluster's best evidence (strength ")
    assert "is below 6.0 and no tell corroborates it; co_url: tied to 1 account(s)" in str(
        pair[0]["reasons"]
    )
