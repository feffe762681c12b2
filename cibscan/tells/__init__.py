"""Account tells: traits of inauthentic accounts measured per account or per cluster.

``DEFAULT_TELLS`` lists the built-in tell modules in run order; each registers itself through
:func:`cibscan.tells.base.register`, the call a third-party plugin makes (entry point group
``cibscan.tells``).
"""

DEFAULT_TELLS: tuple[str, ...] = (
    "cibscan.tells.creation_burst",
    "cibscan.tells.shift_schedule",
    "cibscan.tells.repurposed",
    "cibscan.tells.camouflage",
    "cibscan.tells.insular_engagement",
    "cibscan.tells.amplifies_cluster",
    "cibscan.tells.cross_platform",
    "cibscan.tells.persona_names",
    "cibscan.tells.impersonation",
    "cibscan.tells.known_network",
)
