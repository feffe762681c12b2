"""Account tells with known answers (creation bursts), and the tell contract itself."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cibscan.export import export
from cibscan.store import Case
from cibscan.tells.base import Tell, get_tell, tells
from tests import scenes
from tests.conftest import detect_posts as _detect
from tests.conftest import rows


def _with_creation_dates(
    posts: list[scenes.Post], created: dict[str, datetime]
) -> list[scenes.Post]:
    """Every post names ``acct_created_at`` (the generic adapter reads the first line's
    fields); accounts not in ``created`` have none."""
    for p in posts:
        when = created.get(p["account_id"])
        p["acct_created_at"] = when.isoformat() if when else None
    return posts


def _burst_scene(launch_week_share: float) -> list[scenes.Post]:
    """The organic background's people were created over ten years, except a share of them
    created in the same week as the retweet ring (a platform's launch week, say). The ring's
    six accounts were all created within two days of 2023-06-01; the copypasta personas
    (also a cluster) were created years apart."""
    rng = random.Random(5)
    posts = scenes.organic_background() + scenes.retweet_ring() + scenes.copypasta_personas()
    burst = datetime(2023, 6, 1, tzinfo=UTC)
    created: dict[str, datetime] = {}
    for account in sorted({p["account_id"] for p in posts}):
        if account.startswith("ring_") and account != "ring_seed":
            created[account] = burst + timedelta(hours=rng.uniform(0, 48))
        elif rng.random() < launch_week_share:
            created[account] = burst + timedelta(hours=rng.uniform(-72, 72))
        else:
            created[account] = datetime(2013, 1, 1, tzinfo=UTC) + timedelta(
                days=rng.uniform(0, 3650)
            )
    return _with_creation_dates(posts, created)


def _tells(case: Case) -> dict[str, float]:
    found = rows(
        case,
        """SELECT i.account_id, t.score FROM account_tells AS t
           JOIN account_index AS i USING (acct) WHERE t.tell = 'creation_burst'""",
    )
    return {r["account_id"]: r["score"] for r in found}


def test_a_cluster_created_together_in_a_quiet_time_is_a_burst(case: Case, tmp_path: Path) -> None:
    _detect(case, tmp_path, _burst_scene(launch_week_share=0.0))
    scores = _tells(case)
    ring = {f"ring_{m}" for m in range(6)}
    assert set(scores) == ring  # the personas, created years apart, have no burst
    assert all(s >= 0.5 for s in scores.values())
    (detail,) = {
        r["detail"]
        for r in rows(case, "SELECT detail FROM account_tells WHERE tell = 'creation_burst'")
    }
    assert detail.startswith("6 of 6 dated cluster members created within ±3d of 2023-06-0")
    export(case, "csv", tmp_path / "accounts.csv", "accounts")
    header = (tmp_path / "accounts.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith(
        "," + ",".join(f"score_{name}" for name in tells())  # DEFAULT_TELLS order
    )


def test_a_burst_during_a_launch_week_is_not_surprising(case: Case, tmp_path: Path) -> None:
    """Organic look-alike: half the case joined in the ring's week, so six more accounts
    created then say nothing."""
    _detect(case, tmp_path, _burst_scene(launch_week_share=0.5))
    assert all(s < 0.5 for s in _tells(case).values())


def test_tells_follow_the_contract() -> None:
    assert "creation_burst" in tells()
    for tell in tells().values():
        assert isinstance(tell, Tell) and tell.title and tell.description
        tell.resolve({})  # defaults are valid
    with pytest.raises(ValueError, match="tell 'creation_burst' has no parameter"):
        get_tell("creation_burst").resolve({"windw": "1d"})


def test_shift_workers_have_a_schedule_and_organic_accounts_do_not(
    scene: tuple[Case, object],
) -> None:
    """The shift workers of tests/scenes.py post at 09:00-15:20 UTC+8 (equally 10:00-16:20
    UTC+9): an office schedule. No organic account is in a cluster, so none has the tell,
    however regular its hours (a night-shift nurse is a lone account)."""
    case, _ = scene
    found = rows(
        case,
        """SELECT i.account_id, t.score, t.detail FROM account_tells AS t
           JOIN account_index AS i USING (acct) WHERE t.tell = 'shift_schedule'""",
    )
    by_account = {r["account_id"]: r for r in found}
    assert {f"shift_{m}" for m in range(5)} <= set(by_account)
    assert all(a.startswith(scenes.CAMPAIGN_PREFIXES) for a in by_account)
    shift = by_account["shift_0"]
    assert shift["score"] >= 0.5
    assert shift["detail"].startswith(
        ("inferred operator time UTC+8", "inferred operator time UTC+9")
    )


def test_tells_command_lists_every_tell_with_parameters() -> None:
    import json

    from click.testing import CliRunner

    from cibscan.cli import main

    result = CliRunner().invoke(main, ["tells", "--json"])
    listed = json.loads(result.output)
    assert [t["name"] for t in listed] == list(tells())
    assert all(t["params"] for t in listed)


def test_tells_run_in_their_package_order_whatever_was_imported_first() -> None:
    """Importing one tell module before the registry loads (the report imports a tell's
    constants) must not move its score_<tell> column: built-ins keep DEFAULT_TELLS order."""
    import subprocess
    import sys

    from cibscan.tells import DEFAULT_TELLS

    code = (
        "import cibscan.tells.impersonation, cibscan.tells.camouflage\n"
        "from cibscan.tells.base import tells\n"
        "print(' '.join(tells()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [m.rsplit(".", 1)[1] for m in DEFAULT_TELLS]
