"""Western first names and surnames, shipped with cibscan under the MIT licence of Faker.

``data/western_names.csv`` (columns ``kind`` = first/last, ``name``, ``locales``) is an
extract of the person-name providers of the Faker package (https://github.com/joke2k/faker,
version 40.54.0, MIT licence, Copyright (c) 2012 Daniele Faraglia; the licence text is in
``data/NOTICE.md``) for the locales en_US, en_GB, en_IE, en_NZ, de_DE, fr_FR, es_ES, it_IT and
nl_NL: 4,230 first names and 7,032 surnames, folded to lower-case ASCII letters (accents and
spaces dropped, ``ß`` as ``ss``) so that they compare with handles. cibscan does not depend on
Faker at run time; ``data/README.md`` gives the extraction recipe.

The name tells (:mod:`cibscan.tells.persona_names`) load the list into engine tables with
:func:`load_name_tables`; the simulator draws persona and organic names from it with
:func:`first_names` / :func:`last_names`.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import pyarrow as pa

from cibscan.engine import Engine
from cibscan.engine.base import Dialect

NAMES_CSV = Path(__file__).parent / "data" / "western_names.csv"
#: the tables :func:`load_name_tables` writes
FIRST_TABLE, LAST_TABLE, LAST_PREFIX_TABLE = (
    "cib_first_names",
    "cib_last_names",
    "cib_last_prefixes",
)
#: a truncated surname in an X default handle keeps at most this many letters
MAX_PREFIX = 8


@cache
def _rows() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    with NAMES_CSV.open(encoding="utf-8", newline="") as f:
        return tuple((r["kind"], r["name"], tuple(r["locales"].split())) for r in csv.DictReader(f))


def first_names(locale: str | None = None) -> tuple[str, ...]:
    """Folded first names (of one Faker locale, or all), sorted."""
    return tuple(n for k, n, locs in _rows() if k == "first" and (locale is None or locale in locs))


def last_names(locale: str | None = None) -> tuple[str, ...]:
    """Folded surnames (of one Faker locale, or all), sorted."""
    return tuple(n for k, n, locs in _rows() if k == "last" and (locale is None or locale in locs))


def load_name_tables(engine: Engine) -> None:
    """Write temp tables of first names, surnames and surname prefixes (1 to
    :data:`MAX_PREFIX` letters, shorter than the surname) for matching in SQL: made here
    and sent through Arrow, so that every engine gets the same rows."""
    first, last = sorted(set(first_names())), sorted(set(last_names()))
    prefixes = sorted({n[:i] for n in last for i in range(1, MAX_PREFIX + 1) if i < len(n)})
    for table, column, values in (
        (FIRST_TABLE, "name", first),
        (LAST_TABLE, "name", last),
        (LAST_PREFIX_TABLE, "prefix", prefixes),
    ):
        engine.drop_table(table)
        engine.insert_arrow(table, pa.table({column: pa.array(values, pa.string())}), temp=True)


def drop_name_tables(engine: Engine) -> None:
    for table in (FIRST_TABLE, LAST_TABLE, LAST_PREFIX_TABLE):
        engine.drop_table(table)


def cut_points(dialect: Dialect, first: int, last: int) -> str:
    """SQL of the rows ``i`` = ``first``, ..., ``last - 1``: where to cut a handle."""
    return f"SELECT {dialect.explode(dialect.int_range(str(int(first)), str(int(last))))} AS i"


def full_name_splits_sql(
    engine: Dialect, source: str, key: str, letters: str, first_split: int, last_split: int
) -> str:
    """SQL rows ``(key, pri, a, b)``: the ``letters`` of each row of ``source`` cut after
    ``i`` characters (``first_split <= i < last_split``, ``i`` shorter than the letters) where
    ``a`` + ``b`` is a first name + surname (``pri`` 1) or a surname + first name (``pri``
    2) of the loaded tables. One definition for persona handles and common-name handles."""
    splits = f"""SELECT {key} AS key, substr({letters}, 1, i) AS a, substr({letters}, i + 1) AS b
        FROM {source} CROSS JOIN ({cut_points(engine, first_split, last_split)}) AS r
        WHERE {letters} <> '' AND i < length({letters})"""
    return f"""WITH splits AS ({splits})
        SELECT s.key, 1 AS pri, s.a, s.b FROM splits AS s
        JOIN {FIRST_TABLE} AS f ON f.name = s.a JOIN {LAST_TABLE} AS l ON l.name = s.b
        UNION ALL
        SELECT s.key, 2, s.a, s.b FROM splits AS s
        JOIN {LAST_TABLE} AS l ON l.name = s.a JOIN {FIRST_TABLE} AS f ON f.name = s.b"""
