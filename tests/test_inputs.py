"""The detect input table ``cib_posts`` holds only the columns a run's signals and tells
declare they read (``reads``); a wrong declaration fails here, not in a user's run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cibscan.detect.base import DetectOptions
from cibscan.detect.inputs import POST_INPUT_COLUMNS, input_columns
from cibscan.detect.pipeline import detect
from cibscan.signals.base import signals
from cibscan.store import Case, open_case
from cibscan.tells.base import tells
from tests import scenes
from tests.conftest import load


@pytest.fixture(scope="module")
def small_scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    """Every kind of campaign (ring, copypasta, shift work, cross-platform pair) in a small
    organic crowd: each signal has actions to read and each tell has clusters to test."""
    folder: Path = tmp_path_factory.mktemp("inputs")
    posts = (
        scenes.organic_background(people=30, days=6)
        + scenes.retweet_ring()
        + scenes.copypasta_personas()
        + scenes.shift_workers()
        + scenes.cross_platform_pair()
    )
    case = open_case(folder / "case.duckdb")
    load(case, scenes.write(folder / "posts.jsonl", posts), format="generic_jsonl")
    yield case
    case.close()


@pytest.mark.parametrize("name", sorted(signals()))
def test_each_signal_runs_on_the_columns_it_declares(small_scene: Case, name: str) -> None:
    # a column the signal reads but did not declare is absent from cib_posts: binder error
    detect(small_scene, DetectOptions(signals=[name], tells=[]))


@pytest.mark.parametrize("name", sorted(tells()))
def test_each_tell_runs_on_the_columns_it_declares(small_scene: Case, name: str) -> None:
    # sync_activity reads post_id alone and still finds the shift workers' cluster, so the
    # tell's SQL runs over clusters with nothing but its own columns beside acct and t
    report = detect(small_scene, DetectOptions(signals=["sync_activity"], tells=[name]))
    assert report.clusters >= 1


def test_input_columns_are_the_union_in_table_order() -> None:
    assert input_columns([("urls", "post_id"), ("platform",), ()]) == (
        "platform",
        "post_id",
        "urls",
    )
    assert input_columns([("urls",), None]) == POST_INPUT_COLUMNS  # a reader that does not say
    with pytest.raises(ValueError, match="no column"):
        input_columns([("body",)])
