"""Name tells with known answers: persona handles (persona_names) and impersonation.

The scenes are tests/scenes.py's organic background and campaigns with account fields added on
every post (the generic adapter reads the fields named on the first line): handles and display
names drawn from the shipped name list for the organic people (the simulator's
``organic_handle``), one profile image hash per account, and creation dates where a test needs
them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cibscan.detect.inputs import build_inputs
from cibscan.simulate import texts
from cibscan.store import Case
from cibscan.tells.base import get_tell, tells
from tests import scenes
from tests.conftest import SHARED, load
from tests.conftest import detect_posts as _detect
from tests.conftest import tell_rows as _tell

# The tell modules are imported through the registry only (importing one directly would
# register it out of DEFAULT_TELLS order).
WEAK = 0.5 / (0.5 + 2)  # persona_names.ACCOUNT_CAP's score: the most one account gets alone
MEDIUM = 0.5  # a family-wise 1% chance

# Real Spamouflage X handles from Meta's Q2 2023 indicators (MIT): a first name, the start of
# a surname (X truncates the display name) and eight digits.
META_HANDLES = (
    "ZoeRich28859010",
    "KarenMa85962925",
    "JohnRea51505034",
    "CarolCa01274860",
    "EttaJac84185457",
    "AlisonC01249536",
)


def _organic_identities(posts: list[scenes.Post]) -> dict[str, dict[str, Any]]:
    """Every account: an ordinary handle and display name from the simulator, its own photo."""
    rng = np.random.default_rng(3)
    out: dict[str, dict[str, Any]] = {}
    for account in sorted({p["account_id"] for p in posts}):
        name, handle = texts.organic_handle(rng)
        out[account] = {"handle": handle, "display_name": name, "photo": f"ph_{account}"}
    return out


def _with_identities(posts: list[scenes.Post], ids: dict[str, dict[str, Any]]) -> list[scenes.Post]:
    for p in posts:
        who = ids[p["account_id"]]
        p["acct_handle"] = who["handle"]
        p["acct_display_name"] = who["display_name"]
        p["acct_profile_image_hash"] = who["photo"]
        p["acct_created_at"] = who.get("created")
    return posts


# Organic look-alikes placed on organic people (none of them is in a cluster).
LOOKALIKES = {
    "person_1": ("jsmith1984", "John Smith"),  # an initial is no first name: no persona handle
    "person_2": ("johnny_football", "John Smith"),  # a second, unrelated John Smith
    "person_3": ("MaryJones48213377", "Mary Jones"),  # one persona-like handle, alone
    "person_4": ("CocaCola", "Coca-Cola"),  # brands
    "person_5": ("Nike", "Nike"),
    "person_6": ("BurgerKing", "Burger King"),
    "person_7": ("oppbrandshoes", "OPP Brand Shoes"),
}


def _persona_scene() -> list[scenes.Post]:
    """The retweet ring's six members have Meta's persona handles and Western display names;
    the copypasta personas (another cluster) all call themselves "Grace Miller" behind
    unrelated handles; the organic background has ordinary handles plus the look-alikes."""
    posts = scenes.organic_background() + scenes.retweet_ring() + scenes.copypasta_personas()
    ids = _organic_identities(posts)
    for m, handle in enumerate(META_HANDLES):
        first = re.match(r"[A-Z][a-z]+", handle)
        assert first
        ids[f"ring_{m}"]["handle"] = handle
        ids[f"ring_{m}"]["display_name"] = f"{first.group()} {handle[len(first.group()) : 7]}ks"
    ids["ring_0"]["display_name"] = "Zoe Rich"
    for m, handle in enumerate(("sunnyday", "blue_river", "kaito", "moonwalker", "tea_time")):
        ids[f"persona_{m}"] |= {"handle": handle, "display_name": "Grace Miller"}
    for account, (handle, name) in LOOKALIKES.items():
        ids[account] |= {"handle": handle, "display_name": name}
    return _with_identities(posts, ids)


def test_a_cluster_of_persona_handles_is_strong_and_lone_lookalikes_are_weak(
    case: Case, tmp_path: Path
) -> None:
    _detect(case, tmp_path, _persona_scene())
    found = _tell(case, "persona_names")
    ring = {f"ring_{m}" for m in range(6)}
    # 6 of 6 ring members share the X default-handle formula, which no other account of the
    # case has (Poisson tail vs an add-one share of 1/(N+1), corrected): strong
    assert ring <= set(found)
    assert all(found[a]["score"] >= MEDIUM for a in ring)
    assert found["ring_0"]["detail"].startswith(
        "6 of 6 cluster members have handles of a Western name and 6+ digits; "
    )
    assert found["ring_0"]["detail"].endswith(
        "handle ZoeRich28859010 = first name Zoe + surname Rich + 8 digits; display name 'Zoe Rich'"
    )
    assert "first name Karen + start of a surname (Ma…) + 8 digits" in found["ring_1"]["detail"]
    # five personas reuse one display name that no one else has: strong
    personas = {f"persona_{m}" for m in range(5)}
    assert all(found[a]["score"] >= MEDIUM for a in personas)
    assert found["persona_0"]["detail"].startswith(
        "5 of 5 cluster members have the display name 'grace miller'"
    )
    # the lone persona-like handle is weak evidence; no other organic account is more
    assert 0 < found["person_3"]["score"] <= WEAK + 1e-9
    assert "first name Mary + surname Jones + 8 digits" in found["person_3"]["detail"]
    organic = {a: r["score"] for a, r in found.items() if a not in ring | personas}
    assert all(s <= WEAK + 1e-9 for s in organic.values()), organic
    # jsmith1984, the two unrelated John Smiths and the brands have no row at all
    assert not set(LOOKALIKES) - {"person_3"} & set(found)


def test_sequential_handles_of_a_cluster_are_a_formula(scene: tuple[Case, object]) -> None:
    """In the shared scene handles equal account ids: the ring's ring_0..ring_5 are one stem
    and a number, which only they have; organic person_0..person_79 share a stem too but are
    no cluster, so they get nothing (and no organic account has a persona handle)."""
    case, _ = scene
    found = _tell(case, "persona_names")
    assert found["ring_0"]["detail"].startswith(
        "6 of 6 cluster members have handles 'ring_' + a number"
    )
    assert found["ring_0"]["score"] >= MEDIUM
    assert all(a.startswith(scenes.CAMPAIGN_PREFIXES) for a in found), sorted(found)


def test_meta_spamouflage_x_handles_match_the_persona_pattern(case: Case, tmp_path: Path) -> None:
    """Validation on the 35 X handles of Meta's Q2 2023 Spamouflage indicators (../shared):
    8 are a Western name and 6+ digits (ZoeRich28859010, KarenMa85962925, JohnRea51505034,
    CarolCa01274860, EttaJac84185457, AlisonC01249536, Camila17216155, connier48098264), 6
    more end in 6+ digits without a listed name (End05201180, Safegua66287957,
    WillDav46208593, lkk48099734, qwe12375724748, a7918578348), 3 are a first name and a
    surname (greensarah, fred_dickinson, melville_toby): 17 of 35. The misses are names
    outside Faker's lists (MavisRussell14, HeidiCreel2) and non-Western handles."""
    source = (
        SHARED
        / "meta-threat-research/indicators/csv/Q2_2023 "
        / "Q2_2023_Spamouflage_China_based_CIB_updated.csv"
    )
    handles = sorted(set(re.findall(r"twitter\[\.\]com/(\w+)", source.read_text("utf-8"))))
    assert len(handles) == 35
    posts = [scenes.post(f"p{k}", f"a{k}", k, "hello", handle=h) for k, h in enumerate(handles)]
    load(case, scenes.write(tmp_path / "meta.jsonl", posts), format="generic_jsonl")
    build_inputs(case.engine)
    tells()  # registered in order before the module is imported for its helper
    from cibscan.tells.persona_names import ACCOUNT_CAP, build_features

    assert ACCOUNT_CAP / (ACCOUNT_CAP + 2) == WEAK
    build_features(case.engine)
    counts = dict(
        case.engine.fetchall(
            """SELECT feature, count(*) FROM _pn_feat
               WHERE feature IN ('name_digits', 'digit_run', 'name_few_digits', 'name_only')
               GROUP BY feature"""
        )
    )
    assert counts == {"name_digits": 8, "digit_run": 6, "name_only": 3}


