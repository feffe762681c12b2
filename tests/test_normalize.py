"""The SQL normalisation macros, each against answers worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cibscan.ingest.normalize import install_pseudonymizer, pseudonym
from cibscan.store import Case, open_case


@pytest.fixture(scope="module")
def mem() -> Case:
    return open_case(None)


def one(case: Case, sql: str, *params: Any) -> Any:
    return case.engine.fetchall(f"SELECT {sql}", list(params) or None)[0][0]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # scheme and host lower-cased, default port, fragment and tracking parameters dropped
        (
            "HTTPS://Www.Example.COM:443/Path?utm_source=x&id=3&fbclid=9#top",
            "https://www.example.com/Path?id=3",
        ),
        # defanged forms used in threat reports are refanged
        ("hxxps://evil[.]example[.]org/a", "https://evil.example.org/a"),
        ("hxxp://bad(.)site/x", "http://bad.site/x"),
        # a bare host gets a scheme and a root path so that it equals its linked form
        ("example.com", "http://example.com/"),
        # only tracking parameters: the query disappears; others keep their order
        ("http://a.com/x?igshid=1&utm_medium=m", "http://a.com/x"),
        ("http://a.com/x?b=2&a=1", "http://a.com/x?b=2&a=1"),
        # a non-default port stays; credentials are removed
        ("http://user:pw@a.com:8080/x", "http://a.com:8080/x"),
        # a host with a port and no scheme is a web address
        ("example.com:8080/x", "http://example.com:8080/x"),
        # other schemes are kept as written (not http://javascript:alert(1)/)
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("mailto:Press@Example.com", "mailto:Press@Example.com"),
        ("", None),
    ],
)
def test_url_normalisation(mem: Case, raw: str, expected: str | None) -> None:
    assert one(mem, "cib_norm_url(?)", raw) == expected


def test_url_domain_drops_www_and_port(mem: Case) -> None:
    assert one(mem, "cib_url_domain('https://www.Example.com:8443/a')") == "example.com"
    assert one(mem, "cib_url_domain('example.com:8080/x')") == "example.com"


def test_a_non_web_url_has_no_domain(mem: Case) -> None:
    assert one(mem, "cib_url_domain('javascript:alert(1)')") is None
    assert one(mem, "cib_url_domain('mailto:press@example.com')") is None


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("#China", "china"),
        ("＃ＣＨＩＮＡ", "china"),
        ("香港", "香港"),
        ("#Straße", "strasse"),
        ("#", None),
    ],
)
def test_hashtags_nfkc_casefold(mem: Case, tag: str, expected: str | None) -> None:
    assert one(mem, "cib_norm_tag(?)", tag) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-10-10T20:19:24.000Z", datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)),
        ("Wed Oct 10 20:19:24 +0000 2018", datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)),
        ("2018-10-10T22:19:24+02:00", datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)),
        ("2017-06-22 16:03", datetime(2017, 6, 22, 16, 3, tzinfo=UTC)),
        ("1539202764", datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)),
        ("1539202764000", datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)),
        ("1539202764000000", datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)),
        ("1539202764000000000", datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)),
        # a seconds field of 13 digits (year 99999) would read as milliseconds in 2068: the
        # future is not a post's time
        ("3000000000000", None),
        ("99999999999", None),  # year 5138
        ("1989-12-31T23:59:59Z", None),
        ("not a time", None),
        ("", None),
    ],
)
def test_timestamps_to_utc(mem: Case, text: str, expected: datetime | None) -> None:
    assert one(mem, "cib_ts(?)", text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("['a', 'b']", ["a", "b"]),
        ('["it\'s", "x"]', ["it's", "x"]),
        ("[http://a.com/x, http://b.com/y]", ["http://a.com/x", "http://b.com/y"]),
        ("[]", []),
        ("", []),
    ],
)
def test_python_list_columns(mem: Case, text: str, expected: list[str]) -> None:
    assert one(mem, "cib_pylist(?)", text) == expected


def test_text_norm_for_copypasta(mem: Case) -> None:
    # retweet prefix, links, case and runs of blanks do not make two copies differ
    a = one(mem, "cib_text_norm(?)", "RT @bob: Hello   World https://t.co/abc")
    b = one(mem, "cib_text_norm(?)", "hello world\n")
    assert a == b == "hello world"


@settings(max_examples=40, deadline=None)
@given(value=st.text(min_size=1, max_size=40), key=st.text(min_size=1, max_size=80))
def test_sql_hmac_equals_python_hmac(value: str, key: str) -> None:
    case = open_case(None)
    install_pseudonymizer(case.engine, key)
    assert one(case, "cib_pseudo(?)", value) == pseudonym(key, value)
    case.close()
