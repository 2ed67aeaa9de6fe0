"""Import hooks of the kit's runner (stdlib only: they run on both sides, before the modules they patch).

`Patching` wraps a module's real loader and patches the module once it has run (datasets.py gives
`sklearn.datasets` its offline fetch_openml with it).

`light_scipy()` makes `import scipy.signal` lighter: SciPy 1.17 re-parses the docstring of each function it tags
with its array backends (`xp_capabilities`), to add a table to its Notes, while the module is imported (~0.2 s of
the ~0.9 s it takes here, paid by every warm sandbox and by the grader importing the reference). The hook gives
`scipy._lib._array_api` a stand-in for numpydoc's parser that appends the same table to the docstring as
written. SciPy's functions and its table of backends are untouched; only where the note sits in a docstring
differs. A SciPy whose decorator is otherwise is left as it is.
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


class _ArrayApiFinder(importlib.abc.MetaPathFinder):
    """Finds scipy._lib._array_api as Python would, with a loader that then gives it DocWithNotes."""

    def find_spec(self, name: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if name != ARRAY_API:
            return None
        if self in sys.meta_path:  # once: and find_spec below must not find us again
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = Patching(spec.loader, _with_light_docs)
        return spec


def light_scipy() -> None:
    """Make SciPy's next import light; nothing when it is imported already (or the hook is in place)."""
    if ARRAY_API not in sys.modules and not any(isinstance(f, _ArrayApiFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _ArrayApiFinder())