# --- impersonation ---------------------------------------------------------------------


def _impersonation_scene(tmp_path: Path) -> tuple[list[scenes.Post], Path]:
    """A protected journalist, Jane Doe (@janedoe_news on twitter), has her own account in the
    case (person_10) and three look-alikes; Li Ming's account (person_20, since 2015) is copied
    by person_21 in 2023 with the same photo and a handle one letter shorter; two unrelated
    John Smiths (different photos, unrelated handles) copy nobody."""
    posts = scenes.organic_background()
    ids = _organic_identities(posts)
    old, new = datetime(2015, 1, 1, tzinfo=UTC).isoformat(), datetime(2023, 5, 1, tzinfo=UTC)
    ids["person_10"] |= {"handle": "janedoe_news", "display_name": "Jane Doe", "photo": "ph_j"}
    ids["person_11"] |= {"handle": "janed0e_news", "display_name": "Jane Doe", "photo": "ph_j"}
    ids["person_12"] |= {"handle": "gardenlover", "display_name": "Jane  Doe"}
    ids["person_13"] |= {"handle": "janedoe_news1", "display_name": "J D"}
    ids["person_20"] |= {"handle": "liming_reports", "display_name": "Li Ming", "created": old}
    ids["person_21"] |= {
        "handle": "liming_report",
        "display_name": "Li Ming",
        "photo": "ph_person_20",
        "created": new.isoformat(),
    }
    ids["person_30"] |= {"handle": "jsmith1984", "display_name": "John Smith", "created": old}
    ids["person_31"] |= {"handle": "smithy_travels", "display_name": "John Smith"}
    protected = tmp_path / "protected.csv"
    protected.write_text(
        "name,handle,platform,profile_image_hash,note\n"
        "Jane Doe,janedoe_news,twitter,ph_j,journalist\n"
        "Wang Dan,wangdan_official,,,dissident\n",
        encoding="utf-8",
    )
    return _with_identities(posts, ids), protected


