"""Whack-a-mole: recognise known networks when they return (library, match) and hunt
published indicators (hunt). See docs/matching.md and cibscan/match/base.py."""

#: the built-in facets, registered as a third party's would be (cibscan.plugins)
DEFAULT_FACETS = ("cibscan.match.facets",)
