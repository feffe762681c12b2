"""Reading published indicators: defanged forms, the whole shared Meta folder with nothing
silently lost, plain lists, STIX patterns (OR, escaped quotes) and handle shapes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cibscan.match.indicator_values import COUNT_REASON, SHAPE_SQL, handle_shape, refang
from cibscan.match.indicators import read_indicators, sniff
from cibscan.match.stix_patterns import parse_pattern
from tests.conftest import SHARED

META = SHARED / "meta-threat-research" / "indicators" / "csv"
SPAMOUFLAGE = META / "Q2_2023 " / "Q2_2023_Spamouflage_China_based_CIB_updated.csv"
needs_meta = pytest.mark.skipif(not META.is_dir(), reason="shared Meta indicators absent")


def one(tmp_path: Path, line: str, procedure: str = "0.9.4 Acquiring X / Twitter accounts"):
    """The indicators of a one-row Meta CSV with this Indicator and Procedure."""
    path = tmp_path / "Q9_2099_Test_network.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Tactic", "Technique", "Procedure", "Indicator", "Note"])
        tactic = procedure.split(".")[0] + ". Tactic"  # "6. Tactic" for "6.1.3 Posting..."
        w.writerow([tactic, procedure[:3], procedure, line, ""])
    return read_indicators([path])


# (written, expected (type, value, platform)); the account URLs are accounts, not URLs
DEFANGED = [
    ("twitter[.]com/Handle", ("handle", "handle", "twitter")),
    ("https://twitter[.]com/GarciaJasmyn1/", ("handle", "garciajasmyn1", "twitter")),
    ("hxxps://x[.]com/ZoeRich28859010", ("handle", "zoerich28859010", "twitter")),
    ("hxxp://mobile.twitter(.)com/End05201180", ("handle", "end05201180", "twitter")),
    ("www[.]reddit[.]com/user/Name/", ("handle", "name", "reddit")),
    ("https://www[.]reddit[.]com/u/Ok_Software_6520", ("handle", "ok_software_6520", "reddit")),
    ("https://www.facebook[.]com/profile.php?id=100087", ("account_id", "100087", "facebook")),
    ("https://facebook[.]com/SomePage", ("handle", "somepage", "facebook")),
    ("https://www.youtube[.]com/channel/UCx9_aB", ("account_id", "UCx9_aB", "youtube")),
    ("https://www.youtube[.]com/@knowindia303", ("handle", "knowindia303", "youtube")),
    ("http://tiktok[.]com/@juurnalistebi", ("handle", "juurnalistebi", "tiktok")),
    ("https://medium[.]com/@teamilk951/", ("handle", "teamilk951", "medium")),
    ("notihonduras504.medium[.]com", ("handle", "notihonduras504", "medium")),
    ("https://qualityk[.]tumblr[.]com/", ("handle", "qualityk", "tumblr")),
    ("https://www[.]tumblr[.]com/tue2", ("handle", "tue2", "tumblr")),
    ("https://www.instagram[.]com/some.one/", ("handle", "some.one", "instagram")),
    ("http://t[.]me/new_europe", ("handle", "new_europe", "telegram")),
    ("https[:]//bsky[.]app/profile/a.bsky.social", ("handle", "a.bsky.social", "bluesky")),
    # URLs: refanged and normalised like posts' urls (host lower-cased, utm_* dropped)
    ("hxxps://News[.]Example[.]com/a?utm_source=x&id=2", ("url", "https://news.example.com/a?id=2", None)),  # noqa: E501
    ("hxxp://example[dot]org/p", ("url", "http://example.org/p", None)),
    ("https{:}//t[.]me/channel/123", ("url", "https://t.me/channel/123", None)),
    ("https://twitter[.]com/new_observation/status/1562640310273 921025",
     ("url", "https://twitter.com/new_observation/status/1562640310273921025", None)),
    ("https://www[.]reddit[.]com/r/fghji/", ("url", "https://www.reddit.com/r/fghji/", None)),
    # bare domains: lower-cased, www. dropped
    ("Example[.]com", ("domain", "example.com", None)),
    ("www(.)evil{.}co[.]uk", ("domain", "evil.co.uk", None)),
    ("jiraboom[.]pro (Hosted a spoof of Der Spiegel)", ("domain", "jiraboom.pro", None)),
]  # fmt: skip


@pytest.mark.parametrize(("written", "expected"), DEFANGED)
def test_every_defanged_form_parses(tmp_path: Path, written: str, expected: tuple) -> None:
    got = one(tmp_path, written)
    assert not got.rejected, got.rejected
    assert [(i.type, i.value, i.platform) for i in got.indicators] == [expected]
    assert got.indicators[0].raw == written.strip()
    assert got.indicators[0].source == "Q9_2099_Test_network"


def test_a_url_on_a_domain_row_is_a_domain_and_a_count_is_rejected(tmp_path: Path) -> None:
    # "0.6 Acquiring domains" rows name the site: its domain, not the home page URL
    got = one(tmp_path, "hxxps://www.gagauzia24[.]info/", "0.6.2 Acquiring domains to support")
    assert [(i.type, i.value) for i in got.indicators] == [("domain", "gagauzia24.info")]
    got = one(tmp_path, "7,704 Facebook accounts", "0.9.1 Acquiring Facebook assets")
    assert not got.indicators and got.rejected[0].reason == COUNT_REASON


def test_posting_rows_are_texts_and_descriptions_are_rejected(tmp_path: Path) -> None:
    posting = "6.1.3 Posting original content on blogs"
    got = one(tmp_path, "The biggest data thief of the world ", posting)
    assert [(i.type, i.value) for i in got.indicators] == [
        ("text", "the biggest data thief of the world")  # the case's text_norm of it
    ]
    got = one(tmp_path, "Sharing on Facebook", "6.2.1 Amplifying with likely fake accounts")
    assert got.rejected[0].reason == "a description, not an indicator"


# what defanging does to a URL or domain; refang must undo each (one style of each part)
DOTS = ["[.]", "(.)", "[dot]", "{.}", "[.]"]
COLONS = ["[://]", "[:]//", "{:}//"]
_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_domain = st.builds(
    lambda ls, tld: ".".join([*ls, tld]),
    st.lists(_label, min_size=1, max_size=3),
    st.sampled_from(["com", "org", "co.uk", "info", "ru"]),
)
_url = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}/{path}",
    st.sampled_from(["http", "https"]),
    _domain,
    st.from_regex(r"[A-Za-z0-9_/-]{0,20}(\?[a-z]=[0-9]{1,3})?", fullmatch=True),
)


@given(
    st.one_of(_url, _domain),
    st.none() | st.sampled_from(DOTS),
    st.none() | st.sampled_from(COLONS),
    st.booleans(),
)
def test_refang_undoes_defang(value: str, dot: str | None, colon: str | None, hx: bool) -> None:
    defanged = value.replace(".", dot) if dot else value
    if colon:
        defanged = defanged.replace("://", colon, 1)
    if hx:
        defanged = defanged.replace("http", "hxxp", 1)
    assert refang(defanged) == value


def _data_rows(path: Path) -> int:
    """Rows after the header with any non-blank cell, counted independently of the reader."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return sum(1 for r in rows[1:] if any(c.strip() for c in r))


