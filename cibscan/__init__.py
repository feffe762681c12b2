"""cibscan: uncover coordinated inauthentic behaviour (CIB) on social media.

The package reads in pipeline order: ``ingest`` (one adapter a format) -> ``store`` (the DuckDB
case file) -> later ``signals`` -> ``network`` -> ``detect``/``score`` -> ``report``. Everything
heavy runs inside the engine (``cibscan.engine``); Python only orchestrates.
"""

__version__ = "0.2.0"
