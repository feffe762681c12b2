"""Signals: one module per coordination signal, each computing an account-pair table.

``DEFAULT_SIGNALS`` lists the built-in signal modules in the order ``cibscan detect`` runs
them; they register themselves through :func:`cibscan.signals.base.register`, the same call a
third-party plugin makes (entry point group ``cibscan.signals``).
"""

DEFAULT_SIGNALS: tuple[str, ...] = (
    "cibscan.signals.co_repost",
    "cibscan.signals.co_post",
    "cibscan.signals.near_duplicate",
    "cibscan.signals.co_url",
    "cibscan.signals.co_domain",
    "cibscan.signals.hashtag_sequence",
    "cibscan.signals.co_reply",
    "cibscan.signals.co_mention",
    "cibscan.signals.co_media",
    "cibscan.signals.sync_activity",
    "cibscan.signals.fast_repost",
)