@needs_meta
def test_every_meta_file_parses_with_nothing_silently_lost() -> None:
    files = sorted(p for p in META.rglob("*") if p.is_file())
    assert len(files) >= 60  # odd names (spaces, '#', '&') included
    got = read_indicators([META])
    assert {Path(f.path) for f in got.files} == set(files)
    for f in got.files:
        assert f.format in ("meta_ttp", "meta_ioc"), f
        assert f.rows == _data_rows(Path(f.path)), f
        assert f.rows == f.parsed + f.rejected, f
    assert sum(f.rejected for f in got.files) == len(got.rejected)
    # a few reports name nothing huntable (counts and prose only, or app package names)
    assert sum(1 for f in got.files if f.parsed) >= 55
    assert all(r.reason for r in got.rejected)
    by_type = got.by_type()
    assert by_type["handle"] > 400 and by_type["domain"] > 5000 and by_type["text"] > 200


@needs_meta
def test_the_spamouflage_file() -> None:
    got = read_indicators([SPAMOUFLAGE])
    x = {i.value for i in got.indicators if i.type == "handle" and i.platform == "twitter"}
    written = SPAMOUFLAGE.read_text(encoding="utf-8").count("twitter[.]com/")
    assert len(x) == written - 0 and "zoerich28859010" in x and "garciajasmyn1" in x
    assert {i.source for i in got.indicators} == {"Q2_2023_Spamouflage_China_based_CIB_updated"}
    assert any(r.reason == COUNT_REASON and r.raw == "7,704 Facebook accounts"
               for r in got.rejected)  # fmt: skip
    reddit = {i.value for i in got.indicators if i.platform == "reddit"}
    assert "ok_software_6520" in reddit
    texts = {i.value for i in got.indicators if i.type == "text"}
    assert "王瑞琴的风流往事" in texts