def test_impersonators_of_a_protected_person_and_of_an_older_account(
    case: Case, tmp_path: Path
) -> None:
    posts, protected = _impersonation_scene(tmp_path)
    _detect(case, tmp_path, posts, impersonation={"protected": str(protected)})
    found = _tell(case, "impersonation")
    # Jane Doe's own account is not an impersonator; the copy with her photo, a 0-for-o handle
    # and her name is strong (4.0 -> 0.67); her name alone is weak (0.5 -> 0.2); a handle
    # with a digit appended alone is in between (1.5 -> 0.43)
    assert "person_10" not in found
    assert found["person_11"]["score"] == pytest.approx(4 / 6)
    assert found["person_11"]["detail"] == (
        "poses as protected identity janedoe_news (twitter): same profile image; "
        "handle janed0e_news ~ janedoe_news; same name"
    )
    assert found["person_12"]["score"] == pytest.approx(0.2)
    assert found["person_13"]["score"] == pytest.approx(1.5 / 3.5)
    # the newer copy of Li Ming is scored, the original is not
    assert found["person_21"]["score"] == pytest.approx(4 / 6)
    assert found["person_21"]["detail"].startswith(
        "copies the older account liming_reports (twitter, since 2015-01-01)"
    )
    assert "person_20" not in found
    # two John Smiths with different photos and unrelated handles: nothing
    assert not {"person_30", "person_31"} & set(found)
    assert set(found) == {"person_11", "person_12", "person_13", "person_21"}


def test_without_a_protected_list_only_copies_count(case: Case, tmp_path: Path) -> None:
    posts, _ = _impersonation_scene(tmp_path)
    _detect(case, tmp_path, posts)
    # Without the list, Jane Doe's look-alikes are compared with each other: person_11 has
    # person_10's name, photo and a near handle, and was first seen later (no creation dates),
    # so it is the copy; person_12 (name only) and person_13 (other name) copy nobody.
    found = _tell(case, "impersonation")
    assert set(found) == {"person_11", "person_21"}
    assert found["person_11"]["detail"].startswith("copies the older account janedoe_news")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("name,handel\nJane,jd\n", "unknown column\\(s\\) handel"),
        ("platform,note\ntwitter,x\n", "the header needs a column name, handle"),
        ("name,handle\nJane,jd\n,\n", "line 3 has no name, handle, profile_image_hash"),
        ("name,handle\n", "no identities listed"),
        (None, "no such file"),
    ],
)
def test_a_bad_protected_list_is_refused_before_the_run(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "protected.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=f"impersonation.protected: .*: {problem}"):
        get_tell("impersonation").resolve({"protected": str(path)})
