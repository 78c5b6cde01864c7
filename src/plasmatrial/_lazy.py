"""Lazy exports: a package names its public API without importing it until first use.

``plasmatrial --help`` must not load scipy or matplotlib, yet ``import plasmatrial as pt`` should
offer ``pt.stats.kaplan_meier``-style access. A package lists ``name -> module`` and gets a module
``__getattr__`` (PEP 562) that imports the module on first access and caches the attribute.

A function named like its module (``plasmatrial.stats.rmst``, ``plasmatrial.stats.rpsft``) stays
the function: importing the submodule would otherwise bind the module over it, so the package's
module type refuses that one assignment (``import plasmatrial.stats.rmst`` and
``from plasmatrial.stats.rmst import rmst`` still work through ``sys.modules``).
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any


class LazyPackage(types.ModuleType):
    """A package module that keeps an exported function over a same-named submodule."""

    def __setattr__(self, name: str, value: Any) -> None:
        exports: Mapping[str, str] = self.__dict__.get("_lazy_exports", {})
        target = exports.get(name)
        if isinstance(value, types.ModuleType) and target == f"{self.__name__}.{name}":
            return  # the submodule of an exported function of the same name
        super().__setattr__(name, value)


def lazy_exports(
    package: str, exports: Mapping[str, str], *, submodules: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``.

    ``exports`` maps a public name to the module defining it; ``submodules`` are subpackage
    names exported as modules (``plasmatrial.stats``).
    """
    packages = {name: f"{package}.{name}" for name in submodules}
    module = sys.modules[package]
    module.__dict__["_lazy_exports"] = dict(exports)
    module.__class__ = LazyPackage

    def module_getattr(name: str) -> Any:
        if name in packages:
            value: Any = importlib.import_module(packages[name])
        elif name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module.__dict__[name] = value
        return value

    def module_dir() -> list[str]:
        return sorted({*module.__dict__, *exports, *packages})

    return module_getattr, module_dir