def test_plain_lists_and_duplicates_keep_every_source(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "# analyst list\n"
        "@SomeHandle  # seen on X\n"
        "twitter:12345\n"
        "reddit:@Throwaway_1\n"
        "hxxps://evil[.]com/path\n"
        "evil[.]org\n"
        '"Exact copy pasta text"\n'
        "what is this\n",
        encoding="utf-8",
    )
    (tmp_path / "b.txt").write_text("evil.org\n@somehandle\n", encoding="utf-8")
    got = read_indicators([tmp_path])
    found = {(i.type, i.value, i.platform): i for i in got.indicators}
    assert set(found) == {
        ("handle", "somehandle", None),
        ("account_id", "12345", "twitter"),
        ("handle", "throwaway_1", "reddit"),
        ("url", "https://evil.com/path", None),
        ("domain", "evil.org", None),
        ("text", "exact copy pasta text", None),
    }
    assert found[("domain", "evil.org", None)].sources == ("a", "b")
    assert found[("handle", "somehandle", None)].sources == ("a", "b")
    assert [r.raw for r in got.rejected] == ["what is this"]
    assert [(f.rows, f.parsed, f.rejected) for f in got.files] == [(7, 6, 1), (2, 2, 0)]


def test_stix_patterns_with_or_and_escaped_quotes(tmp_path: Path) -> None:
    # the pattern of a login with a quote and a backslash, written as STIX escapes them
    assert parse_pattern(r"[user-account:account_login = 'it\'s\\me']") == [
        {"user-account:account_login": "it's\\me"}
    ]
    bundle = {
        "type": "bundle",
        "id": "bundle--1",
        "objects": [
            {"type": "intrusion-set", "id": "intrusion-set--1", "name": "Op Teapot"},
            {"type": "campaign", "id": "campaign--1", "name": "Teapot wave 2"},
            {
                "type": "indicator",
                "id": "indicator--1",
                "pattern_type": "stix",
                "pattern": "([user-account:account_login = 'O\\'Brien_2' AND "
                "user-account:account_type = 'X'] OR [user-account:user_id = '42' AND "
                "(user-account:account_type = 'reddit' OR user-account:account_type = "
                "'facebook')]) OR [domain-name:value = 'Evil.example' OR url:value = "
                "'hxxp://evil[.]example/a b'] OR [url:value LIKE '%x%']",
            },
            {"type": "relationship", "id": "relationship--1", "relationship_type":
             "indicates", "source_ref": "indicator--1", "target_ref": "campaign--1"},
            {"type": "indicator", "id": "indicator--2", "pattern_type": "stix",
             "pattern": "[file:hashes.'SHA-256' = 'ab']"},
            {"type": "indicator", "id": "indicator--3", "pattern_type": "stix",
             "pattern": "[user-account:account_login = 'unterminated]"},
            {"type": "user-account", "id": "user-account--1", "account_login": "Bob",
             "account_type": "twitter", "user_id": "7"},
            {"type": "url", "id": "url--1", "value": "https://www.tiktok.com/@tt_user"},
        ],
    }  # fmt: skip
    path = tmp_path / "teapot.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    assert sniff(path.read_text()) == "stix"
    got = read_indicators([path])
    found = {(i.type, i.value, i.platform, i.source) for i in got.indicators}
    assert found == {
        ("handle", "o'brien_2", "twitter", "Teapot wave 2"),
        ("account_id", "42", "reddit", "Teapot wave 2"),
        ("account_id", "42", "facebook", "Teapot wave 2"),
        ("domain", "evil.example", None, "Teapot wave 2"),
        ("url", "http://evil.example/a b", None, "Teapot wave 2"),
        ("handle", "bob", "twitter", "teapot.json"),
        ("account_id", "7", "twitter", "teapot.json"),
        ("handle", "tt_user", "tiktok", "teapot.json"),
    }
    reasons = {r.locator.rsplit(":", 1)[-1]: r.reason for r in got.rejected}
    assert reasons["indicator--2"] == "no account, domain or URL in it"
    assert reasons["indicator--3"].startswith("unreadable STIX pattern")
    assert got.files[0].rows == 5 == got.files[0].parsed + got.files[0].rejected


HANDLES = ["ZoeRich28859010", "angelicasalaza7", "Ok_Software_6520", "ORHANALRIZA1",
           "qwe12375724748", "belle_zuri", "Ünïcode99999", "a-b.c_1234"]  # fmt: skip


def test_handle_shapes_and_their_sql_twin_agree() -> None:
    assert handle_shape("ZoeRich28859010") == "Aa+Aa+9{8}"
    assert handle_shape("@JohnRea51505034") == handle_shape("ZoeRich28859010")
    assert handle_shape("angelicasalaza7") == "a+9{1}"
    assert handle_shape("Ok_Software_6520") == "Aa+_Aa+_9{4}"
    con = duckdb.connect()
    sql = SHAPE_SQL.format(h="h")
    got = con.execute(f"SELECT h, {sql} FROM unnest(?) AS t(h)", [HANDLES]).fetchall()
    assert {h: s for h, s in got} == {h: handle_shape(h) for h in HANDLES}
