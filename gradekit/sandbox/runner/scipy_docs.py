"""A lighter `import scipy.signal`: SciPy 1.17 re-parses the docstring of each function it tags with its array
backends (`xp_capabilities`), to add a table to its Notes, while the module is imported: ~0.17 s of the
~0.9 s `import scipy.signal` takes here, paid by every warm sandbox and by the grader importing the reference.

`install()` hooks the import of `scipy._lib._array_api` so that its decorator appends the same table to the
docstring as written instead. SciPy's functions, and its table of backends, are untouched; only where the note
sits in a docstring differs. Runs on both sides (no kit imports): before the zygote imports SciPy, and before
the grader imports the reference.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import inspect
import sys
from types import ModuleType
from typing import Any, Sequence

ARRAY_API = "scipy._lib._array_api"  # defines xp_capabilities, which calls its FunctionDoc(f) once per function


class DocWithNotes:
    """What xp_capabilities asks of numpydoc's FunctionDoc: `doc["Notes"].append(note)`, then `str(doc)` whose
    first line (a signature) it drops. The docstring is kept as written, the notes follow it."""

    def __init__(self, func: Any) -> None:
        self.text = inspect.getdoc(func) or ""
        self.notes: list[str] = []

    def __getitem__(self, section: str) -> list[str]:
        return self.notes

    def __str__(self) -> str:
        return "\n" + "\n\n".join([self.text, *self.notes])


class _ArrayApiFinder(importlib.abc.MetaPathFinder):
    """Finds scipy._lib._array_api as Python would, and gives it DocWithNotes once it has run."""

    def find_spec(self, name: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if name != ARRAY_API:
            return None
        sys.meta_path.remove(self)  # once: and find_spec below must not find us again
        spec = importlib.util.find_spec(name)
        if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            spec.loader = _PatchingLoader(spec.loader.name, spec.loader.path)
        return spec


class _PatchingLoader(importlib.machinery.SourceFileLoader):
    def exec_module(self, module: ModuleType) -> None:
        super().exec_module(module)
        if callable(getattr(module, "xp_capabilities", None)) and hasattr(module, "FunctionDoc"):
            module.FunctionDoc = DocWithNotes  # another SciPy without them is left as it is


def install() -> None:
    """Make SciPy's next import light; nothing when it is imported already (or the hook is in place)."""
    if ARRAY_API not in sys.modules and not any(isinstance(f, _ArrayApiFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _ArrayApiFinder())
