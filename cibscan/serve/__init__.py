"""``cibscan serve``: the analyst workbench, a local web app and JSON API over a case.

The contract (who may do what, where it listens, what it promises about attacker-written
text) is in :mod:`cibscan.serve.base`; :func:`build_app` builds the FastAPI app and
:func:`serve` runs it with uvicorn.
"""

from __future__ import annotations

from cibscan.serve.app import build_app, serve
from cibscan.serve.base import ServeOptions, new_token

__all__ = ["ServeOptions", "build_app", "new_token", "serve"]
