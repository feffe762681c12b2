"""Ingest: one adapter a format -> the canonical case tables.

``DEFAULT_ADAPTERS`` lists the built-in adapter modules; they register themselves through
:func:`cibscan.ingest.base.register`, the same call a third-party plugin makes.
"""

DEFAULT_ADAPTERS: tuple[str, ...] = (
    "cibscan.ingest.twitter_io",
    "cibscan.ingest.twitter_v2",
    "cibscan.ingest.twitter_v1",
    "cibscan.ingest.reddit",
    "cibscan.ingest.telegram",
    "cibscan.ingest.mastodon",
    "cibscan.ingest.bluesky",
    "cibscan.ingest.youtube",
    "cibscan.ingest.tiktok",
    "cibscan.ingest.crowdtangle",
    "cibscan.ingest.zeeschuimer",
    "cibscan.ingest.fourcat_csv",
    "cibscan.ingest.meta_content_library",
    "cibscan.ingest.vimeo",
    "cibscan.ingest.pinterest",
    "cibscan.ingest.pivot",
    "cibscan.ingest.generic",
)
