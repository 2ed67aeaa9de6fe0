"""Import hooks of the kit's runner (stdlib only: they run on both sides, before the modules they patch).

`Patching` wraps a module's real loader and patches the module once it has run (datasets.py gives
`sklearn.datasets` its offline fetch_openml with it); `after_import` patches a module now or once it is imported.

`light_scipy()` makes `import scipy.signal` lighter, in two ways (together ~0.4 s of the ~1.1 s it takes here, paid
by every warm sandbox and by the grader importing the reference):
- SciPy 1.17 re-parses the docstring of each function it tags with its array backends (`xp_capabilities`), to add a
  table to its Notes, while the module is imported. The hook gives `scipy._lib._array_api` a stand-in for
  numpydoc's parser that appends the same table to the docstring as written. SciPy's functions and its table of
  backends are untouched; only where the note sits in a docstring differs. A SciPy whose decorator is otherwise is
  left as it is.
- `scipy.signal` imports all of `scipy.stats` (~0.2 s, 18 MB) for one function of `find_peaks_cwt`,
  `scoreatpercentile`. While `scipy.signal._peak_finding` is imported, `scipy.stats` is a stand-in whose
  `scoreatpercentile` imports the real one when it is called; any other name asked of it is the real module's.
  `import scipy.stats` then imports SciPy's own, as ever.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import sys
from types import ModuleType
from typing import Any, Callable, Sequence

ARRAY_API = "scipy._lib._array_api"  # defines xp_capabilities, which calls its FunctionDoc(f) once per function
PEAK_FINDING = "scipy.signal._peak_finding"  # `from scipy.stats import scoreatpercentile`, scipy.signal's only one
STATS = "scipy.stats"


class Patching(importlib.abc.Loader):
    """A module's real loader, then `patch(module)`."""

    def __init__(self, loader: importlib.abc.Loader, patch: Callable[[ModuleType], None]):
        self.loader = loader
        self.patch = patch

    def __getattr__(self, name: str) -> Any:  # resource readers and the like: the real loader's
        return getattr(self.loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        self.patch(module)


class DocWithNotes:
    """What xp_capabilities asks of numpydoc's FunctionDoc: `doc["Notes"].append(note)`, then `str(doc)` whose
    first line (a signature) it drops. The docstring is kept as written, the notes follow it; any other section
    asked for is an empty list, whatever is added to it left out."""

    def __init__(self, func: Any, *args: Any, **kwargs: Any) -> None:
        self.text = inspect.getdoc(func) or ""
        self.notes: list[str] = []

    def __getitem__(self, section: str) -> list[str]:
        return self.notes if section == "Notes" else []

    def __str__(self) -> str:
        return "\n" + "\n\n".join([self.text, *self.notes])


def _with_light_docs(module: ModuleType) -> None:
    if callable(getattr(module, "xp_capabilities", None)) and hasattr(module, "FunctionDoc"):
        module.FunctionDoc = DocWithNotes


class _StatsDeferred(Patching):
    """A module's real loader, run while `scipy.stats` is the stand-in (unless scipy.stats is imported already)."""

    def __init__(self, loader: importlib.abc.Loader) -> None:
        super().__init__(loader, lambda module: None)

    def exec_module(self, module: ModuleType) -> None:
        if STATS in sys.modules:
            return self.loader.exec_module(module)
        stand_in = sys.modules[STATS] = _stats_stand_in()
        try:
            self.loader.exec_module(module)
        finally:
            if sys.modules.get(STATS) is stand_in:
                del sys.modules[STATS]


def _stats_stand_in() -> ModuleType:
    """`scipy.stats` as _peak_finding's import sees it: scoreatpercentile, which imports scipy.stats when called."""
    stand_in = ModuleType(STATS)

    def scoreatpercentile(*args: Any, **kwargs: Any) -> Any:
        return importlib.import_module(STATS).scoreatpercentile(*args, **kwargs)

    def __getattr__(name: str) -> Any:  # a name a later SciPy imports too: the real module's
        if name.startswith("__"):  # what the import system asks of a module (__path__, __spec__)
            raise AttributeError(name)
        if sys.modules.get(STATS) is stand_in:
            del sys.modules[STATS]
        return getattr(importlib.import_module(STATS), name)

    stand_in.scoreatpercentile, stand_in.__getattr__ = scoreatpercentile, __getattr__
    return stand_in


class _Finder(importlib.abc.MetaPathFinder):
    """Finds the module `name` as Python would, once, with its loader wrapped by `wrap` (`key`: what it does)."""

    def __init__(self, name: str, wrap: Callable[[importlib.abc.Loader], importlib.abc.Loader], key: Any) -> None:
        self.name, self.wrap, self.key = name, wrap, key

    def find_spec(self, name: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if name != self.name:
            return None
        if self in sys.meta_path:  # once: and find_spec below must not find us again
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = self.wrap(spec.loader)
        return spec


def after_import(name: str, patch: Callable[[ModuleType], None]) -> None:
    """`patch(module)` once the module `name` is imported: now, if it is already."""
    if name in sys.modules:
        patch(sys.modules[name])
    else:
        _find_once(name, lambda loader: Patching(loader, patch), patch)


def light_scipy() -> None:
    """Make SciPy's next import light; nothing when it is imported already (or the hooks are in place)."""
    if ARRAY_API not in sys.modules:
        _find_once(ARRAY_API, lambda loader: Patching(loader, _with_light_docs), _with_light_docs)
    if PEAK_FINDING not in sys.modules:
        _find_once(PEAK_FINDING, _StatsDeferred, _StatsDeferred)


def _find_once(name: str, wrap: Callable[[importlib.abc.Loader], importlib.abc.Loader], key: Any) -> None:
    """A _Finder for `name` first on sys.meta_path, unless one doing the same (`key`) is there: another patch of the
    same module is a finder of its own, and the module gets both."""
    if not any(isinstance(f, _Finder) and (f.name, f.key) == (name, key) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder(name, wrap, key))
