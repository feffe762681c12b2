"""One registry mechanism for every extension point (input formats, signals, ...).

Built-in plugins register through :meth:`Registry.register` exactly as third-party ones do;
the built-in modules are listed in their package (``DEFAULT_ADAPTERS``, ``DEFAULT_SIGNALS``,
datasette's DEFAULT_PLUGINS idea) and third-party ones are declared as entry points. A broken
third-party plugin is logged and skipped, never allowed to break the built-ins.
"""

from __future__ import annotations

import importlib
import logging
import re
from importlib.metadata import entry_points
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)


class Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)

_NAME = re.compile(r"[a-z][a-z0-9_]*")


class Registry(Generic[T]):
    """Plugins of one kind, by name."""

    def __init__(self, kind: str, group: str, package: str, defaults: str) -> None:
        #: what a plugin is called in messages ("format", "signal")
        self.kind = kind
        #: the entry-point group third parties declare
        self.group = group
        self._package = package
        self._defaults = defaults
        self._items: dict[str, T] = {}
        self._loaded = False

    def register(self, item: T) -> T:
        """Add a plugin; a second plugin of another type under the same name is an error."""
        if not _NAME.fullmatch(item.name):
            raise ValueError(f"{self.kind} name {item.name!r} must be lower_snake_case")
        known = self._items.get(item.name)
        if known is not None and type(known) is not type(item):
            raise ValueError(f"a {self.kind} named {item.name!r} is already registered")
        self._items[item.name] = item
        return item

    def load_plugins(self) -> None:
        """Import the built-in modules, then load the entry points of third parties."""
        self._loaded = True
        defaults = list(getattr(importlib.import_module(self._package), self._defaults))
        for module_name in defaults:
            importlib.import_module(module_name)
        # built-ins run in the order their package lists them, even when one module was
        # imported (and so registered) earlier; anything else keeps its registration order
        rank = {module: i for i, module in enumerate(defaults)}
        order = sorted(
            enumerate(self._items.items()),
            key=lambda e: (rank.get(type(e[1][1]).__module__, len(rank)), e[0]),
        )
        self._items = {name: item for _, (name, item) in order}
        for ep in entry_points(group=self.group):
            try:
                obj = ep.load()
                self.register(obj() if isinstance(obj, type) else obj)
            except Exception:  # a broken plugin must not break the others
                log.exception("could not load cibscan %s plugin %s", self.kind, ep.name)

    def all(self) -> dict[str, T]:
        """Every registered plugin by name, in registration order.

        Plugins are loaded on first use, once; not "while the registry is empty", which
        would stop at one plugin if its module happened to be imported first.
        """
        if not self._loaded:
            self.load_plugins()
        return dict(self._items)

    def get(self, name: str) -> T:
        """The plugin of that name, or a ValueError listing the known names."""
        known = self.all()
        if name not in known:
            raise ValueError(
                f"unknown {self.kind} {name!r}; known {self.kind}s: {', '.join(sorted(known))}"
            )
        return known[name]
